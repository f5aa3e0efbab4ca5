# A cache is imported by its name (the replication group id).
terraform import swarm_cache.main agents
