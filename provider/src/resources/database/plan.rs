//! Planning a database: the tier's defaults, checks that need AWS (the
//! subnets and the allowed security groups) or the prior state (storage
//! cannot shrink, versions cannot go back, protected databases cannot be
//! destroyed or replaced), and what the plan can already tell of the
//! outputs.

use std::collections::BTreeMap;

use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::Value;

use super::checks;
use super::cloud::{self, PORT};
use super::state::{
    attr, default_backup_retention, default_deletion_protection, default_instance_class,
    default_max_storage, default_multi_az, known,
};
use crate::config::SwarmClient;
use crate::ec2;

/// Settings of the primary that ModifyDBInstance changes: when one does,
/// RDS may fail over to the standby, so the primary's zone is not known.
const PRIMARY_SETTINGS: [&str; 10] = [
    "engine_version",
    "instance_class",
    "allocated_storage",
    "max_allocated_storage",
    "multi_az",
    "backup_retention_days",
    "backup_window",
    "maintenance_window",
    "deletion_protection",
    "master_password_wo_version",
];

/// Equal as Terraform compares them: sets regardless of order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Set(x), Value::Set(y)) => x.len() == y.len() && x.iter().all(|e| y.contains(e)),
        _ => a == b,
    }
}

fn changed(req: &PlanRequest, resp: &PlanResponse, attribute: &str) -> bool {
    !same(
        &attr(&resp.plan, attribute),
        &attr(&req.prior_state, attribute),
    )
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    let prior = &req.prior_state;
    let at = AttributePath::attr;
    if resp.destroying() {
        if known::<bool>(prior, "deletion_protection") == Some(true) {
            resp.diagnostics.attribute_error(
                at("deletion_protection"),
                "Deletion protection is on",
                format!(
                    "Database {:?} has deletion protection. To destroy it, set \
                     deletion_protection = false and apply first.",
                    known::<String>(prior, "name").unwrap_or_default()
                ),
            );
        }
        return;
    }
    let config = &req.config;
    let creating = req.creating();
    let name: Option<String> = known(&resp.plan, "name");
    resp.set("id", attr(&resp.plan, "name"));

    // The tier's defaults, planned whenever the configuration leaves them
    // out: a changed environment resizes the database, and a setting
    // changed out of band is changed back.
    let env = client.environment;
    let defaults = [
        ("instance_class", Value::from(default_instance_class(env))),
        ("multi_az", Value::Bool(default_multi_az(env))),
        (
            "deletion_protection",
            Value::Bool(default_deletion_protection(env)),
        ),
        (
            "backup_retention_days",
            Value::from(default_backup_retention(env)),
        ),
    ];
    for (attribute, default) in defaults {
        if attr(config, attribute).is_null() {
            resp.set(attribute, default);
        }
    }
    if attr(config, "max_allocated_storage").is_null() {
        let max = known::<i64>(&resp.plan, "allocated_storage")
            .map_or(Value::Unknown, |a| Value::from(default_max_storage(a)));
        resp.set("max_allocated_storage", max);
    }
    // Known only now when it comes from another resource or a variable.
    if let (Some(replicas), Some(0)) = (
        known::<i64>(&resp.plan, "read_replicas"),
        known::<i64>(&resp.plan, "backup_retention_days"),
    ) && replicas > 0
    {
        resp.diagnostics.attribute_error(
            at("backup_retention_days"),
            "Backups needed for replicas",
            "backup_retention_days must be at least 1 when read_replicas is set: RDS builds \
             replicas from the primary's backups.",
        );
    }
    let tags_all = match attr(&resp.plan, "tags") {
        Value::Unknown => Value::Unknown,
        tags => {
            let mut all: BTreeMap<String, Value> = client
                .default_tags
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            if let Some(own) = tags.as_entries() {
                all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Value::Map(all)
        }
    };
    resp.set("tags_all", tags_all);
    resp.set("port", Value::from(i64::from(PORT)));
    resp.set(
        "subnet_group_name",
        name.as_deref().map_or(Value::Unknown, |n| {
            Value::String(cloud::subnet_group_name(n))
        }),
    );

    if !creating {
        check_changes(req, resp);
    }
    check_placement(client, req, resp).await;
    plan_outputs(req, resp);

    if !creating
        && !resp.requires_replace.is_empty()
        && known::<bool>(prior, "deletion_protection") == Some(true)
    {
        resp.diagnostics.attribute_error(
            at("deletion_protection"),
            "Deletion protection is on",
            "This change replaces the database, which deletes it first. Set \
             deletion_protection = false and apply before making it.",
        );
    }
}

/// Changes RDS cannot make.
fn check_changes(req: &PlanRequest, resp: &mut PlanResponse) {
    let prior = &req.prior_state;
    let at = AttributePath::attr;
    if let (Some(planned), Some(before)) = (
        known::<i64>(&resp.plan, "allocated_storage"),
        known::<i64>(prior, "allocated_storage"),
    ) && planned < before
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
        known::<String>(&resp.plan, "engine_version"),
        known::<String>(prior, "engine_version_actual")
            .or_else(|| known::<String>(prior, "engine_version")),
    );
    if let (Some(wanted), Some(running)) = versions
        && let (Ok(w), Ok(r)) = (
            checks::parse_version(&wanted),
            checks::parse_version(&running),
        )
        && !checks::version_matches(&wanted, &running)
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

/// The subnets (one VPC, two zones at least) and the allowed groups
/// (existing, in that VPC), looked up when they are new.
async fn check_placement(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    let prior = &req.prior_state;
    let creating = req.creating();
    let at = AttributePath::attr;
    let subnet_ids = attr(&resp.plan, "subnet_ids");
    let mut vpc = if creating {
        None
    } else {
        known::<String>(prior, "vpc_id")
    };
    if !subnet_ids.is_wholly_known() {
        resp.set("vpc_id", Value::Unknown);
        vpc = None;
    } else if creating || changed(req, resp, "subnet_ids") || vpc.is_none() {
        let ids: Vec<String> = known(&resp.plan, "subnet_ids").unwrap_or_default();
        match cloud::subnets(client, &ids).await {
            Ok(subnets) => {
                let new_vpc = subnets
                    .first()
                    .map(|s| s.vpc_id.clone())
                    .unwrap_or_default();
                if let Some(old) = known::<String>(prior, "vpc_id")
                    && !creating
                    && old != new_vpc
                {
                    // The database and its security group live in one VPC.
                    resp.require_replace(at("subnet_ids"));
                }
                resp.set("vpc_id", Value::String(new_vpc.clone()));
                vpc = Some(new_vpc);
            }
            Err(d) => return resp.diagnostics.push(d.at(at("subnet_ids"))),
        }
    } else {
        resp.set("vpc_id", attr(prior, "vpc_id"));
    }

    let allowed = attr(&resp.plan, "allowed_security_group_ids");
    if allowed.is_wholly_known() && (creating || changed(req, resp, "allowed_security_group_ids")) {
        let ids: Vec<String> = known(&resp.plan, "allowed_security_group_ids").unwrap_or_default();
        if !ids.is_empty() {
            match ec2::vpcs_of(client, &ids, "allowed_security_group_ids").await {
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

/// What the plan can say of the outputs: unchanged ones keep their
/// values, the others are known after apply. A database short of an
/// object (deleted out of band, or a create that failed half way) plans
/// an update that builds it.
fn plan_outputs(req: &PlanRequest, resp: &mut PlanResponse) {
    let prior = &req.prior_state;
    let creating = req.creating();
    // `master_password_wo` is in the configuration only (write-only).
    let password_given = !attr(&req.config, "master_password_wo").is_null();

    let ingress = match known::<Vec<String>>(&resp.plan, "allowed_security_group_ids") {
        Some(ids) => Value::List(
            cloud::wanted_rules(&ids)
                .iter()
                .map(|r| Value::String(r.to_string()))
                .collect(),
        ),
        None => Value::Unknown,
    };
    resp.set("ingress_rules", ingress);

    if creating {
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
    }

    let kept = |attribute: &str| match attr(prior, attribute) {
        Value::Null => Value::Unknown,
        value => value,
    };
    let primary_missing = attr(prior, "arn").is_null();
    for output in ["arn", "endpoint", "security_group_id"] {
        resp.set(output, kept(output));
    }
    let modified = primary_missing || PRIMARY_SETTINGS.iter().any(|a| changed(req, resp, a));
    resp.set(
        "availability_zone",
        if modified {
            Value::Unknown
        } else {
            kept("availability_zone")
        },
    );
    resp.set(
        "engine_version_actual",
        if primary_missing || changed(req, resp, "engine_version") {
            Value::Unknown
        } else {
            kept("engine_version_actual")
        },
    );
    resp.set(
        "master_secret_arn",
        if password_given {
            Value::Null
        } else {
            kept("master_secret_arn")
        },
    );
    let same_replicas = !changed(req, resp, "read_replicas");
    for output in ["replica_endpoints", "replica_availability_zones"] {
        resp.set(
            output,
            if same_replicas {
                attr(prior, output)
            } else {
                Value::Unknown
            },
        );
    }
}
