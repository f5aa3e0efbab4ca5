//! The security groups the swarm resources put in front of their hosts:
//! one per resource, found again by its owner and role tags, opening one
//! port to the sources the user allows and nothing else. Nodes, databases
//! and caches differ only in the port, the sources and the egress policy;
//! the rules, the describe/create/authorize/revoke/delete calls and their
//! waits live here once.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroup,
    UserIdGroupPair,
};
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::Identity;
use crate::tags;
use crate::waiter::{Poll, Wait};

/// The role tag of every resource's security group.
pub const ROLE: &str = "security-group";

/// One ingress or egress rule, flattened: a protocol and port range from
/// (or to) one source. EC2 groups several sources into one permission;
/// one rule per source makes sets of rules comparable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rule {
    /// `tcp`, `udp`, `icmp`, ... or `-1` for all traffic.
    pub protocol: String,
    /// -1 where EC2 gives no port (all traffic).
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
    /// TCP on one port from an IPv4 block.
    pub fn tcp_from_cidr(port: i32, cidr: &str) -> Self {
        Self::tcp(port, Source::Cidr(cidr.to_owned()))
    }

    /// TCP on one port from the members of a security group.
    pub fn tcp_from_group(port: i32, group_id: &str) -> Self {
        Self::tcp(port, Source::Group(group_id.to_owned()))
    }

    fn tcp(port: i32, source: Source) -> Self {
        Self {
            protocol: "tcp".to_owned(),
            from: port,
            to: port,
            source,
        }
    }

    /// EC2's permissions, one rule per source, sorted and deduplicated.
    pub fn flatten(permissions: &[IpPermission]) -> Vec<Rule> {
        let mut rules = Vec::new();
        for p in permissions {
            let protocol = p.ip_protocol().unwrap_or("-1");
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
            rules.extend(sources.map(|source| Rule {
                protocol: protocol.to_owned(),
                from,
                to,
                source,
            }));
        }
        rules.sort();
        rules.dedup();
        rules
    }

    /// The rule as EC2 takes it; `description` labels the source (shown
    /// in the console next to the rule).
    pub fn to_permission(&self, description: Option<&str>) -> IpPermission {
        let mut b = IpPermission::builder().ip_protocol(&self.protocol);
        if self.protocol != "-1" {
            b = b.from_port(self.from).to_port(self.to);
        }
        let description = description.map(str::to_owned);
        match &self.source {
            Source::Cidr(c) => b.ip_ranges(
                IpRange::builder()
                    .cidr_ip(c)
                    .set_description(description)
                    .build(),
            ),
            Source::Ipv6(c) => b.ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(c)
                    .set_description(description)
                    .build(),
            ),
            Source::PrefixList(p) => b.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(p)
                    .set_description(description)
                    .build(),
            ),
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

/// As states show rules: `tcp/3000 from 10.20.0.0/16`, `all from sg-1`.
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

/// A resource's security group, as DescribeSecurityGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub vpc_id: String,
    pub tags: BTreeMap<String, String>,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

impl Group {
    fn from_sdk(g: &SecurityGroup) -> Option<Self> {
        Some(Self {
            id: g.group_id()?.to_owned(),
            vpc_id: g.vpc_id().unwrap_or_default().to_owned(),
            tags: tags::ec2::from_sdk(g.tags()),
            ingress: Rule::flatten(g.ip_permissions()),
            egress: Rule::flatten(g.ip_permissions_egress()),
        })
    }

    /// The security groups let in on TCP `port`, sorted.
    pub fn groups_allowed_on(&self, port: i32) -> Vec<String> {
        let mut ids: Vec<String> = self
            .ingress
            .iter()
            .filter_map(|r| match &r.source {
                Source::Group(id) if *r == Rule::tcp_from_group(port, id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        ids.dedup();
        ids
    }
}

/// The security groups an instance (a DB instance, a cache cluster) is to
/// be behind: the resource's own first, then `additional` (an imported
/// object's groups of its own, kept so that an import cuts no access),
/// without repeats.
pub fn attached(own: &str, additional: &[String]) -> Vec<String> {
    let mut ids = vec![own.to_owned()];
    for id in additional {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

/// Whether an instance behind `current` must be moved behind `wanted`
/// (compared as sets: AWS keeps no order).
pub fn must_attach(current: &[&str], wanted: &[String]) -> bool {
    let current: std::collections::BTreeSet<&str> = current.iter().copied().collect();
    let wanted: std::collections::BTreeSet<&str> = wanted.iter().map(String::as_str).collect();
    current != wanted
}

/// The groups an instance is behind besides the resource's own (`own`;
/// `None` when it has none yet, as an imported object): what
/// `additional_security_group_ids` reads back, sorted.
pub fn additional<'a>(
    current: impl IntoIterator<Item = &'a str>,
    own: Option<&str>,
) -> Vec<String> {
    let mut ids: Vec<String> = current
        .into_iter()
        .filter(|id| Some(*id) != own)
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The security groups of the resource `kind` that `id` finds (normally
/// one; more after the resource moved VPCs half way), sorted by id. All
/// pages of one DescribeSecurityGroups.
pub async fn find(
    client: &SwarmClient,
    kind: &str,
    id: &Identity,
) -> Result<Vec<Group>, Diagnostic> {
    let filters = vec![
        id.ec2_filter(kind),
        Filter::builder()
            .name(format!("tag:{}", tags::ROLE_KEY))
            .values(ROLE)
            .build(),
    ];
    let mut out = aws::all_pages(|token| {
        let request = client
            .ec2
            .describe_security_groups()
            .set_filters(Some(filters.clone()))
            .set_next_token(token)
            .send();
        async move {
            let page = aws::call("ec2", "DescribeSecurityGroups", request)
                .await
                .map_err(|e| aws::error(format!("Cannot read the {kind}'s security group"), &e))?;
            let groups = page
                .security_groups()
                .iter()
                .filter_map(Group::from_sdk)
                .collect();
            Ok((groups, page.next_token().map(str::to_owned)))
        }
    })
    .await?;
    out.retain(|g| id.owns(&g.tags));
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// What a new group is made with.
pub struct NewGroup<'a> {
    /// The group's name in EC2 (unique per VPC).
    pub group_name: &'a str,
    pub description: &'a str,
    pub vpc_id: &'a str,
    /// Including the owner and role tags, so that the group is found
    /// again whatever happens next.
    pub tags: &'a BTreeMap<String, String>,
}

/// Creates a group, tagged at creation, and waits until other calls see
/// it (EC2 is eventually consistent: a rule or an instance may not find a
/// group at once). The group keeps EC2's default egress rule (all
/// traffic out); `revoke_egress` takes it away.
pub async fn create(
    client: &SwarmClient,
    new: &NewGroup<'_>,
    wait: &Wait<'_>,
) -> Result<Group, Diagnostic> {
    let request = client
        .ec2
        .create_security_group()
        .group_name(new.group_name)
        .description(new.description)
        .vpc_id(new.vpc_id)
        .tag_specifications(tags::ec2::spec(ResourceType::SecurityGroup, new.tags))
        .send();
    let out = aws::call("ec2", "CreateSecurityGroup", request)
        .await
        .map_err(|e| {
            aws::error(
                format!("Cannot create security group {}", new.group_name),
                &e,
            )
        })?;
    let id = out.group_id().ok_or_else(|| {
        Diagnostic::error(
            "No security group id",
            "CreateSecurityGroup returned no GroupId.",
        )
    })?;
    let what = format!("security group {id} to exist");
    wait.until(&what, || async {
        let request = client.ec2.describe_security_groups().group_ids(id).send();
        match aws::call("ec2", "DescribeSecurityGroups", request).await {
            Ok(out) => Ok(
                match out.security_groups().first().and_then(Group::from_sdk) {
                    Some(group) => Poll::Ready(group),
                    None => Poll::Pending("not listed yet".to_owned()),
                },
            ),
            Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
                Ok(Poll::Pending("not found yet".to_owned()))
            }
            Err(e) => Err(aws::error("Cannot read the new security group", &e)),
        }
    })
    .await
}

/// Makes the group's ingress exactly `wanted`: rules added out of band are
/// removed. Adds first, so that allowed sources are never cut off in
/// between; `group.ingress` follows each step, so that a failure leaves
/// it true.
pub async fn set_ingress(
    client: &SwarmClient,
    group: &mut Group,
    wanted: &[Rule],
    description: &str,
) -> Result<(), Diagnostic> {
    set_ingress_described(client, group, wanted, description, |_| {
        description.to_owned()
    })
    .await
}

/// [`set_ingress`], with each new rule described by `describe` (rules
/// that let in different callers say whom); `what` names the rules in an
/// error.
pub async fn set_ingress_described(
    client: &SwarmClient,
    group: &mut Group,
    wanted: &[Rule],
    what: &str,
    describe: impl Fn(&Rule) -> String,
) -> Result<(), Diagnostic> {
    let description = what;
    let add: Vec<IpPermission> = wanted
        .iter()
        .filter(|r| !group.ingress.contains(r))
        .map(|r| r.to_permission(Some(&describe(r))))
        .collect();
    if !add.is_empty() {
        let request = client
            .ec2
            .authorize_security_group_ingress()
            .group_id(&group.id)
            .set_ip_permissions(Some(add))
            .send();
        aws::call("ec2", "AuthorizeSecurityGroupIngress", request)
            .await
            .map_err(|e| aws::error(format!("Cannot open {description}"), &e))?;
        group.ingress.extend(wanted.iter().cloned());
        group.ingress.sort();
        group.ingress.dedup();
    }
    let remove: Vec<IpPermission> = group
        .ingress
        .iter()
        .filter(|r| !wanted.contains(r))
        .map(|r| r.to_permission(None))
        .collect();
    if !remove.is_empty() {
        let request = client
            .ec2
            .revoke_security_group_ingress()
            .group_id(&group.id)
            .set_ip_permissions(Some(remove))
            .send();
        aws::call("ec2", "RevokeSecurityGroupIngress", request)
            .await
            .map_err(|e| aws::error("Cannot remove security group rules", &e))?;
        group.ingress.retain(|r| wanted.contains(r));
    }
    Ok(())
}

/// Takes every outbound rule away, for hosts that need to call nobody.
pub async fn revoke_egress(client: &SwarmClient, group: &mut Group) -> Result<(), Diagnostic> {
    if group.egress.is_empty() {
        return Ok(());
    }
    let request = client
        .ec2
        .revoke_security_group_egress()
        .group_id(&group.id)
        .set_ip_permissions(Some(
            group.egress.iter().map(|r| r.to_permission(None)).collect(),
        ))
        .send();
    aws::call("ec2", "RevokeSecurityGroupEgress", request)
        .await
        .map_err(|e| aws::error("Cannot remove outbound rules", &e))?;
    group.egress.clear();
    Ok(())
}

/// Brings the group's tags to `desired`.
pub async fn sync_tags(
    client: &SwarmClient,
    group: &mut Group,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    tags::ec2::sync(
        client,
        std::slice::from_ref(&group.id),
        &group.tags,
        desired,
    )
    .await?;
    group.tags = desired.clone();
    Ok(())
}

/// Deletes a group, waiting while the network interfaces of deleted
/// instances, DB instances or cache nodes still hold it (AWS releases
/// them seconds to minutes later).
pub async fn delete(
    client: &SwarmClient,
    group_id: &str,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let what = format!("security group {group_id} to be released");
    wait.until(&what, || async {
        let request = client.ec2.delete_security_group().group_id(group_id).send();
        match aws::call("ec2", "DeleteSecurityGroup", request).await {
            Ok(_) => Ok(Poll::Ready(())),
            Err(e) if e.code() == Some("InvalidGroup.NotFound") => Ok(Poll::Ready(())),
            Err(e) if e.code() == Some("DependencyViolation") => Ok(Poll::Pending(
                "still in use (network interfaces detaching)".to_owned(),
            )),
            Err(e) => Err(aws::error(
                format!("Cannot delete security group {group_id}"),
                &e,
            )),
        }
    })
    .await
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_instance_keeps_its_own_groups_beside_the_resources() {
        let extra = vec!["sg-b".to_owned(), "sg-own".to_owned()];
        let wanted = attached("sg-own", &extra);
        assert_eq!(wanted, ["sg-own", "sg-b"]);
        assert!(!must_attach(&["sg-b", "sg-own"], &wanted));
        assert!(must_attach(&["sg-b"], &wanted));
        assert!(must_attach(&["sg-own", "sg-b", "sg-c"], &wanted));
        assert_eq!(
            additional(["sg-c", "sg-own", "sg-b"], Some("sg-own")),
            ["sg-b", "sg-c"]
        );
        assert_eq!(additional(["sg-c"], None), ["sg-c"]);
    }

    use super::*;

    #[test]
    fn rules_read_as_text() {
        assert_eq!(
            Rule::tcp_from_cidr(3000, "10.0.0.0/16").to_string(),
            "tcp/3000 from 10.0.0.0/16"
        );
        let range = Rule {
            protocol: "udp".to_owned(),
            from: 1000,
            to: 2000,
            source: Source::PrefixList("pl-1".to_owned()),
        };
        assert_eq!(range.to_string(), "udp/1000-2000 from pl-1");
        let all = Rule {
            protocol: "-1".to_owned(),
            from: -1,
            to: -1,
            source: Source::Group("sg-2".to_owned()),
        };
        assert_eq!(all.to_string(), "all from sg-2");
    }

    #[test]
    fn permissions_round_trip_one_rule_per_source() {
        let rules = vec![
            Rule::tcp_from_cidr(22, "0.0.0.0/0"),
            Rule {
                protocol: "-1".to_owned(),
                from: -1,
                to: -1,
                source: Source::Ipv6("::/0".to_owned()),
            },
            Rule::tcp_from_group(5432, "sg-1"),
        ];
        let permissions: Vec<IpPermission> =
            rules.iter().map(|r| r.to_permission(Some("x"))).collect();
        let mut sorted = rules.clone();
        sorted.sort();
        assert_eq!(Rule::flatten(&permissions), sorted);

        // One permission with two sources flattens to two rules.
        let both = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(6379)
            .to_port(6379)
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-b").build())
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-a").build())
            .build();
        assert_eq!(
            Rule::flatten(&[both]),
            vec![
                Rule::tcp_from_group(6379, "sg-a"),
                Rule::tcp_from_group(6379, "sg-b")
            ]
        );
    }

    #[test]
    fn groups_allowed_on_a_port_ignore_other_rules() {
        let group = Group {
            id: "sg-db".to_owned(),
            vpc_id: "vpc-1".to_owned(),
            tags: BTreeMap::new(),
            ingress: vec![
                Rule::tcp_from_cidr(5432, "10.0.0.0/8"),
                Rule::tcp_from_group(22, "sg-ssh"),
                Rule::tcp_from_group(5432, "sg-a"),
                Rule::tcp_from_group(5432, "sg-b"),
            ],
            egress: Vec::new(),
        };
        assert_eq!(group.groups_allowed_on(5432), ["sg-a", "sg-b"]);
    }
}
