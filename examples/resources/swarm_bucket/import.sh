# A bucket is imported by its name.
terraform import swarm_bucket.backups agents-backups
