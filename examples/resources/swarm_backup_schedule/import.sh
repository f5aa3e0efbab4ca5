# A backup schedule is imported by its name (its plan is swarm-<name>).
terraform import swarm_backup_schedule.nightly nightly
