resource "swarm_failover_pair" "mcp" {
  name                = "mcp"
  subnet_ids          = swarm_network.main.public_subnet_ids # at least two zones; the first two are used
  instance_type       = "t3.large"                           # default by environment: t3.small / t3.medium / t3.large
  agents_per_instance = 5
  mcp_port            = 3000
  allowed_cidrs       = ["10.0.0.0/8"] # default: the VPC's block
  root_volume_size    = 100            # GiB, gp3, encrypted

  active      = "primary" # "secondary": a planned switchover, no instance replaced
  floating_ip = true      # an Elastic IP on the active node

  # Sensitive: runs after the swarm bootstrap on both nodes.
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    curl -fsSL https://downloads.example.com/swarm-mcp -o /usr/local/bin/swarm-agent
    chmod 0755 /usr/local/bin/swarm-agent
  EOT

  # What "healthy" means for Route 53 (defaults: TCP on mcp_port, every
  # 30 s, 3 failures). In private subnets the checks follow CloudWatch
  # alarms on the nodes' status checks instead.
  health_check {
    protocol          = "HTTP"
    port              = 3000
    path              = "/health"
    interval_seconds  = 30
    failure_threshold = 3
  }

  # Automatic failover: PRIMARY and SECONDARY A records of one name.
  dns {
    zone_id     = "Z0123456789ABCDEFGHIJ"
    record_name = "mcp.agents.example.com"
    ttl         = 60
  }

  tags = {
    role = "mcp"
  }
}

output "mcp_endpoint" {
  value = swarm_failover_pair.mcp.endpoint # the record name, with dns
}

output "mcp_healthy" {
  value = swarm_failover_pair.mcp.healthy # { primary = true, secondary = true }
}
