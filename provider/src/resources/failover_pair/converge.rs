//! Apply: makes AWS match a spec from whatever exists (nothing, a pair half
//! made, a node terminated or stopped, the Elastic IP moved, other launch
//! settings). Create, update, repair and retry are the same walk.
//!
//! The order is what keeps one node serving: the standby is replaced or
//! resized first; before the active node is, the Elastic IP moves to the
//! standby; it moves back once the active node runs again.

use std::collections::BTreeSet;

use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;

use super::checks;
use super::cloud::{self, Eip, Node, Observed};
use super::state::{Spec, placed};
use crate::config::SwarmClient;
use crate::ec2::Subnet;
use crate::instances::{self, Inst, Launch, Target, bootstrap, wanted_rules};
use crate::ownership::Identity;
use crate::security_group::{self, NewGroup};
use crate::tags;
use crate::waiter::Wait;

/// Converges the pair on `spec`.
pub async fn converge(
    client: &SwarmClient,
    spec: &Spec,
    found: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let at = AttributePath::attr;
    // Checked before anything is made: two zones, the image.
    let subnets = placed(client, &spec.subnet_ids).await?;
    let root_device = instances::root_device(client, &spec.ami)
        .await
        .map_err(|d| d.at(at("ami")))?;
    let vpc_id = subnets[0].vpc_id.clone();

    let observed = cloud::observe(client, found).await?;

    // The security group: only the MCP port, from allowed_cidrs.
    let group_tags = spec.group_tags(client);
    let mut group = match observed.groups.iter().find(|g| g.vpc_id == vpc_id) {
        Some(group) => group.clone(),
        None => {
            let name = match &spec.marker {
                Some(marker) => format!("swarm-pair-{}-{marker}", spec.name),
                None => format!("swarm-pair-{}", spec.name),
            };
            let new = NewGroup {
                group_name: &name,
                description: &format!(
                    "swarm_failover_pair {}: the MCP port from allowed_cidrs; all egress",
                    spec.name
                ),
                vpc_id: &vpc_id,
                tags: &group_tags,
            };
            security_group::create(client, &new, wait).await?
        }
    };
    let wanted = wanted_rules(spec.mcp_port, &spec.allowed_cidrs);
    let description = format!("MCP port of swarm_failover_pair {}", spec.name);
    security_group::set_ingress(client, &mut group, &wanted, &description).await?;
    security_group::sync_tags(client, &mut group, &group_tags).await?;

    // The Elastic IP, made before the nodes so that it can follow them.
    let mut eip = if spec.floating_ip {
        Some(match observed.addresses.first() {
            Some(eip) => eip.clone(),
            None => cloud::allocate(client, &spec.address_tags(client)).await?,
        })
    } else {
        None
    };
    for extra in observed.addresses.iter().filter(|a| {
        eip.as_ref()
            .is_none_or(|e| e.allocation_id != a.allocation_id)
    }) {
        cloud::release(client, extra).await?;
    }

    let fingerprint = spec.fingerprint();
    let user_data = bootstrap::base64_encode(spec.bootstrap().as_bytes());
    let launch = Launch {
        name: &spec.name,
        ami: &spec.ami,
        instance_type: &spec.instance_type,
        root_device: &root_device,
        root_volume_size: i32::try_from(spec.root_volume_size).unwrap_or(i32::MAX),
        associate_public_ip: false,
        user_data: &user_data,
        fingerprint: &fingerprint,
        group_id: &group.id,
    };
    let roll = Roll {
        client,
        spec,
        observed: &observed,
        subnets: &subnets,
        launch: &launch,
        wait,
    };

    // The standby first, while the active node serves.
    let standby = spec.active.other();
    let standby_id = roll.node(standby).await?;
    // Then the active node: if it must be replaced or resized, the address
    // serves from the standby meanwhile.
    let active_fits = roll
        .current(spec.active)
        .is_some_and(|i| roll.fits(spec.active, i) && i.state == "running");
    if !active_fits && let Some(eip) = eip.as_mut() {
        cloud::associate(client, eip, &standby_id).await?;
    }
    let active_id = roll.node(spec.active).await?;
    if let Some(eip) = eip.as_mut()
        && eip.instance_id.as_deref() != Some(active_id.as_str())
    {
        cloud::associate(client, eip, &active_id).await?;
    }

    // Instances no node keeps (the replaced ones, a failed roll's extras).
    let kept: BTreeSet<&str> = [standby_id.as_str(), active_id.as_str()].into();
    let obsolete: Vec<String> = observed
        .instances
        .iter()
        .filter(|i| !kept.contains(i.id.as_str()))
        .map(|i| i.id.clone())
        .collect();
    instances::terminate(client, &obsolete).await?;
    instances::wait_instances(client, &obsolete, Target::Terminated, wait).await?;

    // A group left in another VPC, when subnet_ids moved the pair.
    for stale in observed.groups.iter().filter(|g| g.id != group.id) {
        security_group::delete(client, &stale.id, wait).await?;
    }

    sync_tags(
        client,
        spec,
        &observed,
        &[&standby_id, &active_id],
        eip.as_ref(),
    )
    .await
}

/// One node's part of the walk.
struct Roll<'a> {
    client: &'a SwarmClient,
    spec: &'a Spec,
    observed: &'a Observed,
    subnets: &'a [Subnet; 2],
    launch: &'a Launch<'a>,
    wait: &'a Wait<'a>,
}

impl Roll<'_> {
    fn subnet(&self, node: Node) -> &Subnet {
        &self.subnets[node.index()]
    }

    fn current(&self, node: Node) -> Option<&Inst> {
        self.observed.node(node)
    }

    /// Whether an instance runs the spec's launch settings in the node's subnet.
    fn fits(&self, node: Node, inst: &Inst) -> bool {
        inst.subnet_id == self.subnet(node).id
            && inst.tags.get(instances::LAUNCH_TAG) == Some(&self.launch.fingerprint.to_owned())
    }

    /// Makes the node run as the spec says; returns its instance id.
    async fn node(&self, node: Node) -> Result<String, Diagnostic> {
        let (client, wait) = (self.client, self.wait);
        if let Some(inst) = self.current(node).filter(|i| self.fits(node, i)) {
            let ids = std::slice::from_ref(&inst.id);
            if inst.instance_type != self.spec.instance_type {
                instances::set_instance_type(client, inst, &self.spec.instance_type, wait).await?;
            } else if inst.state != "running" {
                // Stopped (or stopping) out of band: started again.
                instances::wait_instances(client, ids, Target::Settled, wait).await?;
                cloud::start(client, inst).await?;
                instances::wait_instances(client, ids, Target::Running, wait).await?;
            }
            return Ok(inst.id.clone());
        }
        let tags = self.spec.launch_tags(client, node, self.launch.fingerprint);
        let inst = instances::run_instance(
            client,
            self.launch,
            node.index(),
            &self.subnet(node).id,
            &tags,
        )
        .await?;
        instances::wait_instances(
            client,
            std::slice::from_ref(&inst.id),
            Target::Running,
            wait,
        )
        .await?;
        Ok(inst.id)
    }
}

/// Puts the user's and default tags on every object of the pair and
/// removes those dropped (the group's are synced with its own tags).
async fn sync_tags(
    client: &SwarmClient,
    spec: &Spec,
    observed: &Observed,
    kept: &[&String],
    eip: Option<&Eip>,
) -> Result<(), Diagnostic> {
    let common = spec.tags_all(client);
    let mut objects: Vec<String> = Vec::new();
    let mut stale: BTreeSet<String> = BTreeSet::new();
    // Instances launched now carry the tags already; volumes and
    // interfaces are not described, so they are tagged whenever an
    // instance's or the address's tags differ from the wanted ones.
    let mut differ = false;
    let mut found =
        |id: &str, extra: &[String], tags: &std::collections::BTreeMap<String, String>| {
            objects.push(id.to_owned());
            objects.extend(extra.iter().cloned());
            let own = checks::TAGGING.reserved.without(tags);
            differ |= own != common;
            stale.extend(own.into_keys().filter(|k| !common.contains_key(k)));
        };
    for inst in observed.instances.iter().filter(|i| kept.contains(&&i.id)) {
        let mut extra = inst.volume_ids.clone();
        extra.extend(inst.interface_ids.iter().cloned());
        found(&inst.id, &extra, &inst.tags);
    }
    if let Some(eip) = eip {
        found(&eip.allocation_id, &[], &eip.tags);
    }
    if differ {
        tags::ec2::create(client, &objects, &common).await?;
    }
    let stale: Vec<String> = stale.into_iter().collect();
    tags::ec2::delete(client, &objects, &stale).await
}

/// Destroy: the Elastic IP, every instance of the pair, then the group
/// once the instances' interfaces let it go.
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let observed = cloud::observe(client, id).await?;
    for eip in &observed.addresses {
        cloud::release(client, eip).await?;
    }
    let ids: Vec<String> = observed.instances.iter().map(|i| i.id.clone()).collect();
    instances::terminate(client, &ids).await?;
    instances::wait_instances(client, &ids, Target::Terminated, wait).await?;
    for group in &observed.groups {
        security_group::delete(client, &group.id, wait).await?;
    }
    Ok(())
}
