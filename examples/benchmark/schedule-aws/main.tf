# Benchmark: the same nightly backups written with hashicorp/aws: a vault
# in each region (AWS Backup's default key), a plan with one rule per tier
# (daily kept 7 days, Sunday's kept 4 weeks, the 1st's kept 12 months of
# 31 days), each copied to the second region with the same lifecycle, a
# selection by tag, and the role AWS Backup assumes with the AWS-managed
# policies swarm_backup_schedule attaches when it selects by tag (backup
# and restore, and the S3 ones, as a tag may select a bucket).
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {
    backup = var.endpoint
    iam    = var.endpoint
    sts    = var.endpoint
  }
}

# The copy region.
provider "aws" {
  alias                       = "copy"
  region                      = "us-west-2"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {
    backup = var.endpoint
    iam    = var.endpoint
    sts    = var.endpoint
  }
}

locals {
  # Each tier's rule: when it runs (UTC) and how many days its points are kept.
  tiers = {
    daily   = { schedule = "cron(0 2 * * ? *)", days = 7 }
    weekly  = { schedule = "cron(0 2 ? * SUN *)", days = 4 * 7 }
    monthly = { schedule = "cron(0 2 1 * ? *)", days = 12 * 31 }
  }
  policies = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
  ]
}

resource "aws_backup_vault" "main" {
  name = "bench"
}

resource "aws_backup_vault" "copy" {
  provider = aws.copy
  name     = "bench"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "backup" {
  name               = "bench-backup-us-east-1"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each   = toset(local.policies)
  role       = aws_iam_role.backup.name
  policy_arn = each.value
}

resource "aws_backup_plan" "nightly" {
  name = "bench"

  dynamic "rule" {
    for_each = local.tiers
    content {
      rule_name                    = rule.key
      target_vault_name            = aws_backup_vault.main.name
      schedule                     = rule.value.schedule
      schedule_expression_timezone = "Etc/UTC"
      start_window                 = 60
      completion_window            = 23 * 60

      lifecycle {
        delete_after = rule.value.days
      }

      copy_action {
        destination_vault_arn = aws_backup_vault.copy.arn
        lifecycle {
          delete_after = rule.value.days
        }
      }
    }
  }
}

resource "aws_backup_selection" "nightly" {
  name         = "bench"
  plan_id      = aws_backup_plan.nightly.id
  iam_role_arn = aws_iam_role.backup.arn

  selection_tag {
    type  = "STRINGEQUALS"
    key   = "backup"
    value = "nightly"
  }

  # AWS Backup checks the role when the selection is made.
  depends_on = [aws_iam_role_policy_attachment.backup]
}
