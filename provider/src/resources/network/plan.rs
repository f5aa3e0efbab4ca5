//! Planning a network: the zones (the configured ones must be usable; the
//! default count is the tier's), and, on update, the outputs that must be
//! rebuilt when a part of the network is missing.

use serde::Deserialize;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{self, MaybeUnknown, Value};

use super::cloud;
use super::state::{NetworkState, default_zone_count};
use crate::config::SwarmClient;
use crate::ec2::usable_zones;
use crate::ownership;
use crate::resources::planned::Maybe;

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

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    if resp.destroying() {
        return;
    }
    if let Some(Value::String(name)) = resp.plan.get_attr("name").cloned() {
        resp.set("id", Value::String(name));
    }
    let config: ConfigModel = match req.config_as() {
        Ok(config) => config,
        Err(d) => return resp.diagnostics.extend(d),
    };
    // Zones: the configured ones must exist; the default depends on
    // the provider's environment.
    let wanted = match &config.availability_zones {
        MaybeUnknown::Known(Some(zones)) => Some(zones.clone()),
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
    if req.creating() {
        return report_others(client, resp).await;
    }
    // Drift: parts deleted out of band are rebuilt by an update.
    let prior: NetworkState = match value::from_value(&req.prior_state) {
        Ok(prior) => prior,
        Err(e) => {
            return resp.diagnostics.error(
                "Unreadable swarm_network state",
                format!("{e}. This is a bug in the provider."),
            );
        }
    };
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
