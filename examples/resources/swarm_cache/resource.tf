resource "swarm_cache" "main" {
  name           = "agents"
  node_type      = "cache.t3.medium" # default: cache.t3.micro in development, cache.t3.small in staging, cache.t3.medium in production
  engine_version = "7.1"             # default "7.1"; upgrades in place
  replicas       = 1                 # per shard, 0 to 5; from 1 on: automatic failover and Multi-AZ (default 1, 0 in development)
  shards         = 1                 # 1 to 500; more than 1 is cluster mode

  subnet_ids                 = swarm_network.main.database_subnet_ids
  allowed_security_group_ids = [swarm_node.agents.security_group_id] # only these reach TCP 6379

  snapshot_retention_days = 7             # default: 7 in production, 3 in staging, 1 in development
  snapshot_window         = "05:00-06:00" # UTC, at least an hour; default: chosen by ElastiCache
  final_snapshot          = true          # snapshot <name>-final-<time> on destroy (default true)

  tags = {
    team = "agents"
  }

  timeouts {
    create = "60m"
    update = "60m"
    delete = "40m"
  }
}

# Clients connect with TLS (encryption in transit is always on).
output "redis_url" {
  value = "rediss://${swarm_cache.main.primary_endpoint}:${swarm_cache.main.port}"
}
