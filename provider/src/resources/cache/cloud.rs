//! The AWS side of `swarm_cache`: reading the replication group, its
//! subnet group and security group at once, what each says, and the waits
//! for the replication group. Every call goes through `aws::call`, every
//! wait through `waiter`.

use std::collections::BTreeMap;

use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, CacheSubnetGroup, MultiAzStatus, ReplicationGroup,
};
use tfplugin::diag::Diagnostic;

use super::checks::parse_version;
use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::{self, Identity, Sets, Taken};
use crate::security_group::{self, Group, Rule, Source};
use crate::tags;
use crate::waiter::{self, Poll, Wait, WaitError};

/// Objects carry `swarm:cache = <name>`.
pub const KIND: &str = "cache";
pub const ROLE_GROUP: &str = "replication-group";
pub const ROLE_SUBNETS: &str = "subnet-group";
pub const PORT: i32 = 6379;
pub const AVAILABLE: &str = "available";
pub const DELETING: &str = "deleting";
pub const CREATE_FAILED: &str = "create-failed";

pub fn group_name(name: &str) -> String {
    format!("swarm-cache-{name}")
}

/// How an ingress rule shows in `allowed_security_group_ids`: the group
/// id for the rules the cache makes, the rule's text for anything else
/// (so that rules added out of band show as drift).
pub fn allowed_entry(rule: &Rule) -> String {
    match &rule.source {
        Source::Group(id) if *rule == Rule::tcp_from_group(PORT, id) => id.clone(),
        _ => rule.to_string(),
    }
}

/// Everything AWS has of one cache: after [`Observed::only`], only the
/// objects one identity takes.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub group: Option<ReplicationGroup>,
    /// A member cluster of the group: where ElastiCache reports the engine
    /// version, subnet group and security groups.
    pub member: Option<CacheCluster>,
    pub subnet_group: Option<CacheSubnetGroup>,
    /// The subnet group's marker (its `swarm:owner` tag; see [`Observed::load`]).
    pub subnet_group_marker: Option<String>,
    /// Whether `subnet_group` is one the provider did not make: the one an
    /// imported replication group was found in (not named as the cache).
    /// It comes with the group; it is read (its subnets are `subnet_ids`),
    /// never changed, tagged or deleted, as other caches may share it.
    pub foreign_subnet_group: bool,
    pub security_group: Option<Group>,
    /// Every security group found, before [`Observed::only`] keeps one.
    security_groups: Vec<Group>,
    /// The replication group's tags.
    pub tags: BTreeMap<String, String>,
}

pub fn replicas_of(group: &ReplicationGroup) -> i32 {
    group
        .node_groups()
        .iter()
        .map(|ng| ng.node_group_members().len())
        .max()
        .map_or(0, |members| members.saturating_sub(1) as i32)
}

pub fn failover_on(group: &ReplicationGroup) -> bool {
    matches!(
        group.automatic_failover(),
        Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
    )
}

pub fn multi_az_on(group: &ReplicationGroup) -> bool {
    group.multi_az() == Some(&MultiAzStatus::Enabled)
}

pub fn cluster_mode_on(group: &ReplicationGroup) -> bool {
    group.cluster_enabled() == Some(true)
}

/// The version as the configuration writes it: `MAJOR.MINOR` from Redis 6
/// on (AWS reports the full version it runs, e.g. `7.1.0`).
pub fn config_version(actual: &str) -> String {
    let parts: Vec<&str> = actual.split('.').collect();
    match parts.as_slice() {
        [major, minor, ..] if major.parse::<u32>().is_ok_and(|m| m >= 6) => {
            format!("{major}.{minor}")
        }
        _ => actual.to_owned(),
    }
}

/// The default parameter group with cluster mode on, for a version.
pub fn cluster_parameter_group(version: &str) -> String {
    let (major, minor, _) = parse_version(version).unwrap_or((7, 0, 0));
    let family = match major {
        m if m >= 7 => format!("redis{m}"),
        6 => "redis6.x".to_owned(),
        m => format!("redis{m}.{minor}"),
    };
    format!("default.{family}.cluster.on")
}

pub fn member_group_ids(member: &CacheCluster) -> Vec<String> {
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
    /// What `id` finds: [`Observed::load`], then [`Observed::only`].
    pub async fn of(client: &SwarmClient, id: &Identity) -> Result<Self, Diagnostic> {
        Self::load(client, &id.id).await.map(|seen| seen.only(id))
    }

    /// Everything that answers to the cache name `name`, whoever's.
    pub async fn load(client: &SwarmClient, name: &str) -> Result<Self, Diagnostic> {
        Self::load_with(client, name, true).await
    }

    /// Everything that answers to the cache name `name`, whoever's: the
    /// replication group, subnet group and (`with_groups`) security groups
    /// at once; then a member cluster and the group's tags. The subnet
    /// group's marker is the replication group's when its members use it
    /// (ElastiCache tells neither's tags in the describe), else read with
    /// ListTagsForResource.
    pub async fn load_with(
        client: &SwarmClient,
        name: &str,
        with_groups: bool,
    ) -> Result<Self, Diagnostic> {
        let ec = &client.elasticache;
        let fail = |err: &(dyn std::error::Error + 'static)| {
            Diagnostic::error(
                format!("Cannot read cache {name:?}"),
                aws_sdk_elasticache::error::DisplayErrorContext(err).to_string(),
            )
        };
        let by_name = Identity::anyone(name);
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
            async {
                if with_groups {
                    security_group::find(client, KIND, &by_name).await
                } else {
                    Ok(Vec::new())
                }
            },
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
        let mut seen = Self {
            group,
            subnet_group,
            security_groups: security_groups?,
            ..Self::default()
        };
        if let Some(group) = seen.group.clone() {
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
        }
        // A replication group in a subnet group of another name (one made
        // by hand, imported): that group is the cache's. One more describe,
        // only for such a cache.
        if let Some(own) = seen
            .member
            .as_ref()
            .and_then(CacheCluster::cache_subnet_group_name)
            .filter(|n| *n != name)
            .map(str::to_owned)
        {
            let request = ec
                .describe_cache_subnet_groups()
                .cache_subnet_group_name(&own)
                .send();
            let out = aws::call("elasticache", "DescribeCacheSubnetGroups", request)
                .await
                .map_err(|e| fail(&e))?;
            seen.subnet_group = out.cache_subnet_groups().first().cloned();
            seen.subnet_group_marker = None;
            seen.foreign_subnet_group = true;
            return Ok(seen);
        }
        let uses_it = seen
            .member
            .as_ref()
            .is_some_and(|m| m.cache_subnet_group_name() == Some(name));
        seen.subnet_group_marker = match &seen.subnet_group {
            None => None,
            Some(_) if uses_it => seen.group_marker().map(str::to_owned),
            Some(subnets) => match subnets.arn() {
                Some(arn) => tags::elasticache::list(client, arn)
                    .await
                    .map_err(|e| fail(&e))?
                    .get(ownership::KEY)
                    .cloned(),
                None => None,
            },
        };
        Ok(seen)
    }

    /// The replication group's marker.
    pub fn group_marker(&self) -> Option<&str> {
        self.tags.get(ownership::KEY).map(String::as_str)
    }

    /// Only the objects `id` takes (by their marker).
    pub fn only(mut self, id: &Identity) -> Self {
        if self.group.is_some() && !id.owns(&self.tags) {
            self.group = None;
            self.member = None;
            self.tags = BTreeMap::new();
        }
        let keep_subnet_group = if self.foreign_subnet_group {
            self.group.is_some()
        } else {
            id.takes(self.subnet_group_marker.as_deref())
        };
        if !keep_subnet_group {
            self.subnet_group = None;
            self.subnet_group_marker = None;
            self.foreign_subnet_group = false;
        }
        self.security_groups.retain(|g| id.owns(&g.tags));
        self.security_group = self.security_groups.first().cloned();
        self
    }

    /// The objects, by marker: what an import by name finds.
    pub fn sets(&self) -> Sets {
        let mut sets = Sets::default();
        if let Some(group) = &self.group {
            sets.add(
                self.group_marker(),
                group.replication_group_id().unwrap_or_default(),
            );
        }
        // A foreign subnet group carries no marker: it is not a set.
        if let Some(subnets) = self
            .subnet_group
            .as_ref()
            .filter(|_| !self.foreign_subnet_group)
        {
            sets.add(
                self.subnet_group_marker.as_deref(),
                subnets.cache_subnet_group_name().unwrap_or_default(),
            );
        }
        for group in &self.security_groups {
            sets.add(
                group.tags.get(ownership::KEY).map(String::as_str),
                group.id.as_str(),
            );
        }
        sets
    }

    /// The objects found with a name that a create of the cache `name`
    /// would give one of its own (the replication group id and the cache
    /// subnet group's name are unique in a region).
    pub fn taken(&self, name: &str) -> Vec<Taken> {
        let mut taken = Vec::new();
        if self.group.is_some() {
            taken.push(Taken::new("replication group", name, self.group_marker()));
        }
        if self.subnet_group.is_some() && !self.foreign_subnet_group {
            taken.push(Taken::new(
                "cache subnet group",
                name,
                self.subnet_group_marker.as_deref(),
            ));
        }
        taken
    }

    /// The live replication group (not one being deleted).
    pub fn live_group(&self) -> Option<&ReplicationGroup> {
        self.group.as_ref().filter(|g| g.status() != Some(DELETING))
    }

    pub fn security_group_id(&self) -> Option<&str> {
        self.security_group.as_ref().map(|g| g.id.as_str())
    }
}

fn wait_error<E: std::fmt::Display>(name: &str, err: WaitError<E>) -> Diagnostic {
    Diagnostic::error(format!("Cache {name:?} not ready"), err.to_string())
}

/// Waits until the replication group is available, and returns it.
pub async fn wait_available(
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
pub async fn wait_gone(
    client: &SwarmClient,
    name: &str,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
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
