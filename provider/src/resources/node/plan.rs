//! Planning a node: the environment's defaults, the default AMI and
//! subnets (looked up in AWS), and what the plan can already tell about
//! the instances.

use serde::Deserialize;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::state::{NodeState, default_instance_count};
use super::{checks, cloud};
use crate::catalogue;
use crate::config::SwarmClient;
use crate::ec2;
use crate::instances::{self, rule_texts, wanted_rules};
use crate::ownership::{self, Identity};
use crate::resources::planned::{self, Maybe};
use crate::tags;

/// The per-instance lists, in instance order (written only: the prior
/// values are read from `NodeState`).
const INSTANCE_LISTS: [&str; 4] = ["instance_ids", "private_ips", "availability_zones", "arns"];

/// A set of strings that may be partly unknown at plan (subnet ids and
/// blocks from other resources). Each element is read as it is, so that a
/// set with an unknown element still decodes (a `Vec<String>` would not)
/// and is planned back unchanged; only a wholly known set is used.
type Strings = MaybeUnknown<Option<Vec<MaybeUnknown<String>>>>;

/// What the configuration says of the attributes the plan resolves (a
/// null one gets a default).
#[derive(Debug, Deserialize)]
struct Configured {
    ami: Maybe<String>,
    instance_type: Maybe<String>,
    user_data: Maybe<String>,
    instance_count: Maybe<i64>,
    subnet_ids: Strings,
    allowed_cidrs: Strings,
}

/// What the proposed plan (the configuration with the schema's defaults)
/// holds of the attributes this file reads but does not resolve.
#[derive(Debug, Deserialize)]
struct Proposed {
    name: Maybe<String>,
    user_data: Maybe<String>,
    agents_per_instance: Maybe<i64>,
    mcp_port: Maybe<i64>,
    root_volume_size: Maybe<i64>,
    associate_public_ip: Maybe<bool>,
}

/// A planned scalar as Terraform's value.
fn value_of<T: Into<Value>>(planned: Maybe<T>) -> Value {
    match planned {
        MaybeUnknown::Unknown => Value::Unknown,
        MaybeUnknown::Known(None) => Value::Null,
        MaybeUnknown::Known(Some(v)) => v.into(),
    }
}

fn known_strings(items: Vec<String>) -> Strings {
    MaybeUnknown::Known(Some(items.into_iter().map(MaybeUnknown::Known).collect()))
}

/// A planned set as Terraform's value, unknown elements included.
fn strings_value(planned: &Strings) -> Value {
    match planned {
        MaybeUnknown::Unknown => Value::Unknown,
        MaybeUnknown::Known(None) => Value::Null,
        MaybeUnknown::Known(Some(items)) => Value::Set(
            items
                .iter()
                .map(|item| match item {
                    MaybeUnknown::Known(s) => Value::String(s.clone()),
                    MaybeUnknown::Unknown => Value::Unknown,
                })
                .collect(),
        ),
    }
}

/// The strings of a set, when it is wholly known (and not null).
fn wholly_known(planned: &Strings) -> Option<Vec<String>> {
    match planned {
        MaybeUnknown::Known(Some(items)) => items.iter().map(|i| i.known().cloned()).collect(),
        _ => None,
    }
}

/// Whether a planned set equals the prior one as Terraform compares sets:
/// regardless of order; an unknown element equals nothing.
fn same_strings(planned: &Strings, prior: Option<&Vec<String>>) -> bool {
    match (planned, prior) {
        (MaybeUnknown::Known(None), None) => true,
        (MaybeUnknown::Known(Some(items)), Some(prior)) => {
            items.len() == prior.len()
                && items
                    .iter()
                    .all(|i| i.known().is_some_and(|s| prior.contains(s)))
        }
        _ => false,
    }
}

/// Whether a planned scalar differs from the prior one; unknown differs.
fn differs<T: PartialEq>(planned: &Maybe<T>, prior: &Option<T>) -> bool {
    planned.known() != Some(prior)
}

/// The default VPC's default subnets in the zones that offer
/// `instance_type` (not every zone offers every type: us-east-1e offers no
/// t3), or all of them when none does (the plan's check then says why).
async fn default_subnets_offering(
    client: &SwarmClient,
    instance_type: &str,
) -> Result<Vec<String>, tfplugin::diag::Diagnostic> {
    let ids = ec2::default_subnets(client).await?;
    let subnets = cloud::subnets(client, &ids).await?;
    let offering =
        catalogue::zones_offering_type(client, instance_type, &ec2::zones(&subnets)).await?;
    let mut usable: Vec<String> = subnets
        .iter()
        .filter(|s| offering.contains(&s.availability_zone))
        .map(|s| s.id.clone())
        .collect();
    usable.sort();
    Ok(if usable.is_empty() { ids } else { usable })
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
    let prior: Option<NodeState> = match planned::prior_state(req) {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let prior = prior.as_ref();

    resp.set("id", value_of(proposed.name.clone()));

    // The tier's defaults are planned whenever the configuration leaves
    // them out: changing `environment` resizes the node, and an instance
    // type changed out of band is changed back.
    let instance_type = instances::plan::instance_type(client, config.instance_type);
    resp.set("instance_type", value_of(instance_type.clone()));
    let instance_count = match config.instance_count {
        MaybeUnknown::Known(None) => {
            MaybeUnknown::Known(Some(default_instance_count(client.environment)))
        }
        configured => configured,
    };
    resp.set("instance_count", value_of(instance_count.clone()));

    // Looked-up defaults are looked up once, then kept: a newer Ubuntu
    // release or a new default subnet does not replace running instances.
    let prior_ami = prior.and_then(|p| p.ami.as_ref());
    let ami = match instances::plan::ami(client, config.ami, prior_ami).await {
        Ok(ami) => ami,
        Err(d) => return resp.diagnostics.push(d),
    };
    resp.set("ami", value_of(ami.clone()));

    let subnet_ids = match config.subnet_ids {
        MaybeUnknown::Known(None) => match prior.and_then(|p| p.subnet_ids.clone()) {
            Some(kept) => known_strings(kept),
            None => match planned::given(&instance_type) {
                Some(wanted) => match default_subnets_offering(client, wanted).await {
                    Ok(ids) => known_strings(ids),
                    Err(d) => return resp.diagnostics.push(d.at(at("subnet_ids"))),
                },
                // Which default subnets depends on the type.
                None => MaybeUnknown::Unknown,
            },
        },
        configured => configured,
    };
    resp.set("subnet_ids", strings_value(&subnet_ids));
    let subnets_changed = prior.is_none_or(|p| !same_strings(&subnet_ids, p.subnet_ids.as_ref()));

    // New subnets are checked now (one VPC, one per zone), and give the
    // default for allowed_cidrs: the VPC's block.
    let cidrs_configured = !matches!(config.allowed_cidrs, MaybeUnknown::Known(None));
    let mut vpc_cidr = None;
    let mut zones = None;
    if let (true, Some(ids)) = (subnets_changed, wholly_known(&subnet_ids)) {
        match cloud::placed_subnets(client, &ids).await {
            Ok(placed) => {
                zones = Some(ec2::zones(&placed));
                if !cidrs_configured {
                    let vpc = placed.first().map(|s| s.vpc_id.clone()).unwrap_or_default();
                    match ec2::vpc_cidr(client, &vpc).await {
                        Ok(cidr) => vpc_cidr = Some(cidr),
                        Err(d) => return resp.diagnostics.push(d.at(at("allowed_cidrs"))),
                    }
                }
            }
            Err(d) => return resp.diagnostics.push(d.at(at("subnet_ids"))),
        }
    }
    // The type must be offered in every zone the node runs in: checked
    // when it or the subnets change (a known value of another resource's
    // is checked by the plan Terraform makes again at apply).
    let type_changed = prior.is_none_or(|p| differs(&instance_type, &p.instance_type));
    if let (Some(wanted), true) = (
        planned::given(&instance_type),
        type_changed || subnets_changed,
    ) && let Some(ids) = wholly_known(&subnet_ids)
    {
        let zones = match zones {
            Some(zones) => zones,
            None => match cloud::subnets(client, &ids).await {
                Ok(found) => ec2::zones(&found),
                Err(d) => return resp.diagnostics.push(d.at(at("subnet_ids"))),
            },
        };
        if let Err(d) = instances::plan::check_offered(client, wanted, &zones).await {
            return resp.diagnostics.push(d);
        }
    }
    let allowed_cidrs = match config.allowed_cidrs {
        MaybeUnknown::Known(None) => {
            match (prior.and_then(|p| p.allowed_cidrs.clone()), vpc_cidr) {
                (Some(kept), _) if !subnets_changed => known_strings(kept),
                (_, Some(cidr)) => known_strings(vec![cidr]),
                _ => MaybeUnknown::Unknown,
            }
        }
        configured => configured,
    };
    resp.set("allowed_cidrs", strings_value(&allowed_cidrs));

    let rules = match (&proposed.mcp_port, wholly_known(&allowed_cidrs)) {
        (MaybeUnknown::Known(Some(port)), Some(cidrs)) => Value::List(
            rule_texts(&wanted_rules(*port, &cidrs))
                .into_iter()
                .map(Value::String)
                .collect(),
        ),
        _ => Value::Unknown,
    };
    resp.set("ingress_rules", rules);

    tags::plan(client, &checks::TAGGING, resp);

    let Some(prior) = prior else {
        for list in INSTANCE_LISTS {
            resp.set(list, Value::Unknown);
        }
        resp.set("security_group_id", Value::Unknown);
        return report_others(client, resp).await;
    };
    let changed = launch_changes(&ami, &subnet_ids, &proposed, prior);
    let has_instances = prior
        .instance_ids
        .as_ref()
        .is_some_and(|ids| !ids.is_empty());
    if let Some(warning) = instances::plan::user_data_removed(
        &config.user_data,
        prior.user_data.as_ref(),
        !changed.is_empty() && has_instances,
        "the node's instances will be replaced",
    ) {
        resp.diagnostics.push(warning);
    }
    let count = match instance_count {
        MaybeUnknown::Known(Some(n)) => usize::try_from(n).ok(),
        _ => None,
    };
    plan_instances(resp, prior, &changed, count, subnets_changed);
}

/// The settings the instances are launched with that the plan changes:
/// changing one replaces them. Compared field by field; unknown counts as
/// changed.
fn launch_changes(
    ami: &Maybe<String>,
    subnet_ids: &Strings,
    proposed: &Proposed,
    prior: &NodeState,
) -> Vec<&'static str> {
    [
        ("ami", differs(ami, &prior.ami)),
        (
            "subnet_ids",
            !same_strings(subnet_ids, prior.subnet_ids.as_ref()),
        ),
        ("user_data", differs(&proposed.user_data, &prior.user_data)),
        (
            "agents_per_instance",
            differs(&proposed.agents_per_instance, &prior.agents_per_instance),
        ),
        ("mcp_port", differs(&proposed.mcp_port, &prior.mcp_port)),
        (
            "root_volume_size",
            differs(&proposed.root_volume_size, &prior.root_volume_size),
        ),
        (
            "associate_public_ip",
            differs(&proposed.associate_public_ip, &prior.associate_public_ip),
        ),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}

/// What the plan can say of an existing node's instances: unchanged ones
/// keep their ids; new ones are known after apply. A node short of
/// instances (some terminated out of band) plans an update that replaces
/// them. `count` is the planned instance count, when known.
fn plan_instances(
    resp: &mut PlanResponse,
    prior: &NodeState,
    changed: &[&str],
    count: Option<usize>,
    subnets_changed: bool,
) {
    let lists: Vec<Vec<String>> = [
        prior.instance_ids.clone(),
        prior.private_ips.clone(),
        prior.availability_zones.clone(),
        prior.arns.clone(),
    ]
    .into_iter()
    .map(Option::unwrap_or_default)
    .collect();
    let existing = lists[0].len();
    let short_or_extra =
        prior.instance_count != Some(existing as i64) || lists.iter().any(|l| l.len() != existing);
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
    let group = match &prior.security_group_id {
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

/// At the plan of a create: a warning naming the instances and security
/// groups of other nodes of this name (another stack's, or left by a killed
/// Terraform run), which the new node never touches.
async fn report_others(client: &SwarmClient, resp: &mut PlanResponse) {
    let Some(Value::String(name)) = resp.plan.get_attr("name").cloned() else {
        return;
    };
    match cloud::observe(client, &Identity::anyone(name.as_str())).await {
        Ok(others) if others.is_empty() => {}
        Ok(others) => resp.diagnostics.push(ownership::others_warning(
            "swarm_node",
            &name,
            &others.sets(),
            "`terraform import swarm_node.<name> <name>`, once only one set answers to the name",
        )),
        Err(d) => resp.diagnostics.push(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn a_partly_unknown_set_decodes_and_is_planned_back_unchanged() {
        let partly = Value::Set(vec![Value::from("subnet-a"), Value::Unknown]);
        let config = object(&[("subnet_ids", partly.clone())]);
        let configured: Configured = tfplugin::value::from_value(&config).unwrap();
        assert_eq!(strings_value(&configured.subnet_ids), partly);
        assert_eq!(wholly_known(&configured.subnet_ids), None);
        let prior = vec!["subnet-a".to_owned(), "subnet-b".to_owned()];
        assert!(!same_strings(&configured.subnet_ids, Some(&prior)));
        // Left out: null, not unknown.
        assert!(matches!(
            configured.allowed_cidrs,
            MaybeUnknown::Known(None)
        ));
        assert!(configured.ami.is_known());
    }

    #[test]
    fn sets_compare_regardless_of_order() {
        let planned = known_strings(vec!["b".into(), "a".into()]);
        assert!(same_strings(&planned, Some(&vec!["a".into(), "b".into()])));
        assert!(!same_strings(&planned, Some(&vec!["a".into()])));
        assert!(!same_strings(&planned, None));
        assert!(!same_strings(&MaybeUnknown::Unknown, Some(&vec![])));
        assert!(same_strings(&MaybeUnknown::Known(None), None));
        assert_eq!(wholly_known(&planned), Some(vec!["b".into(), "a".into()]));
    }

    #[test]
    fn an_unknown_setting_counts_as_changed() {
        assert!(differs::<i64>(&MaybeUnknown::Unknown, &Some(3000)));
        assert!(differs(&MaybeUnknown::Known(Some(3001)), &Some(3000)));
        assert!(!differs(&MaybeUnknown::Known(Some(3000)), &Some(3000)));
        assert!(!differs::<String>(&MaybeUnknown::Known(None), &None));
    }

    #[test]
    fn a_tag_from_another_resource_leaves_the_plan_readable() {
        let tags = Value::Map([("team".to_owned(), Value::Unknown)].into());
        let plan = object(&[("name", Value::from("n")), ("tags", tags)]);
        let proposed: Proposed = tfplugin::value::from_value(&plan).unwrap();
        assert_eq!(value_of(proposed.name), Value::from("n"));
    }
}
