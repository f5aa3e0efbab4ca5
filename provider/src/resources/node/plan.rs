//! Planning a node: the environment's defaults, the default AMI and
//! subnets (looked up in AWS), and what the plan can already tell about
//! the instances.

use std::collections::BTreeMap;

use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::Value;

use super::cloud;
use super::state::{
    NodeState, Planned, default_instance_count, default_instance_type, planned, rule_texts,
    wanted_rules,
};
use crate::config::SwarmClient;
use crate::ec2;
use crate::tags;

/// The per-instance lists, in instance order.
const INSTANCE_LISTS: [&str; 4] = ["instance_ids", "private_ips", "availability_zones", "arns"];

/// Settings the instances are launched with: changing one replaces them.
pub const LAUNCH_SETTINGS: [&str; 7] = [
    "ami",
    "subnet_ids",
    "user_data",
    "agents_per_instance",
    "mcp_port",
    "root_volume_size",
    "associate_public_ip",
];

fn attr(object: &Value, name: &str) -> Value {
    object.get_attr(name).cloned().unwrap_or(Value::Null)
}

/// Equal as Terraform compares them: sets regardless of order.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Set(x), Value::Set(y)) => x.len() == y.len() && x.iter().all(|e| y.contains(e)),
        _ => a == b,
    }
}

fn string_set(items: impl IntoIterator<Item = String>) -> Value {
    Value::Set(items.into_iter().map(Value::String).collect())
}

fn strings(value: &Value) -> Option<Vec<String>> {
    if !value.is_wholly_known() {
        return None;
    }
    tfplugin::value::from_value(value).ok()
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    if resp.destroying() {
        return;
    }
    let creating = req.creating();
    let (config, prior) = (&req.config, &req.prior_state);
    let at = AttributePath::attr;

    resp.set("id", attr(&resp.plan, "name"));

    // The tier's defaults are planned whenever the configuration leaves
    // them out: changing `environment` resizes the node, and an instance
    // type changed out of band is changed back.
    let env = client.environment;
    let or = |configured: Value, default: Value| {
        if configured.is_null() {
            default
        } else {
            configured
        }
    };
    resp.set(
        "instance_type",
        or(
            attr(config, "instance_type"),
            Value::from(default_instance_type(env)),
        ),
    );
    resp.set(
        "instance_count",
        or(
            attr(config, "instance_count"),
            Value::from(default_instance_count(env)),
        ),
    );

    // Looked-up defaults are looked up once, then kept: a newer Ubuntu
    // release or a new default subnet does not replace running instances.
    let ami = match attr(config, "ami") {
        Value::Null => match attr(prior, "ami") {
            kept @ Value::String(_) if !creating => kept,
            _ => match cloud::newest_ubuntu_lts(client).await {
                Ok(id) => Value::String(id),
                Err(d) => return resp.diagnostics.push(d.at(at("ami"))),
            },
        },
        configured => {
            // A typo fails the plan, not an apply half way.
            if let Value::String(id) = &configured
                && (creating || attr(prior, "ami") != configured)
                && let Err(d) = cloud::root_device(client, id).await
            {
                return resp.diagnostics.push(d.at(at("ami")));
            }
            configured
        }
    };
    resp.set("ami", ami);

    let subnet_ids = match attr(config, "subnet_ids") {
        Value::Null => match attr(prior, "subnet_ids") {
            kept @ Value::Set(_) if !creating => kept,
            _ => match ec2::default_subnets(client).await {
                Ok(ids) => string_set(ids),
                Err(d) => return resp.diagnostics.push(d.at(at("subnet_ids"))),
            },
        },
        configured => configured,
    };
    resp.set("subnet_ids", subnet_ids.clone());
    let subnets_changed = creating || !same(&subnet_ids, &attr(prior, "subnet_ids"));

    // New subnets are checked now (one VPC, one per zone), and give the
    // default for allowed_cidrs: the VPC's block.
    let configured_cidrs = attr(config, "allowed_cidrs");
    let mut vpc_cidr = None;
    if let (true, Some(ids)) = (subnets_changed, strings(&subnet_ids)) {
        match cloud::placed_subnets(client, &ids).await {
            Ok(placed) if configured_cidrs.is_null() => {
                let vpc = placed.first().map(|s| s.vpc_id.clone()).unwrap_or_default();
                match ec2::vpc_cidr(client, &vpc).await {
                    Ok(cidr) => vpc_cidr = Some(cidr),
                    Err(d) => return resp.diagnostics.push(d.at(at("allowed_cidrs"))),
                }
            }
            Ok(_) => {}
            Err(d) => return resp.diagnostics.push(d.at(at("subnet_ids"))),
        }
    }
    let allowed_cidrs = match configured_cidrs {
        Value::Null => match (attr(prior, "allowed_cidrs"), vpc_cidr) {
            (kept @ Value::Set(_), _) if !subnets_changed => kept,
            (_, Some(cidr)) => string_set([cidr]),
            _ => Value::Unknown,
        },
        configured => configured,
    };
    resp.set("allowed_cidrs", allowed_cidrs.clone());

    let rules = match (
        planned::<i64>(&resp.plan, "mcp_port"),
        strings(&allowed_cidrs),
    ) {
        (Planned::Known(port), Some(cidrs)) => Value::List(
            rule_texts(&wanted_rules(port, &cidrs))
                .into_iter()
                .map(Value::String)
                .collect(),
        ),
        _ => Value::Unknown,
    };
    resp.set("ingress_rules", rules);

    let tags_all = match planned::<BTreeMap<String, String>>(&resp.plan, "tags") {
        Planned::Unknown => Value::Unknown,
        Planned::Null => tags::map_value(tags::with_defaults(client, None)),
        Planned::Known(own) => tags::map_value(tags::with_defaults(client, Some(&own))),
    };
    resp.set("tags_all", tags_all);

    plan_instances(req, resp, subnets_changed);
}

/// What the plan can say of the instances: unchanged ones keep their
/// ids; new ones are known after apply. A node short of instances (some
/// terminated out of band) plans an update that replaces them.
fn plan_instances(req: &PlanRequest, resp: &mut PlanResponse, subnets_changed: bool) {
    let prior = &req.prior_state;
    if req.creating() {
        for list in INSTANCE_LISTS {
            resp.set(list, Value::Unknown);
        }
        resp.set("security_group_id", Value::Unknown);
        return;
    }
    let prior_state = NodeState::from_value(prior).unwrap_or_default();
    let changed: Vec<&str> = LAUNCH_SETTINGS
        .into_iter()
        .filter(|a| !same(&attr(&resp.plan, a), &attr(prior, a)))
        .collect();
    let lists: Vec<Vec<String>> = [
        prior_state.instance_ids.clone(),
        prior_state.private_ips.clone(),
        prior_state.availability_zones.clone(),
        prior_state.arns.clone(),
    ]
    .into_iter()
    .map(Option::unwrap_or_default)
    .collect();
    let existing = lists[0].len();
    let short_or_extra = prior_state.instance_count != Some(existing as i64)
        || lists.iter().any(|l| l.len() != existing);
    let count = match planned::<i64>(&resp.plan, "instance_count") {
        Planned::Known(n) => usize::try_from(n).ok(),
        _ => None,
    };
    for (name, prior_list) in INSTANCE_LISTS.iter().zip(&lists) {
        let value = match count {
            Some(n) if changed.is_empty() && !short_or_extra => {
                let mut items: Vec<Value> = prior_list
                    .iter()
                    .take(n)
                    .cloned()
                    .map(Value::String)
                    .collect();
                items.resize(n, Value::Unknown);
                Value::List(items)
            }
            _ => Value::Unknown,
        };
        resp.set(name, value);
    }
    let group = match &prior_state.security_group_id {
        Some(id) if !subnets_changed => Value::String(id.clone()),
        _ => Value::Unknown,
    };
    resp.set("security_group_id", group);

    if !changed.is_empty() && existing > 0 {
        resp.diagnostics.warning(
            "The node's instances will be replaced",
            format!(
                "{} changed: the instances are launched with it, so new ones are started and, once running, the old ones are terminated. The security group is kept.",
                changed.join(", ")
            ),
        );
    }
}
