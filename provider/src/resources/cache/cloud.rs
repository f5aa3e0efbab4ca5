//! The AWS side of `swarm_cache`: reading the replication group, its
//! subnet group and security group; making what is missing and converging
//! what differs; tearing it all down in order. Every call goes through
//! `aws::call`, every wait through `waiter::wait_for`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, CacheSubnetGroup, ClusterMode, MultiAzStatus,
    ReplicationGroup,
};
use tfplugin::diag::Diagnostic;
use tfplugin::value::Value;
use tokio_util::sync::CancellationToken;

use super::{Spec, parse_version};
use crate::aws;
use crate::config::SwarmClient;
use crate::security_group::{self, Group, NewGroup, Rule, Source};
use crate::tags;
use crate::waiter::{self, Poll, Wait, WaitError};

/// Objects carry `swarm:cache = <name>`.
const KIND: &str = "cache";
const ROLE_GROUP: &str = "replication-group";
const ROLE_SUBNETS: &str = "subnet-group";
pub(super) const PORT: i32 = 6379;
const AVAILABLE: &str = "available";
const DELETING: &str = "deleting";
const CREATE_FAILED: &str = "create-failed";

fn group_name(name: &str) -> String {
    format!("swarm-cache-{name}")
}

/// A subnet's place, as the plan checks it.
pub(super) struct SubnetInfo {
    pub vpc_id: String,
    pub zone: String,
}

/// The VPC and zone of each subnet; an error names the missing ones.
pub(super) async fn describe_subnets(
    client: &SwarmClient,
    ids: &[String],
) -> Result<Vec<SubnetInfo>, Diagnostic> {
    let request = client
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(ids.to_vec()))
        .send();
    let out = match aws::call("ec2", "DescribeSubnets", request).await {
        Ok(out) => out,
        // The whole call fails when one id is unknown.
        Err(e) if e.code() == Some("InvalidSubnetID.NotFound") => {
            return Err(Diagnostic::error(
                "Unknown subnets",
                format!(
                    "{} (in {}).",
                    e.message().unwrap_or("A subnet does not exist"),
                    client.region
                ),
            ));
        }
        Err(e) => return Err(aws::error("Cannot look up subnet_ids", &e)),
    };
    let found: Vec<SubnetInfo> = out
        .subnets()
        .iter()
        .filter_map(|s| {
            Some(SubnetInfo {
                vpc_id: s.vpc_id()?.to_owned(),
                zone: s.availability_zone()?.to_owned(),
            })
        })
        .collect();
    let known: BTreeSet<&str> = out.subnets().iter().filter_map(|s| s.subnet_id()).collect();
    let missing: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| !known.contains(id))
        .collect();
    if !missing.is_empty() {
        return Err(Diagnostic::error(
            "Unknown subnets",
            format!("No subnet {} in {}.", missing.join(", "), client.region),
        ));
    }
    Ok(found)
}

/// How an ingress rule shows in `allowed_security_group_ids`: the group
/// id for the rules the cache makes, the rule's text for anything else
/// (so that rules added out of band show as drift).
fn allowed_entry(rule: &Rule) -> String {
    match &rule.source {
        Source::Group(id) if *rule == Rule::tcp_from_group(PORT, id) => id.clone(),
        _ => rule.to_string(),
    }
}

/// Everything AWS has of one cache.
#[derive(Debug, Default)]
pub(super) struct Observed {
    group: Option<ReplicationGroup>,
    /// A member cluster of the group: where ElastiCache reports the engine
    /// version, subnet group and security groups.
    member: Option<CacheCluster>,
    subnet_group: Option<CacheSubnetGroup>,
    security_group: Option<Group>,
    /// The replication group's tags.
    tags: BTreeMap<String, String>,
}

fn replicas_of(group: &ReplicationGroup) -> i32 {
    group
        .node_groups()
        .iter()
        .map(|ng| ng.node_group_members().len())
        .max()
        .map_or(0, |members| members.saturating_sub(1) as i32)
}

fn failover_on(group: &ReplicationGroup) -> bool {
    matches!(
        group.automatic_failover(),
        Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
    )
}

fn multi_az_on(group: &ReplicationGroup) -> bool {
    group.multi_az() == Some(&MultiAzStatus::Enabled)
}

fn cluster_mode_on(group: &ReplicationGroup) -> bool {
    group.cluster_enabled() == Some(true)
}

/// The version as the configuration writes it: `MAJOR.MINOR` from Redis 6
/// on (AWS reports the full version it runs, e.g. `7.1.0`).
fn config_version(actual: &str) -> String {
    let parts: Vec<&str> = actual.split('.').collect();
    match parts.as_slice() {
        [major, minor, ..] if major.parse::<u32>().is_ok_and(|m| m >= 6) => {
            format!("{major}.{minor}")
        }
        _ => actual.to_owned(),
    }
}

/// The default parameter group with cluster mode on, for a version.
fn cluster_parameter_group(version: &str) -> String {
    let (major, minor, _) = parse_version(version).unwrap_or((7, 0, 0));
    let family = match major {
        m if m >= 7 => format!("redis{m}"),
        6 => "redis6.x".to_owned(),
        m => format!("redis{m}.{minor}"),
    };
    format!("default.{family}.cluster.on")
}

fn member_group_ids(member: &CacheCluster) -> Vec<String> {
    let mut ids: Vec<String> = member
        .security_groups()
        .iter()
        .filter_map(|g| g.security_group_id())
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

impl Observed {
    /// The replication group, subnet group and security group at once; then
    /// a member cluster and the group's tags.
    pub(super) async fn load(client: &SwarmClient, name: &str) -> Result<Self, Diagnostic> {
        let ec = &client.elasticache;
        let fail = |err: &(dyn std::error::Error + 'static)| {
            Diagnostic::error(
                format!("Cannot read cache {name:?}"),
                aws_sdk_elasticache::error::DisplayErrorContext(err).to_string(),
            )
        };
        let (groups, subnet_groups, security_groups) = tokio::join!(
            aws::call(
                "elasticache",
                "DescribeReplicationGroups",
                ec.describe_replication_groups()
                    .replication_group_id(name)
                    .send()
            ),
            aws::call(
                "elasticache",
                "DescribeCacheSubnetGroups",
                ec.describe_cache_subnet_groups()
                    .cache_subnet_group_name(name)
                    .send()
            ),
            security_group::find(client, KIND, name),
        );
        let group = match groups {
            Ok(out) => out.replication_groups().first().cloned(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_replication_group_not_found_fault()) =>
            {
                None
            }
            Err(e) => return Err(fail(&e)),
        };
        let subnet_group = match subnet_groups {
            Ok(out) => out.cache_subnet_groups().first().cloned(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_cache_subnet_group_not_found_fault()) =>
            {
                None
            }
            Err(e) => return Err(fail(&e)),
        };
        let security_group = security_groups?.into_iter().next();
        let mut seen = Self {
            group,
            subnet_group,
            security_group,
            ..Self::default()
        };
        let Some(group) = &seen.group else {
            return Ok(seen);
        };
        let member_id = group.member_clusters().first().cloned();
        let arn = group.arn().map(str::to_owned);
        let (member, tags) = tokio::join!(
            async {
                match member_id {
                    Some(id) => Some(
                        aws::call(
                            "elasticache",
                            "DescribeCacheClusters",
                            ec.describe_cache_clusters().cache_cluster_id(id).send(),
                        )
                        .await,
                    ),
                    None => None,
                }
            },
            async {
                match arn {
                    Some(arn) => Some(tags::elasticache::list(client, &arn).await),
                    None => None,
                }
            },
        );
        seen.member = match member {
            Some(Ok(out)) => out.cache_clusters().first().cloned(),
            // A member replaced between the two calls: the next read sees it.
            Some(Err(e))
                if e.as_service_error()
                    .is_some_and(|s| s.is_cache_cluster_not_found_fault()) =>
            {
                None
            }
            Some(Err(e)) => return Err(fail(&e)),
            None => None,
        };
        seen.tags = match tags {
            Some(Ok(tags)) => tags,
            Some(Err(e)) => return Err(fail(&e)),
            None => BTreeMap::new(),
        };
        Ok(seen)
    }

    /// The live replication group (not one being deleted).
    fn live_group(&self) -> Option<&ReplicationGroup> {
        self.group.as_ref().filter(|g| g.status() != Some(DELETING))
    }

    fn security_group_id(&self) -> Option<&str> {
        self.security_group.as_ref().map(|g| g.id.as_str())
    }

    /// The resource's state; `None` when the replication group is gone.
    /// What AWS does not store (`final_snapshot`, `timeouts`) comes from
    /// `basis`: the plan, the prior state, or null on import.
    pub(super) fn state(&self, client: &SwarmClient, name: &str, basis: &Value) -> Option<Value> {
        let timeouts = basis.get_attr("timeouts").cloned().unwrap_or(Value::Null);
        let final_snapshot = basis
            .get_attr("final_snapshot")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let group = self.live_group()?;
        let string = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
        let set =
            |items: BTreeSet<String>| Value::Set(items.into_iter().map(Value::String).collect());
        let number = |n: i64| Value::Number(n.into());
        let cluster = cluster_mode_on(group);
        let (primary, reader, port) = if cluster {
            let endpoint = group.configuration_endpoint();
            (
                endpoint.and_then(|e| e.address()),
                None,
                endpoint.and_then(|e| e.port()),
            )
        } else {
            let node_group = group.node_groups().first();
            let primary = node_group.and_then(|n| n.primary_endpoint());
            (
                primary.and_then(|e| e.address()),
                node_group
                    .and_then(|n| n.reader_endpoint())
                    .and_then(|e| e.address()),
                primary.and_then(|e| e.port()),
            )
        };
        let subnet_ids: BTreeSet<String> = self
            .subnet_group
            .as_ref()
            .map(|g| {
                g.subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let allowed: BTreeSet<String> = self
            .security_group
            .as_ref()
            .map(|g| g.ingress.iter().map(allowed_entry).collect())
            .unwrap_or_default();
        // Drift shows as a null security_group_id (see modify_plan): the
        // group missing, or the cache using other groups than its own.
        let own_group = self.security_group_id().filter(|id| {
            self.member
                .as_ref()
                .is_some_and(|m| member_group_ids(m) == [id.to_string()])
        });
        let user_tags = tags::user_tags(
            &self.tags,
            &client.default_tags,
            tags::Reserved::PROVIDER,
            tags::Basis::None,
        );
        let state = BTreeMap::from([
            ("id".to_owned(), Value::String(name.to_owned())),
            ("name".to_owned(), Value::String(name.to_owned())),
            ("node_type".to_owned(), string(group.cache_node_type())),
            (
                "engine_version".to_owned(),
                string(
                    self.member
                        .as_ref()
                        .and_then(CacheCluster::engine_version)
                        .map(config_version)
                        .as_deref(),
                ),
            ),
            ("replicas".to_owned(), number(replicas_of(group).into())),
            (
                "shards".to_owned(),
                number(group.node_groups().len() as i64),
            ),
            ("subnet_ids".to_owned(), set(subnet_ids)),
            ("allowed_security_group_ids".to_owned(), set(allowed)),
            (
                "snapshot_retention_days".to_owned(),
                number(group.snapshot_retention_limit().unwrap_or(0).into()),
            ),
            (
                "snapshot_window".to_owned(),
                string(group.snapshot_window()),
            ),
            ("tags".to_owned(), tags::state_value(user_tags, false)),
            ("arn".to_owned(), string(group.arn())),
            ("primary_endpoint".to_owned(), string(primary)),
            ("reader_endpoint".to_owned(), string(reader)),
            (
                "port".to_owned(),
                port.map_or(Value::Null, |p| number(p.into())),
            ),
            (
                "multi_az".to_owned(),
                Value::Bool(multi_az_on(group) && failover_on(group)),
            ),
            ("security_group_id".to_owned(), string(own_group)),
            (
                "vpc_id".to_owned(),
                string(
                    self.subnet_group
                        .as_ref()
                        .and_then(CacheSubnetGroup::vpc_id),
                ),
            ),
            ("final_snapshot".to_owned(), Value::Bool(final_snapshot)),
            ("timeouts".to_owned(), timeouts),
        ]);
        Some(Value::Object(state))
    }
}

fn wait_error<E: std::fmt::Display>(name: &str, err: WaitError<E>) -> Diagnostic {
    Diagnostic::error(format!("Cache {name:?} not ready"), err.to_string())
}

/// Waits until the replication group is available, and returns it.
async fn wait_available(
    client: &SwarmClient,
    name: &str,
    wait: &Wait<'_>,
) -> Result<ReplicationGroup, Diagnostic> {
    let ec = &client.elasticache;
    waiter::wait_for(
        "the replication group to be available",
        wait.remaining(),
        wait.cancel,
        || async {
            let request = ec
                .describe_replication_groups()
                .replication_group_id(name)
                .send();
            let out = aws::call("elasticache", "DescribeReplicationGroups", request)
                .await
                .map_err(|e| aws_sdk_elasticache::error::DisplayErrorContext(e).to_string())?;
            let Some(group) = out.replication_groups().first() else {
                return Err("the replication group is gone".to_owned());
            };
            Ok(match group.status() {
                Some(AVAILABLE) => Poll::Ready(group.clone()),
                Some(CREATE_FAILED) => {
                    return Err("ElastiCache could not create it (create-failed)".to_owned());
                }
                other => Poll::Pending(other.unwrap_or("no status").to_owned()),
            })
        },
    )
    .await
    .map_err(|e| wait_error(name, e))
}

/// Waits until the replication group no longer exists.
async fn wait_gone(client: &SwarmClient, name: &str, wait: &Wait<'_>) -> Result<(), Diagnostic> {
    let ec = &client.elasticache;
    waiter::wait_for(
        "the replication group to be deleted",
        wait.remaining(),
        wait.cancel,
        || async {
            let request = ec
                .describe_replication_groups()
                .replication_group_id(name)
                .send();
            match aws::call("elasticache", "DescribeReplicationGroups", request).await {
                Ok(out) => Ok(match out.replication_groups().first() {
                    None => Poll::Ready(()),
                    Some(g) => Poll::Pending(g.status().unwrap_or("no status").to_owned()),
                }),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_replication_group_not_found_fault()) =>
                {
                    Ok(Poll::Ready(()))
                }
                Err(e) => Err(aws_sdk_elasticache::error::DisplayErrorContext(e).to_string()),
            }
        },
    )
    .await
    .map_err(|e| Diagnostic::error(format!("Cache {name:?} not deleted"), e.to_string()))
}

/// Makes what is missing and converges what differs, in dependency order:
/// subnet group, security group, replication group, tags.
pub(super) async fn ensure(
    client: &SwarmClient,
    spec: &Spec,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), Diagnostic> {
    let wait = Wait::new(timeout, cancel);
    let name = spec.name.as_str();
    let ec = &client.elasticache;
    let fail = |what: &str, err: &(dyn std::error::Error + 'static)| {
        Diagnostic::error(
            format!("Cannot {what} for cache {name:?}"),
            aws_sdk_elasticache::error::DisplayErrorContext(err).to_string(),
        )
    };
    let user_tags = spec.tags.clone().unwrap_or_default();
    let tags_for =
        |role: &str, object: &str| tags::object_tags(client, &user_tags, KIND, name, role, object);
    let mut seen = Observed::load(client, name).await?;

    // A replacement whose delete is still running: wait for it to finish.
    if seen
        .group
        .as_ref()
        .is_some_and(|g| g.status() == Some(DELETING))
    {
        wait_gone(client, name, &wait).await?;
        seen = Observed::load(client, name).await?;
    }

    // The subnet group; its VPC is the cache's.
    let subnet_tags = tags_for(ROLE_SUBNETS, &format!("{name}-subnets"));
    let wanted_subnets: BTreeSet<&str> = spec.subnet_ids.iter().map(String::as_str).collect();
    let vpc_id = match &seen.subnet_group {
        None => {
            let request = ec
                .create_cache_subnet_group()
                .cache_subnet_group_name(name)
                .cache_subnet_group_description(format!("swarm_cache {name}"))
                .set_subnet_ids(Some(spec.subnet_ids.clone()))
                .set_tags(Some(tags::elasticache::to_sdk(&subnet_tags)))
                .send();
            aws::call("elasticache", "CreateCacheSubnetGroup", request)
                .await
                .map_err(|e| fail("create the cache subnet group", &e))?
                .cache_subnet_group()
                .and_then(CacheSubnetGroup::vpc_id)
                .map(str::to_owned)
        }
        Some(existing) => {
            let current: BTreeSet<&str> = existing
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier())
                .collect();
            if current == wanted_subnets {
                existing.vpc_id().map(str::to_owned)
            } else {
                let request = ec
                    .modify_cache_subnet_group()
                    .cache_subnet_group_name(name)
                    .set_subnet_ids(Some(spec.subnet_ids.clone()))
                    .send();
                aws::call("elasticache", "ModifyCacheSubnetGroup", request)
                    .await
                    .map_err(|e| fail("change the subnets of the cache subnet group", &e))?
                    .cache_subnet_group()
                    .and_then(CacheSubnetGroup::vpc_id)
                    .map(str::to_owned)
            }
        }
    };
    let vpc_id = vpc_id.ok_or_else(|| {
        Diagnostic::error(
            format!("No VPC for cache {name:?}"),
            "ElastiCache reported no VPC for the cache subnet group.",
        )
    })?;

    // The security group: Redis from the allowed groups, nothing else in,
    // nothing out.
    let sg_tags = tags_for(security_group::ROLE, &format!("{name}-cache"));
    let mut sg = match seen.security_group.clone() {
        Some(sg) if sg.vpc_id != vpc_id => {
            return Err(Diagnostic::error(
                format!("Cache {name:?} is in another VPC"),
                format!(
                    "Its security group is in {}, but the subnets are in {vpc_id}. A cache cannot \
                     move between VPCs: replace it (terraform apply -replace).",
                    sg.vpc_id
                ),
            ));
        }
        Some(sg) => sg,
        None => {
            let new = NewGroup {
                group_name: &group_name(name),
                description: &format!(
                    "swarm_cache {name}: Redis (TCP {PORT}) from allowed security groups only"
                ),
                vpc_id: &vpc_id,
                tags: &sg_tags,
            };
            security_group::create(client, &new, &wait).await?
        }
    };
    let wanted: Vec<Rule> = spec
        .allowed_security_group_ids
        .iter()
        .map(|g| Rule::tcp_from_group(PORT, g))
        .collect();
    security_group::set_ingress(client, &mut sg, &wanted, "Redis").await?;
    // A new group lets everything out (IPv4, and IPv6 in a dual-stack VPC);
    // the cache needs none of it (ElastiCache's own replication does not
    // pass through it).
    security_group::revoke_egress(client, &mut sg).await?;
    let sg_id = sg.id.clone();

    // The replication group.
    let group_tags = tags_for(ROLE_GROUP, name);
    let group = match seen.live_group() {
        None => {
            let mut request = ec
                .create_replication_group()
                .replication_group_id(name)
                .replication_group_description(format!("swarm_cache {name}"))
                .engine("redis")
                .engine_version(&spec.engine_version)
                .cache_node_type(&spec.node_type)
                .num_node_groups(spec.shards)
                .replicas_per_node_group(spec.replicas)
                .automatic_failover_enabled(spec.automatic_failover())
                .multi_az_enabled(spec.multi_az())
                .cache_subnet_group_name(name)
                .security_group_ids(&sg_id)
                .port(PORT)
                .snapshot_retention_limit(spec.snapshot_retention_days)
                .set_snapshot_window(spec.snapshot_window.known().cloned().flatten())
                .at_rest_encryption_enabled(true)
                .transit_encryption_enabled(true)
                .set_tags(Some(tags::elasticache::to_sdk(&group_tags)));
            if spec.cluster_mode() {
                request = request
                    .cluster_mode(ClusterMode::Enabled)
                    .cache_parameter_group_name(cluster_parameter_group(&spec.engine_version));
            }
            aws::call("elasticache", "CreateReplicationGroup", request.send())
                .await
                .map_err(|e| fail("create the replication group", &e))?;
            wait_available(client, name, &wait).await?
        }
        Some(_) => {
            let member_groups = seen.member.as_ref().map(member_group_ids);
            let actual_version = seen
                .member
                .as_ref()
                .and_then(CacheCluster::engine_version)
                .map(str::to_owned);
            converge(client, spec, &sg_id, member_groups, actual_version, &wait).await?
        }
    };

    // Tags, on all three objects.
    let group_arn = group.arn().unwrap_or_default().to_owned();
    tags::elasticache::sync(client, &group_arn, &seen.tags, &group_tags).await?;
    if let Some(arn) = seen.subnet_group.as_ref().and_then(CacheSubnetGroup::arn) {
        let current = tags::elasticache::list(client, arn)
            .await
            .map_err(|e| fail("read the subnet group's tags", &e))?;
        tags::elasticache::sync(client, arn, &current, &subnet_tags).await?;
    }
    security_group::sync_tags(client, &mut sg, &sg_tags).await?;
    Ok(())
}

/// Brings an existing replication group to the spec, one change at a time
/// (ElastiCache takes one modification while it is available), waiting
/// after each. Returns the group as it ends up.
async fn converge(
    client: &SwarmClient,
    spec: &Spec,
    sg_id: &str,
    member_groups: Option<Vec<String>>,
    actual_version: Option<String>,
    wait: &Wait<'_>,
) -> Result<ReplicationGroup, Diagnostic> {
    let name = spec.name.as_str();
    let ec = &client.elasticache;
    let fail = |what: &str, err: &(dyn std::error::Error + 'static)| {
        Diagnostic::error(
            format!("Cannot {what} of cache {name:?}"),
            aws_sdk_elasticache::error::DisplayErrorContext(err).to_string(),
        )
    };
    let mut group = wait_available(client, name, wait).await?;
    if cluster_mode_on(&group) != spec.cluster_mode() {
        return Err(Diagnostic::error(
            format!("Cache {name:?} cannot switch cluster mode"),
            format!(
                "It runs with cluster mode {}, but shards = {} needs it {}. Replace the cache \
                 (terraform apply -replace).",
                if cluster_mode_on(&group) { "on" } else { "off" },
                spec.shards,
                if spec.cluster_mode() { "on" } else { "off" },
            ),
        ));
    }

    // Snapshot settings and the security group, in one call.
    let mut settings = ec
        .modify_replication_group()
        .replication_group_id(name)
        .apply_immediately(true);
    let mut changed = false;
    if group.snapshot_retention_limit() != Some(spec.snapshot_retention_days) {
        settings = settings.snapshot_retention_limit(spec.snapshot_retention_days);
        changed = true;
    }
    if let Some(Some(window)) = spec.snapshot_window.known()
        && group.snapshot_window() != Some(window.as_str())
    {
        settings = settings.snapshot_window(window);
        changed = true;
    }
    if member_groups.is_none_or(|ids| ids != [sg_id.to_owned()]) {
        settings = settings.security_group_ids(sg_id);
        changed = true;
    }
    if changed {
        aws::call("elasticache", "ModifyReplicationGroup", settings.send())
            .await
            .map_err(|e| fail("change the snapshot settings and security group", &e))?;
        group = wait_available(client, name, wait).await?;
    }

    // Node type: online scaling.
    if group.cache_node_type() != Some(spec.node_type.as_str()) {
        let request = ec
            .modify_replication_group()
            .replication_group_id(name)
            .cache_node_type(&spec.node_type)
            .apply_immediately(true)
            .send();
        aws::call("elasticache", "ModifyReplicationGroup", request)
            .await
            .map_err(|e| fail("change the node type", &e))?;
        group = wait_available(client, name, wait).await?;
    }

    // Engine version: upgrades only (the plan replaces on a downgrade).
    let wanted = parse_version(&spec.engine_version).ok();
    let running = actual_version
        .as_deref()
        .and_then(|v| parse_version(&config_version(v)).ok());
    if let (Some(wanted), Some(running)) = (wanted, running)
        && wanted > running
    {
        let mut request = ec
            .modify_replication_group()
            .replication_group_id(name)
            .engine_version(&spec.engine_version)
            .apply_immediately(true);
        // A new major version in cluster mode needs that family's group.
        if spec.cluster_mode() && wanted.0 != running.0 {
            request =
                request.cache_parameter_group_name(cluster_parameter_group(&spec.engine_version));
        }
        aws::call("elasticache", "ModifyReplicationGroup", request.send())
            .await
            .map_err(|e| fail("upgrade the engine", &e))?;
        group = wait_available(client, name, wait).await?;
    }

    // Replicas. Failover must be off before the last replica goes, and a
    // replica must exist before it is turned on.
    let flags = |group: &ReplicationGroup| {
        (failover_on(group), multi_az_on(group)) != (spec.automatic_failover(), spec.multi_az())
    };
    let set_flags = || async {
        let request = ec
            .modify_replication_group()
            .replication_group_id(name)
            .automatic_failover_enabled(spec.automatic_failover())
            .multi_az_enabled(spec.multi_az())
            .apply_immediately(true)
            .send();
        aws::call("elasticache", "ModifyReplicationGroup", request)
            .await
            .map_err(|e| fail("set automatic failover and Multi-AZ", &e))?;
        wait_available(client, name, wait).await
    };
    let current = replicas_of(&group);
    if spec.replicas < current {
        if flags(&group) && !spec.automatic_failover() {
            set_flags().await?;
        }
        let request = ec
            .decrease_replica_count()
            .replication_group_id(name)
            .new_replica_count(spec.replicas)
            .apply_immediately(true)
            .send();
        aws::call("elasticache", "DecreaseReplicaCount", request)
            .await
            .map_err(|e| fail("remove replicas", &e))?;
        group = wait_available(client, name, wait).await?;
    } else if spec.replicas > current {
        let request = ec
            .increase_replica_count()
            .replication_group_id(name)
            .new_replica_count(spec.replicas)
            .apply_immediately(true)
            .send();
        aws::call("elasticache", "IncreaseReplicaCount", request)
            .await
            .map_err(|e| fail("add replicas", &e))?;
        group = wait_available(client, name, wait).await?;
    }
    if flags(&group) {
        group = set_flags().await?;
    }

    // Shards: online resharding in cluster mode; the highest-numbered
    // shards go first.
    let shards = group.node_groups().len() as i32;
    if spec.cluster_mode() && spec.shards != shards {
        let mut request = ec
            .modify_replication_group_shard_configuration()
            .replication_group_id(name)
            .node_group_count(spec.shards)
            .apply_immediately(true);
        if spec.shards < shards {
            let mut ids: Vec<&str> = group
                .node_groups()
                .iter()
                .filter_map(|ng| ng.node_group_id())
                .collect();
            ids.sort_unstable();
            let excess = usize::try_from(shards - spec.shards).unwrap_or(0);
            for id in ids.iter().rev().take(excess) {
                request = request.node_groups_to_remove(*id);
            }
        }
        aws::call(
            "elasticache",
            "ModifyReplicationGroupShardConfiguration",
            request.send(),
        )
        .await
        .map_err(|e| fail("change the number of shards", &e))?;
        group = wait_available(client, name, wait).await?;
    }
    Ok(group)
}

/// Deletes the replication group (snapshotted first when `final_snapshot`,
/// under the first free name of [`aws::final_snapshot_ids`]), then, once it
/// is gone and no longer holds them, the subnet group and the security
/// group.
pub(super) async fn destroy(
    client: &SwarmClient,
    name: &str,
    final_snapshot: bool,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), Diagnostic> {
    let wait = Wait::new(timeout, cancel);
    let ec = &client.elasticache;
    let seen = Observed::load(client, name).await?;
    if seen.live_group().is_some() {
        let snapshot_names: Vec<String> = if final_snapshot {
            aws::final_snapshot_ids(name, std::time::SystemTime::now()).collect()
        } else {
            Vec::new()
        };
        // A group that is still being modified cannot be deleted yet.
        wait.until("the replication group to accept deletion", || async {
            let deleted = aws::with_free_snapshot_name(
                &snapshot_names,
                |snapshot| {
                    let request = ec
                        .delete_replication_group()
                        .replication_group_id(name)
                        .set_final_snapshot_identifier(snapshot)
                        .send();
                    aws::call("elasticache", "DeleteReplicationGroup", request)
                },
                |e| {
                    e.as_service_error()
                        .is_some_and(|s| s.is_snapshot_already_exists_fault())
                },
            )
            .await;
            match deleted {
                Ok(_) => Ok(Poll::Ready(())),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_replication_group_not_found_fault()) =>
                {
                    Ok(Poll::Ready(()))
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_invalid_replication_group_state_fault()) =>
                {
                    Ok(Poll::Pending("busy".to_owned()))
                }
                Err(e) => Err(aws::error(format!("Cannot delete cache {name:?}"), &e)),
            }
        })
        .await?;
    }
    if seen.group.is_some() {
        wait_gone(client, name, &wait).await?;
    }
    if seen.subnet_group.is_some() {
        wait.until("the cache subnet group to be released", || async {
            let request = ec
                .delete_cache_subnet_group()
                .cache_subnet_group_name(name)
                .send();
            match aws::call("elasticache", "DeleteCacheSubnetGroup", request).await {
                Ok(_) => Ok(Poll::Ready(())),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_cache_subnet_group_not_found_fault()) =>
                {
                    Ok(Poll::Ready(()))
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_cache_subnet_group_in_use()) =>
                {
                    Ok(Poll::Pending("in use".to_owned()))
                }
                Err(e) => Err(aws::error(
                    format!("Cannot delete the subnet group of cache {name:?}"),
                    &e,
                )),
            }
        })
        .await?;
    }
    if let Some(group_id) = seen.security_group_id() {
        // The cache's network interfaces take a while to let go of it.
        security_group::delete(client, group_id, &wait).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_entries_name_the_group_or_tell_the_rule() {
        assert_eq!(allowed_entry(&Rule::tcp_from_group(PORT, "sg-1")), "sg-1");
        assert_eq!(
            allowed_entry(&Rule::tcp_from_cidr(22, "0.0.0.0/0")),
            "tcp/22 from 0.0.0.0/0"
        );
        assert_eq!(
            allowed_entry(&Rule::tcp_from_group(22, "sg-2")),
            "tcp/22 from sg-2"
        );
    }

    #[test]
    fn versions_and_parameter_groups() {
        assert_eq!(config_version("7.1.0"), "7.1");
        assert_eq!(config_version("6.2.6"), "6.2");
        assert_eq!(config_version("5.0.6"), "5.0.6");
        assert_eq!(cluster_parameter_group("7.1"), "default.redis7.cluster.on");
        assert_eq!(
            cluster_parameter_group("6.2"),
            "default.redis6.x.cluster.on"
        );
        assert_eq!(
            cluster_parameter_group("5.0.6"),
            "default.redis5.0.cluster.on"
        );
    }
}
