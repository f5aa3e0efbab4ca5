//! The schema of `swarm_database`: every attribute, its description (the
//! Registry docs are generated from them), validators and defaults.

use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{Type, Value};

use super::checks;
use super::cloud::MAX_REPLICAS;
use super::state;
use crate::ownership;
use crate::resources::attributes;

fn computed(attribute: Attribute, description: &str) -> Attribute {
    attribute.computed().description(description)
}

pub fn schema() -> Schema {
    Schema::new(
        "PostgreSQL on Amazon RDS with defaults that are right: storage always encrypted (gp3, \
         autoscaling up to `max_allocated_storage`), automated backups, never publicly \
         accessible, a security group that lets in only PostgreSQL (TCP 5432) from \
         `allowed_security_group_ids`, the master password managed by RDS in Secrets Manager \
         unless `master_password_wo` is given, and a final snapshot on destroy.\n\n\
         It creates a DB subnet group `<name>-subnets` from `subnet_ids`, a security group in \
         their VPC, the primary instance (DB identifier `<name>`) and `read_replicas` read \
         replicas `<name>-replica-<n>`, each in a zone other than the primary's, round robin \
         over the subnets' other zones.\n\n\
         Tier defaults (from the provider's `environment`): `instance_class` `db.t3.micro` / \
         `db.t3.small` / `db.t3.medium`, `multi_az` off in development and on otherwise, \
         `backup_retention_days` 1 / 7 / 14, `deletion_protection` on in production only.\n\n\
         Changes are made in place with ModifyDBInstance, applied immediately: instance class \
         (replicas follow), storage (it can grow, never shrink), its ceiling, Multi-AZ, windows, \
         retention, deletion protection, the engine version (a minor version in place; a major \
         one is upgraded in place too, with a warning in the plan: RDS upgrades the replicas \
         with it; going back is refused), and the password (when `master_password_wo_version` \
         changes). `read_replicas` adds or removes the highest-numbered replicas. `name`, \
         `master_username` and moving to subnets of another VPC replace the database.\n\n\
         Deletion protection blocks `terraform destroy` (and replacement) with an error in the \
         plan: turn it off and apply first. Settings changed out of band (instance class, \
         retention, tags, a replica deleted, rules added to the security group) show in the \
         plan, and apply puts them back.\n\n\
         Every object it makes carries the resource's `ownership_marker` (tag `swarm:owner`), \
         and only objects with it are read, changed or deleted. DB identifiers and subnet \
         group names are unique, so a create whose names are taken (by another stack's \
         database, or one made by hand) fails at plan, and again at apply, before anything \
         is made; the error names the objects and how to import them. Import takes the \
         database's name: the objects of that name and their marker.\n\n\
         A database made by hand is imported by its DB identifier too: the state (and the \
         configuration `terraform plan -generate-config-out` writes) describes it as found, \
         and the first apply changes it in place only, never replacing it. It stays in its own \
         DB subnet group (`subnet_group_name`; read, never changed, tagged or deleted, as \
         other instances may use it: `subnet_ids` must stay its subnets), behind its own \
         security groups (`additional_security_group_ids`), with the provider's group added \
         beside them, and with its own password (`manage_master_password = false`). An \
         unencrypted one stays so (`storage_encrypted = false`) until encryption is asked \
         for, which replaces it (restore a snapshot into an encrypted copy to keep the data).",
    )
    .attribute(
        Attribute::string("id")
            .computed()
            .description("The database's name (the primary's DB identifier).")
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::string("name")
            .required()
            .description(format!(
                "The primary's DB identifier: 1 to {} lower-case letters, digits and hyphens, \
                 starting with a letter. Changing it replaces the database.",
                checks::MAX_NAME
            ))
            .validator(validators::string_check("an RDS identifier", checks::name))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("engine_version")
            .default_value(Value::from(state::DEFAULT_ENGINE_VERSION))
            .description(
                "PostgreSQL version: a major version (`16`: RDS picks its default minor one and \
                 applies minor upgrades automatically) or an exact one (`16.4`). Default `16`. \
                 A higher version upgrades in place; a lower one is refused. A version RDS does \
                 not offer is refused at plan, with the versions it does.",
            )
            .validator(validators::string_check(
                "a version such as 16 or 16.4",
                checks::engine_version,
            )),
    )
    .attribute(computed(
        Attribute::string("engine_version_actual"),
        "The version the primary runs.",
    ))
    .attribute(
        Attribute::string("instance_class")
            .optional()
            .computed()
            .description(
                "RDS instance class of the primary and its replicas. Default by the provider's \
                 `environment`: `db.t3.micro` (development), `db.t3.small` (staging), \
                 `db.t3.medium` (production). An instance of another class (a replica \
                 changed out of band, say) shows here as drift. A class RDS does not offer for \
                 the engine version is refused at plan, with the nearest it does.",
            )
            .validator(validators::string_check(
                "an instance class such as db.t3.medium",
                checks::instance_class,
            )),
    )
    .attribute(
        Attribute::number("allocated_storage")
            .default_value(Value::from(state::DEFAULT_ALLOCATED_STORAGE))
            .description(
                "Storage in GiB, 20 to 65536 (gp3, encrypted). It can grow, not shrink; growth \
                 by storage autoscaling is not drift, a replica with less storage is. \
                 Default 20.",
            )
            .validator(validators::int_between(20, state::MAX_STORAGE)),
    )
    .attribute(
        Attribute::number("max_allocated_storage")
            .optional()
            .computed()
            .description(
                "Ceiling for storage autoscaling in GiB, at least `allocated_storage`; equal to \
                 it turns autoscaling off. Default: twice `allocated_storage`.",
            )
            .validator(validators::int_between(20, state::MAX_STORAGE)),
    )
    .attribute(
        Attribute::bool("multi_az")
            .optional()
            .computed()
            .description(
                "A synchronous standby in another zone with automatic failover. Default: on in \
                 staging and production.",
            ),
    )
    .attribute(
        Attribute::set_of("subnet_ids", Type::String)
            .required()
            .description(
                "Subnets of one VPC in at least two zones (e.g. `swarm_network`'s \
                 `database_subnet_ids`). Other subnets of the same VPC are changed in place; \
                 subnets of another VPC replace the database.",
            )
            .validator(validators::size_between(1, 20))
            .validator(validators::each(validators::string_check(
                "a subnet id such as subnet-0123abcd",
                checks::subnet_id,
            ))),
    )
    .attribute(
        Attribute::set_of("allowed_security_group_ids", Type::String)
            .default_value(Value::Set(Vec::new()))
            .description(
                "Security groups (of the same VPC) whose members may connect on TCP 5432, e.g. a \
                 `swarm_node`'s `security_group_id`. No address range is ever let in. Default: \
                 none, so nothing can connect.",
            )
            .validator(validators::size_between(0, 50))
            .validator(validators::each(validators::string_check(
                "a security group id such as sg-0123abcd",
                checks::security_group_id,
            ))),
    )
    .attribute(attributes::additional_security_group_ids(
        "each of the database's instances",
    ))
    .attribute(attributes::encryption(
        "storage_encrypted",
        "the database's storage (and so its snapshots and replicas)",
    ))
    .attribute(computed(
        Attribute::number("port"),
        "The port PostgreSQL listens on (5432).",
    ))
    .attribute(
        Attribute::number("backup_retention_days")
            .optional()
            .computed()
            .description(
                "Days of automated backups (point-in-time recovery), 0 to 35; at least 1 with \
                 read replicas. Default: 1 (development), 7 (staging), 14 (production).",
            )
            .validator(validators::int_between(0, 35)),
    )
    .attribute(
        Attribute::string("backup_window")
            .optional()
            .computed()
            .description(
                "Daily backup window `hh:mm-hh:mm` (UTC), at least 30 minutes, not overlapping \
                 `maintenance_window` (it may start where that ends, or end where it starts). \
                 Default: one RDS picks.",
            )
            .validator(validators::string_check(
                "a daily window such as 03:00-04:00",
                checks::backup_window,
            ))
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::string("maintenance_window")
            .optional()
            .computed()
            .description(
                "Weekly maintenance window `ddd:hh:mm-ddd:hh:mm` (UTC), 30 minutes to 24 hours. \
                 RDS stores it in lower case (`sun:05:00-sun:06:00`); write it so to keep plans \
                 after an import empty. Default: one RDS picks.",
            )
            .validator(validators::string_check(
                "a weekly window such as sun:05:00-sun:06:00",
                checks::maintenance_window,
            ))
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::bool("deletion_protection")
            .optional()
            .computed()
            .description(
                "Refuse to delete the primary: `terraform destroy` and replacements fail in the \
                 plan until it is turned off and applied. Default: on in production.",
            ),
    )
    .attribute(
        Attribute::bool("final_snapshot")
            .default_value(Value::Bool(true))
            .description(
                "Take a snapshot `<name>-final-<UTC time>` when the database is destroyed \
                 (`-2`, `-3`, ... appended if a snapshot has that name already). It outlives \
                 the database. Default true.",
            ),
    )
    .attribute(
        Attribute::number("read_replicas")
            .default_value(Value::from(0))
            .description(format!(
                "Read replicas, 0 to {MAX_REPLICAS}, each in a zone other than the primary's. \
                 Default 0."
            ))
            .validator(validators::int_between(0, MAX_REPLICAS as i64)),
    )
    .attribute(
        Attribute::string("master_username")
            .default_value(Value::from(state::DEFAULT_MASTER_USERNAME))
            .description(
                "The master user: 1 to 63 letters, digits or underscores starting with a letter, \
                 not a reserved word. Default `swarm`. Changing it replaces the database.",
            )
            .validator(validators::string_check(
                "a PostgreSQL user name",
                checks::username,
            ))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("master_password_wo")
            .write_only()
            .sensitive()
            .description(
                "The master password (write-only: never stored in plan or state; Terraform \
                 1.11+). 8 to 128 printable ASCII characters other than `/`, `\"`, `@` and space. \
                 Requires `master_password_wo_version`. Default: RDS generates the password and \
                 keeps it in Secrets Manager (`master_secret_arn`).",
            )
            .validator(validators::string_check(
                "8 to 128 printable ASCII characters other than /, \", @ and space",
                checks::password,
            )),
    )
    .attribute(
        Attribute::bool("manage_master_password")
            .optional()
            .computed()
            .description(
                "Whether RDS manages the master password in Secrets Manager \
                 (`master_secret_arn`). Default: true unless `master_password_wo` is given. An \
                 imported database with a password of its own shows false, and keeps that \
                 password: set true to hand it to RDS (which changes it), or give \
                 `master_password_wo` to set one.",
            ),
    )
    .attribute(
        Attribute::number("master_password_wo_version")
            .optional()
            .description(
                "Version of `master_password_wo`: the password is set when the database is \
                 created and whenever this number changes.",
            ),
    )
    .attribute(attributes::tags(
        "every object of the database (instances, their snapshots, the subnet and security \
         groups)",
        &checks::TAGGING,
    ))
    .attribute(attributes::tags_all())
    .attribute(computed(Attribute::string("arn"), "The primary's ARN."))
    .attribute(computed(
        Attribute::string("endpoint"),
        "The primary's DNS name (writes go here); it follows a Multi-AZ failover.",
    ))
    .attribute(computed(
        Attribute::string("availability_zone"),
        "The primary's zone.",
    ))
    .attribute(computed(
        Attribute::list_of("replica_endpoints", Type::String),
        "The replicas' DNS names, in replica order.",
    ))
    .attribute(computed(
        Attribute::list_of("replica_availability_zones", Type::String),
        "The replicas' zones, in replica order.",
    ))
    .attribute(computed(
        Attribute::string("master_secret_arn"),
        "The Secrets Manager secret with the master credentials, when RDS manages the password.",
    ))
    .attribute(computed(
        Attribute::string("security_group_id"),
        "The database's security group.",
    ))
    .attribute(computed(
        Attribute::string("subnet_group_name"),
        "The DB subnet group, `<name>-subnets`.",
    ))
    .attribute(computed(
        Attribute::string("vpc_id"),
        "The VPC of `subnet_ids`.",
    ))
    .attribute(computed(
        Attribute::list_of("ingress_rules", Type::String),
        "The security group's ingress rules as found, e.g. `tcp/5432 from sg-0123abcd`: \
         anything else shows here and is removed by apply.",
    ))
    .attribute(ownership::attribute())
    .block(timeouts::block(&["create", "update", "delete"]))
}
