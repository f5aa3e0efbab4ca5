# Backups: versioned, kept 30 days (old versions 30 more), encrypted with a
# KMS key, public access blocked, TLS required.
resource "swarm_bucket" "backups" {
  name       = "agents-backups"
  purpose    = "backups"
  kms_key_id = "alias/agents-backups" # default: SSE-S3 (AES-256)

  tags = {
    team = "agents"
  }
}

# Logs: a unique name from a prefix, kept 14 days instead of the 7 that logs
# get by default.
resource "swarm_bucket" "logs" {
  name_prefix     = "agents-logs-"
  purpose         = "logs"
  expiration_days = 14 # overrides the purpose's 7

  # Destroying the bucket deletes its objects; without this, destroying a
  # bucket that holds objects fails and deletes nothing.
  force_destroy = true
}

output "backups_arn" {
  value = swarm_bucket.backups.arn
}
