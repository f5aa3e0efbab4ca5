//! The cache's models: the plan resolved for apply, and its state as
//! Terraform stores it, built from what ElastiCache has.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_elasticache::types::{CacheCluster, CacheSubnetGroup};
use serde::{Deserialize, Serialize};
use tfplugin::value::MaybeUnknown;

use super::checks;
use super::cloud::{
    Observed, allowed_entry, cluster_mode_on, config_version, failover_on, member_group_ids,
    multi_az_on, replicas_of,
};
use crate::config::SwarmClient;
use crate::resources::lifecycle::TimeoutsModel;
use crate::security_group;

pub const DEFAULT_ENGINE_VERSION: &str = "7.1";

/// What the configuration asks for, once planned.
#[derive(Debug, Deserialize)]
pub struct Spec {
    pub name: String,
    pub node_type: String,
    pub engine_version: String,
    pub replicas: i32,
    pub shards: i32,
    pub subnet_ids: Vec<String>,
    pub allowed_security_group_ids: Vec<String>,
    /// Groups the cache is behind besides its own (null before the plan
    /// had the attribute: none).
    #[serde(default)]
    pub additional_security_group_ids: Option<Vec<String>>,
    pub snapshot_retention_days: i32,
    /// Unknown when left to AWS at create.
    pub snapshot_window: MaybeUnknown<Option<String>>,
    pub tags: Option<BTreeMap<String, String>>,
    /// The marker every object carries (see `crate::ownership`).
    pub ownership_marker: Option<String>,
}

impl Spec {
    pub fn additional_security_group_ids(&self) -> &[String] {
        self.additional_security_group_ids
            .as_deref()
            .unwrap_or_default()
    }

    pub fn cluster_mode(&self) -> bool {
        self.shards > 1
    }

    /// Multi-AZ needs a replica to fail over to.
    pub fn multi_az(&self) -> bool {
        self.replicas >= 1
    }

    /// Automatic failover: with a replica, and always in cluster mode
    /// (ElastiCache requires it there).
    pub fn automatic_failover(&self) -> bool {
        self.replicas >= 1 || self.cluster_mode()
    }
}

/// The cache's state as Terraform stores it, one field per attribute
/// (`None` for null). Also the basis the state is built on (see
/// `lifecycle`): it carries `final_snapshot` and `timeouts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CacheState {
    pub id: Option<String>,
    pub name: Option<String>,
    pub node_type: Option<String>,
    pub engine_version: Option<String>,
    pub replicas: Option<i64>,
    pub shards: Option<i64>,
    pub subnet_ids: Option<BTreeSet<String>>,
    pub allowed_security_group_ids: Option<BTreeSet<String>>,
    pub additional_security_group_ids: Option<BTreeSet<String>>,
    pub at_rest_encryption_enabled: Option<bool>,
    pub transit_encryption_enabled: Option<bool>,
    pub snapshot_retention_days: Option<i64>,
    pub snapshot_window: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub arn: Option<String>,
    pub primary_endpoint: Option<String>,
    pub reader_endpoint: Option<String>,
    pub port: Option<i64>,
    pub multi_az: Option<bool>,
    pub security_group_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_group_name: Option<String>,
    pub final_snapshot: Option<bool>,
    pub ownership_marker: Option<String>,
    pub timeouts: Option<TimeoutsModel>,
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

impl CacheState {
    /// The state of what exists (the replication group is live), on
    /// `basis`, which gives what AWS does not store (`final_snapshot`,
    /// `timeouts`): the plan, the prior state, or the id on import.
    pub fn observed(
        client: &SwarmClient,
        name: &str,
        seen: &Observed,
        basis: &Self,
    ) -> Option<Self> {
        let group = seen.live_group()?;
        let cluster = cluster_mode_on(group);
        let (primary, reader, port) = if cluster {
            let endpoint = group.configuration_endpoint();
            (
                endpoint.and_then(|e| e.address()),
                None,
                endpoint.and_then(|e| e.port()),
            )
        } else {
            let node_group = group.node_groups().first();
            let primary = node_group.and_then(|n| n.primary_endpoint());
            (
                primary.and_then(|e| e.address()),
                node_group
                    .and_then(|n| n.reader_endpoint())
                    .and_then(|e| e.address()),
                primary.and_then(|e| e.port()),
            )
        };
        let subnet_ids: BTreeSet<String> = seen
            .subnet_group
            .as_ref()
            .map(|g| {
                g.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let allowed: BTreeSet<String> = seen
            .security_group
            .as_ref()
            .map(|g| g.ingress.iter().map(allowed_entry).collect())
            .unwrap_or_default();
        // Drift shows as a null security_group_id (see modify_plan): the
        // group missing, or the cache not behind it; other groups it is
        // behind show in additional_security_group_ids.
        let member_groups = seen
            .member
            .as_ref()
            .map(member_group_ids)
            .unwrap_or_default();
        let own_group = seen
            .security_group_id()
            .filter(|id| member_groups.iter().any(|m| m == id));
        let additional = security_group::additional(
            member_groups.iter().map(String::as_str),
            seen.security_group_id(),
        );
        let read = checks::TAGGING.read_back(&seen.tags, &client.default_tags, basis.tags.as_ref());
        Some(Self {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            node_type: owned(group.cache_node_type()),
            engine_version: seen
                .member
                .as_ref()
                .and_then(CacheCluster::engine_version)
                .map(config_version),
            replicas: Some(replicas_of(group).into()),
            shards: Some(group.node_groups().len() as i64),
            subnet_ids: Some(subnet_ids),
            allowed_security_group_ids: Some(allowed),
            additional_security_group_ids: Some(additional.into_iter().collect()),
            at_rest_encryption_enabled: Some(group.at_rest_encryption_enabled().unwrap_or(false)),
            transit_encryption_enabled: Some(group.transit_encryption_enabled().unwrap_or(false)),
            snapshot_retention_days: Some(group.snapshot_retention_limit().unwrap_or(0).into()),
            snapshot_window: owned(group.snapshot_window()),
            tags: read.tags,
            tags_all: Some(read.tags_all),
            arn: owned(group.arn()),
            primary_endpoint: owned(primary),
            reader_endpoint: owned(reader),
            port: port.map(i64::from),
            multi_az: Some(multi_az_on(group) && failover_on(group)),
            security_group_id: owned(own_group),
            subnet_group_name: Some(
                seen.subnet_group
                    .as_ref()
                    .and_then(CacheSubnetGroup::cache_subnet_group_name)
                    .unwrap_or(name)
                    .to_owned(),
            ),
            vpc_id: owned(
                seen.subnet_group
                    .as_ref()
                    .and_then(CacheSubnetGroup::vpc_id),
            ),
            final_snapshot: Some(basis.final_snapshot.unwrap_or(true)),
            // The lifecycle's to set: the marker of the identity it read by.
            ownership_marker: None,
            timeouts: basis.timeouts.clone(),
        })
    }
}
