//! Planning a pair: the tier's instance type, the default image and
//! allowed blocks, the checks that need AWS (two zones, the type offered
//! in both, the image), and what the plan can already tell: a switchover
//! changes `active_instance_id` and `endpoint` only; a roll or a repair
//! leaves the instance ids to apply.

use serde::Deserialize;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::checks;
use super::cloud::{self, Node};
use super::state::{PairState, placed};
use crate::config::SwarmClient;
use crate::ec2;
use crate::instances;
use crate::ownership::{self, Identity};
use crate::resources::planned::{self, Maybe};
use crate::tags;

/// What the configuration says of the attributes the plan resolves.
#[derive(Debug, Deserialize)]
struct Configured {
    ami: Maybe<String>,
    instance_type: Maybe<String>,
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

    if rolls && prior.primary_instance_id.is_some() {
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
