# A network is imported by its name (the value of its swarm:network tag).
terraform import swarm_network.main agents
