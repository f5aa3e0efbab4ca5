resource "swarm_node" "agents" {
  name                = "agents"
  instance_type       = "t3.large"                            # default by environment: t3.small / t3.medium / t3.large
  instance_count      = 3                                     # default: 1 in development, 2 otherwise
  subnet_ids          = swarm_network.main.private_subnet_ids # default: the default VPC's subnets
  agents_per_instance = 5
  mcp_port            = 3000
  allowed_cidrs       = ["10.20.0.0/16"] # default: the VPC's block
  root_volume_size    = 100              # GiB, gp3, encrypted

  # Runs after the swarm bootstrap, before the agents start.
  user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    curl -fsSL https://downloads.example.com/swarm-agent -o /usr/local/bin/swarm-agent
    chmod 0755 /usr/local/bin/swarm-agent
  EOT

  tags = {
    role = "agents"
  }

  timeouts {
    create = "10m"
    update = "20m"
    delete = "10m"
  }
}

output "agent_ips" {
  value = swarm_node.agents.private_ips
}
