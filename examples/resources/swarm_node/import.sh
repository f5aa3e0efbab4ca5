# A node is imported by its name (the value of its swarm:node tag); its
# settings are read back from the tags of its security group and instances.
# (A timeouts block is not stored in AWS: after import, a configuration with
# one shows a timeouts-only update.)
terraform import swarm_node.agents agents
