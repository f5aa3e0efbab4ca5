# A network and a pool of agent hosts: the quick start.
#
# Against AWS: terraform apply (credentials and region from the AWS environment).
# Against the embedded emulator: scripts/demo (sets var.endpoint).

terraform {
  required_providers {
    swarm = { source = "agentswarm/swarm" }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "endpoint" {
  description = "One endpoint for every AWS service (moto, LocalStack); null for AWS."
  type        = string
  default     = null
}

provider "swarm" {
  region      = var.region
  endpoint    = var.endpoint
  access_key  = var.endpoint == null ? null : "test"
  secret_key  = var.endpoint == null ? null : "test"
  environment = "staging"

  default_tags = {
    project = "agent-swarm-quickstart"
  }
}

resource "swarm_network" "main" {
  name       = "agents"
  cidr_block = "10.20.0.0/16"
}

resource "swarm_node" "agents" {
  name                = "agents"
  instance_count      = 2
  subnet_ids          = swarm_network.main.private_subnet_ids
  agents_per_instance = 4
  mcp_port            = 3000
  allowed_cidrs       = [swarm_network.main.cidr_block]

  tags = {
    role = "agents"
  }
}

output "vpc_id" {
  value = swarm_network.main.vpc_id
}

output "private_subnet_ids" {
  value = swarm_network.main.private_subnet_ids
}

output "agent_instance_ids" {
  value = swarm_node.agents.instance_ids
}

output "agent_private_ips" {
  value = swarm_node.agents.private_ips
}

output "agent_availability_zones" {
  value = swarm_node.agents.availability_zones
}
