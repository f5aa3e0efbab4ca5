resource "swarm_network" "main" {
  name               = "agents"
  cidr_block         = "10.20.0.0/16"               # default "10.0.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b"] # default: 3 AZs in production, 2 in staging and development

  tags = {
    team = "agents"
  }
}

output "private_subnet_ids" {
  value = swarm_network.main.private_subnet_ids
}
