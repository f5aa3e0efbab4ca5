//! The database's model: the tier defaults, the plan resolved for apply,
//! the tags of each AWS object, and the state built from what exists.

use std::collections::BTreeMap;

use aws_sdk_rds::types::DbInstance;
use serde::{Deserialize, Serialize};
use tfplugin::diag::Diagnostic;
use tfplugin::resource::ChangeRequest;
use tfplugin::value;

use super::checks;
use super::cloud::{self, Observed, PORT};
use crate::config::{Environment, SwarmClient};
use crate::ownership::{self, Marker};
use crate::resources::lifecycle::{self, TimeoutsModel};
use crate::security_group;
use crate::tags;

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

/// The database's state as Terraform stores it, one field per attribute
/// (`None` for null). Also the basis the state is built on (see
/// `lifecycle`): what the user wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseState {
    pub id: Option<String>,
    pub name: Option<String>,
    pub engine_version: Option<String>,
    pub engine_version_actual: Option<String>,
    pub instance_class: Option<String>,
    pub allocated_storage: Option<i64>,
    pub max_allocated_storage: Option<i64>,
    pub multi_az: Option<bool>,
    pub subnet_ids: Option<Vec<String>>,
    pub allowed_security_group_ids: Option<Vec<String>>,
    pub additional_security_group_ids: Option<Vec<String>>,
    pub storage_encrypted: Option<bool>,
    pub port: Option<i64>,
    pub backup_retention_days: Option<i64>,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: Option<bool>,
    pub final_snapshot: Option<bool>,
    pub read_replicas: Option<i64>,
    pub master_username: Option<String>,
    pub manage_master_password: Option<bool>,
    /// Write-only: always null in state.
    #[serde(skip_deserializing)]
    pub master_password_wo: Option<String>,
    pub master_password_wo_version: Option<i64>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub arn: Option<String>,
    pub endpoint: Option<String>,
    pub availability_zone: Option<String>,
    pub replica_endpoints: Option<Vec<Option<String>>>,
    pub replica_availability_zones: Option<Vec<Option<String>>>,
    pub master_secret_arn: Option<String>,
    pub security_group_id: Option<String>,
    pub subnet_group_name: Option<String>,
    pub vpc_id: Option<String>,
    pub ingress_rules: Option<Vec<String>>,
    pub ownership_marker: Option<String>,
    pub timeouts: Option<TimeoutsModel>,
}

/// The write-only values of the configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WriteOnly {
    master_password_wo: Option<String>,
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
    /// Groups the instances are behind besides the database's own.
    pub additional_security_group_ids: Vec<String>,
    pub backup_retention_days: i32,
    /// `None`: RDS picks one (or keeps the one it has).
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: bool,
    pub read_replicas: usize,
    pub master_username: String,
    pub tags: BTreeMap<String, String>,
    pub password: Password,
    /// The marker every object carries (see `crate::ownership`).
    pub marker: Option<Marker>,
}

/// A value the plan must know at apply.
fn required<T>(value: Option<T>, attribute: &str) -> Result<T, Diagnostic> {
    value.ok_or_else(|| {
        Diagnostic::error(
            "Value unknown at apply",
            format!("{attribute} is not known at apply; this is a bug in the provider."),
        )
    })
}

/// A count or size AWS takes as a 32-bit number.
fn int32(value: Option<i64>, attribute: &str) -> Result<i32, Diagnostic> {
    let n = required(value, attribute)?;
    i32::try_from(n)
        .map_err(|_| Diagnostic::error("Value out of range", format!("{attribute} is {n}.")))
}

fn unreadable(what: &str, err: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        format!("Unreadable swarm_database {what}"),
        format!("{err}. This is a bug in the provider."),
    )
}

impl Spec {
    /// The plan (with the configuration where it left values unknown),
    /// the write-only password from the configuration, and whether its
    /// version changed since the prior state.
    pub fn from_request(req: &ChangeRequest) -> Result<Self, Diagnostic> {
        let plan: DatabaseState =
            value::from_value(&lifecycle::apply_basis(req)).map_err(|e| unreadable("plan", e))?;
        let write_only: WriteOnly =
            value::from_value(&req.config).map_err(|e| unreadable("configuration", e))?;
        let prior: Option<DatabaseState> = (!req.prior_state.is_null())
            .then(|| value::from_value(&req.prior_state))
            .transpose()
            .map_err(|e| unreadable("prior state", e))?;
        let password = match write_only.master_password_wo {
            // An imported database's password of its own: kept.
            None if plan.manage_master_password == Some(false) => Password::Kept,
            None => Password::Managed,
            Some(password) => Password::Given {
                password,
                rotate: prior.is_some_and(|prior| {
                    prior.master_password_wo_version != plan.master_password_wo_version
                }),
            },
        };
        let mut subnet_ids = required(plan.subnet_ids, "subnet_ids")?;
        subnet_ids.sort();
        let mut allowed = plan.allowed_security_group_ids.unwrap_or_default();
        allowed.sort();
        let mut additional = plan.additional_security_group_ids.unwrap_or_default();
        additional.sort();
        let replicas = required(plan.read_replicas, "read_replicas")?;
        Ok(Self {
            name: required(plan.name, "name")?,
            engine_version: required(plan.engine_version, "engine_version")?,
            instance_class: required(plan.instance_class, "instance_class")?,
            allocated_storage: int32(plan.allocated_storage, "allocated_storage")?,
            max_allocated_storage: int32(plan.max_allocated_storage, "max_allocated_storage")?,
            multi_az: required(plan.multi_az, "multi_az")?,
            subnet_ids,
            allowed_security_group_ids: allowed,
            additional_security_group_ids: additional,
            backup_retention_days: int32(plan.backup_retention_days, "backup_retention_days")?,
            backup_window: plan.backup_window,
            maintenance_window: plan.maintenance_window,
            deletion_protection: required(plan.deletion_protection, "deletion_protection")?,
            read_replicas: usize::try_from(replicas).unwrap_or(0),
            master_username: required(plan.master_username, "master_username")?,
            tags: plan.tags.unwrap_or_default(),
            password,
            marker: plan.ownership_marker.map(Marker::from_stored),
        })
    }

    /// The tags of one of the database's objects.
    pub fn object_tags(
        &self,
        client: &SwarmClient,
        role: &str,
        object: &str,
    ) -> BTreeMap<String, String> {
        let mut tags = tags::object_tags(client, &self.tags, cloud::KIND, &self.name, role, object);
        ownership::mark(&mut tags, self.marker.as_ref());
        tags
    }
}

/// How the master password is handled at apply.
#[derive(Clone)]
pub enum Password {
    /// RDS generates it and keeps it in Secrets Manager.
    Managed,
    /// From `master_password_wo`; `rotate` when its version changed.
    Given { password: String, rotate: bool },
    /// The instance's own (`manage_master_password = false` and no
    /// `master_password_wo`: an imported database): never touched.
    Kept,
}

/// Never shows the password (specs are logged when debugging).
impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Password::Managed => f.write_str("Managed"),
            Password::Kept => f.write_str("Kept"),
            Password::Given { rotate, .. } => f
                .debug_struct("Given")
                .field("password", &"<sensitive>")
                .field("rotate", rotate)
                .finish(),
        }
    }
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

fn endpoint_address(instance: &DbInstance) -> Option<&str> {
    instance.endpoint().and_then(|e| e.address())
}

impl DatabaseState {
    /// The state of what exists (`seen`, not empty) on `basis`: the prior
    /// state (refresh) or the plan (after apply), which gives what AWS does
    /// not store (`final_snapshot`, the password's version, `timeouts`) and
    /// decides between equivalent spellings (the engine's major version for
    /// the running minor one, a window's case, storage grown by autoscaling
    /// within its ceiling), so that a value written in the configuration
    /// reads back as written.
    pub fn observed(client: &SwarmClient, name: &str, seen: &Observed, basis: &Self) -> Self {
        let mut state = Self {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            final_snapshot: Some(basis.final_snapshot.unwrap_or(true)),
            master_password_wo: None,
            master_password_wo_version: basis.master_password_wo_version,
            timeouts: basis.timeouts.clone(),
            port: Some(i64::from(PORT)),
            subnet_group_name: Some(seen.subnet_group_name(name)),
            ..Self::default()
        };
        match &seen.primary {
            Some(primary) => state.primary(client, primary, seen, basis),
            None => state.configured(basis),
        }
        state.read_replicas = Some(seen.replicas.len() as i64);
        state.replica_endpoints = Some(
            seen.replicas
                .iter()
                .map(|(_, r)| owned(endpoint_address(r)))
                .collect(),
        );
        state.replica_availability_zones = Some(
            seen.replicas
                .iter()
                .map(|(_, r)| owned(r.availability_zone()))
                .collect(),
        );
        state.subnet_group(seen, basis);
        state.security_group(seen, basis);
        state
    }

    /// What the primary instance says.
    fn primary(&mut self, client: &SwarmClient, p: &DbInstance, seen: &Observed, basis: &Self) {
        let actual_version = p.engine_version().unwrap_or_default();
        self.engine_version = Some(match &basis.engine_version {
            Some(wanted) if checks::version_matches(wanted, actual_version) => wanted.clone(),
            // Imported: the major version, as one usually writes it.
            None => actual_version
                .split('.')
                .next()
                .unwrap_or_default()
                .to_owned(),
            Some(_) => actual_version.to_owned(),
        });
        self.engine_version_actual = owned(p.engine_version());
        // Replicas serve the same load as the primary: any instance of
        // another class than the one wanted (the primary's, when
        // imported), or with less storage, is drift of the database's
        // class or storage, planned back like the primary's own.
        let instances = || std::iter::once(p).chain(seen.replicas.iter().map(|(_, r)| r));
        let reference = basis.instance_class.as_deref().or(p.db_instance_class());
        self.instance_class = owned(
            instances()
                .map(DbInstance::db_instance_class)
                .find(|class| *class != reference)
                .unwrap_or(reference),
        );
        let allocated = instances()
            .filter_map(DbInstance::allocated_storage)
            .min()
            .map(i64::from);
        let max = p.max_allocated_storage().map(i64::from).or(allocated);
        // Autoscaling grows storage by itself: that is not drift.
        self.allocated_storage = match (basis.allocated_storage, allocated, max) {
            (Some(wanted), Some(actual), Some(max))
                if actual > wanted && actual <= max && max > wanted =>
            {
                Some(wanted)
            }
            _ => allocated,
        };
        self.max_allocated_storage = max;
        self.multi_az = p.multi_az();
        self.backup_retention_days = p.backup_retention_period().map(i64::from);
        self.backup_window = owned(p.preferred_backup_window());
        self.maintenance_window =
            match (&basis.maintenance_window, p.preferred_maintenance_window()) {
                // RDS stores it in lower case.
                (Some(wanted), Some(actual)) if wanted.eq_ignore_ascii_case(actual) => {
                    Some(wanted.clone())
                }
                (_, actual) => owned(actual),
            };
        self.deletion_protection = p.deletion_protection();
        self.storage_encrypted = p.storage_encrypted();
        self.master_username = owned(p.master_username());
        self.manage_master_password = Some(p.master_user_secret().is_some());
        self.arn = owned(p.db_instance_arn());
        self.endpoint = owned(endpoint_address(p));
        self.availability_zone = owned(p.availability_zone());
        self.master_secret_arn = owned(p.master_user_secret().and_then(|s| s.secret_arn()));
        let read = checks::TAGGING.read_back(
            &tags::rds::from_sdk(p.tag_list()),
            &client.default_tags,
            basis.tags.as_ref(),
        );
        self.tags = read.tags;
        self.tags_all = Some(read.tags_all);
    }

    /// Only part of the database exists (a create that failed half way,
    /// or a primary deleted out of band): what is configured stays as
    /// planned, and the missing primary shows as unknown outputs in the
    /// next plan, whose apply builds it.
    fn configured(&mut self, basis: &Self) {
        self.engine_version = basis.engine_version.clone();
        self.instance_class = basis.instance_class.clone();
        self.allocated_storage = basis.allocated_storage;
        self.max_allocated_storage = basis.max_allocated_storage;
        self.multi_az = basis.multi_az;
        self.backup_retention_days = basis.backup_retention_days;
        self.backup_window = basis.backup_window.clone();
        self.maintenance_window = basis.maintenance_window.clone();
        self.deletion_protection = basis.deletion_protection;
        self.storage_encrypted = basis.storage_encrypted;
        self.master_username = basis.master_username.clone();
        self.manage_master_password = basis.manage_master_password;
        self.tags = basis.tags.clone();
        self.tags_all = basis.tags_all.clone();
    }

    /// The subnets of the DB subnet group, and their VPC.
    fn subnet_group(&mut self, seen: &Observed, basis: &Self) {
        match &seen.subnet_group {
            Some(group) => {
                let mut ids: Vec<String> = group
                    .subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                    .collect();
                ids.sort();
                self.subnet_ids = Some(ids);
                self.vpc_id = owned(group.vpc_id());
            }
            None => {
                self.subnet_ids = basis.subnet_ids.clone();
                self.vpc_id = None;
            }
        }
    }

    /// The security group and what it lets in; the primary's other groups.
    fn security_group(&mut self, seen: &Observed, basis: &Self) {
        self.additional_security_group_ids = Some(match &seen.primary {
            Some(_) => security_group::additional(
                seen.primary_groups(),
                seen.group.as_ref().map(|g| g.id.as_str()),
            ),
            None => basis
                .additional_security_group_ids
                .clone()
                .unwrap_or_default(),
        });
        match &seen.group {
            Some(group) => {
                self.security_group_id = Some(group.id.clone());
                self.allowed_security_group_ids = Some(group.groups_allowed_on(PORT));
                self.ingress_rules = Some(group.ingress.iter().map(ToString::to_string).collect());
            }
            None => {
                self.security_group_id = None;
                self.allowed_security_group_ids =
                    Some(basis.allowed_security_group_ids.clone().unwrap_or_default());
                self.ingress_rules = Some(Vec::new());
            }
        }
    }
}
