//! The database's AWS objects and the calls that make, change and remove
//! them: the primary DB instance and its read replicas (found by their
//! identifiers), the DB subnet group (by its name) and the security group
//! (by its `swarm:database` tag), each kept only when its marker
//! (`swarm:owner`, see `crate::ownership`) is the resource's.

use std::collections::BTreeMap;

use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_sdk_rds::types::{DbInstance, DbSubnetGroup, PendingModifiedValues};
use futures_util::future::try_join_all;
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;
use crate::ec2::{self, Subnet, SubnetsError};
use crate::ownership::{self, Identity, Sets, Taken};
use crate::security_group::{self, Group, Rule};
use crate::tags;
use crate::waiter::{self, Poll, Wait, WaitError};

/// The owner tag's kind: objects carry `swarm:database = <name>`.
pub const KIND: &str = "database";
/// PostgreSQL's port, the only one the security group opens.
pub const PORT: i32 = 5432;
pub const MAX_REPLICAS: usize = 5;

pub fn subnet_group_name(name: &str) -> String {
    format!("{name}-subnets")
}

pub fn group_name(name: &str) -> String {
    format!("{name}-database")
}

pub fn replica_id(name: &str, index: usize) -> String {
    format!("{name}-replica-{index}")
}

/// The index of one of the database's replicas, from its identifier.
pub fn replica_index(name: &str, id: &str) -> Option<usize> {
    id.strip_prefix(name)?
        .strip_prefix("-replica-")?
        .parse()
        .ok()
        .filter(|i| (1..=MAX_REPLICAS).contains(i))
}

/// The rules for a set of allowed groups, sorted as read shows them.
pub fn wanted_rules(allowed: &[String]) -> Vec<Rule> {
    let mut rules: Vec<Rule> = allowed
        .iter()
        .map(|g| Rule::tcp_from_group(PORT, g))
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

/// Everything AWS has of one database: after [`Observed::only`], only
/// the objects one identity takes.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub primary: Option<DbInstance>,
    /// The replicas named `<name>-replica-<n>`, by index.
    pub replicas: Vec<(usize, DbInstance)>,
    pub subnet_group: Option<DbSubnetGroup>,
    /// The subnet group's marker (its `swarm:owner` tag; DescribeDBSubnetGroups
    /// does not tell tags, see [`observe_all`]).
    pub subnet_group_marker: Option<String>,
    /// Whether `subnet_group` is one the provider did not make: the one an
    /// imported primary was found in (not `<name>-subnets`). It comes with
    /// the primary; it is read (its subnets are `subnet_ids`), never
    /// changed, tagged or deleted, as other instances may share it.
    pub foreign_subnet_group: bool,
    /// The security group in the subnet group's VPC (or another, after a
    /// move between VPCs half way).
    pub group: Option<Group>,
    /// Every security group found, before one is picked as `group`.
    pub(super) groups: Vec<Group>,
}

/// The marker of an RDS object with `tags`.
fn marker_of(tags: &BTreeMap<String, String>) -> Option<&str> {
    tags.get(ownership::KEY).map(String::as_str)
}

fn instance_marker(instance: &DbInstance) -> Option<String> {
    marker_of(&tags::rds::from_sdk(instance.tag_list())).map(str::to_owned)
}

impl Observed {
    pub fn is_empty(&self) -> bool {
        self.primary.is_none()
            && self.replicas.is_empty()
            && self.subnet_group.is_none()
            && self.group.is_none()
    }

    /// The name of the database's DB subnet group: the one its primary is
    /// in (an imported database's own), else `<name>-subnets`.
    pub fn subnet_group_name(&self, name: &str) -> String {
        self.subnet_group
            .as_ref()
            .filter(|_| self.foreign_subnet_group)
            .and_then(DbSubnetGroup::db_subnet_group_name)
            .map_or_else(|| subnet_group_name(name), str::to_owned)
    }

    /// The security groups the primary is behind.
    pub fn primary_groups(&self) -> Vec<&str> {
        self.primary
            .iter()
            .flat_map(|p| p.vpc_security_groups())
            .filter_map(|g| g.vpc_security_group_id())
            .collect()
    }

    pub fn replica(&self, index: usize) -> Option<&DbInstance> {
        self.replicas
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, r)| r)
    }

    /// Only the objects `id` takes (by their marker); the security group
    /// picked among those, in the subnet group's VPC first.
    pub fn only(mut self, id: &Identity) -> Self {
        let takes = |instance: &DbInstance| id.takes(instance_marker(instance).as_deref());
        self.primary = self.primary.filter(takes);
        self.replicas.retain(|(_, r)| takes(r));
        let keep_subnet_group = if self.foreign_subnet_group {
            self.primary.is_some()
        } else {
            id.takes(self.subnet_group_marker.as_deref())
        };
        if !keep_subnet_group {
            self.subnet_group = None;
            self.subnet_group_marker = None;
            self.foreign_subnet_group = false;
        }
        self.groups.retain(|g| id.owns(&g.tags));
        let vpc = self.subnet_group.as_ref().and_then(DbSubnetGroup::vpc_id);
        self.group = self
            .groups
            .iter()
            .find(|g| Some(g.vpc_id.as_str()) == vpc)
            .or_else(|| self.groups.first())
            .cloned();
        self
    }

    /// The objects, by marker: what an import by name finds.
    pub fn sets(&self) -> Sets {
        let mut sets = Sets::default();
        let instances = self
            .primary
            .iter()
            .chain(self.replicas.iter().map(|(_, r)| r));
        for instance in instances {
            sets.add(
                instance_marker(instance).as_deref(),
                instance.db_instance_identifier().unwrap_or_default(),
            );
        }
        // A foreign subnet group carries no marker: it is not a set.
        if let Some(group) = self
            .subnet_group
            .as_ref()
            .filter(|_| !self.foreign_subnet_group)
        {
            sets.add(
                self.subnet_group_marker.as_deref(),
                group.db_subnet_group_name().unwrap_or_default(),
            );
        }
        for group in &self.groups {
            sets.add(marker_of(&group.tags), group.id.as_str());
        }
        sets
    }

    /// The objects found with a name that a create of `name` with
    /// `replicas` read replicas would give one of its own.
    pub fn taken(&self, name: &str, replicas: usize) -> Vec<Taken> {
        let mut taken = Vec::new();
        if let Some(primary) = &self.primary {
            taken.push(Taken::new(
                "DB instance",
                name,
                instance_marker(primary).as_deref(),
            ));
        }
        for (index, replica) in &self.replicas {
            if *index <= replicas {
                taken.push(Taken::new(
                    "DB instance",
                    replica_id(name, *index),
                    instance_marker(replica).as_deref(),
                ));
            }
        }
        if self.subnet_group.is_some() && !self.foreign_subnet_group {
            taken.push(Taken::new(
                "DB subnet group",
                subnet_group_name(name),
                self.subnet_group_marker.as_deref(),
            ));
        }
        taken
    }
}

/// What finds the database's objects: `id`'s, or (an import, the check
/// of a create) everything that answers to the name.
pub async fn observe(client: &SwarmClient, id: &Identity) -> Result<Observed, Diagnostic> {
    observe_all(client, &id.id, true)
        .await
        .map(|seen| seen.only(id))
}

/// Everything that answers to the database name `name`, whoever's: one
/// describe per object kind, concurrently (the instances by identifier,
/// the subnet group by name, and, `with_groups`, the security groups by
/// their `swarm:database` tag). The subnet group's marker is its
/// primary's when that primary is in it (RDS tells an instance's tags,
/// not a subnet group's), else read with ListTagsForResource.
pub async fn observe_all(
    client: &SwarmClient,
    name: &str,
    with_groups: bool,
) -> Result<Observed, Diagnostic> {
    let mut identifiers = vec![name.to_owned()];
    identifiers.extend((1..=MAX_REPLICAS).map(|i| replica_id(name, i)));
    let instances = aws::call(
        "rds",
        "DescribeDBInstances",
        client
            .rds
            .describe_db_instances()
            .filters(
                aws_sdk_rds::types::Filter::builder()
                    .name("db-instance-id")
                    .set_values(Some(identifiers))
                    .build(),
            )
            .send(),
    );
    let subnet_group = aws::call(
        "rds",
        "DescribeDBSubnetGroups",
        client
            .rds
            .describe_db_subnet_groups()
            .db_subnet_group_name(subnet_group_name(name))
            .send(),
    );
    let by_name = Identity::anyone(name);
    let groups = async {
        if with_groups {
            security_group::find(client, KIND, &by_name).await
        } else {
            Ok(Vec::new())
        }
    };
    let (instances, subnet_group, groups) = tokio::join!(instances, subnet_group, groups);
    let fail = |e: &(dyn std::error::Error + 'static)| {
        Diagnostic::error(
            format!("Cannot read database {name:?}"),
            aws_sdk_rds::error::DisplayErrorContext(e).to_string(),
        )
    };
    let instances = instances.map_err(|e| fail(&e))?;
    let subnet_group = match subnet_group {
        Ok(out) => out.db_subnet_groups().first().cloned(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_subnet_group_not_found_fault()) =>
        {
            None
        }
        Err(e) => return Err(fail(&e)),
    };
    let mut seen = Observed {
        subnet_group,
        groups: groups?,
        ..Observed::default()
    };
    for instance in instances.db_instances() {
        let Some(id) = instance.db_instance_identifier() else {
            continue;
        };
        if id == name {
            seen.primary = Some(instance.clone());
        } else if let Some(index) = replica_index(name, id) {
            seen.replicas.push((index, instance.clone()));
        }
    }
    seen.replicas.sort_by_key(|(i, _)| *i);
    let group_name = subnet_group_name(name);
    // A primary in a subnet group of another name (a database made by
    // hand, imported): that group is the database's, as
    // DescribeDBInstances shows it (with its subnets and VPC); no other
    // call.
    if let Some(own) = seen
        .primary
        .as_ref()
        .and_then(DbInstance::db_subnet_group)
        .filter(|g| g.db_subnet_group_name().is_some_and(|n| n != group_name))
    {
        seen.subnet_group = Some(own.clone());
        seen.subnet_group_marker = None;
        seen.foreign_subnet_group = true;
        return Ok(seen);
    }
    let in_it = seen.primary.as_ref().filter(|p| {
        p.db_subnet_group()
            .and_then(DbSubnetGroup::db_subnet_group_name)
            == Some(group_name.as_str())
    });
    seen.subnet_group_marker = match (in_it, &seen.subnet_group) {
        (_, None) => None,
        (Some(primary), Some(_)) => instance_marker(primary),
        (None, Some(group)) => match group.db_subnet_group_arn() {
            Some(arn) => marker_of(&tags::rds::list(client, arn).await?).map(str::to_owned),
            None => None,
        },
    };
    Ok(seen)
}

/// The subnets, or why they cannot hold the database: they must exist,
/// be in one VPC and span at least two zones (RDS's rule for a DB subnet
/// group, and what Multi-AZ and replicas need).
pub async fn subnets(client: &SwarmClient, ids: &[String]) -> Result<Vec<Subnet>, Diagnostic> {
    let subnets = match ec2::subnets(client, ids).await {
        Ok(subnets) => subnets,
        Err(SubnetsError::NotFound(e)) => {
            return Err(Diagnostic::error(
                "Subnet not found",
                format!(
                    "subnet_ids: {}",
                    e.message().unwrap_or("a subnet does not exist")
                ),
            ));
        }
        Err(e) => return Err(e.diagnostic("Cannot read the subnets")),
    };
    if let Some(missing) = ec2::missing(ids, &subnets).first() {
        return Err(Diagnostic::error(
            "Subnet not found",
            format!("subnet_ids: {missing} does not exist."),
        ));
    }
    if let Err(vpcs) = ec2::one_vpc(&subnets) {
        return Err(Diagnostic::error(
            "Subnets in several VPCs",
            format!(
                "subnet_ids must all be in one VPC; they are in {}.",
                vpcs.join(", ")
            ),
        ));
    }
    if ec2::at_least_zones(&subnets, 2).is_err() {
        return Err(Diagnostic::error(
            "Subnets in one availability zone",
            "subnet_ids must span at least two availability zones: RDS needs them for a DB \
             subnet group, a Multi-AZ standby and replicas.",
        ));
    }
    Ok(subnets)
}

/// Deletes the DB subnet group once no instance uses it any more.
pub async fn delete_subnet_group(
    client: &SwarmClient,
    name: &str,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let group = subnet_group_name(name);
    let what = format!("DB subnet group {group} to be released");
    let group = group.as_str();
    waiter::wait_for(&what, wait.remaining(), wait.cancel, || async move {
        let request = client
            .rds
            .delete_db_subnet_group()
            .db_subnet_group_name(group)
            .send();
        match aws::call("rds", "DeleteDBSubnetGroup", request).await {
            Ok(_) => Ok(Poll::Ready(())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_db_subnet_group_not_found_fault()) =>
            {
                Ok(Poll::Ready(()))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_invalid_db_subnet_group_state_fault()) =>
            {
                Ok(Poll::Pending("still in use".to_owned()))
            }
            Err(e) => Err(aws::error("Cannot delete the DB subnet group", &e)),
        }
    })
    .await
    .map_err(WaitError::into_diagnostic)
}

/// Statuses from which an instance does not become available by itself.
const FAILED: [&str; 7] = [
    "failed",
    "incompatible-parameters",
    "incompatible-network",
    "incompatible-option-group",
    "incompatible-restore",
    "inaccessible-encryption-credentials",
    "storage-full",
];

fn settled(instance: &DbInstance) -> bool {
    // After a storage change RDS optimizes the volume for hours; the
    // instance serves (and takes other changes) meanwhile.
    matches!(
        instance.db_instance_status(),
        Some("available" | "storage-optimization")
    ) && instance
        .pending_modified_values()
        .is_none_or(|p| *p == PendingModifiedValues::builder().build())
}

/// Waits until every instance in `ids` is available with no modification
/// pending (RDS takes minutes to create and modify; a change applied
/// "immediately" shows as pending until it is done).
/// Waits until every one of `ids` is available; returns them as last
/// read, in the order of `ids` (so that the apply works on from them
/// instead of reading them again).
pub async fn wait_available(
    client: &SwarmClient,
    ids: &[String],
    wait: &Wait<'_>,
) -> Result<Vec<DbInstance>, Diagnostic> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let what = format!("{} to be available", ids.join(", "));
    waiter::wait_for(&what, wait.remaining(), wait.cancel, || async {
        let out = aws::call(
            "rds",
            "DescribeDBInstances",
            client
                .rds
                .describe_db_instances()
                .filters(
                    aws_sdk_rds::types::Filter::builder()
                        .name("db-instance-id")
                        .set_values(Some(ids.to_vec()))
                        .build(),
                )
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot read the database's instances", &e))?;
        let mut waiting = Vec::new();
        let mut ready = Vec::new();
        for id in ids {
            let found = out
                .db_instances()
                .iter()
                .find(|i| i.db_instance_identifier() == Some(id.as_str()));
            match found {
                None => waiting.push(format!("{id}: not found yet")),
                Some(i) => {
                    let status = i.db_instance_status().unwrap_or("unknown");
                    if FAILED.contains(&status) {
                        return Err(Diagnostic::error(
                            format!("DB instance {id} is {status}"),
                            "RDS reports the instance as failed; see its events in the RDS console.",
                        ));
                    }
                    if settled(i) {
                        ready.push(i.clone());
                    } else {
                        waiting.push(format!("{id}: {status}"));
                    }
                }
            }
        }
        Ok(if waiting.is_empty() {
            Poll::Ready(ready)
        } else {
            Poll::Pending(waiting.join(", "))
        })
    })
    .await
    .map_err(WaitError::into_diagnostic)
}

/// Waits until none of `ids` exists any more.
pub async fn wait_deleted(
    client: &SwarmClient,
    ids: &[String],
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    if ids.is_empty() {
        return Ok(());
    }
    let what = format!("{} to be deleted", ids.join(", "));
    waiter::wait_for(&what, wait.remaining(), wait.cancel, || async {
        let out = aws::call(
            "rds",
            "DescribeDBInstances",
            client
                .rds
                .describe_db_instances()
                .filters(
                    aws_sdk_rds::types::Filter::builder()
                        .name("db-instance-id")
                        .set_values(Some(ids.to_vec()))
                        .build(),
                )
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot read the database's instances", &e))?;
        let left: Vec<String> = out
            .db_instances()
            .iter()
            .map(|i| {
                format!(
                    "{}: {}",
                    i.db_instance_identifier().unwrap_or_default(),
                    i.db_instance_status().unwrap_or("unknown")
                )
            })
            .collect();
        Ok::<_, Diagnostic>(if left.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending(left.join(", "))
        })
    })
    .await
    .map_err(WaitError::into_diagnostic)
}

/// Deletes DB instances without a final snapshot; one already gone or
/// being deleted is fine.
pub async fn delete_instances(client: &SwarmClient, ids: &[String]) -> Result<(), Diagnostic> {
    try_join_all(ids.iter().map(|id| delete_instance(client, id, &[])))
        .await
        .map(|_| ())
}

/// Deletes a DB instance, with a final snapshot under the first free name
/// of `snapshot_names` (none when empty); one already gone or being
/// deleted is fine.
pub async fn delete_instance(
    client: &SwarmClient,
    id: &str,
    snapshot_names: &[String],
) -> Result<(), Diagnostic> {
    let deleted = aws::with_free_snapshot_name(
        snapshot_names,
        |snapshot| {
            let request = client.rds.delete_db_instance().db_instance_identifier(id);
            let request = match snapshot {
                Some(snapshot) => request.final_db_snapshot_identifier(snapshot),
                None => request.skip_final_snapshot(true),
            };
            aws::call("rds", "DeleteDBInstance", request.send())
        },
        |e| {
            e.as_service_error()
                .is_some_and(|s| s.is_db_snapshot_already_exists_fault())
        },
    )
    .await;
    match deleted {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_instance_not_found_fault()) =>
        {
            Ok(())
        }
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_invalid_db_instance_state_fault()
                    && s.message()
                        .is_some_and(|m| m.contains("already being deleted"))
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(aws::error(format!("Cannot delete DB instance {id}"), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An imported primary, marked by its first apply, in a subnet group
    /// of its own (untagged): the group comes with the primary, is no set
    /// of its own and no name a create would take.
    #[test]
    fn a_foreign_subnet_group_comes_with_its_primary() {
        let primary = DbInstance::builder()
            .db_instance_identifier("found")
            .tag_list(
                aws_sdk_rds::types::Tag::builder()
                    .key(ownership::KEY)
                    .value("m1")
                    .build(),
            )
            .build();
        let seen = Observed {
            primary: Some(primary),
            subnet_group: Some(
                DbSubnetGroup::builder()
                    .db_subnet_group_name("hand-made")
                    .build(),
            ),
            foreign_subnet_group: true,
            ..Observed::default()
        };
        assert_eq!(seen.sets().len(), 1);
        assert_eq!(seen.subnet_group_name("found"), "hand-made");
        assert!(
            seen.taken("found", 0)
                .iter()
                .all(|t| !format!("{t:?}").contains("hand-made"))
        );
        let marker = ownership::Marker::from_stored("m1");
        let mine = seen.clone().only(&Identity::new("found", Some(marker)));
        assert!(mine.subnet_group.is_some() && mine.foreign_subnet_group);
        let theirs = seen.only(&Identity::new("found", None));
        assert!(theirs.primary.is_none() && theirs.subnet_group.is_none());
        assert_eq!(theirs.subnet_group_name("found"), "found-subnets");
    }

    #[test]
    fn replica_names() {
        assert_eq!(replica_id("agents", 2), "agents-replica-2");
        assert_eq!(replica_index("agents", "agents-replica-2"), Some(2));
        assert_eq!(replica_index("agents", "agents-replica-6"), None);
        assert_eq!(replica_index("agents", "agents-replica-x"), None);
        assert_eq!(replica_index("agents", "agents2-replica-1"), None);
        assert_eq!(replica_index("agents", "agents"), None);
    }

    #[test]
    fn settled_means_available_with_nothing_pending() {
        let instance = |status: &str, pending: Option<PendingModifiedValues>| {
            DbInstance::builder()
                .db_instance_status(status)
                .set_pending_modified_values(pending)
                .build()
        };
        assert!(settled(&instance("available", None)));
        assert!(settled(&instance(
            "available",
            Some(PendingModifiedValues::builder().build())
        )));
        assert!(settled(&instance("storage-optimization", None)));
        assert!(!settled(&instance("modifying", None)));
        assert!(!settled(&instance("creating", None)));
        // ModifyDBInstance answers "available" with the change still pending.
        assert!(!settled(&instance(
            "available",
            Some(
                PendingModifiedValues::builder()
                    .db_instance_class("db.t3.large")
                    .build()
            )
        )));
    }

    #[test]
    fn rules_read_as_text() {
        let rules = wanted_rules(&["sg-2".to_owned(), "sg-1".to_owned()]);
        let texts: Vec<String> = rules.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["tcp/5432 from sg-1", "tcp/5432 from sg-2"]);
    }
}
