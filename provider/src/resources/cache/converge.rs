//! Making ElastiCache match the plan, and taking the cache down.
//!
//! `ensure` serves create, update, the repair of drift and the retry of a
//! failed apply alike: it makes what is missing (subnet group, security
//! group, replication group) and converges what differs.

use std::collections::BTreeSet;

use aws_sdk_elasticache::types::{CacheCluster, CacheSubnetGroup, ClusterMode, ReplicationGroup};

use tfplugin::diag::Diagnostic;

use super::checks::parse_version;
use super::cloud::*;
use super::state::Spec;
use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::{self, Identity, Marker, Taken};
use crate::security_group::{self, NewGroup, Rule};
use crate::tags;
use crate::waiter::{Poll, Wait};

/// Makes ElastiCache match `spec`. `found` finds what exists (by the
/// spec's marker, or, for a state without one, the unmarked objects of the
/// name, which the tag sync at the end marks).
pub async fn ensure(
    client: &SwarmClient,
    spec: &Spec,
    found: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let name = spec.name.as_str();
    let ec = &client.elasticache;
    let fail = |what: &str, err: &(dyn std::error::Error + 'static)| {
        Diagnostic::error(
            format!("Cannot {what} for cache {name:?}"),
            aws_sdk_elasticache::error::DisplayErrorContext(err).to_string(),
        )
    };
    let user_tags = spec.tags.clone().unwrap_or_default();
    let marker = spec.ownership_marker.clone().map(Marker::from_stored);
    let tags_for = |role: &str, object: &str| {
        let mut tags = tags::object_tags(client, &user_tags, KIND, name, role, object);
        ownership::mark(&mut tags, marker.as_ref());
        tags
    };
    let everything = Observed::load(client, name).await?;
    let mut seen = everything.clone().only(found);
    // What answers to the names but is not this cache's (made by someone
    // since this cache's went): creating it again would fail, and nothing
    // of theirs is to be touched.
    let mine = seen.taken(name);
    let theirs: Vec<Taken> = everything
        .taken(name)
        .into_iter()
        .filter(|t| !mine.contains(t))
        .collect();
    if !theirs.is_empty() {
        return Err(ownership::name_taken("swarm_cache", name, &theirs));
    }

    // A replacement whose delete is still running: wait for it to finish.
    if seen
        .group
        .as_ref()
        .is_some_and(|g| g.status() == Some(DELETING))
    {
        wait_gone(client, name, wait).await?;
        seen = Observed::of(client, found).await?;
    }

    // The subnet group; its VPC is the cache's.
    let subnet_tags = tags_for(ROLE_SUBNETS, &format!("{name}-subnets"));
    let wanted_subnets: BTreeSet<&str> = spec.subnet_ids.iter().map(String::as_str).collect();
    let vpc_id = match &seen.subnet_group {
        // An imported cache's own subnet group (others may share it):
        // never changed; the plan refused other subnets already.
        Some(existing) if seen.foreign_subnet_group => {
            let current: BTreeSet<&str> = existing
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier())
                .collect();
            if current != wanted_subnets {
                return Err(foreign_subnets(existing));
            }
            existing.vpc_id().map(str::to_owned)
        }
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
            security_group::create(client, &new, wait).await?
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
                .set_security_group_ids(Some(security_group::attached(
                    &sg_id,
                    spec.additional_security_group_ids(),
                )))
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
            wait_available(client, name, wait).await?
        }
        Some(_) => {
            let member_groups = seen.member.as_ref().map(member_group_ids);
            let actual_version = seen
                .member
                .as_ref()
                .and_then(CacheCluster::engine_version)
                .map(str::to_owned);
            converge(client, spec, &sg_id, member_groups, actual_version, wait).await?
        }
    };

    // Tags, on all three objects.
    let group_arn = group.arn().unwrap_or_default().to_owned();
    tags::elasticache::sync(client, &group_arn, &seen.tags, &group_tags).await?;
    // An imported cache's own subnet group is not tagged.
    if let Some(arn) = seen
        .subnet_group
        .as_ref()
        .filter(|_| !seen.foreign_subnet_group)
        .and_then(CacheSubnetGroup::arn)
    {
        let current = tags::elasticache::list(client, arn)
            .await
            .map_err(|e| fail("read the subnet group's tags", &e))?;
        tags::elasticache::sync(client, arn, &current, &subnet_tags).await?;
    }
    security_group::sync_tags(client, &mut sg, &sg_tags).await?;
    Ok(())
}

/// The error of other subnets for a cache in a subnet group the provider
/// did not make.
pub fn foreign_subnets(group: &CacheSubnetGroup) -> Diagnostic {
    Diagnostic::error(
        "The cache's subnet group is not the provider's",
        format!(
            "The cache is in cache subnet group {:?}, which it was imported with: the provider \
             does not change a subnet group it did not make (other caches may use it), so \
             subnet_ids must stay its subnets. Change the group itself, then refresh.",
            group.cache_subnet_group_name().unwrap_or_default()
        ),
    )
    .at(tfplugin::path::AttributePath::attr("subnet_ids"))
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
    // Its own group, and an imported cache's groups of its own beside it:
    // an import cuts no access.
    let groups = security_group::attached(sg_id, spec.additional_security_group_ids());
    if member_groups.is_none_or(|ids| {
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        security_group::must_attach(&ids, &groups)
    }) {
        settings = settings.set_security_group_ids(Some(groups));
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

/// Takes the cache down: only the objects with its marker (another
/// stack's of the name stay).
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    final_snapshot: bool,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let ec = &client.elasticache;
    let name = id.id.as_str();
    let seen = Observed::of(client, id).await?;
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
        wait_gone(client, name, wait).await?;
    }
    // An imported cache's own subnet group stays (others may use it).
    if seen.subnet_group.is_some() && !seen.foreign_subnet_group {
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
        security_group::delete(client, group_id, wait).await?;
    }
    Ok(())
}

/// Before a create (at plan, and again at apply): a create has no marker
/// yet, so a replication group or cache subnet group of its name is not
/// its own, and the create is refused before anything is made; but, at
/// plan, those of the cache it replaces (`replaced`, see
/// `ownership::replaced`).
pub async fn check_free(
    client: &SwarmClient,
    name: &str,
    replaced: &[Marker],
) -> Result<(), Diagnostic> {
    let taken = Observed::load_with(client, name, false).await?.taken(name);
    ownership::refuse_taken("swarm_cache", name, taken, replaced)
}
