//! Apply: makes AWS match a spec, from whatever exists (nothing, a node
//! half created, a node with other settings). Create and update are the
//! same walk; each step records what it did in a `Progress`, so that a
//! failure leaves a state of what exists.

use std::collections::{BTreeMap, BTreeSet};

use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;

use super::checks;
use super::cloud::{self, Observed};
use super::state::{Progress, Spec};
use crate::config::SwarmClient;
use crate::instances::{self, Inst, Launch, Target, bootstrap, wanted_rules};
use crate::ownership::{self, Identity};
use crate::security_group::{self, NewGroup};
use crate::tags;
use crate::waiter::Wait;

/// Converges the node on `spec`. `found` finds what exists (by the
/// spec's marker, or, for a state without one, the unmarked objects of the
/// name, which are marked first). `prior_tags_all` is what the last apply
/// tagged objects with (`None` on create), so that tags removed since are
/// removed.
pub async fn converge(
    client: &SwarmClient,
    spec: &Spec,
    found: &Identity,
    prior_tags_all: Option<&BTreeMap<String, String>>,
    progress: &mut Progress,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let at = AttributePath::attr;

    // Where instances go: the subnets sorted by zone, round-robin.
    let placed = cloud::placed_subnets(client, &spec.subnet_ids)
        .await
        .map_err(|d| d.at(at("subnet_ids")))?;
    let vpc_id = placed.first().map(|s| s.vpc_id.clone()).unwrap_or_default();

    // The image, checked before anything is created.
    let root_device = instances::root_device(client, &spec.ami)
        .await
        .map_err(|d| d.at(at("ami")))?;

    // What exists already (found by the marker: also what an earlier,
    // failed apply created; for a state without one, the unmarked objects
    // of the name, marked now).
    let mut observed = cloud::observe(client, found).await?;
    if found.adopts() {
        mark(client, spec, &mut observed).await?;
    }
    progress.instances = observed.instances.clone();
    progress.group = observed.groups.iter().find(|g| g.vpc_id == vpc_id).cloned();

    // The security group: only the MCP port, from allowed_cidrs.
    let group_tags = spec.group_tags(client);
    let mut group = match progress.group.clone() {
        Some(group) => group,
        None => {
            let new = NewGroup {
                group_name: &group_name(spec),
                description: &format!(
                    "swarm_node {}: the MCP port from allowed_cidrs; all egress",
                    spec.name
                ),
                vpc_id: &vpc_id,
                tags: &group_tags,
            };
            // Agents call model APIs and tools: the default egress rule
            // (all traffic out) stays.
            let group = security_group::create(client, &new, wait).await?;
            progress.group = Some(group.clone());
            group
        }
    };
    let wanted = wanted_rules(spec.mcp_port, &spec.allowed_cidrs);
    let description = format!("MCP port of swarm_node {}", spec.name);
    let result = security_group::set_ingress(client, &mut group, &wanted, &description).await;
    progress.group = Some(group.clone());
    result?;

    // Which instances stay: the right index, subnet and launch settings.
    let fingerprint = spec.fingerprint();
    let subnet_for = |index: usize| &placed[index % placed.len()];
    let mut kept: BTreeMap<usize, Inst> = BTreeMap::new();
    let mut obsolete: Vec<String> = Vec::new();
    for inst in &progress.instances {
        let fits = inst.index.filter(|i| {
            *i < spec.instance_count
                && !kept.contains_key(i)
                && inst.subnet_id == subnet_for(*i).id
                && inst.vpc_id == vpc_id
                && inst.tags.get(instances::LAUNCH_TAG) == Some(&fingerprint)
        });
        match fits {
            Some(index) => {
                kept.insert(index, inst.clone());
            }
            None => obsolete.push(inst.id.clone()),
        }
    }

    // A new instance type: one instance at a time, the others serving.
    for inst in kept.values() {
        if inst.instance_type != spec.instance_type {
            instances::set_instance_type(client, inst, &spec.instance_type, wait).await?;
            if let Some(known) = progress.instances.iter_mut().find(|i| i.id == inst.id) {
                known.instance_type = spec.instance_type.clone();
            }
        }
    }

    // New instances first, and running, before any old one goes.
    let user_data = bootstrap::base64_encode(spec.bootstrap().as_bytes());
    let root_volume_size = i32::try_from(spec.root_volume_size).unwrap_or(i32::MAX);
    let launch = Launch {
        name: &spec.name,
        ami: &spec.ami,
        instance_type: &spec.instance_type,
        root_device: &root_device,
        root_volume_size,
        associate_public_ip: spec.associate_public_ip,
        user_data: &user_data,
        fingerprint: &fingerprint,
        group_id: &group.id,
    };
    let mut launched = Vec::new();
    for index in (0..spec.instance_count).filter(|i| !kept.contains_key(i)) {
        let tags = spec.launch_tags(client, index, &fingerprint);
        let inst =
            instances::run_instance(client, &launch, index, &subnet_for(index).id, &tags).await?;
        launched.push(inst.id.clone());
        remember(progress, vec![inst]);
    }
    let running = instances::wait_instances(client, &launched, Target::Running, wait).await?;
    remember(progress, running);

    instances::terminate(client, &obsolete).await?;
    instances::wait_instances(client, &obsolete, Target::Terminated, wait).await?;
    progress.instances.retain(|i| !obsolete.contains(&i.id));
    progress.fleet_converged = true;

    // Groups left in another VPC, when subnet_ids moved the node.
    for stale in observed.groups.iter().filter(|g| g.id != group.id) {
        security_group::delete(client, &stale.id, wait).await?;
    }

    sync_tags(client, spec, &group_tags, prior_tags_all, progress).await?;
    progress.tags_synced = true;
    Ok(())
}

/// Writes the spec's marker on the objects of a node that had none (a
/// state from before markers, or an import of unmarked objects), and in
/// what was observed of them: one CreateTags (a node has far fewer than
/// its 200 objects a call), so that they are all marked or none.
async fn mark(
    client: &SwarmClient,
    spec: &Spec,
    observed: &mut Observed,
) -> Result<(), Diagnostic> {
    let mut marker = BTreeMap::new();
    ownership::mark(&mut marker, spec.marker.as_ref());
    tags::ec2::create(client, &observed.object_ids(), &marker).await?;
    for inst in &mut observed.instances {
        inst.tags.extend(marker.clone());
    }
    for group in &mut observed.groups {
        group.tags.extend(marker.clone());
    }
    Ok(())
}

/// The name of the node's security group. Names are unique per VPC, and
/// two nodes of one name (two stacks) may share a VPC: the marker makes
/// each node's its own.
fn group_name(spec: &Spec) -> String {
    match &spec.marker {
        Some(marker) => format!("swarm-node-{}-{marker}", spec.name),
        None => format!("swarm-node-{}", spec.name),
    }
}

/// Adds or refreshes instances in the progress, keeping node order.
fn remember(progress: &mut Progress, instances: Vec<Inst>) {
    for inst in instances {
        match progress.instances.iter_mut().find(|i| i.id == inst.id) {
            Some(known) => *known = inst,
            None => progress.instances.push(inst),
        }
    }
    instances::sort_instances(&mut progress.instances);
}

/// Puts the user's and default tags on every object of the node (instances,
/// their volumes and interfaces, the group) and removes those dropped.
/// The provider's own tags (`Name`, `swarm:*`) are set at creation and
/// do not change.
async fn sync_tags(
    client: &SwarmClient,
    spec: &Spec,
    group_tags: &BTreeMap<String, String>,
    prior_tags_all: Option<&BTreeMap<String, String>>,
    progress: &mut Progress,
) -> Result<(), Diagnostic> {
    let common = spec.tags_all(client);
    let dropped = |tags: &BTreeMap<String, String>| -> BTreeSet<String> {
        tags.keys()
            .filter(|k| !checks::TAGGING.reserved.reserves(k) && !common.contains_key(*k))
            .cloned()
            .collect()
    };

    if let Some(group) = progress.group.as_mut() {
        security_group::sync_tags(client, group, group_tags).await?;
    }

    let mut objects = Vec::new();
    let mut stale = prior_tags_all.map(dropped).unwrap_or_default();
    let mut differ = false;
    for inst in &progress.instances {
        objects.push(inst.id.clone());
        objects.extend(inst.volume_ids.iter().cloned());
        objects.extend(inst.interface_ids.iter().cloned());
        let own = checks::TAGGING.reserved.without(&inst.tags);
        differ |= own != common;
        stale.extend(dropped(&own));
    }
    // Volumes and interfaces are not described: they are tagged whenever
    // the tags change, or the instances' tags drifted.
    if differ || prior_tags_all.is_some_and(|prior| prior != &common) {
        tags::ec2::create(client, &objects, &common).await?;
    }
    let stale: Vec<String> = stale.into_iter().collect();
    tags::ec2::delete(client, &objects, &stale).await?;
    for inst in &mut progress.instances {
        inst.tags.retain(|k, _| !stale.contains(k));
        inst.tags.extend(common.clone());
    }
    Ok(())
}

/// Destroy: every instance of the node (also those not in the state),
/// then its security group once the instances' interfaces let it go.
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let observed = cloud::observe(client, id).await?;
    let ids: Vec<String> = observed.instances.iter().map(|i| i.id.clone()).collect();
    instances::terminate(client, &ids).await?;
    instances::wait_instances(client, &ids, Target::Terminated, wait).await?;
    for group in &observed.groups {
        security_group::delete(client, &group.id, wait).await?;
    }
    Ok(())
}
