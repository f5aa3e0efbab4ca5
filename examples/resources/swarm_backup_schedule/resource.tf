# Nightly backups at 02:00 UTC of a database and a versioned bucket, kept
# 7 days, 4 weeks and 12 months, every recovery point copied to us-west-2.
resource "swarm_backup_schedule" "nightly" {
  name     = "nightly"
  schedule = "0 2 * * *" # or AWS's form: "cron(0 2 * * ? *)"

  # Without the block the provider's environment picks the counts
  # (production 7/4/12/0), as `rules` shows; a count left out of the block
  # takes its default, and the plan shows it.
  retention {
    daily   = 7  # every run, kept 7 days
    weekly  = 4  # the run on Sunday, kept 4 weeks
    monthly = 12 # the run on the 1st, kept 12 months
    yearly  = 0  # off
  }

  resources = [
    swarm_database.main.arn,
    swarm_bucket.config.arn, # must be versioned (purpose "config" is)
  ]
  # and/or everything tagged so:
  # resources_tagged = { backup = "nightly" }

  copy_to_region = "us-west-2"

  tags = {
    team = "agents"
  }
}

output "backup_rules" {
  value = swarm_backup_schedule.nightly.rules
}
