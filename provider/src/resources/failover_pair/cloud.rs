//! The AWS side of `swarm_failover_pair`: finding the pair's objects by
//! their marker (one describe per kind: instances, security groups,
//! addresses), and the Elastic IP's calls. Launching, waiting for and
//! terminating the nodes is shared with `swarm_node` (`crate::instances`).

use std::collections::BTreeMap;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Address, DomainType, ResourceType};
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;
use crate::ec2::filter;
use crate::instances::{Inst, LIVE_STATES, describe_instances};
use crate::ownership::{self, Identity, Sets};
use crate::security_group::{self, Group};
use crate::tags;

use super::health::{self, Seen};

/// The identity tag's kind: objects carry `swarm:failover-pair = <name>`.
pub const KIND: &str = "failover-pair";

pub const ROLE_INSTANCE: &str = "instance";
pub const ROLE_VOLUME: &str = "root-volume";
pub const ROLE_INTERFACE: &str = "network-interface";
pub const ROLE_ADDRESS: &str = "floating-ip";
/// A node's own Elastic IP (endpoint-kind health checks), by `swarm:index`.
pub const ROLE_NODE_ADDRESS: &str = "node-address";

/// On the security group: which node is active (`primary`, `secondary`),
/// for import and the data source when no Elastic IP says it.
pub const ACTIVE_TAG: &str = "swarm:active";

/// On instances: the root volume's size, which import reads back (the
/// rest of the launch settings are the instance's own, or its bootstrap's).
pub const VOLUME_SIZE_TAG: &str = "swarm:root-volume-size";

/// A node of the pair: its `swarm:index` (0 the primary, 1 the secondary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Primary,
    Secondary,
}

impl Node {
    pub const BOTH: [Node; 2] = [Node::Primary, Node::Secondary];

    pub fn index(self) -> usize {
        match self {
            Node::Primary => 0,
            Node::Secondary => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Node::Primary => "primary",
            Node::Secondary => "secondary",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Node::BOTH.into_iter().find(|n| n.name() == name)
    }

    pub fn other(self) -> Self {
        match self {
            Node::Primary => Node::Secondary,
            Node::Secondary => Node::Primary,
        }
    }
}

/// The pair's Elastic IP, as DescribeAddresses shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eip {
    pub allocation_id: String,
    pub public_ip: String,
    pub association_id: Option<String>,
    pub instance_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl Eip {
    fn from_sdk(a: &Address) -> Option<Self> {
        Some(Self {
            allocation_id: a.allocation_id()?.to_owned(),
            public_ip: a.public_ip().unwrap_or_default().to_owned(),
            association_id: a.association_id().map(str::to_owned),
            instance_id: a.instance_id().filter(|i| !i.is_empty()).map(str::to_owned),
            tags: tags::ec2::from_sdk(a.tags()),
        })
    }
}

/// What exists of a pair.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Not terminated, in index order (the oldest first within an index).
    pub instances: Vec<Inst>,
    pub groups: Vec<Group>,
    /// The floating IP (several only when a failed run left extras).
    pub addresses: Vec<Eip>,
    /// The nodes' own addresses (endpoint-kind health checks).
    pub node_addresses: Vec<Eip>,
    /// Health checks, failover records, status-check alarms.
    pub health: Seen,
}

impl Observed {
    pub fn is_empty(&self) -> bool {
        self.instances.is_empty()
            && self.groups.is_empty()
            && self.addresses.is_empty()
            && self.node_addresses.is_empty()
    }

    /// The node's own Elastic IP.
    pub fn node_address(&self, node: Node) -> Option<&Eip> {
        let index = node.index().to_string();
        self.node_addresses
            .iter()
            .find(|a| a.tags.get(crate::instances::INDEX_TAG) == Some(&index))
    }

    /// The node's instance (the newest, when a failed roll left two).
    pub fn node(&self, node: Node) -> Option<&Inst> {
        self.instances
            .iter()
            .filter(|i| i.index == Some(node.index()))
            .max_by_key(|i| i.launched)
    }

    /// The active node as AWS shows it: the one the Elastic IP is on, else
    /// the one the group's `swarm:active` names, else the primary.
    pub fn active(&self) -> Node {
        let by_address = self
            .addresses
            .first()
            .and_then(|a| a.instance_id.as_ref())
            .and_then(|id| {
                Node::BOTH
                    .into_iter()
                    .find(|n| self.node(*n).is_some_and(|i| &i.id == id))
            });
        let by_tag = || {
            self.groups
                .first()
                .and_then(|g| g.tags.get(ACTIVE_TAG))
                .and_then(|v| Node::from_name(v))
        };
        by_address.or_else(by_tag).unwrap_or(Node::Primary)
    }

    /// The objects, by marker: one set for one pair.
    pub fn sets(&self) -> Sets {
        let mut sets = Sets::default();
        let marker = |t: &BTreeMap<String, String>| t.get(ownership::KEY).cloned();
        for inst in &self.instances {
            sets.add(marker(&inst.tags).as_deref(), &inst.id);
        }
        for group in &self.groups {
            sets.add(marker(&group.tags).as_deref(), &group.id);
        }
        for eip in self.addresses.iter().chain(&self.node_addresses) {
            sets.add(marker(&eip.tags).as_deref(), &eip.allocation_id);
        }
        sets
    }
}

/// Everything of the pair `id`: one DescribeInstances, one
/// DescribeSecurityGroups and one DescribeAddresses, concurrently; then,
/// for a pair whose group says it has health checks, what exists of them
/// (`health::observe`: one call per kind, concurrently). `everything`
/// (destroy) looks for checks and alarms whatever the group says.
pub async fn observe(client: &SwarmClient, id: &Identity) -> Result<Observed, Diagnostic> {
    observe_all(client, id, false).await
}

pub async fn observe_all(
    client: &SwarmClient,
    id: &Identity,
    everything: bool,
) -> Result<Observed, Diagnostic> {
    let instance_filters = vec![
        id.ec2_filter(KIND),
        filter("instance-state-name", &LIVE_STATES),
    ];
    let (found, groups, addresses) = tokio::join!(
        describe_instances(client, instance_filters),
        security_group::find(client, KIND, id),
        describe_addresses(client, id)
    );
    let mut found = found?;
    found.retain(|i| id.owns(&i.tags));
    let (node_addresses, addresses): (Vec<Eip>, Vec<Eip>) = addresses?
        .into_iter()
        .partition(|a| a.tags.get(tags::ROLE_KEY).map(String::as_str) == Some(ROLE_NODE_ADDRESS));
    let mut observed = Observed {
        instances: found,
        groups: groups?,
        addresses,
        node_addresses,
        health: Seen::default(),
    };
    // The marker: the state's, or (an import's first look) the one set's.
    let marker = id.marker().cloned().or_else(|| {
        let sets = observed.sets();
        let markers: Vec<_> = sets.markers().collect();
        match markers.as_slice() {
            [Some(marker)] => Some((*marker).clone()),
            _ => None,
        }
    });
    observed.health =
        health::observe(client, marker.as_ref(), observed.groups.first(), everything).await?;
    Ok(observed)
}

async fn describe_addresses(client: &SwarmClient, id: &Identity) -> Result<Vec<Eip>, Diagnostic> {
    let request = client
        .ec2
        .describe_addresses()
        .filters(id.ec2_filter(KIND))
        .send();
    let out = aws::call("ec2", "DescribeAddresses", request)
        .await
        .map_err(|e| aws::error("Cannot describe the pair's Elastic IP", &e))?;
    let mut found: Vec<Eip> = out
        .addresses()
        .iter()
        .filter_map(Eip::from_sdk)
        .filter(|a| id.owns(&a.tags))
        .collect();
    found.sort_by(|a, b| a.allocation_id.cmp(&b.allocation_id));
    Ok(found)
}

/// Allocates the pair's Elastic IP, tagged (so that a retry finds it:
/// AllocateAddress has no client token).
pub async fn allocate(
    client: &SwarmClient,
    tags: &BTreeMap<String, String>,
) -> Result<Eip, Diagnostic> {
    let request = client
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tags::ec2::spec(ResourceType::ElasticIp, tags))
        .send();
    let out = aws::call("ec2", "AllocateAddress", request)
        .await
        .map_err(|e| aws::error("Cannot allocate the pair's Elastic IP", &e))?;
    Ok(Eip {
        allocation_id: out.allocation_id().unwrap_or_default().to_owned(),
        public_ip: out.public_ip().unwrap_or_default().to_owned(),
        association_id: None,
        instance_id: None,
        tags: tags.clone(),
    })
}

/// Associates the Elastic IP with `instance_id`, taking it from wherever
/// it is (a switchover is this one call).
pub async fn associate(
    client: &SwarmClient,
    eip: &mut Eip,
    instance_id: &str,
) -> Result<(), Diagnostic> {
    let request = client
        .ec2
        .associate_address()
        .allocation_id(&eip.allocation_id)
        .instance_id(instance_id)
        .allow_reassociation(true)
        .send();
    let out = aws::call("ec2", "AssociateAddress", request)
        .await
        .map_err(|e| {
            aws::error(
                format!(
                    "Cannot move the Elastic IP {} to {instance_id}",
                    eip.public_ip
                ),
                &e,
            )
        })?;
    eip.association_id = out.association_id().map(str::to_owned);
    eip.instance_id = Some(instance_id.to_owned());
    Ok(())
}

/// Takes an Elastic IP off its instance (one already off is fine): a
/// node's own address is parked so while the floating IP is on the node.
pub async fn disassociate(client: &SwarmClient, eip: &mut Eip) -> Result<(), Diagnostic> {
    if let Some(association) = &eip.association_id {
        let request = client
            .ec2
            .disassociate_address()
            .association_id(association)
            .send();
        match aws::call("ec2", "DisassociateAddress", request).await {
            Ok(_) => {}
            Err(e) if e.code() == Some("InvalidAssociationID.NotFound") => {}
            Err(e) => {
                return Err(aws::error(
                    format!("Cannot disassociate the Elastic IP {}", eip.public_ip),
                    &e,
                ));
            }
        }
    }
    eip.association_id = None;
    eip.instance_id = None;
    Ok(())
}

/// Releases an Elastic IP, disassociating it first (one already gone is
/// fine).
pub async fn release(client: &SwarmClient, eip: &Eip) -> Result<(), Diagnostic> {
    disassociate(client, &mut eip.clone()).await?;
    let request = client
        .ec2
        .release_address()
        .allocation_id(&eip.allocation_id)
        .send();
    match aws::call("ec2", "ReleaseAddress", request).await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("InvalidAllocationID.NotFound") => Ok(()),
        Err(e) => Err(aws::error("Cannot release the pair's Elastic IP", &e)),
    }
}

/// Starts a node stopped out of band.
pub async fn start(client: &SwarmClient, inst: &Inst) -> Result<(), Diagnostic> {
    let request = client.ec2.start_instances().instance_ids(&inst.id).send();
    aws::call("ec2", "StartInstances", request)
        .await
        .map(|_| ())
        .map_err(|e| aws::error(format!("Cannot start {} again", inst.id), &e))
}
