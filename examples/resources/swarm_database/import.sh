# A database is imported by its name (the primary's DB identifier).
terraform import swarm_database.main agents
