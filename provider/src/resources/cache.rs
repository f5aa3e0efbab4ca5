//! `swarm_cache`: Redis on ElastiCache for an agent swarm (session state,
//! queues, rate limits): a replication group encrypted at rest and in
//! transit, with replicas across zones and automatic failover, daily
//! snapshots, in its own cache subnet group and behind its own security
//! group, which lets in TCP 6379 only from the security groups named in
//! `allowed_security_group_ids`.
//!
//! The replication group and the subnet group are found by name (the
//! replication group id is the resource's name); the security group by its
//! identity tags. Create and update share one idempotent "ensure" that makes
//! what is missing and converges what differs, so a half-finished apply is
//! finished by the next one.

mod cloud;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use serde::Deserialize;
use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::path::AttributePath;
use tfplugin::resource::{
    ChangeRequest, ChangeResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{MaybeUnknown, Type, Value};

use crate::checks;
use crate::config::{Environment, SwarmClient};
use crate::ec2::{self, SubnetsError};

use cloud::Observed;

pub struct Cache;

const DEFAULT_ENGINE_VERSION: &str = "7.1";
const MAX_REPLICAS: i64 = 5;
const MAX_SHARDS: i64 = 500;
const MAX_RETENTION_DAYS: i64 = 35;
/// ElastiCache's shortest snapshot window.
const MIN_WINDOW_MINUTES: u32 = 60;
const CREATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(40 * 60);

/// What the configuration asks for, once planned.
#[derive(Debug, Deserialize)]
struct Spec {
    name: String,
    node_type: String,
    engine_version: String,
    replicas: i32,
    shards: i32,
    subnet_ids: Vec<String>,
    allowed_security_group_ids: Vec<String>,
    snapshot_retention_days: i32,
    /// Unknown when left to AWS at create.
    snapshot_window: MaybeUnknown<Option<String>>,
    tags: Option<BTreeMap<String, String>>,
}

impl Spec {
    fn cluster_mode(&self) -> bool {
        self.shards > 1
    }

    /// Multi-AZ needs a replica to fail over to.
    fn multi_az(&self) -> bool {
        self.replicas >= 1
    }

    /// Automatic failover: with a replica, and always in cluster mode
    /// (ElastiCache requires it there).
    fn automatic_failover(&self) -> bool {
        self.replicas >= 1 || self.cluster_mode()
    }
}

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

/// Replication group ids: 1 to 40 lowercase letters, digits and hyphens,
/// starting with a letter, without two hyphens in a row or a trailing one.
/// (ElastiCache lowercases ids; asking for lowercase avoids a perpetual
/// diff.)
fn name_check(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() || name.len() > 40 {
        Some("it must be 1 to 40 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("only lowercase letters, digits and hyphens are allowed")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it must start with a letter")
    } else if name.contains("--") {
        Some("it must not contain two hyphens in a row")
    } else if name.ends_with('-') {
        Some("it must not end with a hyphen")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(format!("{name:?}: {why}.")),
    }
}

/// `cache.<family>.<size>`, e.g. `cache.t3.micro` or `cache.r7g.large`.
fn node_type_check(node_type: &str) -> Result<(), String> {
    checks::instance_class(node_type, Some("cache"), "cache.t3.micro")
}

/// A Redis version as ElastiCache takes it: `MAJOR.MINOR` from 6 on
/// (e.g. `7.1`), the full `MAJOR.MINOR.PATCH` before (e.g. `5.0.6`).
fn parse_version(text: &str) -> Result<(u32, u32, u32), String> {
    let parts: Vec<&str> = text.split('.').collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
    let invalid = || {
        format!("{text:?} is not a Redis version such as 7.1 (from Redis 6 on) or 5.0.6 (before).")
    };
    let numbers = numbers.ok_or_else(invalid)?;
    match numbers.as_slice() {
        [major, minor] if *major >= 6 => Ok((*major, *minor, 0)),
        [major, minor, patch] if *major < 6 => Ok((*major, *minor, *patch)),
        _ => Err(invalid()),
    }
}

fn engine_version_check(text: &str) -> Result<(), String> {
    parse_version(text).map(|_| ())
}

/// `HH:MM-HH:MM` in UTC, at least an hour long (it may span midnight).
fn snapshot_window_check(text: &str) -> Result<(), String> {
    checks::daily_window(text, MIN_WINDOW_MINUTES).map(|_| ())
}

fn aws_id_check(prefix: &'static str) -> impl Fn(&str) -> Result<(), String> + Send + Sync {
    move |id: &str| checks::aws_id(id, prefix)
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

fn computed_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .computed()
        .description(description)
        .plan_modifier(plan_modifiers::use_state_for_unknown())
}

impl Cache {
    fn timeout(value: &Value, op: &str, default: Duration, diags: &mut Diagnostics) -> Duration {
        timeouts::get(value, op, default).unwrap_or_else(|d| {
            diags.push(d);
            default
        })
    }

    async fn apply(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let spec: Spec = match req.plan_as() {
            Ok(spec) => spec,
            Err(d) => return resp.diagnostics.extend(d),
        };
        let (op, default) = if req.prior_state.is_null() {
            ("create", CREATE_TIMEOUT)
        } else {
            ("update", UPDATE_TIMEOUT)
        };
        let timeout = Self::timeout(&req.plan, op, default, &mut resp.diagnostics);
        let outcome = cloud::ensure(client, &spec, timeout, &req.cancel).await;
        // Whatever happened, the state is what exists: a half-built cache is
        // recorded, and the next apply finishes it.
        match Observed::load(client, &spec.name).await {
            Ok(seen) => {
                // The config (wholly known at apply) gives the kept
                // settings; the plan may hold them unknown.
                if let Some(state) = seen.state(client, &spec.name, &req.config) {
                    resp.new_state = state;
                }
            }
            Err(d) => resp.diagnostics.push(d),
        }
        if let Err(d) = outcome {
            resp.diagnostics.push(d);
        }
    }

    /// Checks the subnets at plan time: they must exist, share one VPC, and
    /// span two zones when there are replicas (Multi-AZ). Moving to another
    /// VPC replaces the cache.
    async fn plan_subnets(
        &self,
        client: &SwarmClient,
        req: &PlanRequest,
        resp: &mut PlanResponse,
        subnet_ids: &[String],
    ) {
        let path = AttributePath::attr("subnet_ids");
        let unknown =
            |detail: String| Diagnostic::error("Unknown subnets", detail).at(path.clone());
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
}

#[tfplugin::async_trait]
impl Resource<SwarmClient> for Cache {
    fn type_name(&self) -> &'static str {
        "swarm_cache"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Redis on ElastiCache: a replication group encrypted at rest and in transit, with \
             replicas in other zones, automatic failover and Multi-AZ (from one replica on), daily \
             snapshots, its own cache subnet group, and its own security group that lets in TCP \
             6379 only from `allowed_security_group_ids` (and lets nothing out).\n\n\
             With `shards = 1` the group runs with cluster mode disabled: `primary_endpoint` takes \
             writes and `reader_endpoint` spreads reads over the replicas. With `shards > 1` it \
             runs in cluster mode: `primary_endpoint` is the configuration endpoint, which cluster \
             clients use for everything, and `reader_endpoint` is null.\n\n\
             Changed in place: `node_type`, `engine_version` (upgrades), `replicas`, `shards` \
             (within cluster mode: online resharding), the snapshot settings, the subnets (within \
             one VPC), `allowed_security_group_ids` and `tags`. Replaced: `name`, an engine \
             downgrade, moving between one shard and several (cluster mode cannot be switched in \
             place), and subnets in another VPC.",
        )
        .attribute(computed_string("id", "The cache's name (the replication group id)."))
        .attribute(
            Attribute::string("name")
                .required()
                .description(
                    "Name of the cache: the replication group id, and the name of its subnet group. \
                     1 to 40 lowercase letters, digits and hyphens, starting with a letter, without \
                     `--` or a trailing hyphen. Changing it replaces the cache.",
                )
                .validator(validators::string_check(
                    "1 to 40 lowercase letters, digits and hyphens, starting with a letter",
                    name_check,
                ))
                .plan_modifier(plan_modifiers::requires_replace()),
        )
        .attribute(
            Attribute::string("node_type")
                .optional()
                .computed()
                .description(
                    "Node type, e.g. `cache.r7g.large`. Default by the provider's environment: \
                     `cache.t3.micro` in development, `cache.t3.small` in staging, \
                     `cache.t3.medium` in production. Changed in place (online scaling).",
                )
                .validator(validators::string_check("a node type like cache.t3.micro", node_type_check))
                .plan_modifier(plan_modifiers::use_state_for_unknown()),
        )
        .attribute(
            Attribute::string("engine_version")
                .default_value(Value::String(DEFAULT_ENGINE_VERSION.to_owned()))
                .description(
                    "Redis version: `MAJOR.MINOR` from Redis 6 on (default `7.1`), the full version \
                     before (e.g. `5.0.6`). Upgrades happen in place; a downgrade replaces the cache.",
                )
                .validator(validators::string_check(
                    "a Redis version such as 7.1",
                    engine_version_check,
                )),
        )
        .attribute(
            Attribute::number("replicas")
                .optional()
                .computed()
                .description(
                    "Read replicas per shard, 0 to 5, each in another zone where the subnets allow. \
                     From 1 on, automatic failover and Multi-AZ are on. Default by environment: 0 in \
                     development, 1 in staging and production (and at least 1 with several shards).",
                )
                .validator(validators::int_between(0, MAX_REPLICAS))
                .plan_modifier(plan_modifiers::use_state_for_unknown()),
        )
        .attribute(
            Attribute::number("shards")
                .default_value(Value::Number(1.into()))
                .description(
                    "Shards (node groups), 1 to 500 (default 1). More than 1 runs the group in \
                     cluster mode, which needs `replicas` of at least 1. Changed in place between \
                     counts above 1 (online resharding); going from 1 to more, or back, replaces \
                     the cache.",
                )
                .validator(validators::int_between(1, MAX_SHARDS)),
        )
        .attribute(
            Attribute::set_of("subnet_ids", Type::String)
                .required()
                .description(
                    "Subnets of the cache subnet group, all in one VPC, in at least two zones when \
                     `replicas >= 1`; typically `swarm_network.main.database_subnet_ids`. Subnets \
                     in another VPC replace the cache.",
                )
                .validator(validators::size_between(1, 20))
                .validator(validators::each(validators::string_check(
                    "a subnet id like subnet-0123abcd",
                    aws_id_check("subnet-"),
                ))),
        )
        .attribute(
            Attribute::set_of("allowed_security_group_ids", Type::String)
                .default_value(Value::Set(Vec::new()))
                .description(
                    "Security groups whose members may connect to Redis (TCP 6379), e.g. \
                     `[swarm_node.agents.security_group_id]`. Default: none, so nothing can connect. \
                     Any other rule found on the cache's security group (added out of band) is \
                     shown here as a description such as `tcp/22 from 0.0.0.0/0`, so that the plan \
                     shows it being removed.",
                )
                .validator(validators::each(validators::string_check(
                    "a security group id like sg-0123abcd",
                    aws_id_check("sg-"),
                ))),
        )
        .attribute(
            Attribute::number("snapshot_retention_days")
                .optional()
                .computed()
                .description(
                    "Days a daily snapshot is kept, 0 (no snapshots) to 35. Default by environment: \
                     1 in development, 3 in staging, 7 in production.",
                )
                .validator(validators::int_between(0, MAX_RETENTION_DAYS))
                .plan_modifier(plan_modifiers::use_state_for_unknown()),
        )
        .attribute(
            Attribute::string("snapshot_window")
                .optional()
                .computed()
                .description(
                    "Daily time range (UTC) of the snapshot, `HH:MM-HH:MM`, at least 60 minutes, \
                     e.g. `05:00-06:00`. Default: a window ElastiCache picks.",
                )
                .validator(validators::string_check(
                    "a window like 05:00-06:00 of at least 60 minutes",
                    snapshot_window_check,
                ))
                .plan_modifier(plan_modifiers::use_state_for_unknown()),
        )
        .attribute(
            Attribute::bool("final_snapshot")
                .default_value(Value::Bool(true))
                .description(
                    "Take a snapshot `<name>-final-<UTC time>` of the data when the cache is \
                     destroyed or replaced (`-2`, `-3`, ... appended if a snapshot has that \
                     name already). It outlives the cache; restore it into a new one with \
                     ElastiCache. Default true.",
                ),
        )
        .attribute(
            Attribute::map_of("tags", Type::String)
                .optional()
                .description("Tags for the replication group, subnet group and security group, over the provider's `default_tags`."),
        )
        .attribute(computed_string("arn", "The replication group's ARN."))
        .attribute(computed_string(
            "primary_endpoint",
            "Where clients connect (TLS): the primary endpoint, or in cluster mode (`shards > 1`) the configuration endpoint.",
        ))
        .attribute(computed_string(
            "reader_endpoint",
            "The endpoint that spreads reads over the replicas; null in cluster mode.",
        ))
        .attribute(
            Attribute::number("port")
                .computed()
                .description("The port Redis listens on (6379).")
                .plan_modifier(plan_modifiers::use_state_for_unknown()),
        )
        .attribute(
            Attribute::bool("multi_az")
                .computed()
                .description("Whether Multi-AZ with automatic failover is on (it is when `replicas >= 1`)."),
        )
        .attribute(computed_string("security_group_id", "The cache's security group."))
        .attribute(computed_string("vpc_id", "The VPC of the subnets."))
        .block(timeouts::block(&["create", "update", "delete"]))
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        // Cluster mode needs automatic failover, which needs a replica.
        let shards = number_of(config, "shards");
        let replicas = number_of(config, "replicas");
        if let (Some(shards), Some(0)) = (shards, replicas)
            && shards > 1
        {
            diags.attribute_error(
                AttributePath::attr("replicas"),
                "Cluster mode needs replicas",
                format!(
                    "shards = {shards} runs the cache in cluster mode, which ElastiCache only \
                     allows with automatic failover: set replicas to at least 1."
                ),
            );
        }
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
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
                self.plan_subnets(client, req, resp, &subnet_ids).await;
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

    async fn create(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        self.apply(client, req, resp).await;
    }

    async fn read(&self, client: &SwarmClient, req: &ReadRequest, resp: &mut ReadResponse) {
        let Some(Value::String(name)) = req.state.get_attr("id") else {
            return resp.diagnostics.error("Cache state has no id", "");
        };
        match Observed::load(client, name).await {
            Ok(seen) => {
                resp.new_state = seen.state(client, name, &req.state).unwrap_or(Value::Null)
            }
            Err(d) => resp.diagnostics.push(d),
        }
    }

    async fn update(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        self.apply(client, req, resp).await;
    }

    async fn delete(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let Some(Value::String(name)) = req.prior_state.get_attr("id") else {
            return resp.diagnostics.error("Cache state has no id", "");
        };
        let timeout = Self::timeout(
            &req.prior_state,
            "delete",
            DELETE_TIMEOUT,
            &mut resp.diagnostics,
        );
        let final_snapshot = req
            .prior_state
            .get_attr("final_snapshot")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let outcome = cloud::destroy(client, name, final_snapshot, timeout, &req.cancel).await;
        if let Err(d) = outcome {
            resp.diagnostics.push(d);
            // What is left stays in the state, to be deleted by the next try.
            if let Ok(seen) = Observed::load(client, name).await
                && let Some(state) = seen.state(client, name, &req.prior_state)
            {
                resp.new_state = state;
            }
        } else {
            resp.new_state = Value::Null;
        }
    }

    async fn import(&self, client: &SwarmClient, id: &str, resp: &mut ImportResponse) {
        match Observed::load(client, id).await {
            Ok(seen) => match seen.state(client, id, &Value::Null) {
                Some(state) => resp.state = state,
                None => resp.diagnostics.error(
                    "Cache not found",
                    format!(
                        "No ElastiCache replication group {id:?} exists; import takes the cache's name."
                    ),
                ),
            },
            Err(d) => resp.diagnostics.push(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_elasticache_rules() {
        for ok in ["a", "agents", "agents-1", &"a".repeat(40)] {
            assert!(name_check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "-a",
            "a-",
            "a--b",
            "Agents",
            "a_b",
            "a b",
            &"a".repeat(41),
        ] {
            assert!(name_check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn snapshot_windows_are_an_hour_or_more() {
        assert!(snapshot_window_check("05:00-06:00").is_ok());
        assert!(snapshot_window_check("23:30-00:30").is_ok());
        assert!(snapshot_window_check("01:00-05:00").is_ok());
        let short = snapshot_window_check("05:00-05:30").unwrap_err();
        assert!(short.contains("30 minutes"), "{short}");
        for bad in [
            "5:00-6:00",
            "05:00",
            "25:00-26:00",
            "05:60-07:00",
            "noon-one",
        ] {
            assert!(snapshot_window_check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_are_major_minor_from_six_on() {
        assert_eq!(parse_version("7.1"), Ok((7, 1, 0)));
        assert_eq!(parse_version("5.0.6"), Ok((5, 0, 6)));
        for bad in ["7", "7.1.0", "5.0", "seven", "7.x"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
        assert!(parse_version("6.2") < parse_version("7.0"));
    }

    #[test]
    fn node_types_and_ids() {
        assert!(node_type_check("cache.t3.micro").is_ok());
        assert!(node_type_check("cache.r7g.12xlarge").is_ok());
        for bad in ["t3.micro", "cache.t3", "cache..micro", "db.t3.micro"] {
            assert!(node_type_check(bad).is_err(), "{bad}");
        }
        let subnet = aws_id_check("subnet-");
        assert!(subnet("subnet-0abc").is_ok());
        assert!(subnet("sg-0abc").is_err());
        assert!(subnet("subnet-").is_err());
    }

    #[test]
    fn defaults_by_environment() {
        assert_eq!(default_replicas(Environment::Development), 0);
        assert_eq!(default_replicas(Environment::Production), 1);
        assert_eq!(default_node_type(Environment::Staging), "cache.t3.small");
        assert_eq!(default_retention_days(Environment::Production), 7);
    }
}
