terraform {
  required_providers {
    swarm = { source = "agentswarm/swarm" }
  }
}

# Against AWS: credentials and region from the standard AWS environment.
provider "swarm" {
  region      = "us-east-1"
  environment = "production" # development | staging | production

  default_tags = {
    team = "agents"
  }
}

# Against an emulator (moto, LocalStack): one endpoint for every service.
# provider "swarm" {
#   region     = "us-east-1"
#   endpoint   = "http://127.0.0.1:5000"
#   access_key = "test"
#   secret_key = "test"
# }
