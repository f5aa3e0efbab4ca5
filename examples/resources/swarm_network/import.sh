# A network is imported by its name (the value of its swarm:network tag):
# one the provider made whose state was lost takes back its objects, and
# the first apply changes nothing.
terraform import swarm_network.main agents
# When several networks answer to the name (two stacks in one account, each
# with its own swarm:owner marker), import one by its VPC's id instead.
terraform import swarm_network.main vpc-0a1b2c3d4e5f60718
# A VPC made otherwise (no swarm:network tag) is refused: its subnets are
# not the shape the resource's arguments describe. Keep managing it as it
# is, and give its subnet ids to swarm_node, swarm_database, swarm_cache.
