# A database is imported by its name (the primary's DB identifier), also one
# made by hand: it keeps its DB subnet group, its security groups (beside
# the provider's), its password and, if unencrypted, its storage; the
# configuration `terraform plan -generate-config-out` writes says so.
terraform import swarm_database.main agents
