//! Planning a cache: the tier's defaults, the subnets checked in AWS (one
//! VPC, two zones for Multi-AZ), what replaces it (another VPC, an engine
//! downgrade, cluster mode switched), and drift of its security group.

use aws_sdk_ec2::error::ProvideErrorMetadata;
use serde::Deserialize;
use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::checks::parse_version;
use crate::config::{Environment, SwarmClient};
use crate::ec2::{self, SubnetsError};

/// The configuration as written (defaults not yet resolved).
#[derive(Debug, Deserialize)]
struct ConfigModel {
    node_type: MaybeUnknown<Option<String>>,
    replicas: MaybeUnknown<Option<i64>>,
    snapshot_retention_days: MaybeUnknown<Option<i64>>,
}

/// The node type by tier of environment: burstable nodes, bigger in
/// production.
fn default_node_type(environment: Environment) -> &'static str {
    match environment {
        Environment::Development => "cache.t3.micro",
        Environment::Staging => "cache.t3.small",
        Environment::Production => "cache.t3.medium",
    }
}

/// Replicas per shard: none in development (a single node is cheap and
/// enough there); one elsewhere, so a node or zone failure fails over.
fn default_replicas(environment: Environment) -> i64 {
    match environment {
        Environment::Development => 0,
        Environment::Staging | Environment::Production => 1,
    }
}

/// Days of daily snapshots kept.
fn default_retention_days(environment: Environment) -> i64 {
    match environment {
        Environment::Development => 1,
        Environment::Staging => 3,
        Environment::Production => 7,
    }
}

fn number_of(value: &Value, attribute: &str) -> Option<i64> {
    value
        .get_attr(attribute)
        .and_then(Value::as_number)
        .and_then(|n| n.as_i64())
}

fn strings_of(value: &Value, attribute: &str) -> Option<Vec<String>> {
    let items = value.get_attr(attribute)?;
    if !items.is_wholly_known() {
        return None;
    }
    items
        .as_elements()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Checks the subnets at plan time: they must exist, share one VPC, and
/// span two zones when there are replicas (Multi-AZ). Moving to another
/// VPC replaces the cache.
async fn plan_subnets(
    client: &SwarmClient,
    req: &PlanRequest,
    resp: &mut PlanResponse,
    subnet_ids: &[String],
) {
    let path = AttributePath::attr("subnet_ids");
    let unknown = |detail: String| Diagnostic::error("Unknown subnets", detail).at(path.clone());
    let subnets = match ec2::subnets(client, subnet_ids).await {
        Ok(subnets) => subnets,
        Err(SubnetsError::NotFound(e)) => {
            return resp.diagnostics.push(unknown(format!(
                "{} (in {}).",
                e.message().unwrap_or("A subnet does not exist"),
                client.region
            )));
        }
        Err(e) => {
            return resp
                .diagnostics
                .push(e.diagnostic("Cannot look up subnet_ids").at(path));
        }
    };
    let missing = ec2::missing(subnet_ids, &subnets);
    if !missing.is_empty() {
        return resp.diagnostics.push(unknown(format!(
            "No subnet {} in {}.",
            missing.join(", "),
            client.region
        )));
    }
    let vpc = match ec2::one_vpc(&subnets) {
        Ok(vpc) => vpc,
        Err(vpcs) => {
            return resp.diagnostics.attribute_error(
                path,
                "Subnets in several VPCs",
                format!(
                    "A cache lives in one VPC, but subnet_ids spans {}.",
                    vpcs.join(", ")
                ),
            );
        }
    };
    let replicas = number_of(&resp.plan, "replicas");
    if replicas.is_some_and(|r| r >= 1)
        && let Err(zones) = ec2::at_least_zones(&subnets, 2)
    {
        resp.diagnostics.attribute_error(
            path.clone(),
            "Multi-AZ needs two zones",
            format!(
                "With replicas = {}, the cache runs Multi-AZ with automatic failover, so \
                 subnet_ids must span at least two availability zones; these are all in {}. \
                 Add subnets in other zones, or set replicas = 0.",
                replicas.unwrap_or_default(),
                zones.join(", ")
            ),
        );
    }
    let prior_vpc = req.prior_state.get_attr("vpc_id").and_then(Value::as_str);
    if !req.creating() && prior_vpc.is_some_and(|p| p != vpc) {
        resp.require_replace(path);
    }
    resp.set("vpc_id", Value::String(vpc.to_owned()));
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
    let env = client.environment;
    let shards = number_of(&resp.plan, "shards");
    // Defaults by environment, where the configuration leaves them out.
    if req.creating() {
        if let MaybeUnknown::Known(None) = config.node_type {
            resp.set(
                "node_type",
                Value::String(default_node_type(env).to_owned()),
            );
        }
        if let MaybeUnknown::Known(None) = config.replicas {
            let minimum = if shards.is_some_and(|s| s > 1) { 1 } else { 0 };
            let replicas = default_replicas(env).max(minimum);
            resp.set("replicas", Value::Number(replicas.into()));
        }
        if let MaybeUnknown::Known(None) = config.snapshot_retention_days {
            resp.set(
                "snapshot_retention_days",
                Value::Number(default_retention_days(env).into()),
            );
        }
    }
    match number_of(&resp.plan, "replicas") {
        Some(replicas) => resp.set("multi_az", Value::Bool(replicas >= 1)),
        None => resp.set("multi_az", Value::Unknown),
    }

    if let Some(subnet_ids) = strings_of(&resp.plan, "subnet_ids") {
        let changed = strings_of(&req.prior_state, "subnet_ids").is_none_or(|prior| {
            let (mut a, mut b) = (prior, subnet_ids.clone());
            a.sort();
            b.sort();
            a != b
        });
        if req.creating() || changed {
            plan_subnets(client, req, resp, &subnet_ids).await;
        }
    } else if !req.creating() {
        // Not known yet: the VPC is found at apply.
        resp.set("vpc_id", Value::Unknown);
    }
    if req.creating() {
        return;
    }

    // An engine downgrade cannot be done in place.
    let version = |v: &Value| {
        v.get_attr("engine_version")
            .and_then(Value::as_str)
            .and_then(|s| parse_version(s).ok())
    };
    if let (Some(prior), Some(planned)) = (version(&req.prior_state), version(&resp.plan))
        && planned < prior
    {
        resp.require_replace(AttributePath::attr("engine_version"));
    }
    // Cluster mode is set at creation.
    if let (Some(prior), Some(planned)) = (number_of(&req.prior_state, "shards"), shards)
        && (prior > 1) != (planned > 1)
    {
        resp.require_replace(AttributePath::attr("shards"));
    }
    // Drift: the replication group no longer uses (only) the cache's
    // security group, or the group is gone; read leaves it null.
    if req
        .prior_state
        .get_attr("security_group_id")
        .is_none_or(Value::is_null)
    {
        resp.set("security_group_id", Value::Unknown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_by_environment() {
        assert_eq!(default_replicas(Environment::Development), 0);
        assert_eq!(default_replicas(Environment::Production), 1);
        assert_eq!(default_node_type(Environment::Staging), "cache.t3.small");
        assert_eq!(default_retention_days(Environment::Production), 7);
    }
}
