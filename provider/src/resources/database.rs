//! `swarm_database`: PostgreSQL on RDS, encrypted, backed up, in private
//! subnets, reachable only from the security groups it names, with a
//! Multi-AZ standby and read replicas spread over the other zones.
//!
//! The primary's DB identifier is the database's name; replicas are
//! `<name>-replica-<n>`, the DB subnet group `<name>-subnets`, and the
//! security group is tagged `swarm:database = <name>`: read, import,
//! drift detection and destroy find everything by name.

mod checks;
mod cloud;
mod converge;
mod plan;
mod state;

use std::time::Duration;

use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::resource::{
    ChangeRequest, ChangeResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{Type, Value};

use self::cloud::MAX_REPLICAS;
use self::state::{Password, Spec, known};
use crate::config::SwarmClient;
use crate::waiter::Wait;

const CREATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(80 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The resource.
pub struct Database;

fn computed(attribute: Attribute, description: &str) -> Attribute {
    attribute.computed().description(description)
}

fn schema() -> Schema {
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
         Import takes the name of a database that `swarm_database` made (its subnet group and \
         security group are found by name and tag).",
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
                 A higher version upgrades in place; a lower one is refused.",
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
                 changed out of band, say) shows here as drift.",
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
                "Daily backup window `hh:mm-hh:mm` (UTC), at least 30 minutes, not overlapping or \
                 touching `maintenance_window`. Default: one RDS picks.",
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
        Attribute::number("master_password_wo_version")
            .optional()
            .description(
                "Version of `master_password_wo`: the password is set when the database is \
                 created and whenever this number changes.",
            ),
    )
    .attribute(
        Attribute::map_of("tags", Type::String)
            .optional()
            .description(
                "Tags for every object of the database (instances, their snapshots, the subnet \
                 and security groups), over the provider's `default_tags`. `Name` and keys \
                 starting with `swarm:` or `aws:` are reserved.",
            )
            .validator(checks::TAG_KEYS),
    )
    .attribute(computed(
        Attribute::map_of("tags_all", Type::String),
        "The provider's `default_tags` with `tags`: the tags the objects carry besides the \
         provider's own (`Name`, `swarm:*`). A changed `default_tags` shows here and is applied.",
    ))
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
    .block(timeouts::block(&["create", "update", "delete"]))
}

fn timeout(value: &Value, operation: &str, default: Duration, diags: &mut Diagnostics) -> Duration {
    timeouts::get(value, operation, default).unwrap_or_else(|d| {
        diags.push(d);
        default
    })
}

/// The state of what exists; `None` when nothing does.
async fn observed_state(
    client: &SwarmClient,
    name: &str,
    basis: &Value,
) -> Result<Option<Value>, tfplugin::diag::Diagnostic> {
    let seen = cloud::observe(client, name).await?;
    let Some(state) = state::build(client, name, &seen, basis) else {
        return Ok(None);
    };
    state
        .conform(&schema().value_type())
        .map(Some)
        .map_err(|e| {
            tfplugin::diag::Diagnostic::error("Cannot build the database's state", e.to_string())
        })
}

/// Create and update: converge on the plan; whatever happens, the state
/// is what exists.
async fn apply(
    client: &SwarmClient,
    req: &ChangeRequest,
    resp: &mut ChangeResponse,
    operation: &str,
    default_timeout: Duration,
) {
    let spec = match Spec::from_plan(&req.plan) {
        Ok(spec) => spec,
        Err(d) => return resp.diagnostics.push(d),
    };
    let timeout = timeout(&req.plan, operation, default_timeout, &mut resp.diagnostics);
    let creating = req.prior_state.is_null();
    let password = match known::<String>(&req.config, "master_password_wo") {
        None => Password::Managed,
        Some(password) => Password::Given {
            password,
            rotate: !creating
                && known::<i64>(&req.plan, "master_password_wo_version")
                    != known::<i64>(&req.prior_state, "master_password_wo_version"),
        },
    };
    let wait = Wait::new(timeout, &req.cancel);
    if creating && let Err(d) = converge::check_free(client, &spec.name).await {
        return resp.diagnostics.push(d);
    }
    let result = converge::converge(client, &spec, &password, &wait).await;
    // Settings AWS does not store come from the plan, or from the config
    // (wholly known at apply) where the plan left them unknown.
    let mut basis = req.plan.clone();
    if let Value::Object(planned) = &mut basis {
        for kept in ["final_snapshot", "master_password_wo_version"] {
            if planned.get(kept).is_some_and(Value::is_unknown) {
                let configured = req.config.get_attr(kept).cloned().unwrap_or(Value::Null);
                planned.insert(kept.to_owned(), configured);
            }
        }
    }
    match observed_state(client, &spec.name, &basis).await {
        Ok(Some(state)) => resp.new_state = state,
        Ok(None) => {}
        Err(d) => resp.diagnostics.push(d),
    }
    if let Err(d) = result {
        resp.diagnostics.push(d);
    }
}

#[tfplugin::async_trait]
impl Resource<SwarmClient> for Database {
    fn type_name(&self) -> &'static str {
        "swarm_database"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    /// Checks across attributes (each attribute's own are in the schema).
    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let at = AttributePath::attr;
        let allocated = known::<i64>(config, "allocated_storage").or_else(|| {
            config_is_null(config, "allocated_storage").then_some(state::DEFAULT_ALLOCATED_STORAGE)
        });
        if let (Some(max), Some(allocated)) =
            (known::<i64>(config, "max_allocated_storage"), allocated)
            && max < allocated
        {
            diags.attribute_error(
                at("max_allocated_storage"),
                "Invalid value",
                format!(
                    "max_allocated_storage ({max}) must be at least allocated_storage ({allocated})."
                ),
            );
        }
        if let (Some(replicas), Some(0)) = (
            known::<i64>(config, "read_replicas"),
            known::<i64>(config, "backup_retention_days"),
        ) && replicas > 0
        {
            diags.attribute_error(
                at("backup_retention_days"),
                "Backups needed for replicas",
                "backup_retention_days must be at least 1 when read_replicas is set: RDS builds \
                 replicas from the primary's backups.",
            );
        }
        let given = |name: &str| config.get_attr(name).is_some_and(|v| !v.is_null());
        if given("master_password_wo") && !given("master_password_wo_version") {
            diags.attribute_error(
                at("master_password_wo_version"),
                "Missing master_password_wo_version",
                "Set master_password_wo_version with master_password_wo, and change it to apply \
                 a new password: write-only values are not stored, so a changed password is not \
                 seen otherwise.",
            );
        }
        if given("master_password_wo_version") && !given("master_password_wo") {
            diags.attribute_error(
                at("master_password_wo"),
                "Missing master_password_wo",
                "master_password_wo_version is set without master_password_wo.",
            );
        }
        if let (Some(backup), Some(maintenance)) = (
            known::<String>(config, "backup_window"),
            known::<String>(config, "maintenance_window"),
        ) && let (Ok(b), Ok(m)) = (
            checks::parse_backup_window(&backup),
            checks::parse_maintenance_window(&maintenance),
        ) && checks::windows_overlap(b, m)
        {
            diags.attribute_error(
                at("maintenance_window"),
                "Windows overlap",
                format!(
                    "maintenance_window {maintenance:?} overlaps or touches the daily \
                     backup_window {backup:?}; RDS requires them apart."
                ),
            );
        }
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        plan::modify_plan(client, req, resp).await;
    }

    async fn create(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        apply(client, req, resp, "create", CREATE_TIMEOUT).await;
    }

    async fn read(&self, client: &SwarmClient, req: &ReadRequest, resp: &mut ReadResponse) {
        let Some(name) =
            known::<String>(&req.state, "name").or_else(|| known::<String>(&req.state, "id"))
        else {
            return resp
                .diagnostics
                .error("No name in state", "The swarm_database state has no name.");
        };
        match observed_state(client, &name, &req.state).await {
            Ok(state) => resp.new_state = state.unwrap_or(Value::Null),
            Err(d) => resp.diagnostics.push(d),
        }
    }

    async fn update(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        apply(client, req, resp, "update", UPDATE_TIMEOUT).await;
    }

    async fn delete(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let Some(name) = known::<String>(&req.prior_state, "name")
            .or_else(|| known::<String>(&req.prior_state, "id"))
        else {
            return;
        };
        let timeout = timeout(
            &req.prior_state,
            "delete",
            DELETE_TIMEOUT,
            &mut resp.diagnostics,
        );
        let wait = Wait::new(timeout, &req.cancel);
        let final_snapshot = known::<bool>(&req.prior_state, "final_snapshot").unwrap_or(true);
        if let Err(d) = converge::destroy(client, &name, final_snapshot, &wait).await {
            resp.diagnostics.push(d);
            // What is left stays in the state, to be destroyed next time.
            if let Ok(state) = observed_state(client, &name, &req.prior_state).await {
                resp.new_state = state.unwrap_or(Value::Null);
            }
        }
    }

    async fn import(&self, client: &SwarmClient, id: &str, resp: &mut ImportResponse) {
        if let Err(why) = checks::name(id) {
            return resp.diagnostics.error(
                "Invalid import id",
                format!(
                    "Import a swarm_database by its name (the primary's DB identifier): {why}."
                ),
            );
        }
        let basis = Value::Object(
            [
                ("id".to_owned(), Value::from(id)),
                ("name".to_owned(), Value::from(id)),
            ]
            .into(),
        );
        match observed_state(client, id, &basis).await {
            Ok(Some(state)) if !state.get_attr("arn").is_some_and(Value::is_null) => {
                resp.state = state;
            }
            Ok(_) => resp.diagnostics.error(
                "Database not found",
                format!("No DB instance {id:?} exists; import takes the database's name."),
            ),
            Err(d) => resp.diagnostics.push(d),
        }
    }
}

fn config_is_null(config: &Value, attribute: &str) -> bool {
    config.get_attr(attribute).is_none_or(Value::is_null)
}
