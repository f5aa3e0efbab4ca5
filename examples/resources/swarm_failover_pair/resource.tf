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

  tags = {
    role = "mcp"
  }
}

output "mcp_endpoint" {
  value = swarm_failover_pair.mcp.endpoint
}
