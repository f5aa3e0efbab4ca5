# Benchmark: nightly backups at 02:00 UTC with swarm_backup_schedule:
# production tiers (7 daily, 4 weekly, 12 monthly, from the provider's
# environment), every resource tagged backup = "nightly", every recovery
# point copied to us-west-2, AWS Backup's default key in each region.
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
  environment = "production"
}

resource "swarm_backup_schedule" "nightly" {
  name             = "bench"
  schedule         = "0 2 * * *"
  resources_tagged = { backup = "nightly" }
  copy_to_region   = "us-west-2"
}
