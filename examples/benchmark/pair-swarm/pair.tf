# Benchmark: a failover pair with swarm_failover_pair, in the public
# subnets of the network of network.tf (the same file as network-swarm's):
# two nodes in two zones, their security group, a floating Elastic IP on
# the active node; with dns = true also a Route 53 health check per node
# and PRIMARY/SECONDARY failover records in var.zone_id.

variable "zone_id" {
  type        = string
  description = "A hosted zone made by scripts/bench before the run (neither side pays for it)."
}

variable "dns" {
  type        = bool
  default     = false
  description = "Route 53 health checks and failover records as well."
}

resource "swarm_failover_pair" "mcp" {
  name             = "bench"
  subnet_ids       = swarm_network.main.public_subnet_ids
  ami              = "ami-785db401"
  instance_type    = "t3.small"
  mcp_port         = 3000
  allowed_cidrs    = ["10.0.0.0/8"]
  root_volume_size = 100
  user_data        = "echo ready > /var/tmp/bench"
  floating_ip      = true

  # BEGIN dns: scripts/bench removes these lines while the provider it
  # measures has no health_check and dns blocks (Terraform rejects a
  # dynamic block of a type the schema lacks, even an empty one).
  dynamic "health_check" {
    for_each = var.dns ? [1] : []
    content {
      protocol = "HTTP"
      port     = 3000
      path     = "/health"
    }
  }

  dynamic "dns" {
    for_each = var.dns ? [1] : []
    content {
      zone_id     = var.zone_id
      record_name = "mcp.bench.example.com"
      ttl         = 60
    }
  }
  # END dns
}
