//! The database's AWS objects and the calls that make, change and remove
//! them: the primary DB instance and its read replicas (found by their
//! identifiers), the DB subnet group (by its name) and the security group
//! (by its `swarm:database` tag).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup, UserIdGroupPair,
};
use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_sdk_rds::types::{DbInstance, DbSubnetGroup, PendingModifiedValues};
use futures_util::future::try_join_all;
use tfplugin::diag::Diagnostic;
use tokio_util::sync::CancellationToken;

use crate::aws;
use crate::config::SwarmClient;
use crate::tags;
use crate::waiter::{self, Poll, WaitError};

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

/// How long an operation may still wait, and Terraform's cancellation.
pub struct Wait<'a> {
    pub deadline: Instant,
    pub cancel: &'a CancellationToken,
}

impl Wait<'_> {
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

fn wait_error(err: WaitError<Diagnostic>) -> Diagnostic {
    match err {
        WaitError::Failed(d) => d,
        other => Diagnostic::error("Database not ready", other.to_string()),
    }
}

/// The database's security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub vpc_id: String,
    pub tags: BTreeMap<String, String>,
    pub ingress: Vec<Rule>,
}

impl Group {
    fn from_sdk(g: &SecurityGroup) -> Option<Self> {
        Some(Self {
            id: g.group_id()?.to_owned(),
            vpc_id: g.vpc_id().unwrap_or_default().to_owned(),
            tags: tags::tag_map(g.tags()),
            ingress: Rule::flatten(g.ip_permissions()),
        })
    }

    /// The groups let in on PostgreSQL's port.
    pub fn allowed_groups(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .ingress
            .iter()
            .filter(|r| r.protocol == "tcp" && r.from == PORT && r.to == PORT)
            .filter_map(|r| match &r.source {
                Source::Group(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// One ingress rule: a protocol and port range from one source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rule {
    pub protocol: String,
    pub from: i32,
    pub to: i32,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
}

impl Rule {
    /// PostgreSQL's port from a security group: the only rule wanted.
    pub fn postgres_from(group_id: &str) -> Self {
        Self {
            protocol: "tcp".to_owned(),
            from: PORT,
            to: PORT,
            source: Source::Group(group_id.to_owned()),
        }
    }

    /// EC2's permissions, one rule per source, sorted.
    fn flatten(permissions: &[IpPermission]) -> Vec<Rule> {
        let mut rules = Vec::new();
        for p in permissions {
            let protocol = p.ip_protocol().unwrap_or("-1").to_owned();
            let (from, to) = (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
            let sources =
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip().map(|c| Source::Cidr(c.to_owned())))
                    .chain(
                        p.ipv6_ranges()
                            .iter()
                            .filter_map(|r| r.cidr_ipv6().map(|c| Source::Ipv6(c.to_owned()))),
                    )
                    .chain(p.prefix_list_ids().iter().filter_map(|r| {
                        r.prefix_list_id().map(|c| Source::PrefixList(c.to_owned()))
                    }))
                    .chain(
                        p.user_id_group_pairs()
                            .iter()
                            .filter_map(|r| r.group_id().map(|c| Source::Group(c.to_owned()))),
                    );
            for source in sources {
                rules.push(Rule {
                    protocol: protocol.clone(),
                    from,
                    to,
                    source,
                });
            }
        }
        rules.sort();
        rules.dedup();
        rules
    }

    fn to_permission(&self, description: Option<&str>) -> IpPermission {
        let mut b = IpPermission::builder().ip_protocol(&self.protocol);
        if self.protocol != "-1" {
            b = b.from_port(self.from).to_port(self.to);
        }
        let description = description.map(str::to_owned);
        match &self.source {
            Source::Cidr(c) => b.ip_ranges(IpRange::builder().cidr_ip(c).build()),
            Source::Ipv6(c) => b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).build()),
            Source::PrefixList(p) => {
                b.prefix_list_ids(PrefixListId::builder().prefix_list_id(p).build())
            }
            Source::Group(g) => b.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(description)
                    .build(),
            ),
        }
        .build()
    }
}

/// As the state's `ingress_rules` shows it: `tcp/5432 from sg-0123abcd`.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.protocol.as_str(), self.from, self.to) {
            ("-1", _, _) => f.write_str("all")?,
            (p, from, to) if from == to => write!(f, "{p}/{from}")?,
            (p, from, to) => write!(f, "{p}/{from}-{to}")?,
        }
        match &self.source {
            Source::Cidr(s) | Source::Ipv6(s) | Source::PrefixList(s) | Source::Group(s) => {
                write!(f, " from {s}")
            }
        }
    }
}

/// The rule texts for a set of allowed groups, sorted as read shows them.
pub fn wanted_rules(allowed: &[String]) -> Vec<Rule> {
    let mut rules: Vec<Rule> = allowed.iter().map(|g| Rule::postgres_from(g)).collect();
    rules.sort();
    rules.dedup();
    rules
}

/// Everything AWS has of one database.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub primary: Option<DbInstance>,
    /// The replicas named `<name>-replica-<n>`, by index.
    pub replicas: Vec<(usize, DbInstance)>,
    pub subnet_group: Option<DbSubnetGroup>,
    pub group: Option<Group>,
}

impl Observed {
    pub fn is_empty(&self) -> bool {
        self.primary.is_none()
            && self.replicas.is_empty()
            && self.subnet_group.is_none()
            && self.group.is_none()
    }

    pub fn replica(&self, index: usize) -> Option<&DbInstance> {
        self.replicas
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, r)| r)
    }
}

/// One describe per object kind, concurrently: the instances by
/// identifier, the subnet group by name, the security group by tag.
pub async fn observe(client: &SwarmClient, name: &str) -> Result<Observed, Diagnostic> {
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
    let groups = aws::call(
        "ec2",
        "DescribeSecurityGroups",
        client
            .ec2
            .describe_security_groups()
            .filters(tags::owner_filter(KIND, name))
            .send(),
    );
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
    let groups: Vec<Group> = groups
        .map_err(|e| fail(&e))?
        .security_groups()
        .iter()
        .filter_map(Group::from_sdk)
        .collect();
    let vpc = subnet_group.as_ref().and_then(DbSubnetGroup::vpc_id);
    let group = groups
        .iter()
        .find(|g| Some(g.vpc_id.as_str()) == vpc)
        .or_else(|| groups.first())
        .cloned();

    let mut seen = Observed {
        subnet_group,
        group,
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
    Ok(seen)
}

/// A subnet: its VPC and zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetInfo {
    pub id: String,
    pub vpc_id: String,
    pub zone: String,
}

/// The subnets, or why they cannot hold the database: they must exist,
/// be in one VPC and span at least two zones (RDS's rule for a DB subnet
/// group, and what Multi-AZ and replicas need).
pub async fn describe_subnets(
    client: &SwarmClient,
    ids: &[String],
) -> Result<Vec<SubnetInfo>, Diagnostic> {
    let out = aws::call(
        "ec2",
        "DescribeSubnets",
        client
            .ec2
            .describe_subnets()
            .set_subnet_ids(Some(ids.to_vec()))
            .send(),
    )
    .await;
    let out = match out {
        Ok(out) => out,
        Err(e) if e.code() == Some("InvalidSubnetID.NotFound") => {
            return Err(Diagnostic::error(
                "Subnet not found",
                format!(
                    "subnet_ids: {}",
                    e.message().unwrap_or("a subnet does not exist")
                ),
            ));
        }
        Err(e) => return Err(aws::error("Cannot read the subnets", &e)),
    };
    let subnets: Vec<SubnetInfo> = out
        .subnets()
        .iter()
        .filter_map(|s| {
            Some(SubnetInfo {
                id: s.subnet_id()?.to_owned(),
                vpc_id: s.vpc_id().unwrap_or_default().to_owned(),
                zone: s.availability_zone().unwrap_or_default().to_owned(),
            })
        })
        .collect();
    if let Some(missing) = ids.iter().find(|id| !subnets.iter().any(|s| &s.id == *id)) {
        return Err(Diagnostic::error(
            "Subnet not found",
            format!("subnet_ids: {missing} does not exist."),
        ));
    }
    let mut vpcs: Vec<&str> = subnets.iter().map(|s| s.vpc_id.as_str()).collect();
    vpcs.sort_unstable();
    vpcs.dedup();
    if vpcs.len() > 1 {
        return Err(Diagnostic::error(
            "Subnets in several VPCs",
            format!(
                "subnet_ids must all be in one VPC; they are in {}.",
                vpcs.join(", ")
            ),
        ));
    }
    if zones(&subnets).len() < 2 {
        return Err(Diagnostic::error(
            "Subnets in one availability zone",
            "subnet_ids must span at least two availability zones: RDS needs them for a DB \
             subnet group, a Multi-AZ standby and replicas.",
        ));
    }
    Ok(subnets)
}

/// The zones of some subnets, sorted.
pub fn zones(subnets: &[SubnetInfo]) -> Vec<String> {
    let mut zones: Vec<String> = subnets.iter().map(|s| s.zone.clone()).collect();
    zones.sort();
    zones.dedup();
    zones
}

/// The security groups' VPCs, or which of them do not exist.
pub async fn describe_groups(
    client: &SwarmClient,
    ids: &[String],
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let out = aws::call(
        "ec2",
        "DescribeSecurityGroups",
        client
            .ec2
            .describe_security_groups()
            .set_group_ids(Some(ids.to_vec()))
            .send(),
    )
    .await;
    let out = match out {
        Ok(out) => out,
        Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
            return Err(Diagnostic::error(
                "Security group not found",
                format!(
                    "allowed_security_group_ids: {}",
                    e.message().unwrap_or("a group does not exist")
                ),
            ));
        }
        Err(e) => return Err(aws::error("Cannot read the security groups", &e)),
    };
    let found: BTreeMap<String, String> = out
        .security_groups()
        .iter()
        .filter_map(|g| {
            Some((
                g.group_id()?.to_owned(),
                g.vpc_id().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    if let Some(missing) = ids.iter().find(|id| !found.contains_key(*id)) {
        return Err(Diagnostic::error(
            "Security group not found",
            format!("allowed_security_group_ids: {missing} does not exist."),
        ));
    }
    Ok(found)
}

pub fn rds_tags(tags: &BTreeMap<String, String>) -> Vec<aws_sdk_rds::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn rds_tag_map(tags: &[aws_sdk_rds::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Brings an RDS object's tags to `desired` (tags AWS sets itself, `aws:*`,
/// are left alone).
pub async fn sync_rds_tags(
    client: &SwarmClient,
    arn: &str,
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    let changed: BTreeMap<String, String> = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !changed.is_empty() {
        aws::call(
            "rds",
            "AddTagsToResource",
            client
                .rds
                .add_tags_to_resource()
                .resource_name(arn)
                .set_tags(Some(rds_tags(&changed)))
                .send(),
        )
        .await
        .map_err(|e| aws::error(format!("Cannot tag {arn}"), &e))?;
    }
    let stale: Vec<String> = current
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    if !stale.is_empty() {
        aws::call(
            "rds",
            "RemoveTagsFromResource",
            client
                .rds
                .remove_tags_from_resource()
                .resource_name(arn)
                .set_tag_keys(Some(stale))
                .send(),
        )
        .await
        .map_err(|e| aws::error(format!("Cannot untag {arn}"), &e))?;
    }
    Ok(())
}

pub async fn list_rds_tags(
    client: &SwarmClient,
    arn: &str,
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let out = aws::call(
        "rds",
        "ListTagsForResource",
        client
            .rds
            .list_tags_for_resource()
            .resource_name(arn)
            .send(),
    )
    .await
    .map_err(|e| aws::error(format!("Cannot read the tags of {arn}"), &e))?;
    Ok(rds_tag_map(out.tag_list()))
}

/// Brings a security group's tags to `desired`.
pub async fn sync_group_tags(
    client: &SwarmClient,
    group: &Group,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    if desired.iter().any(|(k, v)| group.tags.get(k) != Some(v)) {
        aws::call(
            "ec2",
            "CreateTags",
            client
                .ec2
                .create_tags()
                .resources(&group.id)
                .set_tags(Some(tags::ec2_tags(desired)))
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot tag the database's security group", &e))?;
    }
    let stale: Vec<aws_sdk_ec2::types::Tag> = group
        .tags
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:"))
        .map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build())
        .collect();
    if !stale.is_empty() {
        aws::call(
            "ec2",
            "DeleteTags",
            client
                .ec2
                .delete_tags()
                .resources(&group.id)
                .set_tags(Some(stale))
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot untag the database's security group", &e))?;
    }
    Ok(())
}

/// Creates the security group, tagged at creation so that it is found
/// again whatever happens next. Its default egress rule stays: it only
/// matters for extensions that call out (aws_s3, postgres_fdw).
pub async fn create_group(
    client: &SwarmClient,
    name: &str,
    vpc_id: &str,
    group_tags: &BTreeMap<String, String>,
) -> Result<Group, Diagnostic> {
    let out = aws::call(
        "ec2",
        "CreateSecurityGroup",
        client
            .ec2
            .create_security_group()
            .group_name(group_name(name))
            .description(format!(
                "swarm_database {name}: PostgreSQL from allowed security groups only"
            ))
            .vpc_id(vpc_id)
            .tag_specifications(tags::ec2_spec(ResourceType::SecurityGroup, group_tags))
            .send(),
    )
    .await
    .map_err(|e| aws::error("Cannot create the database's security group", &e))?;
    let id = out.group_id().ok_or_else(|| {
        Diagnostic::error(
            "No security group id",
            "CreateSecurityGroup returned no GroupId.",
        )
    })?;
    Ok(Group {
        id: id.to_owned(),
        vpc_id: vpc_id.to_owned(),
        tags: group_tags.clone(),
        ingress: Vec::new(),
    })
}

/// Opens `add` and closes `remove` (adding first, so that allowed
/// clients are never cut off in between).
pub async fn change_ingress(
    client: &SwarmClient,
    group_id: &str,
    add: &[Rule],
    remove: &[Rule],
) -> Result<(), Diagnostic> {
    if !add.is_empty() {
        aws::call(
            "ec2",
            "AuthorizeSecurityGroupIngress",
            client
                .ec2
                .authorize_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(
                    add.iter()
                        .map(|r| r.to_permission(Some("PostgreSQL")))
                        .collect(),
                ))
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot open PostgreSQL's port", &e))?;
    }
    if !remove.is_empty() {
        aws::call(
            "ec2",
            "RevokeSecurityGroupIngress",
            client
                .ec2
                .revoke_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(Some(remove.iter().map(|r| r.to_permission(None)).collect()))
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot remove security group rules", &e))?;
    }
    Ok(())
}

/// Deletes the security group, waiting while the network interfaces of
/// deleted DB instances still hold it (RDS releases them minutes later).
pub async fn delete_group(
    client: &SwarmClient,
    group_id: &str,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let what = format!("security group {group_id} to be released");
    waiter::wait_for(&what, wait.remaining(), wait.cancel, || async move {
        let request = client.ec2.delete_security_group().group_id(group_id).send();
        match aws::call("ec2", "DeleteSecurityGroup", request).await {
            Ok(_) => Ok(Poll::Ready(())),
            Err(e) if e.code() == Some("InvalidGroup.NotFound") => Ok(Poll::Ready(())),
            Err(e) if e.code() == Some("DependencyViolation") => Ok(Poll::Pending(
                "still in use (network interfaces detaching)".to_owned(),
            )),
            Err(e) => Err(aws::error(
                "Cannot delete the database's security group",
                &e,
            )),
        }
    })
    .await
    .map_err(wait_error)
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
    .map_err(wait_error)
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
pub async fn wait_available(
    client: &SwarmClient,
    ids: &[String],
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    if ids.is_empty() {
        return Ok(());
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
                    if !settled(i) {
                        waiting.push(format!("{id}: {status}"));
                    }
                }
            }
        }
        Ok(if waiting.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending(waiting.join(", "))
        })
    })
    .await
    .map_err(wait_error)
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
    .map_err(wait_error)
}

/// Deletes DB instances; one already gone or being deleted is fine.
pub async fn delete_instances(
    client: &SwarmClient,
    deletions: Vec<(String, Option<String>)>,
) -> Result<(), Diagnostic> {
    try_join_all(
        deletions
            .into_iter()
            .map(|(id, final_snapshot)| async move {
                let mut request = client.rds.delete_db_instance().db_instance_identifier(&id);
                request = match &final_snapshot {
                    Some(snapshot) => request.final_db_snapshot_identifier(snapshot),
                    None => request.skip_final_snapshot(true),
                };
                match aws::call("rds", "DeleteDBInstance", request.send()).await {
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
            }),
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

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
