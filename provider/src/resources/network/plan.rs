//! Planning a network: the zones (the configured ones must be usable; the
//! default count is the tier's), and, on update, the outputs that must be
//! rebuilt when a part of the network is missing.

use serde::Deserialize;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::state::{NetworkState, default_zone_count};
use super::{checks, cloud};
use crate::config::SwarmClient;
use crate::ec2::usable_zones;
use crate::ownership;
use crate::resources::planned::{self, Maybe};
use crate::tags;

/// The attributes that describe the built network; planned unknown when
/// the network must be repaired.
const BUILT: [&str; 6] = [
    "public_subnet_ids",
    "private_subnet_ids",
    "database_subnet_ids",
    "nat_gateway_ids",
    "route_table_ids",
    "internet_gateway_id",
];

/// The configuration as written (defaults not yet resolved).
#[derive(Debug, Deserialize)]
struct ConfigModel {
    availability_zones: Maybe<Vec<String>>,
}

/// `prior`, then the first of `usable` not in it, up to `count` zones.
fn grown_zones(
    prior: &[String],
    usable: impl IntoIterator<Item = String>,
    count: usize,
) -> Vec<String> {
    let mut zones = prior.to_vec();
    for zone in usable {
        if zones.len() >= count {
            break;
        }
        if !zones.contains(&zone) {
            zones.push(zone);
        }
    }
    zones
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    if resp.destroying() {
        return;
    }
    if let Some(Value::String(name)) = resp.plan.get_attr("name").cloned() {
        resp.set("id", Value::String(name));
    }
    tags::plan(client, &checks::TAGGING, resp);
    let config: ConfigModel = match req.config_as() {
        Ok(config) => config,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let prior: Option<NetworkState> = match planned::prior_state(req) {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let prior_zones = prior
        .as_ref()
        .and_then(|p| p.availability_zones.clone())
        .unwrap_or_default();
    // Zones: the configured ones must exist (checked when they are new or
    // changed, not on every plan); the default depends on the provider's
    // environment.
    let wanted = match &config.availability_zones {
        MaybeUnknown::Known(Some(zones)) if prior.is_none() || *zones != prior_zones => {
            Some(zones.clone())
        }
        _ => None,
    };
    if req.creating() || wanted.is_some() {
        let usable = match usable_zones(client).await {
            Ok(zones) => zones,
            Err(d) => return resp.diagnostics.push(d),
        };
        match &wanted {
            Some(zones) => {
                for (i, zone) in zones.iter().enumerate() {
                    if !usable.iter().any(|z| &z.name == zone) {
                        resp.diagnostics.attribute_error(
                            AttributePath::attr("availability_zones").push_index(i as i64),
                            "Unknown availability zone",
                            format!("{zone:?} is not a usable zone of {}.", client.region),
                        );
                    }
                }
            }
            None if req.creating() && config.availability_zones.is_known() => {
                let count = default_zone_count(client.environment);
                let zones: Vec<Value> = usable
                    .iter()
                    .take(count)
                    .map(|z| Value::String(z.name.clone()))
                    .collect();
                if zones.is_empty() {
                    resp.diagnostics.error(
                        "No availability zones",
                        format!("{} has no usable zone.", client.region),
                    );
                }
                resp.set("availability_zones", Value::List(zones));
            }
            None => {}
        }
    }
    let Some(prior) = prior else {
        // A create: other networks of this name are reported.
        return report_others(client, resp).await;
    };
    match &config.availability_zones {
        // Left out: the tier's count. A network with fewer zones (one
        // made when the development tier had one) grows to it in place;
        // one with more keeps them (fewer would replace it).
        MaybeUnknown::Known(None) => {
            let count = default_zone_count(client.environment);
            if prior_zones.len() < count {
                let usable = match usable_zones(client).await {
                    Ok(zones) => zones,
                    Err(d) => return resp.diagnostics.push(d),
                };
                let grown = grown_zones(&prior_zones, usable.into_iter().map(|z| z.name), count);
                resp.set(
                    "availability_zones",
                    Value::List(grown.into_iter().map(Value::String).collect()),
                );
            }
        }
        // Zones added after the existing ones are built in place; any
        // other change moves subnets, which replaces the network.
        MaybeUnknown::Known(Some(zones)) if !zones.starts_with(&prior_zones) => {
            resp.require_replace(AttributePath::attr("availability_zones"));
        }
        // Not known until apply (another resource's): it may move subnets,
        // and the plan must say so now.
        MaybeUnknown::Unknown => resp.require_replace(AttributePath::attr("availability_zones")),
        MaybeUnknown::Known(Some(_)) => {}
    }
    // Drift: parts deleted out of band are rebuilt by an update.
    let zones = match resp.plan.get_attr("availability_zones") {
        Some(Value::List(zones)) => zones.len(),
        _ => 0,
    };
    if !prior.is_complete(zones, client.environment) {
        for attribute in BUILT {
            resp.set(attribute, Value::Unknown);
        }
    }
}

/// At the plan of a create: a warning naming the VPCs of other networks
/// of this name (another stack's, or left by a killed Terraform run),
/// which the new network never touches.
async fn report_others(client: &SwarmClient, resp: &mut PlanResponse) {
    let Some(Value::String(name)) = resp.plan.get_attr("name").cloned() else {
        return;
    };
    match cloud::answering(client, &name).await {
        Ok(sets) if sets.is_empty() => {}
        Ok(sets) => resp.diagnostics.push(ownership::others_warning(
            "swarm_network",
            &name,
            &sets,
            "`terraform import swarm_network.<name> <vpc id>`",
        )),
        Err(d) => resp.diagnostics.push(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn zones_grow_after_the_existing_ones() {
        let usable = || strings(&["us-east-1a", "us-east-1b", "us-east-1c"]);
        assert_eq!(
            grown_zones(&strings(&["us-east-1b"]), usable(), 2),
            strings(&["us-east-1b", "us-east-1a"])
        );
        assert_eq!(
            grown_zones(&strings(&["us-east-1a"]), usable(), 3),
            strings(&["us-east-1a", "us-east-1b", "us-east-1c"])
        );
        // Never fewer than there are.
        assert_eq!(
            grown_zones(&strings(&["us-east-1a", "us-east-1c"]), usable(), 1),
            strings(&["us-east-1a", "us-east-1c"])
        );
        // Not enough usable zones: as many as there are.
        assert_eq!(
            grown_zones(&[], strings(&["us-east-1a"]), 2),
            strings(&["us-east-1a"])
        );
    }
}
