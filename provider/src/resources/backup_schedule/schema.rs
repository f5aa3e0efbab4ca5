//! The schema of `swarm_backup_schedule`: every attribute, its description
//! (the Registry docs are generated from them), validators and defaults.

use std::collections::BTreeMap;

use tfplugin::schema::{
    Attribute, Block, NestedBlock, Schema, plan_modifiers, timeouts, validators,
};
use tfplugin::value::{Type, Value};

use super::checks;
use crate::ownership;
use crate::resources::attributes::{self, computed_string};

fn count(tier: &str, unit: &str, runs: &str) -> Attribute {
    Attribute::number(tier)
        .optional()
        .computed()
        .description(format!(
            "How many {unit} {runs} is kept (a rule whose lifecycle is that many {unit}; a \
             month counts 31 days, a year 366). 0 turns the tier off{}.",
            if tier == "daily" {
                " (not allowed for daily)"
            } else {
                ""
            }
        ))
        .validator(validators::int_between(0, checks::MAX_COUNT))
}

pub fn rule_type() -> Type {
    Type::Object(BTreeMap::from([
        ("tier".to_owned(), Type::String),
        ("schedule_expression".to_owned(), Type::String),
        ("delete_after_days".to_owned(), Type::Number),
    ]))
}

pub fn schema() -> Schema {
    Schema::new(
        "Tiered, encrypted backups on AWS Backup: a vault (and a copy vault in \
         `copy_to_region`), a backup plan with one rule per tier (daily, weekly on Sunday, \
         monthly on the 1st, yearly on 1 January, all at the schedule's time, in UTC), a \
         selection of what to back up, and the IAM role AWS Backup assumes (the AWS-managed \
         backup and restore policies, plus the S3 ones when buckets may be selected). \
         Destroy never deletes recovery points by accident: it is refused while a vault \
         holds any, saying how many, unless `force_destroy` is applied first. The vaults \
         and the role carry the resource's `ownership_marker` (tag `swarm:owner`); vault \
         and role names are unique, so a create whose names are taken fails at plan with \
         how to import them.",
    )
    .attribute(computed_string("id", "The schedule's name."))
    .attribute(
        Attribute::string("name")
            .required()
            .description(format!(
                "The schedule's name: 1 to {} letters, digits, hyphens and underscores. The \
                 vaults, plan and selection are `swarm-<name>`, the role \
                 `swarm-backup-<name>-<region>`. Changing it replaces the schedule.",
                checks::MAX_NAME_LEN
            ))
            .validator(validators::string_check("a schedule name", checks::name))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("schedule")
            .required()
            .description(
                "When backups run, in UTC: a five-field cron (`minute hour day-of-month month \
                 day-of-week`, e.g. `0 2 * * *`) or AWS's `cron(...)` form, at most once a \
                 day. Both day fields restricted at once, or a schedule that runs twice a day, \
                 is refused. Changing it updates the plan in place.",
            )
            .validator(crate::schedule::validator()),
    )
    .attribute(
        Attribute::list_of("resources", Type::String)
            .optional()
            .description(
                "ARNs of what to back up: instances, databases, versioned buckets (e.g. \
                 `swarm_database.main.arn`, `swarm_bucket.config.arn`). ElastiCache is not \
                 covered by AWS Backup (use `swarm_cache`'s `snapshot_retention_days`), and a \
                 bucket needs versioning (refused at plan otherwise, or at apply, before \
                 anything is made, for a bucket made in the same apply). Set this, \
                 `resources_tagged`, or both. A change recreates the selection (AWS Backup \
                 cannot update one), in place for Terraform.",
            ),
    )
    .attribute(
        Attribute::map_of("resources_tagged", Type::String)
            .optional()
            .description(
                "Back up every resource carrying all these tags (StringEquals conditions). \
                 Set this, `resources`, or both.",
            ),
    )
    .attribute(
        Attribute::string("copy_to_region")
            .optional()
            .description(
                "Another region to copy every recovery point to, into a vault of the same \
                 name there, with the same tiers. Must be an AWS region (checked at plan; see \
                 the provider's `skip_region_validation`) other than the provider's. A change \
                 makes a vault in the new region; the old one is deleted if empty, and kept \
                 (no longer managed) while it holds recovery points, which the plan says.",
            )
            .validator(validators::string_check(
                "a region name such as us-west-2",
                crate::config::check_region,
            )),
    )
    .attribute(
        Attribute::string("kms_key_id")
            .optional()
            .description(
                "ARN of the KMS key that encrypts the main vault's recovery points (a key of \
                 the provider's region, checked at plan). Default: AWS Backup's AWS-managed \
                 key. The copy vault always uses the AWS-managed key of its region. AWS fixes \
                 a vault's key when it is made: changing this replaces the schedule.",
            )
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::bool("force_destroy")
            .default_value(Value::Bool(false))
            .description(
                "Allow destroying the schedule while its vaults hold recovery points: they are \
                 deleted first. Default `false`: destroy is refused, naming how many points \
                 each vault holds, and nothing is deleted. Set it to `true` and apply before \
                 destroying.",
            ),
    )
    .attribute(attributes::tags(
        "the vaults, plan and role",
        &checks::TAGGING,
    ))
    .attribute(attributes::tags_all())
    .attribute(computed_string("vault_arn", "The vault's ARN."))
    .attribute(
        Attribute::string("copy_vault_arn")
            .computed()
            .description("The copy vault's ARN, in `copy_to_region`; null without one."),
    )
    .attribute(computed_string("plan_id", "The backup plan's id."))
    .attribute(
        Attribute::string("selection_id")
            .computed()
            .description("The backup selection's id (a new one after a selection change)."),
    )
    .attribute(computed_string(
        "role_arn",
        "The ARN of the IAM role AWS Backup assumes.",
    ))
    .attribute(
        Attribute::set_of("role_policy_arns", Type::String)
            .computed()
            .description(
                "The AWS-managed policies the provider attaches to the role: AWS Backup's \
                 backup and restore policies, and its S3 backup and restore policies when \
                 buckets may be selected (an S3 ARN in `resources`, or `resources_tagged`). \
                 One detached out of band shows in the plan as an update, and the apply \
                 attaches it again (without it AWS Backup's jobs fail). Other policies \
                 attached to the role (e.g. one that lets AWS Backup use a customer-managed \
                 KMS key) are left alone: they are not listed here, not shown as drift and not \
                 detached (unlike hashicorp/aws's exclusive `managed_policy_arns`); destroy \
                 detaches them, as IAM deletes no role with policies attached.",
            ),
    )
    .attribute(
        Attribute::list_of("rules", rule_type())
            .computed()
            .description(
                "The backup plan's rules, shortest tier first: `tier` (the rule's name), \
         `schedule_expression` (AWS's cron, UTC) and `delete_after_days` (the lifecycle, \
         the same on the copy).",
            ),
    )
    .attribute(ownership::attribute())
    .block(NestedBlock::single(
        "retention",
        Block::new(
            "How many recovery points each tier keeps. Without the block, the provider's \
             `environment` decides (daily/weekly/monthly/yearly): development 7/0/0/0, \
             staging 7/4/3/0, production 7/4/12/0, as `rules` shows; in the block, a count \
             left out takes that default, and the plan shows it. Changing it updates the \
             plan in place.",
        )
        .attribute(count("daily", "days", "every run"))
        .attribute(count("weekly", "weeks", "the run on Sunday"))
        .attribute(count(
            "monthly",
            "months",
            "the run on the 1st of the month",
        ))
        .attribute(count("yearly", "years", "the run on 1 January")),
    ))
    .block(NestedBlock::single(
        "vault_lock",
        Block::new(
            "A vault lock on both vaults: recovery points cannot be deleted (by anyone, \
             `force_destroy` included) before they are `min_retention_days` old, and no rule \
             may keep them shorter.",
        )
        .attribute(
            Attribute::string("mode")
                .required()
                .description(format!(
                    "`governance`: the lock can be changed or removed (removing the block \
                     removes it, in place). `compliance`: it can be changed or removed for {} \
                     days (AWS's shortest grace period), then never, by anyone, AWS \
                     included; the plan warns.",
                    super::cloud::COMPLIANCE_GRACE_DAYS
                ))
                .validator(validators::one_of(super::cloud::LockMode::NAMES)),
        )
        .attribute(
            Attribute::number("min_retention_days")
                .required()
                .description(
                    "How old a recovery point must be before it can be deleted; at most the \
                     shortest tier's lifecycle (the daily count), checked at plan.",
                )
                .validator(validators::int_between(1, 36500)),
        ),
    ))
    .block(NestedBlock::single(
        "restore_testing",
        Block::new(
            "AWS Backup restore testing: on its own schedule, the newest recovery point (of \
             the last 7 days) of each resource in `resources` is restored, kept \
             `validation_hours` for checks, then deleted. One restore testing selection per \
             resource type. Changes update in place.",
        )
        .attribute(
            Attribute::string("schedule")
                .required()
                .description(
                    "When tests run, in UTC: a five-field cron or AWS's `cron(...)`, at most \
                     once a day (e.g. `0 6 * * 0`, Sundays at 06:00).",
                )
                .validator(crate::schedule::validator()),
        )
        .attribute(
            Attribute::number("validation_hours")
                .optional()
                .computed()
                .description(format!(
                    "How many hours a restored copy is kept for checks before it is deleted, 0 \
                     to 168. Default {}.",
                    checks::DEFAULT_VALIDATION_HOURS
                ))
                .validator(validators::int_between(0, 168)),
        ),
    ))
    .block(timeouts::block(&["create", "update", "delete"]))
}
