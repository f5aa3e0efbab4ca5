//! The database's model: the tier defaults, the plan resolved for apply,
//! the tags of each AWS object, and the state built from what exists.

use std::collections::BTreeMap;

use aws_sdk_rds::types::DbInstance;
use serde::de::DeserializeOwned;
use tfplugin::diag::Diagnostic;
use tfplugin::value::{self, Value};

use super::checks;
use super::cloud::{self, Observed, PORT};
use crate::config::{Environment, SwarmClient};
use crate::tags::{self, Basis, Reserved};

pub const DEFAULT_ENGINE_VERSION: &str = "16";
pub const DEFAULT_ALLOCATED_STORAGE: i64 = 20;
pub const MAX_STORAGE: i64 = 65536;
pub const DEFAULT_MASTER_USERNAME: &str = "swarm";

/// The tier's instance class.
pub fn default_instance_class(environment: Environment) -> &'static str {
    match environment {
        Environment::Development => "db.t3.micro",
        Environment::Staging => "db.t3.small",
        Environment::Production => "db.t3.medium",
    }
}

/// A standby in another zone, except to develop on.
pub fn default_multi_az(environment: Environment) -> bool {
    environment != Environment::Development
}

/// Production databases cannot be destroyed by accident.
pub fn default_deletion_protection(environment: Environment) -> bool {
    environment == Environment::Production
}

/// Days of automated backups (point-in-time recovery) by tier.
pub fn default_backup_retention(environment: Environment) -> i64 {
    match environment {
        Environment::Development => 1,
        Environment::Staging => 7,
        Environment::Production => 14,
    }
}

/// Storage autoscaling's ceiling when none is given: twice the storage.
pub fn default_max_storage(allocated: i64) -> i64 {
    (allocated * 2).min(MAX_STORAGE)
}

/// A value of a planned or stored object, when it is known and not null.
pub fn known<T: DeserializeOwned>(object: &Value, attribute: &str) -> Option<T> {
    let value = object.get_attr(attribute)?;
    if value.is_null() || !value.is_wholly_known() {
        return None;
    }
    value::from_value(value).ok()
}

pub fn attr(object: &Value, attribute: &str) -> Value {
    object.get_attr(attribute).cloned().unwrap_or(Value::Null)
}

/// The plan, resolved for apply.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage: i32,
    pub max_allocated_storage: i32,
    pub multi_az: bool,
    pub subnet_ids: Vec<String>,
    pub allowed_security_group_ids: Vec<String>,
    pub backup_retention_days: i32,
    /// `None`: RDS picks one (or keeps the one it has).
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: bool,
    pub read_replicas: usize,
    pub master_username: String,
    pub tags: BTreeMap<String, String>,
}

fn required<T: DeserializeOwned>(plan: &Value, attribute: &str) -> Result<T, Diagnostic> {
    known(plan, attribute).ok_or_else(|| {
        Diagnostic::error(
            "Value unknown at apply",
            format!("{attribute} is not known at apply; this is a bug in the provider."),
        )
    })
}

impl Spec {
    pub fn from_plan(plan: &Value) -> Result<Self, Diagnostic> {
        let number = |attribute: &str| -> Result<i32, Diagnostic> {
            let n: i64 = required(plan, attribute)?;
            i32::try_from(n).map_err(|_| {
                Diagnostic::error("Value out of range", format!("{attribute} is {n}."))
            })
        };
        let mut subnet_ids: Vec<String> = required(plan, "subnet_ids")?;
        subnet_ids.sort();
        let mut allowed: Vec<String> =
            known(plan, "allowed_security_group_ids").unwrap_or_default();
        allowed.sort();
        let replicas: i64 = required(plan, "read_replicas")?;
        Ok(Self {
            name: required(plan, "name")?,
            engine_version: required(plan, "engine_version")?,
            instance_class: required(plan, "instance_class")?,
            allocated_storage: number("allocated_storage")?,
            max_allocated_storage: number("max_allocated_storage")?,
            multi_az: required(plan, "multi_az")?,
            subnet_ids,
            allowed_security_group_ids: allowed,
            backup_retention_days: number("backup_retention_days")?,
            backup_window: known(plan, "backup_window"),
            maintenance_window: known(plan, "maintenance_window"),
            deletion_protection: required(plan, "deletion_protection")?,
            read_replicas: usize::try_from(replicas).unwrap_or(0),
            master_username: required(plan, "master_username")?,
            tags: known(plan, "tags").unwrap_or_default(),
        })
    }

    /// The tags of one of the database's objects.
    pub fn object_tags(
        &self,
        client: &SwarmClient,
        role: &str,
        object: &str,
    ) -> BTreeMap<String, String> {
        tags::object_tags(client, &self.tags, cloud::KIND, &self.name, role, object)
    }
}

/// How the master password is handled at apply.
#[derive(Debug, Clone)]
pub enum Password {
    /// RDS generates it and keeps it in Secrets Manager.
    Managed,
    /// From `master_password_wo`; `rotate` when its version changed.
    Given { password: String, rotate: bool },
}

fn string(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

fn number(n: Option<i32>) -> Value {
    n.map_or(Value::Null, |n| Value::from(i64::from(n)))
}

fn strings(items: impl IntoIterator<Item = String>) -> Vec<Value> {
    items.into_iter().map(Value::String).collect()
}

fn endpoint_address(instance: &DbInstance) -> Option<&str> {
    instance.endpoint().and_then(|e| e.address())
}

/// The state of what exists, or `None` when nothing does.
///
/// `basis` is the prior state (refresh) or the plan (after apply): it
/// gives what AWS does not store (`final_snapshot`, the password's
/// version, `timeouts`) and decides between equivalent spellings (the
/// engine's major version for the running minor one, a window's case,
/// storage grown by autoscaling within its ceiling), so that a value
/// written in the configuration reads back as written.
pub fn build(client: &SwarmClient, name: &str, seen: &Observed, basis: &Value) -> Option<Value> {
    if seen.is_empty() {
        return None;
    }
    let mut state: BTreeMap<String, Value> = BTreeMap::new();
    let mut set = |k: &str, v: Value| {
        state.insert(k.to_owned(), v);
    };
    set("id", Value::from(name));
    set("name", Value::from(name));
    set(
        "final_snapshot",
        Value::Bool(known(basis, "final_snapshot").unwrap_or(true)),
    );
    set("master_password_wo", Value::Null);
    set(
        "master_password_wo_version",
        known::<i64>(basis, "master_password_wo_version").map_or(Value::Null, Value::from),
    );
    set("timeouts", attr(basis, "timeouts"));
    set("port", Value::from(i64::from(PORT)));
    set(
        "subnet_group_name",
        Value::String(cloud::subnet_group_name(name)),
    );

    match &seen.primary {
        Some(p) => {
            let actual_version = p.engine_version().unwrap_or_default();
            let version = match known::<String>(basis, "engine_version") {
                Some(wanted) if checks::version_matches(&wanted, actual_version) => wanted,
                // Imported: the major version, as one usually writes it.
                None => actual_version
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                Some(_) => actual_version.to_owned(),
            };
            set("engine_version", Value::String(version));
            set("engine_version_actual", string(p.engine_version()));
            // Replicas serve the same load as the primary: any instance of
            // another class than the one wanted (the primary's, when
            // imported), or with less storage, is drift of the database's
            // class or storage, planned back like the primary's own.
            let instances = || std::iter::once(p).chain(seen.replicas.iter().map(|(_, r)| r));
            let wanted_class = known::<String>(basis, "instance_class");
            let reference = wanted_class.as_deref().or(p.db_instance_class());
            let class = instances()
                .map(DbInstance::db_instance_class)
                .find(|class| *class != reference)
                .unwrap_or(reference);
            set("instance_class", string(class));
            let allocated = instances()
                .filter_map(DbInstance::allocated_storage)
                .min()
                .map(i64::from);
            let max = p.max_allocated_storage().map(i64::from).or(allocated);
            // Autoscaling grows storage by itself: that is not drift.
            let storage = match (known::<i64>(basis, "allocated_storage"), allocated, max) {
                (Some(wanted), Some(actual), Some(max))
                    if actual > wanted && actual <= max && max > wanted =>
                {
                    Some(wanted)
                }
                _ => allocated,
            };
            set(
                "allocated_storage",
                storage.map_or(Value::Null, Value::from),
            );
            set(
                "max_allocated_storage",
                max.map_or(Value::Null, Value::from),
            );
            set("multi_az", p.multi_az().map_or(Value::Null, Value::Bool));
            set("backup_retention_days", number(p.backup_retention_period()));
            set("backup_window", string(p.preferred_backup_window()));
            let maintenance = match (
                known::<String>(basis, "maintenance_window"),
                p.preferred_maintenance_window(),
            ) {
                // RDS stores it in lower case.
                (Some(wanted), Some(actual)) if wanted.eq_ignore_ascii_case(actual) => {
                    Value::String(wanted)
                }
                (_, actual) => string(actual),
            };
            set("maintenance_window", maintenance);
            set(
                "deletion_protection",
                p.deletion_protection().map_or(Value::Null, Value::Bool),
            );
            set("master_username", string(p.master_username()));
            set("arn", string(p.db_instance_arn()));
            set("endpoint", string(endpoint_address(p)));
            set("availability_zone", string(p.availability_zone()));
            set(
                "master_secret_arn",
                string(p.master_user_secret().and_then(|s| s.secret_arn())),
            );
            let basis_tags: Option<BTreeMap<String, String>> = known(basis, "tags");
            // The user's tags: also a default tag the configuration names.
            let found = tags::rds::from_sdk(p.tag_list());
            let tags = tags::user_tags(
                &found,
                &client.default_tags,
                Reserved::OBJECT,
                basis_tags.as_ref().map_or(Basis::None, Basis::Named),
            );
            set(
                "tags_all",
                tags::map_value(Reserved::OBJECT.without(&found)),
            );
            set("tags", tags::state_value(tags, basis_tags.is_some()));
        }
        None => {
            // Only part of the database exists (a create that failed half
            // way, or a primary deleted out of band): what is configured
            // stays as planned, and the missing primary shows as unknown
            // outputs in the next plan, whose apply builds it.
            for attribute in [
                "engine_version",
                "instance_class",
                "allocated_storage",
                "max_allocated_storage",
                "multi_az",
                "backup_retention_days",
                "backup_window",
                "maintenance_window",
                "deletion_protection",
                "master_username",
                "tags",
                "tags_all",
            ] {
                let value = attr(basis, attribute);
                set(
                    attribute,
                    if value.is_wholly_known() {
                        value
                    } else {
                        Value::Null
                    },
                );
            }
            for attribute in [
                "engine_version_actual",
                "arn",
                "endpoint",
                "availability_zone",
                "master_secret_arn",
            ] {
                set(attribute, Value::Null);
            }
        }
    }

    set("read_replicas", Value::from(seen.replicas.len() as i64));
    set(
        "replica_endpoints",
        Value::List(
            seen.replicas
                .iter()
                .map(|(_, r)| string(endpoint_address(r)))
                .collect(),
        ),
    );
    set(
        "replica_availability_zones",
        Value::List(
            seen.replicas
                .iter()
                .map(|(_, r)| string(r.availability_zone()))
                .collect(),
        ),
    );

    match &seen.subnet_group {
        Some(group) => {
            let mut ids: Vec<String> = group
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                .collect();
            ids.sort();
            set("subnet_ids", Value::Set(strings(ids)));
            set("vpc_id", string(group.vpc_id()));
        }
        None => {
            let planned = attr(basis, "subnet_ids");
            set(
                "subnet_ids",
                if planned.is_wholly_known() {
                    planned
                } else {
                    Value::Null
                },
            );
            set("vpc_id", Value::Null);
        }
    }

    match &seen.group {
        Some(group) => {
            set("security_group_id", Value::String(group.id.clone()));
            set(
                "allowed_security_group_ids",
                Value::Set(strings(group.groups_allowed_on(PORT))),
            );
            set(
                "ingress_rules",
                Value::List(strings(group.ingress.iter().map(ToString::to_string))),
            );
        }
        None => {
            set("security_group_id", Value::Null);
            let planned = attr(basis, "allowed_security_group_ids");
            set(
                "allowed_security_group_ids",
                if planned.is_wholly_known() {
                    planned
                } else {
                    Value::Set(Vec::new())
                },
            );
            set("ingress_rules", Value::List(Vec::new()));
        }
    }
    Some(Value::Object(state))
}
