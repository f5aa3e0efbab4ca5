//! The AWS side of `swarm_node`: finding a node's objects by their tags,
//! and where its instances go. The calls that launch, wait for and
//! terminate instances are shared with the other resources that run hosts
//! (`crate::instances`).

use tfplugin::diag::Diagnostic;

use crate::config::SwarmClient;
use crate::ec2::{self, Subnet, filter};
use crate::instances::{Inst, LIVE_STATES, describe_instances};
use crate::ownership::{self, Identity, Marker, Sets};
use crate::security_group::{self, Group};

/// The identity tag's kind: objects carry `swarm:node = <name>`.
pub const KIND: &str = "node";

pub const ROLE_INSTANCE: &str = "instance";
pub const ROLE_VOLUME: &str = "root-volume";
pub const ROLE_INTERFACE: &str = "network-interface";

/// On instances, beside `instances::INDEX_TAG` (the place in the node)
/// and `instances::LAUNCH_TAG`: the settings import reads back.
pub const AGENTS_TAG: &str = "swarm:agents-per-instance";
pub const MCP_PORT_TAG: &str = "swarm:mcp-port";
/// On the security group: the node's settings, from which `terraform
/// import` rebuilds the state (with no instance, they are all there is).
pub const AMI_TAG: &str = "swarm:ami";
pub const INSTANCE_TYPE_TAG: &str = "swarm:instance-type";
pub const COUNT_TAG: &str = "swarm:instance-count";
pub const SUBNETS_TAG: &str = "swarm:subnets";
pub const VOLUME_SIZE_TAG: &str = "swarm:root-volume-size";
pub const PUBLIC_IP_TAG: &str = "swarm:associate-public-ip";

/// What exists of a node.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Not terminated, in node order.
    pub instances: Vec<Inst>,
    pub groups: Vec<Group>,
}

impl Observed {
    /// The instances and groups, by marker: one set for one node.
    pub fn sets(&self) -> Sets {
        let mut sets = Sets::default();
        for inst in &self.instances {
            sets.add(inst.tags.get(ownership::KEY).map(String::as_str), &inst.id);
        }
        for group in &self.groups {
            sets.add(
                group.tags.get(ownership::KEY).map(String::as_str),
                &group.id,
            );
        }
        sets
    }

    /// Only the objects of `marker`'s set (`None`: those without one).
    pub fn only(mut self, marker: Option<&Marker>) -> Self {
        let keep = Identity::new(String::new(), marker.cloned());
        self.instances.retain(|i| keep.owns(&i.tags));
        self.groups.retain(|g| keep.owns(&g.tags));
        self
    }

    /// Every object's id: the instances, their volumes and interfaces, the
    /// groups.
    pub fn object_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for inst in &self.instances {
            ids.push(inst.id.clone());
            ids.extend(inst.volume_ids.iter().cloned());
            ids.extend(inst.interface_ids.iter().cloned());
        }
        ids.extend(self.groups.iter().map(|g| g.id.clone()));
        ids
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty() && self.groups.is_empty()
    }

    /// The node's security group: `preferred` if it exists, else the one
    /// in the instances' VPC, else any.
    pub fn group(&self, preferred: Option<&str>) -> Option<&Group> {
        let vpc = self.instances.first().map(|i| i.vpc_id.as_str());
        self.groups
            .iter()
            .find(|g| Some(g.id.as_str()) == preferred)
            .or_else(|| self.groups.iter().find(|g| Some(g.vpc_id.as_str()) == vpc))
            .or_else(|| self.groups.first())
    }
}

/// Everything of the node `id` (the objects its owner takes): one
/// DescribeInstances and one DescribeSecurityGroups, concurrently.
pub async fn observe(client: &SwarmClient, id: &Identity) -> Result<Observed, Diagnostic> {
    let instance_filters = vec![
        id.ec2_filter(KIND),
        filter("instance-state-name", &LIVE_STATES),
    ];
    let (instances, groups) = tokio::join!(
        describe_instances(client, instance_filters),
        security_group::find(client, KIND, id)
    );
    let mut instances = instances?;
    // Found by name (a state without a marker, an import), other nodes'
    // instances of the name answer too: only the owner's are kept.
    instances.retain(|i| id.owns(&i.tags));
    Ok(Observed {
        instances,
        groups: groups?,
    })
}

/// The subnets of `ids`, as EC2 lists them (unchecked).
pub async fn subnets(client: &SwarmClient, ids: &[String]) -> Result<Vec<Subnet>, Diagnostic> {
    ec2::subnets(client, ids)
        .await
        .map_err(|e| e.diagnostic("Cannot describe subnet_ids"))
}

/// The subnets of `ids` in placement order, checked (see [`placement`]).
pub async fn placed_subnets(
    client: &SwarmClient,
    ids: &[String],
) -> Result<Vec<Subnet>, Diagnostic> {
    let found = subnets(client, ids).await?;
    placement(ids, found)
        .map_err(|why| Diagnostic::error("Invalid subnet_ids", format!("subnet_ids: {why}.")))
}

/// The subnets in placement order (by AZ), checked: all found, in one
/// VPC, one per AZ.
pub fn placement(ids: &[String], mut subnets: Vec<Subnet>) -> Result<Vec<Subnet>, String> {
    if let Some(missing) = ec2::missing(ids, &subnets).first() {
        return Err(format!("subnet {missing} does not exist"));
    }
    subnets.sort_by(|a, b| (&a.availability_zone, &a.id).cmp(&(&b.availability_zone, &b.id)));
    subnets.dedup_by(|a, b| a.id == b.id);
    if subnets.is_empty() {
        return Err("no subnet given".to_owned());
    }
    if let Err(vpcs) = ec2::one_vpc(&subnets) {
        return Err(format!(
            "the subnets must be in one VPC; they are in {}",
            vpcs.join(", ")
        ));
    }
    if let Err((a, b)) = ec2::one_per_zone(&subnets) {
        return Err(format!(
            "give one subnet per availability zone; {} and {} are both in {}",
            a.id, b.id, a.availability_zone
        ));
    }
    Ok(subnets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_sorts_by_zone_and_checks() {
        let s = |id: &str, az: &str, vpc: &str| Subnet {
            id: id.into(),
            vpc_id: vpc.into(),
            availability_zone: az.into(),
        };
        let ids = vec!["subnet-b".to_owned(), "subnet-a".to_owned()];
        let got = placement(
            &ids,
            vec![
                s("subnet-b", "us-east-1a", "v"),
                s("subnet-a", "us-east-1b", "v"),
            ],
        )
        .unwrap();
        assert_eq!(got[0].id, "subnet-b");
        assert!(placement(&ids, vec![s("subnet-b", "us-east-1a", "v")]).is_err());
        assert!(
            placement(
                &ids,
                vec![
                    s("subnet-b", "us-east-1a", "v"),
                    s("subnet-a", "us-east-1a", "v")
                ]
            )
            .is_err()
        );
        assert!(
            placement(
                &ids,
                vec![
                    s("subnet-b", "us-east-1a", "v"),
                    s("subnet-a", "us-east-1b", "w")
                ]
            )
            .is_err()
        );
    }
}
