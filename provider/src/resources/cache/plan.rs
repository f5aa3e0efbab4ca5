//! Planning a cache: the tier's defaults, the subnets checked in AWS (one
//! VPC, two zones for Multi-AZ), what replaces it (another VPC, an engine
//! downgrade, cluster mode switched), and drift of its security group.

use std::collections::BTreeSet;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use serde::Deserialize;
use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::checks::{self, parse_version};
use super::cloud::config_version;
use super::state::CacheState;
use crate::catalogue;
use crate::config::{Environment, SwarmClient};
use crate::ec2::{self, SubnetsError};
use crate::resources::planned::{self, Maybe, given};
use crate::tags;

/// The configuration as written (defaults not yet resolved).
#[derive(Debug, Deserialize)]
struct ConfigModel {
    node_type: Maybe<String>,
    replicas: Maybe<i64>,
    snapshot_retention_days: Maybe<i64>,
}

/// The plan, as far as planning reads it. `modify_plan` keeps `replicas`
/// in step with the default it plans.
#[derive(Debug, Deserialize)]
struct Planned {
    name: Maybe<String>,
    engine_version: Maybe<String>,
    replicas: Maybe<i64>,
    shards: Maybe<i64>,
    #[serde(deserialize_with = "planned::wholly_known")]
    subnet_ids: Maybe<Vec<String>>,
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

/// Checks the subnets at plan time: they must exist, share one VPC, and
/// span two zones when there are replicas (Multi-AZ). Moving to another
/// VPC replaces the cache. `replicas` as planned; `prior_vpc` is the
/// prior state's (`None` on create).
async fn plan_subnets(
    client: &SwarmClient,
    resp: &mut PlanResponse,
    subnet_ids: &[String],
    replicas: Option<i64>,
    prior_vpc: Option<&str>,
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
    if prior_vpc.is_some_and(|p| p != vpc) {
        resp.require_replace(path);
    }
    resp.set("vpc_id", Value::String(vpc.to_owned()));
}

/// The Redis engine (CreateReplicationGroup's `Engine`).
const ENGINE: &str = "redis";

/// Refuses a Redis version ElastiCache does not offer, listing the nearest
/// it does, as the configuration writes them (`7.1` for `7.1.0`).
async fn check_version(client: &SwarmClient, wanted: &str, resp: &mut PlanResponse) {
    let path = AttributePath::attr("engine_version");
    match catalogue::cache_engine_versions(client, ENGINE).await {
        Ok(offered) => {
            let mut written: Vec<String> = offered.iter().map(|v| config_version(v)).collect();
            written.dedup();
            if let Some(why) = catalogue::version_refused("Redis", wanted, &written) {
                resp.diagnostics.attribute_error(
                    path,
                    "Engine version not offered",
                    format!("engine_version: {why}"),
                );
            }
        }
        Err(d) => resp.diagnostics.push(d.at(path)),
    }
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    if resp.destroying() {
        return;
    }
    let config: ConfigModel = match req.config_as() {
        Ok(config) => config,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let mut plan: Planned = match resp.plan_as() {
        Ok(plan) => plan,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let prior: Option<CacheState> = match planned::prior_state(req) {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.extend(d),
    };
    if let Some(name) = given(&plan.name) {
        resp.set("id", Value::String(name.clone()));
        if prior.is_none() {
            resp.set("subnet_group_name", Value::String(name.clone()));
        }
    }
    tags::plan(client, &checks::TAGGING, resp);
    let env = client.environment;
    let shards = given(&plan.shards).copied();
    // Defaults by environment, where the configuration leaves them out.
    if prior.is_none() {
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
            plan.replicas = MaybeUnknown::Known(Some(replicas));
        }
        if let MaybeUnknown::Known(None) = config.snapshot_retention_days {
            resp.set(
                "snapshot_retention_days",
                Value::Number(default_retention_days(env).into()),
            );
        }
    }
    let replicas = given(&plan.replicas).copied();
    match replicas {
        Some(replicas) => resp.set("multi_az", Value::Bool(replicas >= 1)),
        None => resp.set("multi_az", Value::Unknown),
    }

    if let Some(subnet_ids) = given(&plan.subnet_ids) {
        // Compared as sets: Terraform does not keep a set's order.
        let changed = prior.as_ref().is_none_or(|prior| {
            prior
                .subnet_ids
                .as_ref()
                .is_none_or(|before| *before != subnet_ids.iter().cloned().collect::<BTreeSet<_>>())
        });
        // An imported cache's own subnet group is never changed (others
        // may use it): its subnets are the cache's.
        if changed
            && let Some(prior) = &prior
            && let (Some(group), Some(name)) = (&prior.subnet_group_name, &prior.name)
            && group != name
        {
            resp.diagnostics.attribute_error(
                AttributePath::attr("subnet_ids"),
                "The cache's subnet group is not the provider's",
                format!(
                    "The cache is in cache subnet group {group:?}, which it was imported with: \
                     the provider does not change a subnet group it did not make (other caches \
                     may use it), so subnet_ids must stay its subnets. Change the group itself, \
                     then refresh."
                ),
            );
        }
        if changed {
            let prior_vpc = prior.as_ref().and_then(|p| p.vpc_id.as_deref());
            plan_subnets(client, resp, subnet_ids, replicas, prior_vpc).await;
        }
    } else if prior.is_some() {
        // Not known yet: the VPC is found at apply.
        resp.set("vpc_id", Value::Unknown);
    }
    // The version, against what ElastiCache offers: looked up only when it
    // is new or changed.
    if let Some(wanted) = given(&plan.engine_version)
        && prior
            .as_ref()
            .is_none_or(|p| p.engine_version.as_ref() != Some(wanted))
    {
        check_version(client, wanted, resp).await;
    }
    let Some(prior) = prior else {
        // The provider makes encrypted caches only.
        for attribute in ["at_rest_encryption_enabled", "transit_encryption_enabled"] {
            if req.config.get_attr(attribute) == Some(&Value::Bool(false)) {
                resp.diagnostics.attribute_error(
                    AttributePath::attr(attribute),
                    "Caches are encrypted",
                    format!(
                        "The provider makes encrypted caches only: {attribute} = false describes \
                         an imported unencrypted one. Leave it out (or true)."
                    ),
                );
            }
        }
        // A create whose names are someone else's fails now, not half way.
        if let Some(name) = given(&plan.name)
            && let Err(d) = super::converge::check_free(
                client,
                name,
                &crate::ownership::replaced(&client.held, "swarm_cache", name, &req.prior_private),
            )
            .await
        {
            resp.diagnostics.push(d);
        }
        return;
    };

    // An engine downgrade cannot be done in place.
    let version = |v: Option<&String>| v.and_then(|s| parse_version(s).ok());
    if let (Some(before), Some(planned)) = (
        version(prior.engine_version.as_ref()),
        version(given(&plan.engine_version)),
    ) && planned < before
    {
        resp.require_replace(AttributePath::attr("engine_version"));
    }
    // Cluster mode is set at creation.
    if let (Some(before), Some(planned)) = (prior.shards, shards)
        && (before > 1) != (planned > 1)
    {
        resp.require_replace(AttributePath::attr("shards"));
    }
    // Drift: the replication group no longer uses (only) the cache's
    // security group, or the group is gone; read leaves it null.
    if prior.security_group_id.is_none() {
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

    #[test]
    fn partly_unknown_subnets_read_as_unknown() {
        let plan = |subnet_ids: Value| -> Planned {
            let object = Value::Object([("subnet_ids".to_owned(), subnet_ids)].into());
            tfplugin::value::from_value(&object).expect("a plan decodes")
        };
        let partly = Value::Set(vec![Value::from("subnet-a"), Value::Unknown]);
        assert!(plan(partly).subnet_ids.is_unknown());
        let known = Value::Set(vec![Value::from("subnet-a")]);
        assert_eq!(
            given(&plan(known).subnet_ids),
            Some(&vec!["subnet-a".to_owned()])
        );
        assert_eq!(plan(Value::Null).subnet_ids, MaybeUnknown::Known(None));
    }
}
