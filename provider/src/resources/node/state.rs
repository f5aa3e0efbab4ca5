//! The node's model: its state as Terraform stores it, the configuration
//! resolved for apply, the tags of each AWS object, and how a state is
//! built from what exists in AWS.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tfplugin::diag::Diagnostic;
use tfplugin::value::{self, MaybeUnknown, Value};

use super::checks;
use super::cloud::{self, Observed};
use crate::config::{Environment, SwarmClient};
use crate::ec2;
use crate::instances::bootstrap::{self, Bootstrap};
use crate::instances::{self, Inst, rule_texts};
use crate::ownership::Marker;
use crate::resources::lifecycle::TimeoutsModel;
use crate::security_group::{self, Group, Source};
use crate::tags;

use crate::instances::schema::{
    DEFAULT_AGENTS_PER_INSTANCE, DEFAULT_MCP_PORT, DEFAULT_ROOT_VOLUME_SIZE,
};

/// The tier's instance count: one to develop on, two for availability.
pub fn default_instance_count(environment: Environment) -> i64 {
    match environment {
        Environment::Development => 1,
        Environment::Staging | Environment::Production => 2,
    }
}

/// The node's state, as stored by Terraform (`timeouts` aside, which is
/// carried over from the configuration as it is).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeState {
    pub id: Option<String>,
    pub name: Option<String>,
    pub ami: Option<String>,
    pub instance_type: Option<String>,
    pub instance_count: Option<i64>,
    pub subnet_ids: Option<Vec<String>>,
    pub agents_per_instance: Option<i64>,
    pub mcp_port: Option<i64>,
    pub allowed_cidrs: Option<Vec<String>>,
    pub root_volume_size: Option<i64>,
    pub user_data: Option<String>,
    pub associate_public_ip: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub instance_ids: Option<Vec<String>>,
    pub private_ips: Option<Vec<String>>,
    pub availability_zones: Option<Vec<String>>,
    pub arns: Option<Vec<String>>,
    pub security_group_id: Option<String>,
    pub ingress_rules: Option<Vec<String>>,
    pub ownership_marker: Option<String>,
    pub timeouts: Option<TimeoutsModel>,
}

/// What the lifecycle sees of a node: what AWS has (refresh, import), or
/// the state an apply's walk left (it knows each instance's fate).
#[derive(Debug, Clone)]
pub enum Seen {
    Found(Observed),
    /// Boxed: a state is far larger than what AWS has of a node.
    Applied(Box<NodeState>),
}

impl NodeState {
    /// Fills the attributes that come from the instances and the group.
    fn observe(&mut self, client: &SwarmClient, instances: &[Inst], group: Option<&Group>) {
        let list = |f: fn(&Inst) -> String| Some(instances.iter().map(f).collect());
        self.instance_ids = list(|i| i.id.clone());
        self.private_ips = list(|i| i.private_ip.clone());
        self.availability_zones = list(|i| i.az.clone());
        self.arns = Some(instances.iter().map(|i| i.arn(&client.region)).collect());
        self.security_group_id = group.map(|g| g.id.clone());
        self.ingress_rules = Some(group.map(|g| rule_texts(&g.ingress)).unwrap_or_default());
    }
}

/// The configuration, resolved: what apply makes exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub name: String,
    pub ami: String,
    pub instance_type: String,
    pub instance_count: usize,
    /// As configured; placement sorts them by zone.
    pub subnet_ids: Vec<String>,
    pub agents_per_instance: i64,
    pub mcp_port: i64,
    pub allowed_cidrs: Vec<String>,
    pub root_volume_size: i64,
    pub user_data: Option<String>,
    pub associate_public_ip: bool,
    pub tags: Option<BTreeMap<String, String>>,
    /// The marker every object carries (see `crate::ownership`).
    pub marker: Option<Marker>,
}

/// The plan as apply reads it: a default the plan could not know (it
/// depends on subnets unknown then) is unknown.
#[derive(Debug, Deserialize)]
struct PlanModel {
    name: Option<String>,
    ami: MaybeUnknown<Option<String>>,
    instance_type: Option<String>,
    instance_count: Option<i64>,
    subnet_ids: MaybeUnknown<Option<Vec<String>>>,
    agents_per_instance: Option<i64>,
    mcp_port: Option<i64>,
    allowed_cidrs: MaybeUnknown<Option<Vec<String>>>,
    root_volume_size: Option<i64>,
    user_data: MaybeUnknown<Option<String>>,
    associate_public_ip: Option<bool>,
    tags: MaybeUnknown<Option<BTreeMap<String, String>>>,
    ownership_marker: Option<String>,
}

/// A planned value that must be known at apply.
fn required<T>(value: Option<T>, name: &str) -> Result<T, Diagnostic> {
    value.ok_or_else(|| {
        Diagnostic::error(
            "Value unknown at apply",
            format!("{name} is not known at apply; this is a bug in the provider."),
        )
    })
}

impl Spec {
    /// The plan, resolved into what apply makes exist. Values the plan
    /// could not know yet (a default that depends on unknown subnets) are
    /// looked up now.
    pub async fn from_plan(client: &SwarmClient, plan: &Value) -> Result<Self, Diagnostic> {
        let plan: PlanModel = value::from_value(plan).map_err(|e| {
            Diagnostic::error(
                "Unreadable swarm_node plan",
                format!("{e}. This is a bug in the provider."),
            )
        })?;
        let ami = match plan.ami {
            MaybeUnknown::Known(Some(ami)) => ami,
            _ => instances::newest_ubuntu_lts(client).await?,
        };
        let subnet_ids = match plan.subnet_ids {
            MaybeUnknown::Known(Some(ids)) => ids,
            _ => ec2::default_subnets(client).await?,
        };
        let allowed_cidrs = match plan.allowed_cidrs {
            MaybeUnknown::Known(Some(cidrs)) => cidrs,
            _ => {
                let subnets = cloud::subnets(client, &subnet_ids).await?;
                let vpc = subnets
                    .first()
                    .map(|s| s.vpc_id.clone())
                    .unwrap_or_default();
                vec![ec2::vpc_cidr(client, &vpc).await?]
            }
        };
        let count = required(plan.instance_count, "instance_count")?;
        Ok(Self {
            name: required(plan.name, "name")?,
            ami,
            instance_type: required(plan.instance_type, "instance_type")?,
            instance_count: usize::try_from(count).unwrap_or(0),
            subnet_ids,
            agents_per_instance: required(plan.agents_per_instance, "agents_per_instance")?,
            mcp_port: required(plan.mcp_port, "mcp_port")?,
            allowed_cidrs,
            root_volume_size: required(plan.root_volume_size, "root_volume_size")?,
            user_data: plan.user_data.into_known().flatten(),
            associate_public_ip: required(plan.associate_public_ip, "associate_public_ip")?,
            tags: plan.tags.into_known().flatten(),
            marker: plan.ownership_marker.map(Marker::from_stored),
        })
    }

    /// The bootstrap script instances of this spec boot with.
    pub fn bootstrap(&self) -> String {
        Bootstrap {
            kind: "swarm_node",
            name: &self.name,
            agents_per_instance: self.agents_per_instance,
            mcp_port: self.mcp_port,
            user_data: self.user_data.as_deref(),
        }
        .render()
    }

    /// What instances launched from this spec have in common (the type
    /// aside, which changes in place); instances whose `swarm:launch` tag
    /// differs are replaced.
    pub fn fingerprint(&self) -> String {
        instances::launch_fingerprint(
            &self.ami,
            &self.bootstrap(),
            self.root_volume_size,
            &[&self.associate_public_ip.to_string()],
        )
    }

    /// The user's tags with the provider's defaults: what `tags_all` shows.
    pub fn tags_all(&self, client: &SwarmClient) -> BTreeMap<String, String> {
        tags::with_defaults(client, self.tags.as_ref())
    }

    fn object_tags(
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

    /// Tags of the instance at `index` and of its volume and interface.
    pub fn launch_tags(
        &self,
        client: &SwarmClient,
        index: usize,
        fingerprint: &str,
    ) -> instances::LaunchTags {
        let object_name = format!("{}-{}", self.name, index + 1);
        let with = |role: &str, extra: &[(&str, String)]| {
            let mut t = self.object_tags(client, role, &object_name);
            t.insert(instances::INDEX_TAG.to_owned(), index.to_string());
            for (k, v) in extra {
                t.insert((*k).to_owned(), v.clone());
            }
            t
        };
        instances::LaunchTags {
            instance: with(
                cloud::ROLE_INSTANCE,
                &[
                    (instances::LAUNCH_TAG, fingerprint.to_owned()),
                    (cloud::AGENTS_TAG, self.agents_per_instance.to_string()),
                    (cloud::MCP_PORT_TAG, self.mcp_port.to_string()),
                ],
            ),
            volume: with(cloud::ROLE_VOLUME, &[]),
            interface: with(cloud::ROLE_INTERFACE, &[]),
        }
    }

    /// The group's tags, with the node's settings for import.
    pub fn group_tags(&self, client: &SwarmClient) -> BTreeMap<String, String> {
        let mut t = self.object_tags(client, security_group::ROLE, &self.name);
        let mut set = |k: &str, v: String| {
            t.insert(k.to_owned(), v);
        };
        set(cloud::AMI_TAG, self.ami.clone());
        set(cloud::INSTANCE_TYPE_TAG, self.instance_type.clone());
        set(cloud::COUNT_TAG, self.instance_count.to_string());
        set(cloud::AGENTS_TAG, self.agents_per_instance.to_string());
        set(cloud::MCP_PORT_TAG, self.mcp_port.to_string());
        set(cloud::VOLUME_SIZE_TAG, self.root_volume_size.to_string());
        set(cloud::PUBLIC_IP_TAG, self.associate_public_ip.to_string());
        // Tag values hold 256 characters: about 14 subnets without prefix.
        let mut subnets = self.subnet_ids.clone();
        subnets.sort();
        let short: Vec<&str> = subnets
            .iter()
            .map(|s| s.strip_prefix("subnet-").unwrap_or(s))
            .collect();
        let joined = short.join(",");
        if joined.len() <= 256 {
            set(cloud::SUBNETS_TAG, joined);
        }
        t
    }

    /// The state after an apply, from what the apply left.
    pub fn state(
        &self,
        client: &SwarmClient,
        progress: &Progress,
        prior: Option<&NodeState>,
    ) -> NodeState {
        // Fleet settings that the instances do not all have yet stay as
        // they were, so that the next plan shows the change again.
        let fleet = match prior {
            Some(prior) if !progress.fleet_converged => prior.clone(),
            _ => NodeState::default(),
        };
        let instance_type = progress
            .instances
            .iter()
            .find(|i| i.instance_type != self.instance_type)
            .map_or_else(|| self.instance_type.clone(), |i| i.instance_type.clone());
        let tags_all = if progress.tags_synced {
            Some(self.tags_all(client))
        } else {
            prior
                .and_then(|p| p.tags_all.clone())
                .or_else(|| Some(self.tags_all(client)))
        };
        let mut state = NodeState {
            id: Some(self.name.clone()),
            name: Some(self.name.clone()),
            ami: fleet.ami.or_else(|| Some(self.ami.clone())),
            instance_type: Some(instance_type),
            instance_count: Some(self.instance_count as i64),
            subnet_ids: fleet.subnet_ids.or_else(|| Some(self.subnet_ids.clone())),
            agents_per_instance: fleet.agents_per_instance.or(Some(self.agents_per_instance)),
            mcp_port: fleet.mcp_port.or(Some(self.mcp_port)),
            allowed_cidrs: Some(self.allowed_cidrs.clone()),
            root_volume_size: fleet.root_volume_size.or(Some(self.root_volume_size)),
            user_data: if progress.fleet_converged || prior.is_none() {
                self.user_data.clone()
            } else {
                fleet.user_data
            },
            associate_public_ip: fleet.associate_public_ip.or(Some(self.associate_public_ip)),
            tags: self.tags.clone(),
            tags_all,
            ..NodeState::default()
        };
        state.observe(client, &progress.instances, progress.group.as_ref());
        state
    }
}

/// What an apply has done so far: the state it leaves when it fails half way.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Instances known to exist, in node order.
    pub instances: Vec<Inst>,
    pub group: Option<Group>,
    /// Every instance runs the spec's launch configuration in its subnet.
    pub fleet_converged: bool,
    pub tags_synced: bool,
}

/// The tags found on the node's objects (the group's, or an instance's
/// where they differ: drift anywhere shows).
fn found_tags(instances: &[Inst], group: Option<&Group>) -> BTreeMap<String, String> {
    let from_group = group.map(|g| checks::TAGGING.reserved.without(&g.tags));
    let mut differing = instances
        .iter()
        .map(|i| checks::TAGGING.reserved.without(&i.tags))
        .filter(|t| from_group.as_ref() != Some(t));
    differing.next().or(from_group).unwrap_or_default()
}

/// The state a refresh finds: the configured settings stay as they were
/// (the plan compares them with the configuration); what AWS shows
/// replaces the rest. An instance type changed out of band shows.
pub fn refreshed(client: &SwarmClient, prior: &NodeState, observed: &Observed) -> NodeState {
    let group = observed.group(prior.security_group_id.as_deref());
    let mut state = prior.clone();
    state.observe(client, &observed.instances, group);
    if let Some(changed) = observed
        .instances
        .iter()
        .find(|i| Some(&i.instance_type) != prior.instance_type.as_ref())
    {
        state.instance_type = Some(changed.instance_type.clone());
    }
    let found = found_tags(&observed.instances, group);
    let read = checks::TAGGING.read_back(&found, &client.default_tags, prior.tags.as_ref());
    state.tags = read.tags;
    state.tags_all = Some(read.tags_all);
    state
}

/// The state of an imported node, rebuilt from its objects: the group's
/// tags hold the settings, the instances the rest; the user's `user_data`
/// is read back from an instance's bootstrap.
pub async fn imported(
    client: &SwarmClient,
    name: &str,
    observed: &Observed,
) -> Result<NodeState, Diagnostic> {
    let group = observed.group(None);
    let first = observed.instances.first();
    let group_tag = |key: &str| group.and_then(|g| g.tags.get(key)).cloned();
    let instance_tag = |key: &str| first.and_then(|i| i.tags.get(key)).cloned();
    let number = |key: &str| {
        group_tag(key)
            .or_else(|| instance_tag(key))
            .and_then(|v| v.parse::<i64>().ok())
    };
    let mcp_port = number(cloud::MCP_PORT_TAG).unwrap_or(DEFAULT_MCP_PORT);
    let allowed_cidrs = group.map(|g| {
        let mut cidrs: Vec<String> = g
            .ingress
            .iter()
            .filter(|r| r.protocol == "tcp" && i64::from(r.from) == mcp_port && r.from == r.to)
            .filter_map(|r| match &r.source {
                Source::Cidr(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        cidrs.sort();
        cidrs
    });
    let subnet_ids = group_tag(cloud::SUBNETS_TAG)
        .map(|joined| {
            joined
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| format!("subnet-{s}"))
                .collect::<Vec<_>>()
        })
        .or_else(|| {
            let subnets: BTreeSet<String> = observed
                .instances
                .iter()
                .map(|i| i.subnet_id.clone())
                .collect();
            (!subnets.is_empty()).then(|| subnets.into_iter().collect())
        });
    let user_data = match first {
        Some(instance) => instances::user_data(client, &instance.id)
            .await?
            .as_deref()
            .and_then(bootstrap::user_part),
        None => None,
    };
    let instance_count = number(cloud::COUNT_TAG).or_else(|| {
        observed
            .instances
            .iter()
            .filter_map(|i| i.index)
            .max()
            .map(|max| max as i64 + 1)
    });
    let prior = NodeState {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        ami: first
            .map(|i| i.image_id.clone())
            .or_else(|| group_tag(cloud::AMI_TAG)),
        instance_type: first
            .map(|i| i.instance_type.clone())
            .or_else(|| group_tag(cloud::INSTANCE_TYPE_TAG)),
        instance_count: instance_count.or(Some(0)),
        subnet_ids,
        agents_per_instance: number(cloud::AGENTS_TAG).or(Some(DEFAULT_AGENTS_PER_INSTANCE)),
        mcp_port: Some(mcp_port),
        allowed_cidrs,
        root_volume_size: number(cloud::VOLUME_SIZE_TAG).or(Some(DEFAULT_ROOT_VOLUME_SIZE)),
        user_data,
        associate_public_ip: Some(group_tag(cloud::PUBLIC_IP_TAG).map_or_else(
            || first.is_some_and(|i| i.public_ip.is_some()),
            |v| v == "true",
        )),
        ..NodeState::default()
    };
    Ok(refreshed(client, &prior, observed))
}
