//! The network's AWS objects and the calls that make, change and remove
//! them: the VPC, the internet gateway, the subnets, the NAT gateways and
//! their elastic IPs, and the route tables, all found by their marker
//! (`swarm:owner`, see `crate::ownership`), one describe per object kind.
//! Their `swarm:network` tag is the name they answer to, for import and
//! for the plan's report of other networks of the same name.
//!
//! EC2 is eventually consistent: an object just created may be unknown to
//! the next call for a moment (`Invalid*ID.NotFound`), and a VPC's objects
//! cannot go while a NAT gateway's address is still being released
//! (`DependencyViolation`). The calls that meet those answer retry them
//! (`waiter::retry_while`) within the operation's one budget; nothing here
//! decides what to make or remove.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, DomainType, Filter, InternetGateway, NatGateway, NatGatewayState,
    ResourceType, RouteTable, Subnet, Tag, Vpc, VpcState,
};
use tfplugin::diag::Diagnostic;

use super::state::Tier;
use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::{self, Identity, Sets};
use crate::tags;
use crate::waiter::{self, Poll, Wait, WaitError};

/// The owner tag's kind: objects carry `swarm:network = <name>`.
pub const KIND: &str = "network";
/// The zone of an object of one zone (subnets, NAT gateways, addresses,
/// private route tables).
pub const AZ_KEY: &str = "swarm:az";
/// The default route's destination.
pub const ANYWHERE: &str = "0.0.0.0/0";
/// How many client tokens one NAT gateway create tries: each gateway of the
/// zone deleted within the day EC2 remembers tokens adds one to the chain.
const NAT_TOKEN_TRIES: usize = 16;

/// The "not yet" answers of EC2 about an object created a moment ago.
const VPC_NOT_FOUND: &str = "InvalidVpcID.NotFound";
const SUBNET_NOT_FOUND: &str = "InvalidSubnetID.NotFound";
const INTERNET_GATEWAY_NOT_FOUND: &str = "InvalidInternetGatewayID.NotFound";
const ALLOCATION_NOT_FOUND: &str = "InvalidAllocationID.NotFound";
const ROUTE_TABLE_NOT_FOUND: &str = "InvalidRouteTableID.NotFound";
const NAT_GATEWAY_NOT_FOUND: &str = "InvalidNatGatewayID.NotFound";
/// How CreateRoute and ReplaceRoute call an internet gateway they do not
/// know (yet).
const GATEWAY_NOT_FOUND: &str = "InvalidGatewayID.NotFound";
/// A route's table, or its target, created a moment ago.
const ROUTE_NOT_YET: [&str; 3] = [
    ROUTE_TABLE_NOT_FOUND,
    NAT_GATEWAY_NOT_FOUND,
    GATEWAY_NOT_FOUND,
];
/// What a delete meets while something still holds the object: for a
/// while after a NAT gateway is deleted and its address released, the
/// internet gateway, the subnets, the route tables and the VPC.
const DEPENDENCY_VIOLATION: &str = "DependencyViolation";

/// Everything AWS has of one network, found by its tags.
#[derive(Debug, Default)]
pub struct Observed {
    pub vpc: Option<Vpc>,
    pub internet_gateway: Option<InternetGateway>,
    pub subnets: Vec<Subnet>,
    pub nat_gateways: Vec<NatGateway>,
    pub route_tables: Vec<RouteTable>,
    /// Elastic IP allocations of the NAT gateways: (allocation id, zone).
    pub addresses: Vec<(String, String)>,
}

pub fn role_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(tags::ROLE_KEY))
        .and_then(|t| t.value())
}

pub fn zone_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(AZ_KEY))
        .and_then(|t| t.value())
}

/// A NAT gateway that is or is becoming available.
fn is_live(nat: &NatGateway) -> bool {
    matches!(
        nat.state(),
        Some(NatGatewayState::Pending | NatGatewayState::Available)
    )
}

/// The network's NAT gateways that are not deleted (AWS lists deleted
/// ones for an hour).
async fn describe_nat_gateways(
    client: &SwarmClient,
    id: &Identity,
) -> Result<Vec<NatGateway>, Diagnostic> {
    let name = &id.id;
    let live = Filter::builder()
        .name("state")
        .values("pending")
        .values("available")
        .values("deleting")
        .values("failed")
        .build();
    let request = client
        .ec2
        .describe_nat_gateways()
        .filter(id.ec2_filter(KIND))
        .filter(live)
        .send();
    let out = aws::call("ec2", "DescribeNatGateways", request)
        .await
        .map_err(|e| {
            aws::error(
                format!("Cannot read the NAT gateways of network {name:?}"),
                &e,
            )
        })?;
    Ok(out
        .nat_gateways()
        .iter()
        .filter(|n| n.state() != Some(&NatGatewayState::Deleted) && id.owns_ec2(n.tags()))
        .cloned()
        .collect())
}

/// Whether `id` is a VPC id (an import by VPC id), not a network's name.
pub fn is_vpc_id(id: &str) -> bool {
    id.strip_prefix("vpc-").is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// The identity of the network whose VPC is `vpc_id`: its name and marker
/// as the VPC's tags give them; `None` if no such VPC exists. A VPC that
/// exists but answers to no network name was not made by the provider:
/// an error that says what an import expects (see [`not_a_network`]).
async fn identity_of_vpc(
    client: &SwarmClient,
    vpc_id: &str,
) -> Result<Option<Identity>, Diagnostic> {
    let request = client.ec2.describe_vpcs().vpc_ids(vpc_id).send();
    let out = match aws::call("ec2", "DescribeVpcs", request).await {
        Ok(out) => out,
        Err(e) if e.code() == Some(VPC_NOT_FOUND) => return Ok(None),
        Err(e) => return Err(aws::error(format!("Cannot read VPC {vpc_id}"), &e)),
    };
    let Some(vpc) = out.vpcs().first() else {
        return Ok(None);
    };
    let owner_key = tags::owner_key(KIND);
    let name = vpc
        .tags()
        .iter()
        .find(|t| t.key() == Some(owner_key.as_str()))
        .and_then(|t| t.value());
    let Some(name) = name else {
        return Err(not_a_network(vpc_id));
    };
    let marker = ownership::marker_of_ec2(vpc.tags()).map(ownership::Marker::from_stored);
    Ok(Some(Identity::new(name, marker)))
}

/// The error of an import of a VPC made outside the provider. The
/// network's arguments (a CIDR and zones) describe one shape only, the
/// provider's: three subnet tiers per zone cut from the CIDR its way,
/// with their gateways and route tables. A VPC made otherwise has subnets
/// those arguments cannot name, so adopting it would mean making a second
/// set of subnets beside its own (or failing on overlapping CIDRs):
/// refused, before anything is written, with what to do instead.
fn not_a_network(vpc_id: &str) -> Diagnostic {
    let key = tags::owner_key(KIND);
    Diagnostic::error(
        format!("VPC {vpc_id} is not a swarm_network"),
        format!(
            "VPC {vpc_id} carries no {key} tag, so it was not made by swarm_network. A \
             swarm_network is a VPC whose CIDR is cut into public, private and database \
             subnets in each of its zones, with an internet gateway, NAT gateways and route \
             tables, every object tagged {key} = <name>; import takes such a network (one \
             whose state was lost), by its name or its VPC id. A VPC made otherwise cannot be \
             described by the resource's arguments: keep managing it as it is (e.g. with \
             hashicorp/aws's aws_vpc and aws_subnet), and give its subnet ids to swarm_node, \
             swarm_database and swarm_cache (`subnet_ids`)."
        ),
    )
}

/// Everything of the network `id`: one describe per object kind, all at
/// once, of the objects its owner takes. An import by VPC id (`Anyone`
/// of a `vpc-...` id) takes the network of that VPC, by its marker.
pub async fn observe(client: &SwarmClient, id: &Identity) -> Result<Observed, Diagnostic> {
    if id.owner == ownership::Owner::Anyone && is_vpc_id(&id.id) {
        return match identity_of_vpc(client, &id.id).await? {
            Some(network) => Box::pin(observe(client, &network)).await,
            None => Ok(Observed::default()),
        };
    }
    let name = id.id.as_str();
    let owner = || id.ec2_filter(KIND);
    let ec2 = &client.ec2;
    let (vpcs, gateways, subnets, nats, tables, addresses) = tokio::join!(
        aws::call(
            "ec2",
            "DescribeVpcs",
            ec2.describe_vpcs().filters(owner()).send()
        ),
        aws::call(
            "ec2",
            "DescribeInternetGateways",
            ec2.describe_internet_gateways().filters(owner()).send()
        ),
        aws::call(
            "ec2",
            "DescribeSubnets",
            ec2.describe_subnets().filters(owner()).send()
        ),
        describe_nat_gateways(client, id),
        aws::call(
            "ec2",
            "DescribeRouteTables",
            ec2.describe_route_tables().filters(owner()).send()
        ),
        aws::call(
            "ec2",
            "DescribeAddresses",
            ec2.describe_addresses().filters(owner()).send()
        ),
    );
    let fail = |err: &(dyn std::error::Error + 'static)| {
        Diagnostic::error(
            format!("Cannot read network {name:?}"),
            aws_sdk_ec2::error::DisplayErrorContext(err).to_string(),
        )
    };
    let vpcs = vpcs.map_err(|e| fail(&e))?;
    let gateways = gateways.map_err(|e| fail(&e))?;
    let subnets = subnets.map_err(|e| fail(&e))?;
    let nat_gateways = nats?;
    let tables = tables.map_err(|e| fail(&e))?;
    let addresses = addresses.map_err(|e| fail(&e))?;
    // Found by name (a state without a marker, an import), objects of
    // other networks of the name answer too: only the owner's are kept.
    let vpc = vpcs.vpcs().iter().find(|v| id.owns_ec2(v.tags())).cloned();
    Ok(Observed {
        internet_gateway: gateways
            .internet_gateways()
            .iter()
            .find(|g| id.owns_ec2(g.tags()))
            .cloned(),
        subnets: subnets
            .subnets()
            .iter()
            .filter(|s| vpc.as_ref().is_some_and(|v| s.vpc_id() == v.vpc_id()))
            .filter(|s| id.owns_ec2(s.tags()))
            .cloned()
            .collect(),
        nat_gateways,
        route_tables: tables
            .route_tables()
            .iter()
            .filter(|t| id.owns_ec2(t.tags()))
            .cloned()
            .collect(),
        addresses: addresses
            .addresses()
            .iter()
            .filter(|a| id.owns_ec2(a.tags()))
            .filter_map(|a| {
                Some((
                    a.allocation_id()?.to_owned(),
                    zone_of(a.tags()).unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        vpc,
    })
}

/// The VPCs that answer to the network name `name`, by marker: one
/// DescribeVpcs (the VPC is the network; the plan's report of other
/// networks of the name lists them).
pub async fn answering(client: &SwarmClient, name: &str) -> Result<Sets, Diagnostic> {
    let request = client
        .ec2
        .describe_vpcs()
        .filters(tags::ec2::owner_filter(KIND, name))
        .send();
    let out = aws::call("ec2", "DescribeVpcs", request)
        .await
        .map_err(|e| aws::error(format!("Cannot look up the VPCs named {name:?}"), &e))?;
    let mut sets = Sets::default();
    for vpc in out.vpcs() {
        sets.add(
            ownership::marker_of_ec2(vpc.tags()),
            vpc.vpc_id().unwrap_or_default(),
        );
    }
    Ok(sets)
}

impl Observed {
    /// The objects, by marker: one set for one network.
    pub fn sets(&self) -> Sets {
        let mut sets = Sets::default();
        for (id, tags) in self.tagged_objects() {
            sets.add(ownership::marker_of_ec2(tags), id);
        }
        sets
    }

    /// The network's name, as its VPC's `swarm:network` tag gives it.
    pub fn name(&self) -> Option<&str> {
        let key = tags::owner_key(KIND);
        self.vpc
            .as_ref()?
            .tags()
            .iter()
            .find(|t| t.key() == Some(key.as_str()))
            .and_then(|t| t.value())
    }

    pub fn vpc_id(&self) -> Option<&str> {
        self.vpc.as_ref().and_then(Vpc::vpc_id)
    }

    /// The internet gateway's id, and whether it is attached to the VPC.
    pub fn internet_gateway(&self) -> Option<(&str, bool)> {
        let igw = self.internet_gateway.as_ref()?;
        let attached = self
            .vpc_id()
            .is_some_and(|vpc_id| igw.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)));
        Some((igw.internet_gateway_id().unwrap_or_default(), attached))
    }

    /// The tier's subnets (by their `swarm:role`), sorted by zone.
    pub fn subnets(&self, tier: Tier) -> Vec<&Subnet> {
        let role = tier.subnet_role();
        let mut found: Vec<&Subnet> = self
            .subnets
            .iter()
            .filter(|s| role_of(s.tags()) == Some(role.as_str()))
            .collect();
        found.sort_by(|a, b| a.availability_zone().cmp(&b.availability_zone()));
        found
    }

    pub fn subnet(&self, tier: Tier, zone: &str) -> Option<&Subnet> {
        self.subnets(tier)
            .into_iter()
            .find(|s| s.availability_zone() == Some(zone))
    }

    /// The zone's NAT gateway that is (or is becoming) available; one
    /// being deleted or that failed does not count.
    pub fn nat_gateway(&self, zone: &str) -> Option<&NatGateway> {
        self.nat_gateways
            .iter()
            .find(|n| is_live(n) && zone_of(n.tags()) == Some(zone))
    }

    /// Whether a gateway of `zone` is being deleted (and still holds the
    /// zone's elastic IP).
    pub fn nat_deleting(&self, zone: &str) -> bool {
        self.nat_gateways.iter().any(|n| {
            n.state() == Some(&NatGatewayState::Deleting) && zone_of(n.tags()) == Some(zone)
        })
    }

    /// The live NAT gateways, by zone.
    pub fn nat_gateways_sorted(&self) -> Vec<&NatGateway> {
        let mut found: Vec<&NatGateway> = self.nat_gateways.iter().filter(|n| is_live(n)).collect();
        found.sort_by(|a, b| zone_of(a.tags()).cmp(&zone_of(b.tags())));
        found
    }

    pub fn route_table(&self, role: &str, zone: &str) -> Option<&RouteTable> {
        self.route_tables
            .iter()
            .find(|t| role_of(t.tags()) == Some(role) && zone_of(t.tags()) == Some(zone))
    }

    /// Public first, then private ones by zone, then database.
    pub fn route_tables_sorted(&self) -> Vec<&RouteTable> {
        let rank = |t: &&RouteTable| {
            let role = match role_of(t.tags()) {
                Some("public-rt") => 0,
                Some("private-rt") => 1,
                _ => 2,
            };
            (role, zone_of(t.tags()).unwrap_or_default().to_owned())
        };
        let mut found: Vec<&RouteTable> = self.route_tables.iter().collect();
        found.sort_by_key(rank);
        found
    }

    /// The zones the network spans, from its subnets.
    pub fn zones(&self) -> Vec<String> {
        let mut zones: Vec<String> = self
            .subnets
            .iter()
            .filter_map(|s| s.availability_zone().map(str::to_owned))
            .collect();
        zones.sort();
        zones.dedup();
        zones
    }

    /// Every object's id with its tags, for tag updates.
    pub fn tagged_objects(&self) -> Vec<(String, &[Tag])> {
        let mut objects = Vec::new();
        if let Some(vpc) = &self.vpc {
            objects.extend(vpc.vpc_id().map(|id| (id.to_owned(), vpc.tags())));
        }
        if let Some(igw) = &self.internet_gateway {
            objects.extend(
                igw.internet_gateway_id()
                    .map(|id| (id.to_owned(), igw.tags())),
            );
        }
        for s in &self.subnets {
            objects.extend(s.subnet_id().map(|id| (id.to_owned(), s.tags())));
        }
        for n in self.nat_gateways.iter().filter(|n| is_live(n)) {
            objects.extend(n.nat_gateway_id().map(|id| (id.to_owned(), n.tags())));
        }
        for t in &self.route_tables {
            objects.extend(t.route_table_id().map(|id| (id.to_owned(), t.tags())));
        }
        objects
    }
}

/// Where a default route leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// The internet gateway (public tier).
    Gateway(&'a str),
    /// A NAT gateway (private tier).
    Nat(&'a str),
}

impl Route<'_> {
    /// The route's target as CreateRoute and ReplaceRoute take it: an
    /// internet gateway id or a NAT gateway id.
    fn targets(&self) -> (Option<String>, Option<String>) {
        match self {
            Route::Gateway(id) => (Some((*id).to_owned()), None),
            Route::Nat(id) => (None, Some((*id).to_owned())),
        }
    }

    /// Whether `route` leads here.
    pub fn is(&self, route: &aws_sdk_ec2::types::Route) -> bool {
        match self {
            Route::Gateway(id) => route.gateway_id() == Some(*id),
            Route::Nat(id) => route.nat_gateway_id() == Some(*id),
        }
    }
}

/// The tags of one object, as the create calls take them.
pub type Tags = BTreeMap<String, String>;

/// The calls of one operation on one network: every wait and retry draws
/// on the operation's budget, and every error names the network.
pub struct Calls<'a> {
    client: &'a SwarmClient,
    /// Whose objects the waits look at.
    id: &'a Identity,
    name: &'a str,
    wait: &'a Wait<'a>,
    /// How an error ties the call to the network, as it always has:
    /// "Cannot create the VPC *for* network", "Cannot delete the VPC *of*
    /// network".
    preposition: &'static str,
}

impl<'a> Calls<'a> {
    /// The calls of a create or update.
    pub fn apply(client: &'a SwarmClient, id: &'a Identity, wait: &'a Wait<'a>) -> Self {
        Self {
            client,
            id,
            name: &id.id,
            wait,
            preposition: "for",
        }
    }

    /// The calls of a destroy.
    pub fn destroy(client: &'a SwarmClient, id: &'a Identity, wait: &'a Wait<'a>) -> Self {
        Self {
            client,
            id,
            name: &id.id,
            wait,
            preposition: "of",
        }
    }

    fn fail(&self, what: &str, err: &(impl std::error::Error + 'static)) -> Diagnostic {
        aws::error(
            format!("Cannot {what} {} network {:?}", self.preposition, self.name),
            err,
        )
    }

    /// Makes `call` until EC2 answers anything but one of `codes` (see
    /// `waiter::retry_while`), for the calls that must tell the other
    /// answers apart.
    async fn retry_while<T, E, F, Fut>(
        &self,
        what: &str,
        codes: &[&str],
        call: F,
    ) -> Result<T, WaitError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: ProvideErrorMetadata,
    {
        let waiting = format!(
            "EC2 to accept the request to {what} {} network {:?}",
            self.preposition, self.name
        );
        waiter::retry_while(self.wait, &waiting, codes, call).await
    }

    /// `retry_while`, with every way of failing told as a diagnostic.
    async fn retried<T, E, F, Fut>(
        &self,
        what: &str,
        codes: &[&str],
        call: F,
    ) -> Result<T, Diagnostic>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.retry_while(what, codes, call)
            .await
            .map_err(|e| e.diagnostic(|e| self.fail(what, &e)))
    }

    /// `retried` for a delete that EC2 refuses while something still
    /// holds the object: DependencyViolation for a while after a NAT
    /// gateway is deleted and its address released.
    async fn retried_while_held<T, E, F, Fut>(&self, what: &str, call: F) -> Result<(), Diagnostic>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.retried(what, &[DEPENDENCY_VIOLATION], call)
            .await
            .map(drop)
    }

    /// A call made once: EC2's answer, or the error.
    async fn once<T, E>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, Diagnostic>
    where
        E: std::error::Error + 'static,
    {
        call.await.map_err(|e| self.fail(what, &e))
    }

    /// A wait that did not end well, as the network's waits have always
    /// told it.
    fn unfinished(&self, state: &str, err: WaitError<String>) -> Diagnostic {
        Diagnostic::error(
            format!("Network {:?} not {state}", self.name),
            err.to_string(),
        )
    }

    fn ec2(&self) -> &'a aws_sdk_ec2::Client {
        &self.client.ec2
    }

    /// CreateVpc: the VPC and its id.
    pub async fn create_vpc(&self, cidr: &str, tags: &Tags) -> Result<(String, Vpc), Diagnostic> {
        let request = self
            .ec2()
            .create_vpc()
            .cidr_block(cidr)
            .tag_specifications(tags::ec2::spec(ResourceType::Vpc, tags))
            .send();
        let created = self
            .once("create the VPC", aws::call("ec2", "CreateVpc", request))
            .await?;
        created
            .vpc()
            .and_then(|vpc| Some((vpc.vpc_id()?.to_owned(), vpc.clone())))
            .ok_or_else(|| Diagnostic::error("CreateVpc returned no VPC id", ""))
    }

    /// Waits until the new VPC is available; until EC2 knows it, it is
    /// not yet.
    pub async fn wait_vpc_available(&self, vpc_id: &str) -> Result<(), Diagnostic> {
        let ec2 = self.ec2();
        waiter::wait_for(
            "the VPC to be available",
            self.wait.remaining(),
            self.wait.cancel,
            || async {
                let request = ec2.describe_vpcs().vpc_ids(vpc_id).send();
                let out = match aws::call("ec2", "DescribeVpcs", request).await {
                    Ok(out) => out,
                    Err(e) if e.code() == Some(VPC_NOT_FOUND) => {
                        return Ok(Poll::Pending("not found yet".to_owned()));
                    }
                    Err(e) => return Err(aws_sdk_ec2::error::DisplayErrorContext(e).to_string()),
                };
                Ok(match out.vpcs().first().and_then(Vpc::state) {
                    Some(VpcState::Available) => Poll::Ready(()),
                    other => Poll::Pending(format!("{other:?}")),
                })
            },
        )
        .await
        .map_err(|e| self.unfinished("ready", e))
    }

    /// DNS names for hosts (agents find each other by name): DNS support,
    /// then DNS hostnames, one attribute per call as EC2 takes them.
    pub async fn enable_dns(&self, vpc_id: &str) -> Result<(), Diagnostic> {
        let on = AttributeBooleanValue::builder().value(true).build();
        for (support, hostnames) in [(true, false), (false, true)] {
            self.retried("turn on DNS in the VPC", &[VPC_NOT_FOUND], || {
                let mut call = self.ec2().modify_vpc_attribute().vpc_id(vpc_id);
                if support {
                    call = call.enable_dns_support(on.clone());
                }
                if hostnames {
                    call = call.enable_dns_hostnames(on.clone());
                }
                aws::call("ec2", "ModifyVpcAttribute", call.send())
            })
            .await?;
        }
        Ok(())
    }

    /// CreateInternetGateway: the gateway's id.
    pub async fn create_internet_gateway(&self, tags: &Tags) -> Result<String, Diagnostic> {
        let request = self
            .ec2()
            .create_internet_gateway()
            .tag_specifications(tags::ec2::spec(ResourceType::InternetGateway, tags))
            .send();
        let created = self
            .once(
                "create the internet gateway",
                aws::call("ec2", "CreateInternetGateway", request),
            )
            .await?;
        Ok(created
            .internet_gateway()
            .and_then(InternetGateway::internet_gateway_id)
            .unwrap_or_default()
            .to_owned())
    }

    /// AttachInternetGateway, of a gateway or to a VPC made a moment ago.
    pub async fn attach_internet_gateway(
        &self,
        igw_id: &str,
        vpc_id: &str,
    ) -> Result<(), Diagnostic> {
        let codes = [INTERNET_GATEWAY_NOT_FOUND, VPC_NOT_FOUND];
        self.retried("attach the internet gateway", &codes, || {
            let request = self
                .ec2()
                .attach_internet_gateway()
                .internet_gateway_id(igw_id)
                .vpc_id(vpc_id)
                .send();
            aws::call("ec2", "AttachInternetGateway", request)
        })
        .await
        .map(drop)
    }

    /// CreateSubnet: the subnet as EC2 describes it.
    pub async fn create_subnet(
        &self,
        vpc_id: &str,
        cidr: String,
        zone: &str,
        tags: Tags,
    ) -> Result<Option<Subnet>, Diagnostic> {
        let out = self
            .retried("create subnets", &[VPC_NOT_FOUND], || {
                let request = self
                    .ec2()
                    .create_subnet()
                    .vpc_id(vpc_id)
                    .cidr_block(&cidr)
                    .availability_zone(zone)
                    .tag_specifications(tags::ec2::spec(ResourceType::Subnet, &tags))
                    .send();
                aws::call("ec2", "CreateSubnet", request)
            })
            .await?;
        Ok(out.subnet().cloned())
    }

    /// AllocateAddress: the allocation id of a new elastic IP.
    pub async fn allocate_address(&self, tags: &Tags) -> Result<String, Diagnostic> {
        let request = self
            .ec2()
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tags::ec2::spec(ResourceType::ElasticIp, tags))
            .send();
        let allocated = self
            .once(
                "allocate an elastic IP",
                aws::call("ec2", "AllocateAddress", request),
            )
            .await?;
        Ok(allocated.allocation_id().unwrap_or_default().to_owned())
    }

    /// Creates the NAT gateway of `zone`. The client token, derived from
    /// everything the request sends, makes retries of the same request
    /// create one gateway. EC2 remembers tokens (for at least a day): when
    /// it answers with a gateway that is deleted or being deleted (an
    /// earlier one of this zone, deleted out of band), the token is salted
    /// with that gateway's id and the call made again; each such gateway
    /// adds one step to the chain. A token refused because it came with
    /// other parameters before is salted too.
    ///
    /// The subnet and the address may be a moment old: until EC2 knows
    /// them, the same request is made again (same token, so still one
    /// gateway).
    pub async fn create_nat_gateway(
        &self,
        zone: &str,
        subnet: String,
        allocation: String,
        tags: Tags,
    ) -> Result<(), Diagnostic> {
        const WHAT: &str = "create a NAT gateway";
        let tag_text: String = tags.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let mut salt = String::new();
        let mut refused = 0;
        for _ in 0..NAT_TOKEN_TRIES {
            let token = format!(
                "swarm-nat-{}",
                aws::fingerprint(&[self.name, zone, &subnet, &allocation, &tag_text, &salt])
            );
            let codes = [ALLOCATION_NOT_FOUND, SUBNET_NOT_FOUND];
            let answer = self
                .retry_while(WHAT, &codes, || {
                    let request = self
                        .ec2()
                        .create_nat_gateway()
                        .subnet_id(&subnet)
                        .allocation_id(&allocation)
                        .client_token(&token)
                        .tag_specifications(tags::ec2::spec(ResourceType::Natgateway, &tags))
                        .send();
                    aws::call("ec2", "CreateNatGateway", request)
                })
                .await;
            let out = match answer {
                Ok(out) => out,
                Err(WaitError::Failed(e)) if e.code() == Some("IdempotentParameterMismatch") => {
                    refused += 1;
                    salt.push_str("/parameters");
                    continue;
                }
                Err(e) => return Err(e.diagnostic(|e| self.fail(WHAT, &e))),
            };
            match out.nat_gateway() {
                Some(old)
                    if matches!(
                        old.state(),
                        Some(NatGatewayState::Deleted | NatGatewayState::Deleting)
                    ) =>
                {
                    salt = old.nat_gateway_id().unwrap_or("deleted").to_owned();
                }
                _ => return Ok(()),
            }
        }
        Err(Diagnostic::error(
            format!(
                "Cannot create the NAT gateway of network {:?} in {zone}",
                self.name
            ),
            format!(
                "EC2 answered {NAT_TOKEN_TRIES} client tokens with deleted NAT gateways or, \
                 {refused} times, refused a token used before with other parameters. \
                 Tokens are remembered for at least a day after their gateway is deleted."
            ),
        ))
    }

    /// Waits until no NAT gateway of `zones` is being deleted; returns the
    /// network's NAT gateways as last seen.
    pub async fn wait_nat_deleted(&self, zones: &[&String]) -> Result<Vec<NatGateway>, Diagnostic> {
        let (client, id) = (self.client, self.id);
        waiter::wait_for(
            "deleted NAT gateways to be gone",
            self.wait.remaining(),
            self.wait.cancel,
            || async move {
                let nats = describe_nat_gateways(client, id)
                    .await
                    .map_err(|d| d.detail)?;
                let deleting = nats
                    .iter()
                    .filter(|n| n.state() == Some(&NatGatewayState::Deleting))
                    .filter(|n| zones.iter().any(|z| zone_of(n.tags()) == Some(z.as_str())))
                    .count();
                Ok::<_, String>(if deleting == 0 {
                    Poll::Ready(nats)
                } else {
                    Poll::Pending(format!("{deleting} still deleting"))
                })
            },
        )
        .await
        .map_err(|e| self.unfinished("ready", e))
    }

    /// Waits until `expected` NAT gateways are available (minutes on
    /// AWS); returns the network's NAT gateways as last seen.
    pub async fn wait_nat_available(&self, expected: usize) -> Result<Vec<NatGateway>, Diagnostic> {
        let (client, id) = (self.client, self.id);
        waiter::wait_for(
            "NAT gateways to be available",
            self.wait.remaining(),
            self.wait.cancel,
            || async move {
                let nats = describe_nat_gateways(client, id)
                    .await
                    .map_err(|d| d.detail)?;
                if let Some(failed) = nats
                    .iter()
                    .find(|n| n.state() == Some(&NatGatewayState::Failed))
                {
                    return Err(format!(
                        "NAT gateway {} failed: {}",
                        failed.nat_gateway_id().unwrap_or_default(),
                        failed.failure_message().unwrap_or("no reason given")
                    ));
                }
                let available = nats
                    .iter()
                    .filter(|n| n.state() == Some(&NatGatewayState::Available))
                    .count();
                Ok(if available >= expected {
                    Poll::Ready(nats)
                } else {
                    Poll::Pending(format!("{available} of {expected} available"))
                })
            },
        )
        .await
        .map_err(|e| self.unfinished("ready", e))
    }

    /// CreateRouteTable: the table's id.
    pub async fn create_route_table(
        &self,
        vpc_id: &str,
        tags: &Tags,
    ) -> Result<String, Diagnostic> {
        let created = self
            .retried("create a route table", &[VPC_NOT_FOUND], || {
                let request = self
                    .ec2()
                    .create_route_table()
                    .vpc_id(vpc_id)
                    .tag_specifications(tags::ec2::spec(ResourceType::RouteTable, tags))
                    .send();
                aws::call("ec2", "CreateRouteTable", request)
            })
            .await?;
        Ok(created
            .route_table()
            .and_then(RouteTable::route_table_id)
            .unwrap_or_default()
            .to_owned())
    }

    /// The table's default route to `route`: made (CreateRoute), or, with
    /// `replace`, pointed there (ReplaceRoute) from where it leads now.
    pub async fn default_route(
        &self,
        table_id: &str,
        route: Route<'_>,
        replace: bool,
    ) -> Result<(), Diagnostic> {
        let (gateway, nat) = route.targets();
        // The two operations take the same request, each its own type.
        macro_rules! to_route {
            ($operation:ident, $name:literal) => {
                || {
                    let request = self
                        .ec2()
                        .$operation()
                        .route_table_id(table_id)
                        .destination_cidr_block(ANYWHERE)
                        .set_gateway_id(gateway.clone())
                        .set_nat_gateway_id(nat.clone())
                        .send();
                    aws::call("ec2", $name, request)
                }
            };
        }
        if replace {
            self.retried(
                "repair the default route",
                &ROUTE_NOT_YET,
                to_route!(replace_route, "ReplaceRoute"),
            )
            .await
            .map(drop)
        } else {
            self.retried(
                "add the default route",
                &ROUTE_NOT_YET,
                to_route!(create_route, "CreateRoute"),
            )
            .await
            .map(drop)
        }
    }

    /// AssociateRouteTable: `subnet` routes through the table.
    pub async fn associate(&self, table_id: &str, subnet_id: &str) -> Result<(), Diagnostic> {
        let codes = [ROUTE_TABLE_NOT_FOUND, SUBNET_NOT_FOUND];
        self.retried("associate subnets with a route table", &codes, || {
            let request = self
                .ec2()
                .associate_route_table()
                .route_table_id(table_id)
                .subnet_id(subnet_id)
                .send();
            aws::call("ec2", "AssociateRouteTable", request)
        })
        .await
        .map(drop)
    }

    pub async fn delete_nat_gateway(&self, nat_id: &str) -> Result<(), Diagnostic> {
        let request = self
            .ec2()
            .delete_nat_gateway()
            .nat_gateway_id(nat_id)
            .send();
        self.once(
            "delete the NAT gateways",
            aws::call("ec2", "DeleteNatGateway", request),
        )
        .await
        .map(drop)
    }

    /// Waits until the network has no NAT gateway left (they hold its
    /// addresses and subnets).
    pub async fn wait_nat_gone(&self) -> Result<(), Diagnostic> {
        let (client, id) = (self.client, self.id);
        waiter::wait_for(
            "NAT gateways to be deleted",
            self.wait.remaining(),
            self.wait.cancel,
            || async {
                let nats = describe_nat_gateways(client, id)
                    .await
                    .map_err(|d| d.detail)?;
                Ok::<_, String>(match nats.len() {
                    0 => Poll::Ready(()),
                    n => Poll::Pending(format!("{n} still deleting")),
                })
            },
        )
        .await
        .map_err(|e| self.unfinished("deleted", e))
    }

    pub async fn release_address(&self, allocation_id: &str) -> Result<(), Diagnostic> {
        let request = self
            .ec2()
            .release_address()
            .allocation_id(allocation_id)
            .send();
        self.once(
            "release the elastic IPs",
            aws::call("ec2", "ReleaseAddress", request),
        )
        .await
        .map(drop)
    }

    pub async fn disassociate(&self, association_id: &str) -> Result<(), Diagnostic> {
        let request = self
            .ec2()
            .disassociate_route_table()
            .association_id(association_id)
            .send();
        self.once(
            "disassociate the route tables",
            aws::call("ec2", "DisassociateRouteTable", request),
        )
        .await
        .map(drop)
    }

    pub async fn delete_route_table(&self, table_id: &str) -> Result<(), Diagnostic> {
        self.retried_while_held("delete the route tables", || {
            let request = self.ec2().delete_route_table().route_table_id(table_id);
            aws::call("ec2", "DeleteRouteTable", request.send())
        })
        .await
    }

    pub async fn detach_internet_gateway(
        &self,
        igw_id: &str,
        vpc_id: &str,
    ) -> Result<(), Diagnostic> {
        self.retried_while_held("detach the internet gateway", || {
            let request = self.ec2().detach_internet_gateway().vpc_id(vpc_id);
            let request = request.internet_gateway_id(igw_id);
            aws::call("ec2", "DetachInternetGateway", request.send())
        })
        .await
    }

    pub async fn delete_internet_gateway(&self, igw_id: &str) -> Result<(), Diagnostic> {
        self.retried_while_held("delete the internet gateway", || {
            let request = self.ec2().delete_internet_gateway();
            let request = request.internet_gateway_id(igw_id);
            aws::call("ec2", "DeleteInternetGateway", request.send())
        })
        .await
    }

    /// DeleteSubnet; a subnet an instance of someone else's still uses
    /// answers DependencyViolation too, until the budget is spent.
    pub async fn delete_subnet(&self, subnet_id: &str) -> Result<(), Diagnostic> {
        let what = "delete the subnets (do instances still use them?)";
        self.retried_while_held(what, || {
            let request = self.ec2().delete_subnet().subnet_id(subnet_id);
            aws::call("ec2", "DeleteSubnet", request.send())
        })
        .await
    }

    pub async fn delete_vpc(&self, vpc_id: &str) -> Result<(), Diagnostic> {
        self.retried_while_held("delete the VPC", || {
            let request = self.ec2().delete_vpc().vpc_id(vpc_id);
            aws::call("ec2", "DeleteVpc", request.send())
        })
        .await
    }
}

/// What the network's objects look like to its tests.
#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub fn tag(key: &str, value: &str) -> Tag {
        Tag::builder().key(key).value(value).build()
    }

    pub fn nat(id: &str, zone: &str, state: NatGatewayState) -> NatGateway {
        NatGateway::builder()
            .nat_gateway_id(id)
            .state(state)
            .tags(tag(AZ_KEY, zone))
            .build()
    }

    /// A subnet of the network's VPC, `vpc-1`.
    pub fn subnet(id: &str, role: &str, zone: &str) -> Subnet {
        Subnet::builder()
            .subnet_id(id)
            .vpc_id("vpc-1")
            .availability_zone(zone)
            .tags(tag(tags::ROLE_KEY, role))
            .build()
    }

    pub fn table(id: &str, role: &str, zone: &str) -> RouteTable {
        RouteTable::builder()
            .route_table_id(id)
            .tags(tag(tags::ROLE_KEY, role))
            .tags(tag(AZ_KEY, zone))
            .build()
    }

    #[test]
    fn only_live_nat_gateways_count() {
        let seen = Observed {
            nat_gateways: vec![
                nat("nat-old", "a", NatGatewayState::Deleting),
                nat("nat-failed", "b", NatGatewayState::Failed),
                nat("nat-new", "a", NatGatewayState::Pending),
            ],
            ..Observed::default()
        };
        assert_eq!(
            seen.nat_gateway("a").and_then(NatGateway::nat_gateway_id),
            Some("nat-new")
        );
        assert!(seen.nat_gateway("b").is_none());
        assert!(seen.nat_deleting("a"));
        assert!(!seen.nat_deleting("b"));
        let live: Vec<_> = seen
            .nat_gateways_sorted()
            .into_iter()
            .filter_map(NatGateway::nat_gateway_id)
            .collect();
        assert_eq!(live, ["nat-new"]);
        // Tags are repaired on live gateways only.
        assert_eq!(seen.tagged_objects().len(), 1);
    }

    #[test]
    fn the_internet_gateway_counts_as_attached_only_to_the_network_vpc() {
        let igw = |vpc: &str| {
            InternetGateway::builder()
                .internet_gateway_id("igw-1")
                .attachments(
                    aws_sdk_ec2::types::InternetGatewayAttachment::builder()
                        .vpc_id(vpc)
                        .build(),
                )
                .build()
        };
        let mut seen = Observed {
            vpc: Some(Vpc::builder().vpc_id("vpc-1").build()),
            internet_gateway: Some(igw("vpc-1")),
            ..Observed::default()
        };
        assert_eq!(seen.internet_gateway(), Some(("igw-1", true)));
        seen.internet_gateway = Some(igw("vpc-other"));
        assert_eq!(seen.internet_gateway(), Some(("igw-1", false)));
        seen.vpc = None;
        assert_eq!(seen.internet_gateway(), Some(("igw-1", false)));
        seen.internet_gateway = None;
        assert_eq!(seen.internet_gateway(), None);
    }

    #[test]
    fn subnets_are_found_by_tier_and_zone() {
        let seen = Observed {
            subnets: vec![
                subnet("s-pb", "public-subnet", "b"),
                subnet("s-qa", "private-subnet", "a"),
                subnet("s-pa", "public-subnet", "a"),
            ],
            ..Observed::default()
        };
        let public: Vec<_> = seen
            .subnets(Tier::Public)
            .into_iter()
            .filter_map(Subnet::subnet_id)
            .collect();
        assert_eq!(public, ["s-pa", "s-pb"]);
        assert_eq!(
            seen.subnet(Tier::Private, "a").and_then(Subnet::subnet_id),
            Some("s-qa")
        );
        assert!(seen.subnet(Tier::Database, "a").is_none());
        assert_eq!(seen.zones(), ["a", "b"]);
    }

    #[test]
    fn routes_lead_to_their_own_kind_of_gateway() {
        let to_igw = aws_sdk_ec2::types::Route::builder()
            .destination_cidr_block(ANYWHERE)
            .gateway_id("igw-1")
            .build();
        assert!(Route::Gateway("igw-1").is(&to_igw));
        assert!(!Route::Gateway("igw-2").is(&to_igw));
        assert!(!Route::Nat("igw-1").is(&to_igw));
        assert_eq!(
            Route::Nat("nat-1").targets(),
            (None, Some("nat-1".to_owned()))
        );
    }
}
