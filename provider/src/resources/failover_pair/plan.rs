//! Planning a pair: the tier's instance type, the default image and
//! allowed blocks, the checks that need AWS (two zones, the type offered
//! in both, the image), and what the plan can already tell: a switchover
//! changes `active_instance_id` and `endpoint` only; a roll or a repair
//! leaves the instance ids to apply.

use serde::Deserialize;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{self, MaybeUnknown, Value};

use super::checks;
use super::cloud::{self, Node};
use super::health::{self, Checks, Dns, DnsModel, HealthCheckModel, Kind};
use super::state::{PairState, placed};
use crate::config::SwarmClient;
use crate::ec2;
use crate::instances;
use crate::instances::schema::DEFAULT_MCP_PORT;
use crate::ownership::{self, Identity};
use crate::resources::planned::{self, Maybe};
use crate::route53;
use crate::tags;

/// What the configuration says of the attributes the plan resolves.
#[derive(Debug, Deserialize)]
struct Configured {
    ami: Maybe<String>,
    instance_type: Maybe<String>,
    user_data: Maybe<String>,
    #[serde(deserialize_with = "planned::wholly_known")]
    subnet_ids: Maybe<Vec<String>>,
    #[serde(deserialize_with = "planned::wholly_known")]
    allowed_cidrs: Maybe<Vec<String>>,
}

/// What the proposed plan holds of the settings the plan compares.
#[derive(Debug, Deserialize)]
struct Proposed {
    name: Maybe<String>,
    user_data: Maybe<String>,
    agents_per_instance: Maybe<i64>,
    mcp_port: Maybe<i64>,
    root_volume_size: Maybe<i64>,
    active: Maybe<String>,
    floating_ip: Maybe<bool>,
}

fn value_of<T: Into<Value>>(planned: Maybe<T>) -> Value {
    match planned {
        MaybeUnknown::Unknown => Value::Unknown,
        MaybeUnknown::Known(None) => Value::Null,
        MaybeUnknown::Known(Some(v)) => v.into(),
    }
}

/// Whether a planned value differs from the prior one; unknown differs.
fn differs<T: PartialEq>(planned: &Maybe<T>, prior: &Option<T>) -> bool {
    planned.known() != Some(prior)
}

/// A set of strings as Terraform's value.
fn strings(items: &[String]) -> Value {
    Value::Set(items.iter().cloned().map(Value::String).collect())
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    if resp.destroying() {
        return;
    }
    let at = AttributePath::attr;
    let config: Configured = match req.config_as() {
        Ok(config) => config,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let proposed: Proposed = match resp.plan_as() {
        Ok(proposed) => proposed,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let prior: Option<PairState> = match planned::prior_state(req) {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let prior = prior.as_ref();
    resp.set("id", value_of(proposed.name.clone()));

    let instance_type = instances::plan::instance_type(client, config.instance_type);
    resp.set("instance_type", value_of(instance_type.clone()));

    let prior_ami = prior.and_then(|p| p.ami.as_ref());
    let ami = match instances::plan::ami(client, config.ami, prior_ami).await {
        Ok(ami) => ami,
        Err(d) => return resp.diagnostics.push(d),
    };
    resp.set("ami", value_of(ami.clone()));

    // New subnets: two zones (an error on subnet_ids, with nothing made),
    // the type offered in both, the VPC's block for allowed_cidrs.
    let subnets_changed = differs(
        &config.subnet_ids,
        &prior.and_then(|p| p.subnet_ids.clone()),
    );
    let type_changed = prior.is_none_or(|p| differs(&instance_type, &p.instance_type));
    let cidrs_left_out = matches!(config.allowed_cidrs, MaybeUnknown::Known(None));
    let mut zones = None;
    let mut vpc_cidr = None;
    if let (true, MaybeUnknown::Known(Some(ids))) =
        (subnets_changed || type_changed, &config.subnet_ids)
    {
        let pair = match placed(client, ids).await {
            Ok(pair) => pair,
            Err(d) => return resp.diagnostics.push(d),
        };
        resp.set(
            "primary_availability_zone",
            Value::from(pair[0].availability_zone.clone()),
        );
        resp.set(
            "secondary_availability_zone",
            Value::from(pair[1].availability_zone.clone()),
        );
        zones = Some(ec2::zones(&pair));
        if cidrs_left_out && subnets_changed {
            match ec2::vpc_cidr(client, &pair[0].vpc_id).await {
                Ok(cidr) => vpc_cidr = Some(cidr),
                Err(d) => return resp.diagnostics.push(d.at(at("allowed_cidrs"))),
            }
        }
    }
    if let (Some(wanted), Some(zones)) = (planned::given(&instance_type), &zones)
        && (type_changed || subnets_changed)
        && let Err(d) = instances::plan::check_offered(client, wanted, zones).await
    {
        return resp.diagnostics.push(d);
    }
    let allowed_cidrs = match (
        config.allowed_cidrs,
        prior.and_then(|p| p.allowed_cidrs.clone()),
    ) {
        (MaybeUnknown::Known(None), Some(kept)) if !subnets_changed => strings(&kept),
        (MaybeUnknown::Known(None), _) => vpc_cidr.map_or(Value::Unknown, |c| strings(&[c])),
        (MaybeUnknown::Known(Some(cidrs)), _) => strings(&cidrs),
        (MaybeUnknown::Unknown, _) => Value::Unknown,
    };
    resp.set("allowed_cidrs", allowed_cidrs);

    tags::plan(client, &checks::TAGGING, resp);

    let health = match plan_health(
        client,
        req,
        resp,
        &config.subnet_ids,
        subnets_changed,
        prior,
    )
    .await
    {
        Some(health) => health,
        None => return,
    };

    let Some(prior) = prior else {
        for name in [
            "primary_instance_id",
            "secondary_instance_id",
            "active_instance_id",
            "public_ip",
            "endpoint",
            "security_group_id",
        ] {
            resp.set(name, Value::Unknown);
        }
        if zones.is_none() {
            resp.set("primary_availability_zone", Value::Unknown);
            resp.set("secondary_availability_zone", Value::Unknown);
        }
        health.set_computed(resp, None, &proposed);
        return report_others(client, resp).await;
    };

    // What rolls the nodes (a new launch or new zones), and what the plan
    // can keep: a switchover only moves the endpoint.
    let rolls = differs(&ami, &prior.ami)
        || subnets_changed
        || differs(&proposed.user_data, &prior.user_data)
        || differs(&proposed.agents_per_instance, &prior.agents_per_instance)
        || differs(&proposed.mcp_port, &prior.mcp_port)
        || differs(&proposed.root_volume_size, &prior.root_volume_size);
    let active = proposed
        .active
        .known()
        .cloned()
        .flatten()
        .and_then(|a| Node::from_name(&a));
    let floating = proposed.floating_ip.known().cloned().flatten();
    for node in Node::BOTH {
        let attr = format!("{}_instance_id", node.name());
        match prior.instance_id(node) {
            Some(id) if !rolls => resp.set(&attr, Value::from(id.clone())),
            // Rolled, or gone or stopped out of band (then repaired).
            _ => resp.set(&attr, Value::Unknown),
        }
        if subnets_changed {
            resp.set(
                &format!("{}_availability_zone", node.name()),
                Value::Unknown,
            );
        }
    }
    let active_id = match active {
        Some(node) if !rolls => prior.instance_id(node).cloned(),
        _ => None,
    };
    resp.set(
        "active_instance_id",
        active_id.clone().map_or(Value::Unknown, Value::from),
    );
    let keeps_address = floating == Some(true) && prior.floating_ip == Some(true);
    let endpoint_known = keeps_address && prior.public_ip.is_some();
    if keeps_address {
        resp.set(
            "public_ip",
            prior.public_ip.clone().map_or(Value::Unknown, Value::from),
        );
    } else if floating == Some(false) {
        resp.set("public_ip", Value::Null);
    } else {
        resp.set("public_ip", Value::Unknown);
    }
    // Without the address, the endpoint is the active node's private IP,
    // which only the prior active node's is known of.
    let same_node = active_id.is_some() && active_id == prior.active_instance_id;
    if !(endpoint_known || (same_node && floating == prior.floating_ip)) {
        resp.set("endpoint", Value::Unknown);
    } else if endpoint_known {
        resp.set(
            "endpoint",
            prior.public_ip.clone().map_or(Value::Unknown, Value::from),
        );
    }
    if subnets_changed {
        resp.set("security_group_id", Value::Unknown);
    }
    // The DNS name leaves: the endpoint is the address again.
    if prior.dns.is_some() && health.dns.is_absent() && !endpoint_known {
        resp.set("endpoint", Value::Unknown);
    }
    health.set_computed(resp, Some(prior), &proposed);
    // Route 53's view of the nodes: the apply reads it again, and may find
    // another (a node it starts is healthy again), so it is known only
    // when nothing is to change. This comes after every other planned
    // value, repairs included (which the framework does not see).
    if resp.plan != req.prior_state {
        resp.set("healthy", Value::Unknown);
    }

    let rolls_nodes = rolls && prior.primary_instance_id.is_some();
    if let Some(warning) = instances::plan::user_data_removed(
        &config.user_data,
        prior.user_data.as_ref(),
        rolls_nodes,
        "the pair's nodes will be rolled",
    ) {
        resp.diagnostics.push(warning);
    }
    if rolls_nodes {
        let active_name = active.map_or("active", Node::name);
        resp.diagnostics.warning(
            "The pair's nodes will be rolled, one at a time",
            format!(
                "The launch settings changed: the standby is replaced first; then the \
                 endpoint moves to it while the {active_name} node is replaced; then it moves \
                 back to the {active_name} node. One node serves at every moment."
            ),
        );
    }
}

/// At the plan of a create: a warning naming the objects of other pairs of
/// this name (another stack's, or left by a killed run), never touched.
async fn report_others(client: &SwarmClient, resp: &mut PlanResponse) {
    let Some(Value::String(name)) = resp.plan.get_attr("name").cloned() else {
        return;
    };
    match cloud::observe(client, &Identity::anyone(name.as_str())).await {
        Ok(others) if others.is_empty() => {}
        Ok(others) => resp.diagnostics.push(ownership::others_warning(
            "swarm_failover_pair",
            &name,
            &others.sets(),
            "`terraform import swarm_failover_pair.<name> <name>`, once only one set answers to \
             the name",
        )),
        Err(d) => resp.diagnostics.push(d),
    }
}

/// A block as the configuration gives it.
enum Given<T> {
    Absent,
    Known(T),
    /// Present, with parts unknown until apply.
    Partly,
}

impl<T> Given<T> {
    fn is_absent(&self) -> bool {
        matches!(self, Given::Absent)
    }

    fn known(&self) -> Option<&T> {
        match self {
            Given::Known(t) => Some(t),
            _ => None,
        }
    }
}

fn block<T: serde::de::DeserializeOwned>(config: &Value, name: &str) -> Given<T> {
    match config.get_attr(name) {
        None | Some(Value::Null) => Given::Absent,
        Some(v) => value::from_value(v).map_or(Given::Partly, Given::Known),
    }
}

/// The plan's view of the health checks and records.
struct Health {
    health_check: Given<HealthCheckModel>,
    dns: Given<DnsModel>,
    /// `None`: no checks; `Some(None)`: not known yet.
    kind: Option<Option<Kind>>,
}

/// The checks at plan: the block's values (again, for those unknown at
/// validate), the kind from the subnets' route tables (new or changed
/// subnets only: a refresh and the plan of an unchanged pair make no such
/// call), the group's rule count, the zone and the record's name in it.
/// `None`: an error was reported.
async fn plan_health(
    client: &SwarmClient,
    req: &PlanRequest,
    resp: &mut PlanResponse,
    subnet_ids: &Maybe<Vec<String>>,
    subnets_changed: bool,
    prior: Option<&PairState>,
) -> Option<Health> {
    let at = AttributePath::attr;
    let health_check = block::<HealthCheckModel>(&req.config, "health_check");
    let dns = block::<DnsModel>(&req.config, "dns");
    let mcp_port = match resp.plan.get_attr("mcp_port") {
        Some(Value::Number(n)) => n.to_string().parse::<i64>().ok(),
        _ => None,
    };
    if let Some(model) = health_check.known() {
        let mut diags = tfplugin::diag::Diagnostics::default();
        checks::check_block(model, mcp_port, &mut diags);
        if diags.has_errors() {
            resp.diagnostics.extend(diags);
            return None;
        }
    }
    if health_check.is_absent() && dns.is_absent() {
        resp.set("health_check_kind", Value::Null);
        return Some(Health {
            health_check,
            dns,
            kind: None,
        });
    }
    let prior_kind = prior
        .filter(|p| p.checked())
        .and_then(|p| p.health_check_kind.as_deref())
        .and_then(Kind::from_name);
    let kind = match (subnet_ids, prior_kind) {
        (MaybeUnknown::Known(Some(_)), Some(kind)) if !subnets_changed => Some(kind),
        (MaybeUnknown::Known(Some(ids)), _) => {
            let pair = match placed(client, ids).await {
                Ok(pair) => pair,
                Err(d) => {
                    resp.diagnostics.push(d);
                    return None;
                }
            };
            match health::kind_of(client, &pair).await {
                Ok(kind) => Some(kind),
                Err(d) => {
                    resp.diagnostics.push(d);
                    return None;
                }
            }
        }
        _ => None,
    };
    resp.set(
        "health_check_kind",
        kind.map_or(Value::Unknown, |k| Value::from(k.name())),
    );
    // Health checks carry the pair's tags too, in Route 53's smaller room.
    tags::plan_also_fits(&checks::CHECK_TAGGING, resp);
    let model = health_check.known().cloned().unwrap_or_default();
    let checks = Checks::resolve(Some(&model), mcp_port.unwrap_or(DEFAULT_MCP_PORT));
    match kind {
        Some(Kind::Alarm) => {
            let unused = model.unused_with_alarms();
            if !unused.is_empty() {
                resp.diagnostics.push(
                    tfplugin::diag::Diagnostic::warning(
                        "Health-check settings unused in private subnets",
                        format!(
                            "The pair's subnets are private, so its nodes are checked through \
                             CloudWatch alarms on their status checks, not by Route 53's \
                             checkers: {} do not apply and can be removed.",
                            unused.join(", ")
                        ),
                    )
                    .at(at("health_check")),
                );
            }
        }
        Some(Kind::Endpoint) => {
            // The group's inbound rules: allowed_cidrs and the checkers.
            if let Some(Value::Set(cidrs) | Value::List(cidrs)) =
                resp.plan.get_attr("allowed_cidrs")
            {
                let cidrs: Vec<String> = cidrs
                    .iter()
                    .filter_map(|c| match c {
                        Value::String(c) => Some(c.clone()),
                        _ => None,
                    })
                    .collect();
                let mcp = instances::wanted_rules(mcp_port.unwrap_or(DEFAULT_MCP_PORT), &cidrs);
                let total = mcp.len() + health::checker_rules(checks.port, &mcp).len();
                if total > health::MAX_INBOUND_RULES {
                    resp.diagnostics.push(
                        tfplugin::diag::Diagnostic::error(
                            "Too many inbound rules",
                            format!(
                                "allowed_cidrs: the pair's security group would need {total} \
                                 inbound rules ({} for allowed_cidrs and {} for Route 53's \
                                 health checkers), more than the {} a group has by default. \
                                 List fewer, wider blocks in allowed_cidrs.",
                                mcp.len(),
                                total - mcp.len(),
                                health::MAX_INBOUND_RULES
                            ),
                        )
                        .at(at("allowed_cidrs")),
                    );
                    return None;
                }
            }
        }
        None => {}
    }
    // The zone, when the records are to be made somewhere new.
    if let Some(model) = dns.known()
        && let Some(wanted) = Dns::from_model(model)
    {
        let prior_dns = prior.and_then(|p| p.dns.as_ref()).and_then(Dns::from_model);
        let new_place = prior_dns.is_none_or(|d| {
            d.zone_id != wanted.zone_id
                || route53::normalize_name(&d.record_name)
                    != route53::normalize_name(&wanted.record_name)
        });
        let new_kind = prior_kind != kind;
        if new_place || new_kind {
            let dns_at = |name: &str| at("dns").push_attr(name);
            match route53::hosted_zone(client, &wanted.zone_id).await {
                Ok(None) => {
                    resp.diagnostics.push(
                        tfplugin::diag::Diagnostic::error(
                            "Hosted zone not found",
                            format!(
                                "dns.zone_id: Route 53 has no hosted zone {}.",
                                wanted.zone_id
                            ),
                        )
                        .at(dns_at("zone_id")),
                    );
                    return None;
                }
                Ok(Some(zone)) => {
                    if !zone.holds(&wanted.record_name) {
                        resp.diagnostics.push(
                            tfplugin::diag::Diagnostic::error(
                                "Record name not in the zone",
                                format!(
                                    "dns.record_name: {} is not in the zone {} ({}).",
                                    wanted.record_name, wanted.zone_id, zone.name
                                ),
                            )
                            .at(dns_at("record_name")),
                        );
                        return None;
                    }
                    if kind == Some(Kind::Alarm) && !zone.private {
                        resp.diagnostics.push(
                            tfplugin::diag::Diagnostic::warning(
                                "Private addresses in a public zone",
                                format!(
                                    "The pair's subnets are private, so its records hold the \
                                     nodes' private addresses; {} is a public zone, where \
                                     they are published to everyone and reachable by no one \
                                     outside the VPC. Use a private hosted zone.",
                                    wanted.zone_id
                                ),
                            )
                            .at(dns_at("zone_id")),
                        );
                    }
                }
                Err(d) => {
                    resp.diagnostics.push(d.at(dns_at("zone_id")));
                    return None;
                }
            }
        }
    }
    Some(Health {
        health_check,
        dns,
        kind: Some(kind),
    })
}

impl Health {
    /// The computed maps and the endpoint: kept from the prior state when
    /// nothing about the checks changes and the state shows no gap;
    /// unknown when apply will make or change them; empty without checks.
    fn set_computed(
        &self,
        resp: &mut PlanResponse,
        prior: Option<&PairState>,
        proposed: &Proposed,
    ) {
        let empty = || Value::Map(Default::default());
        let Some(kind) = self.kind else {
            for name in ["health_check_ids", "healthy", "node_public_ips"] {
                resp.set(name, empty());
            }
            return;
        };
        let mcp_port = proposed.mcp_port.known().copied().flatten();
        let resolved = |model: Option<&HealthCheckModel>| {
            Checks::resolve(model, mcp_port.unwrap_or(DEFAULT_MCP_PORT))
        };
        // A new protocol or interval replaces the checks (new ids).
        let same_checks = prior.is_some_and(|p| {
            let (before, after) = (
                resolved(p.health_check.as_ref()),
                resolved(self.health_check.known()),
            );
            p.checked()
                && p.health_check_kind.as_deref() == kind.map(Kind::name)
                && before.protocol == after.protocol
                && before.interval == after.interval
        });
        let complete = |map: &Option<std::collections::BTreeMap<String, String>>| {
            map.as_ref()
                .is_some_and(|m| Node::BOTH.iter().all(|n| m.contains_key(n.name())))
        };
        let strings = |map: &std::collections::BTreeMap<String, String>| {
            Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect(),
            )
        };
        let kept_ids = prior
            .filter(|p| same_checks && complete(&p.health_check_ids))
            .and_then(|p| p.health_check_ids.as_ref());
        resp.set("health_check_ids", kept_ids.map_or(Value::Unknown, strings));
        match kind {
            Some(Kind::Alarm) => resp.set("node_public_ips", empty()),
            _ => {
                // The addresses stay through rolls and repairs; a
                // switchover or a change of floating_ip moves the floating
                // IP from one node to the other.
                let kept = prior
                    .filter(|p| {
                        kept_ids.is_some()
                            && proposed.active.known().cloned().flatten() == p.active
                            && proposed.floating_ip.known().cloned().flatten() == p.floating_ip
                            && complete(&p.node_public_ips)
                    })
                    .and_then(|p| p.node_public_ips.as_ref());
                resp.set("node_public_ips", kept.map_or(Value::Unknown, strings));
            }
        }
        match &self.dns {
            Given::Known(DnsModel {
                record_name: Some(name),
                ..
            }) => resp.set("endpoint", Value::from(name.clone())),
            Given::Absent => {}
            _ => resp.set("endpoint", Value::Unknown),
        }
    }
}
