//! Planning a database: the tier's defaults, checks that need AWS (the
//! subnets and the allowed security groups) or the prior state (storage
//! cannot shrink, versions cannot go back, protected databases cannot be
//! destroyed or replaced), and what the plan can already tell of the
//! outputs.

use std::collections::BTreeSet;

use serde::Deserialize;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::checks;
use super::cloud::{self, PORT};
use super::state::{
    DatabaseState, default_backup_retention, default_deletion_protection, default_instance_class,
    default_max_storage, default_multi_az,
};
use crate::catalogue;
use crate::config::SwarmClient;
use crate::ec2;
use crate::resources::planned::{self, Maybe, given, left_out};
use crate::tags;

/// The configuration, as far as planning reads it: a value left out
/// (null) gets the tier's default. Attributes missing from the object read
/// as null, so the fields need no `#[serde(default)]` (whose default would
/// be `Unknown`).
#[derive(Debug, Deserialize)]
struct Configured {
    instance_class: Maybe<String>,
    multi_az: Maybe<bool>,
    deletion_protection: Maybe<bool>,
    backup_retention_days: Maybe<i64>,
    max_allocated_storage: Maybe<i64>,
    /// Write-only: in the configuration only.
    master_password_wo: Maybe<String>,
    manage_master_password: Maybe<bool>,
}

/// The plan, as far as planning reads it. `modify_plan` keeps it in step
/// with the values it plans (the tier's defaults), so that the checks
/// after them see what Terraform will.
#[derive(Debug, Deserialize)]
struct Planned {
    name: Maybe<String>,
    engine_version: Maybe<String>,
    instance_class: Maybe<String>,
    allocated_storage: Maybe<i64>,
    max_allocated_storage: Maybe<i64>,
    multi_az: Maybe<bool>,
    backup_retention_days: Maybe<i64>,
    backup_window: Maybe<String>,
    maintenance_window: Maybe<String>,
    deletion_protection: Maybe<bool>,
    master_password_wo_version: Maybe<i64>,
    storage_encrypted: Maybe<bool>,
    read_replicas: Maybe<i64>,
    #[serde(deserialize_with = "planned::wholly_known")]
    subnet_ids: Maybe<Vec<String>>,
    #[serde(deserialize_with = "planned::wholly_known")]
    allowed_security_group_ids: Maybe<Vec<String>>,
}

/// A string as the plan holds it.
fn string_value(value: &Maybe<String>) -> Value {
    match value {
        MaybeUnknown::Unknown => Value::Unknown,
        MaybeUnknown::Known(v) => v.clone().map_or(Value::Null, Value::String),
    }
}

/// Whether the plan changes a value of the prior state (unknown: it may).
fn changed<T: PartialEq>(planned: &Maybe<T>, prior: &Option<T>) -> bool {
    planned.known() != Some(prior)
}

/// Whether the plan changes a set of the prior state, compared as
/// Terraform compares sets: regardless of order.
fn set_changed(planned: &Maybe<Vec<String>>, prior: &Option<Vec<String>>) -> bool {
    fn as_set(ids: &Option<Vec<String>>) -> Option<BTreeSet<&String>> {
        ids.as_ref().map(|ids| ids.iter().collect())
    }
    planned
        .known()
        .is_none_or(|planned| as_set(planned) != as_set(prior))
}

/// Whether ModifyDBInstance changes a setting of the primary: when it
/// does, RDS may fail over to the standby, so the primary's zone is not
/// known.
fn primary_changed(plan: &Planned, prior: &DatabaseState) -> bool {
    changed(&plan.engine_version, &prior.engine_version)
        || changed(&plan.instance_class, &prior.instance_class)
        || changed(&plan.allocated_storage, &prior.allocated_storage)
        || changed(&plan.max_allocated_storage, &prior.max_allocated_storage)
        || changed(&plan.multi_az, &prior.multi_az)
        || changed(&plan.backup_retention_days, &prior.backup_retention_days)
        || changed(&plan.backup_window, &prior.backup_window)
        || changed(&plan.maintenance_window, &prior.maintenance_window)
        || changed(&plan.deletion_protection, &prior.deletion_protection)
        || changed(
            &plan.master_password_wo_version,
            &prior.master_password_wo_version,
        )
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    let prior: Option<DatabaseState> = match planned::prior_state(req) {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let at = AttributePath::attr;
    if resp.destroying() {
        if let Some(prior) = &prior
            && prior.deletion_protection == Some(true)
        {
            resp.diagnostics.attribute_error(
                at("deletion_protection"),
                "Deletion protection is on",
                format!(
                    "Database {:?} has deletion protection. To destroy it, set \
                     deletion_protection = false and apply first.",
                    prior.name.clone().unwrap_or_default()
                ),
            );
        }
        return;
    }
    let config: Configured = match req.config_as() {
        Ok(config) => config,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let mut plan: Planned = match resp.plan_as() {
        Ok(plan) => plan,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let name = given(&plan.name).cloned();
    resp.set("id", string_value(&plan.name));

    // The tier's defaults, planned whenever the configuration leaves them
    // out: a changed environment resizes the database, and a setting
    // changed out of band is changed back.
    let env = client.environment;
    if left_out(&config.instance_class) {
        let class = default_instance_class(env);
        resp.set("instance_class", Value::from(class));
        plan.instance_class = MaybeUnknown::Known(Some(class.to_owned()));
    }
    if left_out(&config.multi_az) {
        let multi_az = default_multi_az(env);
        resp.set("multi_az", Value::Bool(multi_az));
        plan.multi_az = MaybeUnknown::Known(Some(multi_az));
    }
    if left_out(&config.deletion_protection) {
        let protection = default_deletion_protection(env);
        resp.set("deletion_protection", Value::Bool(protection));
        plan.deletion_protection = MaybeUnknown::Known(Some(protection));
    }
    if left_out(&config.backup_retention_days) {
        let days = default_backup_retention(env);
        resp.set("backup_retention_days", Value::from(days));
        plan.backup_retention_days = MaybeUnknown::Known(Some(days));
    }
    if left_out(&config.max_allocated_storage) {
        let max = given(&plan.allocated_storage).map(|a| default_max_storage(*a));
        resp.set(
            "max_allocated_storage",
            max.map_or(Value::Unknown, Value::from),
        );
        plan.max_allocated_storage = max.map_or(MaybeUnknown::Unknown, |m| Some(m).into());
    }
    // Known only now when it comes from another resource or a variable.
    if let (Some(replicas), Some(0)) = (
        given(&plan.read_replicas),
        given(&plan.backup_retention_days),
    ) && *replicas > 0
    {
        resp.diagnostics.attribute_error(
            at("backup_retention_days"),
            "Backups needed for replicas",
            "backup_retention_days must be at least 1 when read_replicas is set: RDS builds \
             replicas from the primary's backups.",
        );
    }
    tags::plan(client, &checks::TAGGING, resp);
    resp.set("port", Value::from(i64::from(PORT)));
    // An existing database stays in the subnet group it is in (an
    // imported one's own); a new one gets `<name>-subnets`.
    let subnet_group = match prior.as_ref().and_then(|p| p.subnet_group_name.clone()) {
        Some(group) => Value::String(group),
        None => name.as_deref().map_or(Value::Unknown, |n| {
            Value::String(cloud::subnet_group_name(n))
        }),
    };
    resp.set("subnet_group_name", subnet_group);
    plan_password(&config, prior.as_ref(), resp);
    if prior.is_none() && given(&plan.storage_encrypted) == Some(&false) {
        resp.diagnostics.attribute_error(
            at("storage_encrypted"),
            "Databases are encrypted",
            "The provider makes encrypted databases only: storage_encrypted = false describes \
             an imported unencrypted one. Leave it out (or true).",
        );
    }

    if let Some(prior) = &prior {
        check_changes(&plan, prior, resp);
    }
    check_offered(client, &plan, prior.as_ref(), resp).await;
    check_placement(client, &plan, prior.as_ref(), resp).await;
    // A create whose names are someone else's fails now, not half way.
    if prior.is_none()
        && let Some(name) = &name
        && let Err(d) = super::converge::check_free(
            client,
            name,
            given(&plan.read_replicas).and_then(|n| usize::try_from(*n).ok()),
            &crate::ownership::replaced(&client.held, "swarm_database", name, &req.prior_private),
        )
        .await
    {
        resp.diagnostics.push(d);
    }
    plan_outputs(&config, &plan, prior.as_ref(), resp);

    if let Some(prior) = &prior
        && !resp.requires_replace.is_empty()
        && prior.deletion_protection == Some(true)
    {
        resp.diagnostics.attribute_error(
            at("deletion_protection"),
            "Deletion protection is on",
            "This change replaces the database, which deletes it first. Set \
             deletion_protection = false and apply before making it.",
        );
    }
}

/// `manage_master_password`: true unless a password is given, when left
/// out; what cannot be asked of it refused.
fn plan_password(config: &Configured, prior: Option<&DatabaseState>, resp: &mut PlanResponse) {
    let at = AttributePath::attr;
    // Unknown counts as given: it will be a password at apply.
    let password_given = !left_out(&config.master_password_wo);
    let managed = match &config.manage_master_password {
        MaybeUnknown::Known(None) => {
            resp.set("manage_master_password", Value::Bool(!password_given));
            Some(!password_given)
        }
        MaybeUnknown::Known(Some(managed)) => Some(*managed),
        MaybeUnknown::Unknown => None,
    };
    match managed {
        Some(true) if password_given => resp.diagnostics.attribute_error(
            at("manage_master_password"),
            "Two passwords",
            "manage_master_password = true has RDS make the password; leave out \
             master_password_wo, or set manage_master_password = false.",
        ),
        Some(false) if !password_given => match prior {
            None => resp.diagnostics.attribute_error(
                at("manage_master_password"),
                "No master password",
                "A new database needs a password: give master_password_wo (with \
                 master_password_wo_version), or leave manage_master_password out so that RDS \
                 makes one.",
            ),
            Some(prior) if prior.manage_master_password == Some(true) => {
                resp.diagnostics.attribute_error(
                    at("manage_master_password"),
                    "No master password",
                    "RDS manages this database's password: to take it over, give \
                     master_password_wo (with master_password_wo_version).",
                );
            }
            // An imported database's own password: kept as it is.
            Some(_) => {}
        },
        _ => {}
    }
}

/// Changes RDS cannot make.
fn check_changes(plan: &Planned, prior: &DatabaseState, resp: &mut PlanResponse) {
    let at = AttributePath::attr;
    // An imported database's own subnet group is never changed (others
    // may use it): its subnets are the database's.
    if let (Some(group), Some(name)) = (&prior.subnet_group_name, &prior.name)
        && *group != cloud::subnet_group_name(name)
        && set_changed(&plan.subnet_ids, &prior.subnet_ids)
        && given(&plan.subnet_ids).is_some()
    {
        resp.diagnostics.attribute_error(
            at("subnet_ids"),
            "The database's subnet group is not the provider's",
            format!(
                "The database is in DB subnet group {group:?}, which it was imported with: the \
                 provider does not change a subnet group it did not make (other instances may \
                 use it), so subnet_ids must stay its subnets. Change the group itself (then \
                 refresh), or move the database to subnets of another VPC (which replaces it)."
            ),
        );
    }
    if let (Some(&planned), Some(before)) =
        (given(&plan.allocated_storage), prior.allocated_storage)
        && planned < before
    {
        resp.diagnostics.attribute_error(
            at("allocated_storage"),
            "Storage cannot shrink",
            format!(
                "RDS cannot reduce allocated storage ({before} GiB now, {planned} GiB \
                 configured). Keep {before} or more, or restore a snapshot into a new database."
            ),
        );
    }
    let versions = (
        given(&plan.engine_version),
        prior
            .engine_version_actual
            .as_ref()
            .or(prior.engine_version.as_ref()),
    );
    if let (Some(wanted), Some(running)) = versions
        && let (Ok(w), Ok(r)) = (
            checks::parse_version(wanted),
            checks::parse_version(running),
        )
        && !checks::version_matches(wanted, running)
    {
        let older = w.0 < r.0 || (w.0 == r.0 && w.1.is_some_and(|m| r.1.is_some_and(|n| m < n)));
        if older {
            resp.diagnostics.attribute_error(
                at("engine_version"),
                "Engine version cannot go back",
                format!(
                    "The database runs PostgreSQL {running}; RDS cannot downgrade it to \
                     {wanted}. Restore a snapshot into a new database instead."
                ),
            );
        } else if w.0 > r.0 {
            resp.diagnostics.attribute_warning(
                at("engine_version"),
                "Major version upgrade",
                format!(
                    "PostgreSQL {running} will be upgraded to {wanted} in place: the database \
                     (and its replicas) are unavailable during the upgrade, which cannot be \
                     undone. Take a snapshot first; check extensions and parameter groups."
                ),
            );
        }
    }
}

/// The RDS engine the database runs (CreateDBInstance's `Engine`).
const ENGINE: &str = "postgres";

/// The engine version and instance class, against what RDS offers
/// (looked up only when one of them is new or changed; a value known only
/// at apply is checked by the plan Terraform makes again then).
async fn check_offered(
    client: &SwarmClient,
    plan: &Planned,
    prior: Option<&DatabaseState>,
    resp: &mut PlanResponse,
) {
    let at = AttributePath::attr;
    let Some(version) = given(&plan.engine_version) else {
        return;
    };
    let version_changed = prior.is_none_or(|p| changed(&plan.engine_version, &p.engine_version));
    let class_changed = prior.is_none_or(|p| changed(&plan.instance_class, &p.instance_class));
    if !version_changed && !class_changed {
        return;
    }
    if version_changed {
        let offered = match catalogue::db_engine_versions(client, ENGINE).await {
            Ok(offered) => offered,
            Err(d) => return resp.diagnostics.push(d.at(at("engine_version"))),
        };
        if let Some(why) = catalogue::version_refused("PostgreSQL", version, &offered) {
            return resp.diagnostics.attribute_error(
                at("engine_version"),
                "Engine version not offered",
                format!("engine_version: {why}"),
            );
        }
    }
    if let Some(class) = given(&plan.instance_class) {
        match catalogue::db_class_refused(client, ENGINE, version, class).await {
            Ok(None) => {}
            Ok(Some(why)) => resp.diagnostics.attribute_error(
                at("instance_class"),
                "Instance class not offered",
                format!("instance_class: {why}"),
            ),
            Err(d) => resp.diagnostics.push(d.at(at("instance_class"))),
        }
    }
}

/// The subnets (one VPC, two zones at least) and the allowed groups
/// (existing, in that VPC), looked up when they are new. `prior` is
/// `None` on create.
async fn check_placement(
    client: &SwarmClient,
    plan: &Planned,
    prior: Option<&DatabaseState>,
    resp: &mut PlanResponse,
) {
    let at = AttributePath::attr;
    let prior_vpc = prior.and_then(|p| p.vpc_id.clone());
    let mut vpc = prior_vpc.clone();
    match &plan.subnet_ids {
        MaybeUnknown::Unknown => {
            resp.set("vpc_id", Value::Unknown);
            vpc = None;
        }
        MaybeUnknown::Known(ids)
            if prior.is_none_or(|p| set_changed(&plan.subnet_ids, &p.subnet_ids))
                || vpc.is_none() =>
        {
            let ids = ids.as_deref().unwrap_or_default();
            match cloud::subnets(client, ids).await {
                Ok(subnets) => {
                    let new_vpc = subnets
                        .first()
                        .map(|s| s.vpc_id.clone())
                        .unwrap_or_default();
                    if let Some(old) = &prior_vpc
                        && *old != new_vpc
                    {
                        // The database and its security group live in one VPC.
                        resp.require_replace(at("subnet_ids"));
                    }
                    resp.set("vpc_id", Value::String(new_vpc.clone()));
                    vpc = Some(new_vpc);
                }
                Err(d) => return resp.diagnostics.push(d.at(at("subnet_ids"))),
            }
        }
        // Unchanged subnets, and the VPC known: it stays.
        MaybeUnknown::Known(_) => resp.set("vpc_id", prior_vpc.map_or(Value::Null, Value::String)),
    }

    if let MaybeUnknown::Known(ids) = &plan.allowed_security_group_ids
        && prior.is_none_or(|p| {
            set_changed(
                &plan.allowed_security_group_ids,
                &p.allowed_security_group_ids,
            )
        })
    {
        let ids = ids.as_deref().unwrap_or_default();
        if !ids.is_empty() {
            match ec2::vpcs_of(client, ids, "allowed_security_group_ids").await {
                Ok(found) => {
                    if let Some(vpc) = &vpc
                        && let Some((id, other)) = found.iter().find(|(_, v)| *v != vpc)
                    {
                        resp.diagnostics.attribute_error(
                            at("allowed_security_group_ids"),
                            "Security group in another VPC",
                            format!(
                                "allowed_security_group_ids: {id} is in {other}, the database \
                                 in {vpc}; a rule can only name groups of its own VPC."
                            ),
                        );
                    }
                }
                Err(d) => resp
                    .diagnostics
                    .push(d.at(at("allowed_security_group_ids"))),
            }
        }
    }
}

/// A value of the prior state kept by the plan; one the prior state lacks
/// is known after apply.
fn kept(value: &Option<String>) -> Value {
    value.clone().map_or(Value::Unknown, Value::String)
}

/// A list of the prior state, as it is.
fn list_value(list: &Option<Vec<Option<String>>>) -> Value {
    list.as_ref().map_or(Value::Null, |items| {
        Value::List(
            items
                .iter()
                .map(|item| item.clone().map_or(Value::Null, Value::String))
                .collect(),
        )
    })
}

/// What the plan can say of the outputs: unchanged ones keep their
/// values, the others are known after apply. A database short of an
/// object (deleted out of band, or a create that failed half way) plans
/// an update that builds it. `prior` is `None` on create.
fn plan_outputs(
    config: &Configured,
    plan: &Planned,
    prior: Option<&DatabaseState>,
    resp: &mut PlanResponse,
) {
    // Unknown counts as given: it will be a password at apply.
    let password_given = !left_out(&config.master_password_wo);

    let ingress = match given(&plan.allowed_security_group_ids) {
        Some(ids) => Value::List(
            cloud::wanted_rules(ids)
                .iter()
                .map(|r| Value::String(r.to_string()))
                .collect(),
        ),
        None => Value::Unknown,
    };
    resp.set("ingress_rules", ingress);

    let Some(prior) = prior else {
        for output in [
            "arn",
            "endpoint",
            "availability_zone",
            "engine_version_actual",
            "security_group_id",
            "replica_endpoints",
            "replica_availability_zones",
        ] {
            resp.set(output, Value::Unknown);
        }
        resp.set(
            "master_secret_arn",
            if password_given {
                Value::Null
            } else {
                Value::Unknown
            },
        );
        return;
    };

    let primary_missing = prior.arn.is_none();
    resp.set("arn", kept(&prior.arn));
    resp.set("endpoint", kept(&prior.endpoint));
    // Unknown for an imported database: it gets its group at its first apply.
    resp.set("security_group_id", kept(&prior.security_group_id));
    let modified = primary_missing || primary_changed(plan, prior);
    resp.set(
        "availability_zone",
        if modified {
            Value::Unknown
        } else {
            kept(&prior.availability_zone)
        },
    );
    resp.set(
        "engine_version_actual",
        if primary_missing || changed(&plan.engine_version, &prior.engine_version) {
            Value::Unknown
        } else {
            kept(&prior.engine_version_actual)
        },
    );
    // RDS makes the secret when it is given the password to manage.
    let kept_password = matches!(
        config.manage_master_password,
        MaybeUnknown::Known(Some(false))
    );
    resp.set(
        "master_secret_arn",
        if password_given || kept_password {
            Value::Null
        } else {
            // Unknown when RDS is to take a password over.
            kept(&prior.master_secret_arn)
        },
    );
    let same_replicas = !changed(&plan.read_replicas, &prior.read_replicas);
    for (output, prior_value) in [
        ("replica_endpoints", &prior.replica_endpoints),
        (
            "replica_availability_zones",
            &prior.replica_availability_zones,
        ),
    ] {
        resp.set(
            output,
            if same_replicas {
                list_value(prior_value)
            } else {
                Value::Unknown
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use tfplugin::value::from_value;

    use super::*;

    fn ids(ids: &[&str]) -> Value {
        Value::Set(ids.iter().map(|id| Value::from(*id)).collect())
    }

    fn planned(attributes: &[(&str, Value)]) -> Planned {
        let object = attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        from_value(&Value::Object(object)).expect("a plan decodes")
    }

    /// `manage_master_password` left out follows the password; an imported
    /// database's own password is kept; what cannot be is refused.
    #[test]
    fn the_master_password_is_managed_given_or_kept() {
        let configured = |managed: Value, password: Value| -> Configured {
            from_value(&Value::Object(
                [
                    ("manage_master_password".to_owned(), managed),
                    ("master_password_wo".to_owned(), password),
                ]
                .into(),
            ))
            .expect("a configuration decodes")
        };
        let plan = |config: Configured, prior: Option<&DatabaseState>| {
            let mut resp = PlanResponse {
                plan: Value::Object([("manage_master_password".to_owned(), Value::Null)].into()),
                requires_replace: Vec::new(),
                private: Vec::new(),
                diagnostics: tfplugin::diag::Diagnostics::new(),
            };
            plan_password(&config, prior, &mut resp);
            (
                resp.plan.get_attr("manage_master_password").cloned(),
                resp.diagnostics.has_errors(),
            )
        };
        let secret = Value::from("a-password");
        // Left out: RDS manages it unless a password is given.
        assert_eq!(
            plan(configured(Value::Null, Value::Null), None),
            (Some(Value::Bool(true)), false)
        );
        assert_eq!(
            plan(configured(Value::Null, secret.clone()), None),
            (Some(Value::Bool(false)), false)
        );
        // Both: refused.
        assert!(plan(configured(Value::Bool(true), secret), None).1);
        // Neither, on create: refused; on an imported database with its own
        // password: kept; on one whose password RDS manages: refused.
        assert!(plan(configured(Value::Bool(false), Value::Null), None).1);
        let imported = DatabaseState {
            manage_master_password: Some(false),
            ..DatabaseState::default()
        };
        assert!(!plan(configured(Value::Bool(false), Value::Null), Some(&imported)).1);
        let managed = DatabaseState {
            manage_master_password: Some(true),
            ..DatabaseState::default()
        };
        assert!(plan(configured(Value::Bool(false), Value::Null), Some(&managed)).1);
    }

    #[test]
    fn partly_unknown_sets_read_as_unknown() {
        let partly = Value::Set(vec![Value::from("subnet-a"), Value::Unknown]);
        let plan = planned(&[
            ("subnet_ids", partly),
            ("allowed_security_group_ids", Value::Unknown),
        ]);
        assert!(plan.subnet_ids.is_unknown());
        assert!(plan.allowed_security_group_ids.is_unknown());
        // Attributes left out read as null.
        assert_eq!(plan.name, MaybeUnknown::Known(None));

        let plan = planned(&[("subnet_ids", ids(&["subnet-b", "subnet-a"]))]);
        assert_eq!(
            given(&plan.subnet_ids),
            Some(&vec!["subnet-b".to_owned(), "subnet-a".to_owned()])
        );
    }

    #[test]
    fn sets_compare_regardless_of_order() {
        let plan = planned(&[("subnet_ids", ids(&["subnet-b", "subnet-a"]))]);
        let prior = |ids: &[&str]| Some(ids.iter().map(|id| (*id).to_owned()).collect());
        assert!(!set_changed(
            &plan.subnet_ids,
            &prior(&["subnet-a", "subnet-b"])
        ));
        assert!(set_changed(&plan.subnet_ids, &prior(&["subnet-a"])));
        assert!(set_changed(&plan.subnet_ids, &None));
        assert!(set_changed(&MaybeUnknown::Unknown, &prior(&["subnet-a"])));
    }
}
