# Benchmark: a two-zone staging network with swarm_network.
terraform {
  required_providers {
    swarm = { source = "agentswarm/swarm" }
  }
}

variable "endpoint" {
  type = string
}

provider "swarm" {
  region      = "us-east-1"
  endpoint    = var.endpoint
  access_key  = "test"
  secret_key  = "test"
  environment = "staging"
}

resource "swarm_network" "main" {
  name               = "bench"
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b"]
}
