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
use super::health::{self, Kind, Place, Seen};
use super::state::{Spec, placed};
use crate::cloudwatch;
use crate::config::SwarmClient;
use crate::ec2::Subnet;
use crate::instances::{self, Inst, Launch, Target, bootstrap, wanted_rules};
use crate::ownership::{Identity, Marker};
use crate::route53::{self, CheckChange, FailoverRecord, Target as RouteTarget};
use crate::security_group::{self, NewGroup, Rule};
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
    // Checked before anything is made: two zones, the image, and the
    // subnets both public or both private when the nodes are checked.
    let subnets = placed(client, &spec.subnet_ids).await?;
    let root_device = instances::root_device(client, &spec.ami)
        .await
        .map_err(|d| d.at(at("ami")))?;
    let vpc_id = subnets[0].vpc_id.clone();
    let kind = match &spec.checks {
        Some(_) => Some(health::kind_of(client, &subnets).await?),
        None => None,
    };

    let observed = cloud::observe(client, found).await?;

    // The security group: only the MCP port, from allowed_cidrs (and, for
    // endpoint-kind checks, the health-check port from Route 53's
    // checkers).
    let group_tags = spec.group_tags(client, kind);
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
    let (wanted, checker_rules) = ingress(spec, kind);
    let description = format!("MCP port of swarm_failover_pair {}", spec.name);
    let checkers = format!(
        "Route 53 health checkers of swarm_failover_pair {}",
        spec.name
    );
    security_group::set_ingress_described(client, &mut group, &wanted, &description, |rule| {
        if checker_rules.contains(rule) {
            checkers.clone()
        } else {
            description.clone()
        }
    })
    .await?;
    security_group::sync_tags(client, &mut group, &group_tags).await?;

    // The Elastic IP, made before the nodes so that it can follow them.
    let eip = if spec.floating_ip {
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
    // Each node's own address, for endpoint-kind checks.
    let mut own: [Option<Eip>; 2] = [None, None];
    if kind == Some(Kind::Endpoint) {
        for node in Node::BOTH {
            own[node.index()] = Some(match observed.node_address(node) {
                Some(eip) => eip.clone(),
                None => cloud::allocate(client, &spec.node_address_tags(client, node)).await?,
            });
        }
    }
    for extra in observed.node_addresses.iter().filter(|a| {
        !own.iter()
            .flatten()
            .any(|o| o.allocation_id == a.allocation_id)
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
    let mut serving = Serving::new(client, spec, kind, eip, own, &observed, wait)?;

    // The standby first, while the active node serves.
    let standby = spec.active.other();
    let standby_inst = roll.node(standby).await?;
    // Then the active node: if it must be replaced or resized, the standby
    // serves meanwhile (the floating IP and the PRIMARY record move to it).
    let current_active = roll
        .current(spec.active)
        .filter(|i| i.state == "running")
        .cloned();
    // A resize stops the node as surely as a replacement removes it.
    let active_fits = current_active
        .as_ref()
        .is_some_and(|i| roll.fits(spec.active, i) && i.instance_type == spec.instance_type);
    // (At a create nothing serves yet: the active node is simply made.)
    if !active_fits && !observed.instances.is_empty() {
        serving
            .serve(
                standby,
                nodes(standby, &standby_inst, current_active.as_ref()),
            )
            .await?;
    }
    let active_inst = roll.node(spec.active).await?;
    serving
        .serve(
            spec.active,
            nodes(spec.active, &active_inst, Some(&standby_inst)),
        )
        .await?;

    // Instances no node keeps (the replaced ones, a failed roll's extras).
    let kept: BTreeSet<&str> = [standby_inst.id.as_str(), active_inst.id.as_str()].into();
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

    // Records, checks and alarms no longer wanted, once nothing names them.
    serving.tidy().await?;
    serving.sync_tags().await?;

    let mut addresses: Vec<&Eip> = serving.eip.iter().collect();
    addresses.extend(serving.own.iter().flatten());
    sync_tags(
        client,
        spec,
        &observed,
        &[&standby_inst.id, &active_inst.id],
        &addresses,
    )
    .await
}

/// The group's ingress: the MCP port from `allowed_cidrs` and, for
/// endpoint-kind checks, the health-check port from Route 53's checkers
/// (also returned alone, for their rules' description).
fn ingress(spec: &Spec, kind: Option<Kind>) -> (Vec<Rule>, Vec<Rule>) {
    let mut wanted = wanted_rules(spec.mcp_port, &spec.allowed_cidrs);
    let checker_rules = match (&spec.checks, kind) {
        (Some(checks), Some(Kind::Endpoint)) => health::checker_rules(checks.port, &wanted),
        _ => Vec::new(),
    };
    wanted.extend(checker_rules.iter().cloned());
    wanted.sort();
    (wanted, checker_rules)
}

/// The two nodes' instances, `serving`'s and the other's (if it runs).
fn nodes<'a>(serving: Node, inst: &'a Inst, other: Option<&'a Inst>) -> [Option<&'a Inst>; 2] {
    let mut pair = [None, None];
    pair[serving.index()] = Some(inst);
    pair[serving.other().index()] = other;
    pair
}

/// The addresses, health checks, alarms and failover records, kept in
/// step with "the serving node": the one that holds the floating IP and
/// the PRIMARY record (the active node, or the standby while the active
/// node is replaced).
struct Serving<'a> {
    client: &'a SwarmClient,
    spec: &'a Spec,
    kind: Option<Kind>,
    eip: Option<Eip>,
    own: [Option<Eip>; 2],
    seen: Seen,
    /// Records left where `dns` no longer says (deleted by `tidy`).
    moved_from: Option<(Place, Vec<FailoverRecord>)>,
    /// Checks replaced by new ones (deleted once no record names them).
    replaced: Vec<String>,
    wait: &'a Wait<'a>,
}

impl<'a> Serving<'a> {
    fn new(
        client: &'a SwarmClient,
        spec: &'a Spec,
        kind: Option<Kind>,
        eip: Option<Eip>,
        own: [Option<Eip>; 2],
        observed: &Observed,
        wait: &'a Wait<'a>,
    ) -> Result<Self, Diagnostic> {
        if spec.checks.is_some() && spec.marker.is_none() {
            return Err(Diagnostic::error(
                "No ownership marker at apply",
                "A pair with health checks needs its marker to name them. This is a bug in the \
                 provider.",
            ));
        }
        let mut seen = observed.health.clone();
        // Records of another place (dns moved or removed) are deleted at
        // the end, once the new ones answer.
        let moved_from = match (&seen.place, &spec.dns) {
            (Some(place), dns) if !dns.as_ref().is_some_and(|d| d.at(place)) => {
                let records = std::mem::take(&mut seen.records);
                Some((place.clone(), records))
            }
            _ => None,
        };
        Ok(Self {
            client,
            spec,
            kind,
            eip,
            own,
            seen,
            moved_from,
            replaced: Vec::new(),
            wait,
        })
    }

    /// The public address `node` is checked at when `at` serves: the
    /// floating IP on the serving node, else its own.
    fn public_ip(&self, at: Node, node: Node) -> Option<String> {
        match &self.eip {
            Some(eip) if node == at => Some(eip.public_ip.clone()),
            _ => self.own[node.index()].as_ref().map(|e| e.public_ip.clone()),
        }
    }

    /// Makes `at` the serving node, for the instances `insts` (a node
    /// without one, terminated while its replacement is to come, is left
    /// as it is): the floating IP on it (its own address parked), the
    /// other's own address on it, each node's check on its address or
    /// alarm, and the PRIMARY record on it, in one batch.
    async fn serve(&mut self, at: Node, insts: [Option<&Inst>; 2]) -> Result<(), Diagnostic> {
        let client = self.client;
        // Addresses: first onto the serving node, then the other's.
        if let (Some(eip), Some(inst)) = (self.eip.as_mut(), insts[at.index()])
            && eip.instance_id.as_deref() != Some(inst.id.as_str())
        {
            if let Some(own) = self.own[at.index()].as_mut() {
                cloud::disassociate(client, own).await?;
            }
            cloud::associate(client, eip, &inst.id).await?;
        }
        for node in Node::BOTH {
            let parked = self.eip.is_some() && node == at;
            let (Some(own), Some(inst)) = (self.own[node.index()].as_mut(), insts[node.index()])
            else {
                continue;
            };
            if parked {
                cloud::disassociate(client, own).await?;
            } else if own.instance_id.as_deref() != Some(inst.id.as_str()) {
                cloud::associate(client, own, &inst.id).await?;
            }
        }
        let (Some(checks), Some(kind), Some(marker)) = (
            self.spec.checks.clone(),
            self.kind,
            self.spec.marker.clone(),
        ) else {
            return Ok(());
        };
        // Checks (and, for alarm-kind ones, the alarms they follow).
        let mut answers: Vec<(Node, String, Option<String>)> = Vec::new();
        for node in Node::BOTH {
            let Some(inst) = insts[node.index()] else {
                continue;
            };
            let address = match kind {
                Kind::Endpoint => match self.public_ip(at, node) {
                    Some(ip) => ip,
                    None => continue,
                },
                Kind::Alarm => {
                    let current = self.seen.alarm(node);
                    if current.is_none_or(|a| {
                        a.instance_id.as_deref() != Some(inst.id.as_str())
                            || a.periods != checks.periods()
                    }) {
                        let tags = self.spec.node_tags(client, health::ROLE_STATUS_ALARM, node);
                        let alarm = cloudwatch::put_status_alarm(
                            client,
                            &marker,
                            node.name(),
                            &inst.id,
                            checks.periods(),
                            &tags,
                        )
                        .await?;
                        self.seen.alarms.retain(|a| a.name != alarm.name);
                        self.seen.alarms.push(alarm);
                    }
                    inst.private_ip.clone()
                }
            };
            let target = checks.target(client, kind, &marker, node, &address);
            let id = self.check(node, &target, &marker).await?;
            answers.push((node, address, Some(id)));
        }
        // The records: the serving node's PRIMARY, in one batch.
        let Some(dns) = self.spec.dns.clone() else {
            return Ok(());
        };
        for node in Node::BOTH {
            // A node without an instance keeps its record as found (its
            // role changes with the serving node's).
            if insts[node.index()].is_none()
                && let Some(found) = self.seen.record(node)
            {
                answers.push((node, found.ip.clone(), found.health_check_id.clone()));
            }
        }
        answers.sort_by_key(|(node, _, _)| node.index());
        let nodes: Vec<(&str, &str, Option<&str>)> = answers
            .iter()
            .map(|(n, ip, check)| (n.name(), ip.as_str(), check.as_deref()))
            .collect();
        let wanted = route53::failover_records(&marker, dns.ttl, at.name(), &nodes);
        let mut found = self.seen.records.clone();
        found.sort_by(|a, b| a.role.cmp(&b.role));
        if wanted != found {
            let change =
                route53::upsert_failover_records(client, &dns.zone_id, &dns.record_name, &wanted)
                    .await?;
            route53::wait_in_sync(client, &change, self.wait).await?;
            for record in &wanted {
                self.seen.records.retain(|r| r.role != record.role);
                self.seen.records.push(record.clone());
            }
        }
        Ok(())
    }

    /// Makes `node`'s health check `target`; its id.
    async fn check(
        &mut self,
        node: Node,
        target: &RouteTarget,
        marker: &Marker,
    ) -> Result<String, Diagnostic> {
        let client = self.client;
        let found = self.seen.check(node).cloned();
        let made = match route53::check_change(found.as_ref(), target) {
            CheckChange::Keep => return Ok(found.map(|c| c.id).unwrap_or_default()),
            CheckChange::Update => match &found {
                Some(current) => route53::update_health_check(client, current, target).await?,
                None => {
                    return Err(Diagnostic::error(
                        "No health check to update",
                        "This is a bug in the provider.",
                    ));
                }
            },
            CheckChange::Create | CheckChange::Replace => {
                let tags = self.spec.node_tags(client, health::ROLE_HEALTH_CHECK, node);
                let made = route53::create_health_check(client, marker, node.name(), target, &tags)
                    .await?;
                if let Some(old) = &found {
                    self.replaced.push(old.id.clone());
                }
                made
            }
        };
        if let Some(old) = &found {
            self.seen.checks.retain(|c| c.id != old.id);
        }
        self.seen.checks.retain(|c| c.id != made.id);
        let id = made.id.clone();
        // The node's check first, so that `Seen::check` finds it.
        self.seen.checks.insert(0, made);
        Ok(id)
    }

    /// Deletes what is no longer wanted, records before the checks they
    /// name and checks before the alarms they follow: records of a place
    /// `dns` left (or all, without `dns`), replaced and extra checks (all,
    /// without checks), alarms (all, unless alarm-kind checks).
    async fn tidy(&mut self) -> Result<(), Diagnostic> {
        let client = self.client;
        if let Some((place, records)) = self.moved_from.take() {
            route53::delete_failover_records(client, &place.zone_id, &place.record_name, &records)
                .await?;
        }
        let keep: Vec<String> = if self.spec.checks.is_some() {
            Node::BOTH
                .iter()
                .filter_map(|n| self.seen.check(*n).map(|c| c.id.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let mut delete: Vec<String> = std::mem::take(&mut self.replaced);
        delete.extend(
            self.seen
                .checks
                .iter()
                .filter(|c| !keep.contains(&c.id))
                .map(|c| c.id.clone()),
        );
        delete.sort();
        delete.dedup();
        for id in &delete {
            route53::delete_health_check(client, id).await?;
        }
        self.seen.checks.retain(|c| !delete.contains(&c.id));
        if self.kind != Some(Kind::Alarm) {
            let names: Vec<String> = self.seen.alarms.iter().map(|a| a.name.clone()).collect();
            cloudwatch::delete_status_alarms(client, &names).await?;
            self.seen.alarms.clear();
        }
        Ok(())
    }
}

impl Serving<'_> {
    /// Brings the kept checks' and alarms' tags to the wanted ones: made
    /// with the tags of their day, they follow later changes of `tags` and
    /// `default_tags` here, as the EC2 objects do in [`sync_tags`]. Their
    /// tags are read only now, at apply (one ListTagsForResources for both
    /// checks, one ListTagsForResource per alarm): a refresh stays one
    /// call per object kind, and the state's tags come from EC2.
    async fn sync_tags(&self) -> Result<(), Diagnostic> {
        let client = self.client;
        if self.spec.checks.is_none() {
            return Ok(());
        }
        let checks: Vec<(Node, &route53::HealthCheck)> = Node::BOTH
            .iter()
            .filter_map(|n| self.seen.check(*n).map(|c| (*n, c)))
            .collect();
        let alarms: Vec<(Node, &str)> = Node::BOTH
            .iter()
            .filter_map(|n| Some((*n, self.seen.alarm(*n)?.arn.as_deref()?)))
            .collect();
        let ids: Vec<String> = checks.iter().map(|(_, c)| c.id.clone()).collect();
        let (check_tags, alarm_tags) = tokio::join!(
            async {
                if ids.is_empty() {
                    Ok(Default::default())
                } else {
                    route53::health_check_tags(client, &ids).await
                }
            },
            futures_util::future::try_join_all(
                alarms
                    .iter()
                    .map(|(_, arn)| cloudwatch::alarm_tags(client, arn)),
            )
        );
        let (check_tags, alarm_tags) = (check_tags?, alarm_tags?);
        let none = Default::default();
        for (node, check) in &checks {
            let wanted = self
                .spec
                .node_tags(client, health::ROLE_HEALTH_CHECK, *node);
            let found = check_tags.get(&check.id).unwrap_or(&none);
            route53::sync_health_check_tags(client, &check.id, found, &wanted).await?;
        }
        for ((node, arn), found) in alarms.iter().zip(&alarm_tags) {
            let wanted = self
                .spec
                .node_tags(client, health::ROLE_STATUS_ALARM, *node);
            cloudwatch::sync_alarm_tags(client, arn, found, &wanted).await?;
        }
        Ok(())
    }
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

    /// Makes the node run as the spec says; returns its instance.
    async fn node(&self, node: Node) -> Result<Inst, Diagnostic> {
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
            return Ok(inst.clone());
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
        Ok(inst)
    }
}

/// Puts the user's and default tags on every object of the pair and
/// removes those dropped (the group's are synced with its own tags).
async fn sync_tags(
    client: &SwarmClient,
    spec: &Spec,
    observed: &Observed,
    kept: &[&String],
    addresses: &[&Eip],
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
    for eip in addresses {
        found(&eip.allocation_id, &[], &eip.tags);
    }
    if differ {
        tags::ec2::create(client, &objects, &common).await?;
    }
    let stale: Vec<String> = stale.into_iter().collect();
    tags::ec2::delete(client, &objects, &stale).await
}

/// Destroy, each kind once nothing names it: the failover records, the
/// health checks (Route 53 refuses to delete a check a record names), the
/// alarms, the Elastic IPs, every instance of the pair, then the group
/// once the instances' interfaces let it go.
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let observed = cloud::observe_all(client, id, true).await?;
    let seen = &observed.health;
    if let Some(place) = &seen.place {
        route53::delete_failover_records(client, &place.zone_id, &place.record_name, &seen.records)
            .await?;
    }
    for check in &seen.checks {
        route53::delete_health_check(client, &check.id).await?;
    }
    let alarms: Vec<String> = seen.alarms.iter().map(|a| a.name.clone()).collect();
    cloudwatch::delete_status_alarms(client, &alarms).await?;
    for eip in observed.addresses.iter().chain(&observed.node_addresses) {
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
