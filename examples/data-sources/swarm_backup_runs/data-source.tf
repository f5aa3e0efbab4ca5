# When the nightly backups of the next two weeks run, and the AWS Backup
# rule of each tier.
data "swarm_backup_runs" "nightly" {
  schedule  = "0 2 * * *"
  from      = plantimestamp()
  run_count = 14
}

output "next_backups" {
  value = data.swarm_backup_runs.nightly.runs
}

output "weekly_rule" {
  value = data.swarm_backup_runs.nightly.rules["weekly"] # cron(0 2 ? * SUN *)
}
