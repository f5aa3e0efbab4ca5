# A cache is imported by its name (the replication group id), also one made
# by hand: it keeps its cache subnet group, its security groups (beside the
# provider's) and, if unencrypted, its encryption settings; the
# configuration `terraform plan -generate-config-out` writes says so.
terraform import swarm_cache.main agents
