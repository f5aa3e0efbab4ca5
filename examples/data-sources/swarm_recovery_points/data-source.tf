# The recovery points of a schedule, newest first: the first restore
# candidate, and whether its copy in the other region exists.
data "swarm_recovery_points" "nightly" {
  schedule = swarm_backup_schedule.nightly.name
}

output "latest_recovery_point" {
  value = try(data.swarm_recovery_points.nightly.recovery_points[0], null)
}

# Or the points of one resource, in every vault of the region.
data "swarm_recovery_points" "database" {
  resource_arn = swarm_database.main.arn
}
