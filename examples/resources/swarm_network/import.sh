# A network is imported by its name (the value of its swarm:network tag).
terraform import swarm_network.main agents
# When several networks answer to the name (two stacks in one account, each
# with its own swarm:owner marker), import one by its VPC's id instead.
terraform import swarm_network.main vpc-0a1b2c3d4e5f60718
