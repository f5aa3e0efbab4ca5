data "swarm_availability_zones" "available" {}

output "zones" {
  value = data.swarm_availability_zones.available.names
}
