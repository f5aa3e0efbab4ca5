variable "db_password" {
  type      = string
  sensitive = true
  ephemeral = true # never written to plan or state
  default   = null # null: RDS generates the password and keeps it in Secrets Manager
}

variable "db_password_version" {
  type    = number
  default = null # set with db_password; bump it to apply a new password
}

resource "swarm_database" "main" {
  name                       = "agents"
  engine_version             = "16"                                   # a major version (RDS applies minor upgrades) or an exact one
  instance_class             = "db.t3.medium"                         # default by environment: db.t3.micro / db.t3.small / db.t3.medium
  allocated_storage          = 20                                     # GiB, gp3, always encrypted
  max_allocated_storage      = 100                                    # storage autoscaling ceiling; default twice allocated_storage
  multi_az                   = true                                   # default: on in staging and production
  subnet_ids                 = swarm_network.main.database_subnet_ids # one VPC, at least two zones
  allowed_security_group_ids = [swarm_node.agents.security_group_id]  # TCP 5432 from these only
  backup_retention_days      = 7                                      # default 1 / 7 / 14 by environment
  backup_window              = "03:00-04:00"                          # UTC
  maintenance_window         = "mon:04:30-mon:05:30"                  # UTC; must not overlap backup_window (may meet it)
  deletion_protection        = true                                   # default: on in production
  final_snapshot             = true                                   # snapshot <name>-final-<time> on destroy
  read_replicas              = 2                                      # 0 to 5, in zones other than the primary's
  master_username            = "swarm"

  # Write-only (Terraform 1.11+): sent to RDS, never stored. Bump the
  # version to apply a new password.
  master_password_wo         = var.db_password
  master_password_wo_version = var.db_password_version

  tags = {
    team = "agents"
  }

  timeouts {
    create = "60m"
    update = "80m"
    delete = "60m"
  }
}

output "database_endpoint" {
  value = swarm_database.main.endpoint
}

output "database_secret_arn" {
  value = swarm_database.main.master_secret_arn # null when master_password_wo is given
}
