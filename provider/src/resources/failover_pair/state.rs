//! The pair's model: its state as Terraform stores it, the plan resolved
//! for apply, the tags of each AWS object, and the state built from what
//! exists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplugin::diag::Diagnostic;
use tfplugin::value::{self, MaybeUnknown, Value};

use super::checks;
use super::cloud::{self, Node, Observed};
use super::health::{self, Checks, Dns, DnsModel, HealthCheckModel, Kind};
use crate::config::SwarmClient;
use crate::ec2;
use crate::instances::bootstrap::{self, Bootstrap};
use crate::instances::{self, LaunchTags};
use crate::ownership::Marker;
use crate::resources::lifecycle::TimeoutsModel;
use crate::route53;
use crate::security_group::{self, Source};
use crate::tags;

use crate::instances::schema::{
    DEFAULT_AGENTS_PER_INSTANCE, DEFAULT_MCP_PORT, DEFAULT_ROOT_VOLUME_SIZE,
};

/// The pair's state, as stored by Terraform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PairState {
    pub id: Option<String>,
    pub name: Option<String>,
    pub subnet_ids: Option<Vec<String>>,
    pub ami: Option<String>,
    pub instance_type: Option<String>,
    pub agents_per_instance: Option<i64>,
    pub mcp_port: Option<i64>,
    pub allowed_cidrs: Option<Vec<String>>,
    pub root_volume_size: Option<i64>,
    pub user_data: Option<String>,
    pub active: Option<String>,
    pub floating_ip: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub primary_instance_id: Option<String>,
    pub secondary_instance_id: Option<String>,
    pub primary_availability_zone: Option<String>,
    pub secondary_availability_zone: Option<String>,
    pub active_instance_id: Option<String>,
    pub public_ip: Option<String>,
    pub endpoint: Option<String>,
    pub security_group_id: Option<String>,
    pub health_check: Option<HealthCheckModel>,
    pub dns: Option<DnsModel>,
    pub health_check_ids: Option<BTreeMap<String, String>>,
    pub healthy: Option<BTreeMap<String, bool>>,
    pub health_check_kind: Option<String>,
    pub node_public_ips: Option<BTreeMap<String, String>>,
    pub ownership_marker: Option<String>,
    pub timeouts: Option<TimeoutsModel>,
}

impl PairState {
    /// The instance id the state holds for `node`.
    pub fn instance_id(&self, node: Node) -> Option<&String> {
        match node {
            Node::Primary => self.primary_instance_id.as_ref(),
            Node::Secondary => self.secondary_instance_id.as_ref(),
        }
    }

    /// Whether the pair has health checks: `health_check` or `dns` given.
    pub fn checked(&self) -> bool {
        self.health_check.is_some() || self.dns.is_some()
    }
}

/// The configuration, resolved: what apply makes exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub name: String,
    pub subnet_ids: Vec<String>,
    pub ami: String,
    pub instance_type: String,
    pub agents_per_instance: i64,
    pub mcp_port: i64,
    pub allowed_cidrs: Vec<String>,
    pub root_volume_size: i64,
    pub user_data: Option<String>,
    pub active: Node,
    pub floating_ip: bool,
    pub tags: Option<BTreeMap<String, String>>,
    pub marker: Option<Marker>,
    /// The health checks (`health_check` or `dns` given).
    pub checks: Option<Checks>,
    pub dns: Option<Dns>,
}

#[derive(Debug, Deserialize)]
struct PlanModel {
    name: Option<String>,
    subnet_ids: Option<Vec<String>>,
    ami: MaybeUnknown<Option<String>>,
    instance_type: Option<String>,
    agents_per_instance: Option<i64>,
    mcp_port: Option<i64>,
    allowed_cidrs: MaybeUnknown<Option<Vec<String>>>,
    root_volume_size: Option<i64>,
    user_data: MaybeUnknown<Option<String>>,
    active: Option<String>,
    floating_ip: Option<bool>,
    tags: MaybeUnknown<Option<BTreeMap<String, String>>>,
    ownership_marker: Option<String>,
    health_check: Option<HealthCheckModel>,
    dns: Option<DnsModel>,
}

/// A planned value that must be known at apply.
fn required<T>(value: Option<T>, name: &str) -> Result<T, Diagnostic> {
    value.ok_or_else(|| {
        Diagnostic::error(
            "Incomplete swarm_failover_pair plan",
            format!("{name} is not set at apply. This is a bug in the provider."),
        )
    })
}

impl Spec {
    /// The plan, resolved into what apply makes exist. The subnets are
    /// checked again here (they may have been unknown at plan), before
    /// anything is created.
    pub async fn from_plan(client: &SwarmClient, plan: &Value) -> Result<Self, Diagnostic> {
        let plan: PlanModel = value::from_value(plan).map_err(|e| {
            Diagnostic::error(
                "Unreadable swarm_failover_pair plan",
                format!("{e}. This is a bug in the provider."),
            )
        })?;
        let subnet_ids = required(plan.subnet_ids, "subnet_ids")?;
        let [primary, _] = placed(client, &subnet_ids).await?;
        let ami = match plan.ami {
            MaybeUnknown::Known(Some(ami)) => ami,
            _ => instances::newest_ubuntu_lts(client).await?,
        };
        let allowed_cidrs = match plan.allowed_cidrs {
            MaybeUnknown::Known(Some(cidrs)) => cidrs,
            _ => vec![ec2::vpc_cidr(client, &primary.vpc_id).await?],
        };
        let active = required(plan.active, "active")?;
        let mcp_port = required(plan.mcp_port, "mcp_port")?;
        let checks = (plan.health_check.is_some() || plan.dns.is_some())
            .then(|| Checks::resolve(plan.health_check.as_ref(), mcp_port));
        let dns = match &plan.dns {
            Some(model) => Some(Dns::from_model(model).ok_or_else(|| {
                Diagnostic::error(
                    "Incomplete swarm_failover_pair plan",
                    "dns.zone_id or dns.record_name is not set at apply. This is a bug in the \
                     provider.",
                )
            })?),
            None => None,
        };
        Ok(Self {
            checks,
            dns,
            name: required(plan.name, "name")?,
            subnet_ids,
            ami,
            instance_type: required(plan.instance_type, "instance_type")?,
            agents_per_instance: required(plan.agents_per_instance, "agents_per_instance")?,
            mcp_port,
            allowed_cidrs,
            root_volume_size: required(plan.root_volume_size, "root_volume_size")?,
            user_data: plan.user_data.into_known().flatten(),
            active: Node::from_name(&active).ok_or_else(|| {
                Diagnostic::error("Invalid active", format!("active: {active:?}"))
            })?,
            floating_ip: required(plan.floating_ip, "floating_ip")?,
            tags: plan.tags.into_known().flatten(),
            marker: plan.ownership_marker.map(Marker::from_stored),
        })
    }

    /// The bootstrap both nodes boot with.
    pub fn bootstrap(&self) -> String {
        Bootstrap {
            kind: "swarm_failover_pair",
            name: &self.name,
            agents_per_instance: self.agents_per_instance,
            mcp_port: self.mcp_port,
            user_data: self.user_data.as_deref(),
        }
        .render()
    }

    /// What both nodes are launched with (the type aside, which changes in
    /// place); a node whose `swarm:launch` differs is rolled.
    pub fn fingerprint(&self) -> String {
        instances::launch_fingerprint(&self.ami, &self.bootstrap(), self.root_volume_size, &[])
    }

    /// The user's tags with the provider's defaults: what `tags_all` shows.
    pub fn tags_all(&self, client: &SwarmClient) -> BTreeMap<String, String> {
        tags::with_defaults(client, self.tags.as_ref())
    }

    /// The tags of one object of the pair, with the marker.
    pub fn object_tags(
        &self,
        client: &SwarmClient,
        role: &str,
        object_name: &str,
    ) -> BTreeMap<String, String> {
        instances::Owner {
            kind: cloud::KIND,
            name: &self.name,
            tags: self.tags.as_ref(),
            marker: self.marker.as_ref(),
        }
        .object_tags(client, role, object_name)
    }

    /// The tags of an object of one node's (its health check, its
    /// status-check alarm, its own address), named `<pair>-<node>`.
    pub fn node_tags(
        &self,
        client: &SwarmClient,
        role: &str,
        node: Node,
    ) -> BTreeMap<String, String> {
        self.object_tags(client, role, &format!("{}-{}", self.name, node.name()))
    }

    /// The tags of a node's instance, volume and interface.
    pub fn launch_tags(&self, client: &SwarmClient, node: Node, fingerprint: &str) -> LaunchTags {
        let object_name = format!("{}-{}", self.name, node.name());
        let with = |role: &str| {
            let mut t = self.object_tags(client, role, &object_name);
            t.insert(instances::INDEX_TAG.to_owned(), node.index().to_string());
            t
        };
        let mut instance = with(cloud::ROLE_INSTANCE);
        instance.insert(instances::LAUNCH_TAG.to_owned(), fingerprint.to_owned());
        instance.insert(
            cloud::VOLUME_SIZE_TAG.to_owned(),
            self.root_volume_size.to_string(),
        );
        LaunchTags {
            instance,
            volume: with(cloud::ROLE_VOLUME),
            interface: with(cloud::ROLE_INTERFACE),
        }
    }

    /// The group's tags: with which node is active, and the health
    /// checks' kind and the records' place (import and refresh read them).
    pub fn group_tags(&self, client: &SwarmClient, kind: Option<Kind>) -> BTreeMap<String, String> {
        let mut tags = self.object_tags(client, security_group::ROLE, &self.name);
        tags.insert(cloud::ACTIVE_TAG.to_owned(), self.active.name().to_owned());
        if let Some(kind) = kind {
            tags.insert(health::KIND_TAG.to_owned(), kind.name().to_owned());
        }
        if let Some(dns) = &self.dns {
            tags.insert(health::DNS_TAG.to_owned(), dns.tag());
        }
        tags
    }

    /// A node's own Elastic IP's tags.
    pub fn node_address_tags(&self, client: &SwarmClient, node: Node) -> BTreeMap<String, String> {
        let mut tags = self.node_tags(client, cloud::ROLE_NODE_ADDRESS, node);
        tags.insert(instances::INDEX_TAG.to_owned(), node.index().to_string());
        tags
    }

    pub fn address_tags(&self, client: &SwarmClient) -> BTreeMap<String, String> {
        self.object_tags(client, cloud::ROLE_ADDRESS, &self.name)
    }
}

/// The subnets of `ids`, as the pair places its nodes (see
/// `checks::placement`); an error names `subnet_ids`.
pub async fn placed(client: &SwarmClient, ids: &[String]) -> Result<[ec2::Subnet; 2], Diagnostic> {
    let found = ec2::subnets(client, ids)
        .await
        .map_err(|e| e.diagnostic("Cannot describe subnet_ids"))?;
    checks::placement(ids, &found).map_err(|why| {
        Diagnostic::error("Invalid subnet_ids", format!("subnet_ids: {why}."))
            .at(tfplugin::path::AttributePath::attr("subnet_ids"))
    })
}

/// The state of what exists, on `basis` (the plan at apply, the prior
/// state at read): the settings stay as the basis has them; the nodes,
/// the address and the tags are as found.
pub fn observed_state(client: &SwarmClient, basis: &PairState, observed: &Observed) -> PairState {
    let mut state = basis.clone();
    let primary = observed.node(Node::Primary);
    let secondary = observed.node(Node::Secondary);
    state.primary_instance_id = primary.map(|i| i.id.clone());
    state.secondary_instance_id = secondary.map(|i| i.id.clone());
    // The zones are the subnets': a node terminated out of band is
    // replaced in its own zone, which the state keeps meanwhile.
    if let Some(primary) = primary {
        state.primary_availability_zone = Some(primary.az.clone());
    }
    if let Some(secondary) = secondary {
        state.secondary_availability_zone = Some(secondary.az.clone());
    }
    let group = observed.groups.first();
    state.security_group_id = group.map(|g| g.id.clone());
    let active = basis
        .active
        .as_deref()
        .and_then(Node::from_name)
        .unwrap_or(Node::Primary);
    let eip = observed.addresses.first();
    let by_config = observed.node(active);
    if basis.floating_ip == Some(true) {
        // Where the address really is: a move by hand shows as drift.
        state.active_instance_id = eip.and_then(|a| a.instance_id.clone());
        state.public_ip = eip.map(|a| a.public_ip.clone());
        state.endpoint = state.public_ip.clone();
    } else {
        state.active_instance_id = by_config.map(|i| i.id.clone());
        state.public_ip = None;
        state.endpoint = by_config.map(|i| i.private_ip.clone());
    }
    // A stopped node cannot serve: it shows as no instance, so that the
    // plan repairs it.
    if primary.is_some_and(|i| i.state == "stopped") {
        state.primary_instance_id = None;
    }
    if secondary.is_some_and(|i| i.state == "stopped") {
        state.secondary_instance_id = None;
    }
    let found = group
        .map(|g| checks::TAGGING.reserved.without(&g.tags))
        .or_else(|| {
            observed
                .instances
                .first()
                .map(|i| checks::TAGGING.reserved.without(&i.tags))
        })
        .unwrap_or_default();
    let read = checks::TAGGING.read_back(&found, &client.default_tags, basis.tags.as_ref());
    state.tags = read.tags;
    state.tags_all = Some(read.tags_all);
    health_state(client, basis, observed, &mut state);
    state
}

/// The health checks, records and public addresses as found: a node's
/// check id only when its check is what the configuration wants (kind,
/// address, port, path, threshold) and its address is on it; the
/// endpoint the record name only when both record sets are as wanted.
/// Otherwise the state shows the gap, and the plan an update to repair it.
fn health_state(
    client: &SwarmClient,
    basis: &PairState,
    observed: &Observed,
    state: &mut PairState,
) {
    state.health_check_ids = Some(BTreeMap::new());
    state.healthy = Some(BTreeMap::new());
    state.node_public_ips = Some(BTreeMap::new());
    state.health_check_kind = None;
    if !basis.checked() {
        return;
    }
    let seen = &observed.health;
    let kind = seen.kind;
    state.health_check_kind = kind.map(|k| k.name().to_owned());
    let checks = Checks::resolve(
        basis.health_check.as_ref(),
        basis.mcp_port.unwrap_or(DEFAULT_MCP_PORT),
    );
    let active = basis
        .active
        .as_deref()
        .and_then(Node::from_name)
        .unwrap_or(Node::Primary);
    let floating = basis.floating_ip == Some(true);
    let mut ids = BTreeMap::new();
    let mut healthy = BTreeMap::new();
    let mut ips = BTreeMap::new();
    let mut records: Vec<(&str, String, String)> = Vec::new();
    for node in Node::BOTH {
        let role = node.name();
        if let Some(status) = seen.check(node).and_then(|c| seen.healthy.get(&c.id)) {
            healthy.insert(role.to_owned(), *status);
        }
        let (Some(inst), Some(kind), Some(marker)) = (observed.node(node), kind, &seen.marker)
        else {
            continue;
        };
        let (address, in_place) = match kind {
            Kind::Endpoint => {
                if let Some(ip) = &inst.public_ip {
                    ips.insert(role.to_owned(), ip.clone());
                }
                let wanted = if floating && node == active {
                    observed.addresses.first()
                } else {
                    observed.node_address(node)
                };
                let Some(wanted) = wanted else { continue };
                (
                    wanted.public_ip.clone(),
                    inst.public_ip.as_deref() == Some(wanted.public_ip.as_str()),
                )
            }
            Kind::Alarm => (
                inst.private_ip.clone(),
                seen.alarm(node).is_some_and(|a| {
                    a.instance_id.as_deref() == Some(inst.id.as_str())
                        && a.periods == checks.periods()
                }),
            ),
        };
        let target = checks.target(client, kind, marker, node, &address);
        if let Some(check) = seen.check(node)
            && in_place
            && check.target.as_ref() == Some(&target)
        {
            ids.insert(role.to_owned(), check.id.clone());
            records.push((role, address, check.id.clone()));
        }
    }
    state.health_check_ids = Some(ids);
    state.healthy = Some(healthy);
    state.node_public_ips = Some(ips);
    if let Some(dns) = basis.dns.as_ref().and_then(Dns::from_model) {
        let nodes: Vec<(&str, &str, Option<&str>)> = records
            .iter()
            .map(|(role, ip, check)| (*role, ip.as_str(), Some(check.as_str())))
            .collect();
        let wanted = seen
            .marker
            .as_ref()
            .map(|marker| route53::failover_records(marker, dns.ttl, active.name(), &nodes));
        let mut found = seen.records.clone();
        found.sort_by(|a, b| a.role.cmp(&b.role));
        let in_place = seen.place.as_ref().is_some_and(|p| dns.at(p));
        state.endpoint = (in_place && nodes.len() == 2 && wanted.as_ref() == Some(&found))
            .then(|| dns.record_name.clone());
    }
}

/// The state of an imported pair, rebuilt from its objects: the primary's
/// image, type, subnet and bootstrap (its settings and the user's
/// `user_data`), the secondary's subnet, the group's rules, the Elastic IP
/// (which node it is on says which is active).
pub async fn imported(
    client: &SwarmClient,
    name: &str,
    observed: &Observed,
) -> Result<PairState, Diagnostic> {
    let primary = observed.node(Node::Primary);
    let secondary = observed.node(Node::Secondary);
    let script = match primary.or(secondary) {
        Some(inst) => instances::user_data(client, &inst.id).await?,
        None => None,
    };
    let (agents, port) = script
        .as_deref()
        .map(bootstrap::settings)
        .unwrap_or_default();
    let mcp_port = port.unwrap_or(DEFAULT_MCP_PORT);
    // Route 53's checkers are let in for endpoint-kind checks, not by
    // allowed_cidrs.
    let checkers: &[&str] = if observed.health.kind == Some(Kind::Endpoint) {
        route53::health_checker_cidrs()
    } else {
        &[]
    };
    let allowed_cidrs = observed.groups.first().map(|g| {
        let mut cidrs: Vec<String> = g
            .ingress
            .iter()
            .filter(|r| r.protocol == "tcp" && i64::from(r.from) == mcp_port && r.from == r.to)
            .filter_map(|r| match &r.source {
                Source::Cidr(c) if !checkers.contains(&c.as_str()) => Some(c.clone()),
                _ => None,
            })
            .collect();
        cidrs.sort();
        cidrs
    });
    let eip = observed.addresses.first();
    let active = observed.active();
    let any = primary.or(secondary);
    let basis = PairState {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        subnet_ids: match (primary, secondary) {
            (Some(p), Some(s)) => Some(vec![p.subnet_id.clone(), s.subnet_id.clone()]),
            _ => None,
        },
        ami: any.map(|i| i.image_id.clone()),
        instance_type: any.map(|i| i.instance_type.clone()),
        agents_per_instance: Some(agents.unwrap_or(DEFAULT_AGENTS_PER_INSTANCE)),
        mcp_port: Some(mcp_port),
        allowed_cidrs,
        root_volume_size: Some(
            any.and_then(|i| i.tags.get(cloud::VOLUME_SIZE_TAG))
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_ROOT_VOLUME_SIZE),
        ),
        user_data: script.as_deref().and_then(bootstrap::user_part),
        active: Some(active.name().to_owned()),
        floating_ip: Some(eip.is_some()),
        health_check: imported_health_check(observed, mcp_port),
        dns: imported_dns(observed),
        ..PairState::default()
    };
    Ok(observed_state(client, &basis, observed))
}

/// What the data source knows of a pair before reading it: the active
/// node and the floating IP as found, the checks and records as the
/// group's tags and the checks say (the default MCP port: a check on
/// another port is read with its own).
pub fn found_basis(observed: &Observed) -> PairState {
    PairState {
        active: Some(observed.active().name().to_owned()),
        floating_ip: Some(!observed.addresses.is_empty()),
        health_check: imported_health_check(observed, DEFAULT_MCP_PORT),
        dns: imported_dns(observed),
        ..PairState::default()
    }
}

/// The `dns` block of an imported pair: where the group's tag says its
/// records are, with their TTL (null when the default).
fn imported_dns(observed: &Observed) -> Option<DnsModel> {
    let place = observed.health.place.as_ref()?;
    let ttl = observed
        .health
        .records
        .first()
        .map(|r| r.ttl)
        .filter(|ttl| *ttl != health::DEFAULT_TTL);
    Some(DnsModel {
        zone_id: Some(place.zone_id.clone()),
        record_name: Some(place.record_name.clone()),
        ttl,
    })
}

/// The `health_check` block of an imported pair, from a node's check:
/// null attributes where the defaults apply, and no block at all when
/// `dns` alone says as much.
fn imported_health_check(observed: &Observed, mcp_port: i64) -> Option<HealthCheckModel> {
    let kind = observed.health.kind?;
    let target = Node::BOTH
        .into_iter()
        .find_map(|n| observed.health.check(n).and_then(|c| c.target.clone()));
    let model = match (kind, target) {
        (
            Kind::Endpoint,
            Some(route53::Target::Endpoint {
                protocol,
                port,
                path,
                interval,
                failure_threshold,
                ..
            }),
        ) => HealthCheckModel {
            protocol: (protocol != health::DEFAULT_PROTOCOL).then(|| protocol.name().to_owned()),
            port: (i64::from(port) != mcp_port).then_some(i64::from(port)),
            path: path.filter(|p| p != health::DEFAULT_PATH),
            interval_seconds: (interval != health::DEFAULT_INTERVAL).then_some(i64::from(interval)),
            failure_threshold: (failure_threshold != health::DEFAULT_THRESHOLD)
                .then_some(i64::from(failure_threshold)),
        },
        // Alarm kind: only the threshold applies, as the alarm's periods
        // (one failed minute is a threshold of 1; two, the default).
        (Kind::Alarm, _) => HealthCheckModel {
            failure_threshold: Node::BOTH
                .into_iter()
                .find_map(|n| observed.health.alarm(n))
                .filter(|a| a.periods == 1)
                .map(|_| 1),
            ..HealthCheckModel::default()
        },
        _ => HealthCheckModel::default(),
    };
    (model != HealthCheckModel::default() || observed.health.place.is_none()).then_some(model)
}
