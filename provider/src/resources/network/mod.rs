//! `swarm_network`: a VPC with three subnet tiers in each availability
//! zone (public, private, database: the DMZ, application and data zones of
//! an agent swarm), an internet gateway for the public tier, NAT for the
//! private tier (one per AZ in production, one shared otherwise) and route
//! tables. The database tier has no route out.
//!
//! Every object carries identity tags (`swarm:network`, `swarm:role`,
//! `swarm:az`), so one describe per object kind finds the whole network:
//! that is how read, import and drift work, and why create is idempotent
//! (it only makes what is missing).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    DomainType, Filter, InternetGateway, NatGateway, NatGatewayState, ResourceType, RouteTable,
    Subnet, Vpc,
};
use futures_util::future::try_join_all;
use serde::Deserialize;
use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::path::AttributePath;
use tfplugin::resource::{
    ChangeRequest, ChangeResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{MaybeUnknown, Type, Value};
use tokio_util::sync::CancellationToken;

use crate::aws;
use crate::checks::{self, CidrError, Ipv4Cidr, PrefixDigits};
use crate::config::{Environment, SwarmClient};
use crate::ec2::usable_zones;
use crate::tags;
use crate::waiter::{self, Poll};

pub struct Network;

const KIND: &str = "network";
const AZ_KEY: &str = "swarm:az";
const DEFAULT_CIDR: &str = "10.0.0.0/16";
const MAX_ZONES: usize = 5;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const ANYWHERE: &str = "0.0.0.0/0";
/// The private route table of a network with one shared NAT gateway.
const SHARED: &str = "shared";
/// How many client tokens one NAT gateway create tries: each gateway of the
/// zone deleted within the day EC2 remembers tokens adds one to the chain.
const NAT_TOKEN_TRIES: usize = 16;

/// The subnet tiers, in the order of their address blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Public,
    Private,
    Database,
}

impl Tier {
    const ALL: [Tier; 3] = [Tier::Public, Tier::Private, Tier::Database];

    fn name(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Private => "private",
            Tier::Database => "database",
        }
    }

    fn index(self) -> u32 {
        match self {
            Tier::Public => 0,
            Tier::Private => 1,
            Tier::Database => 2,
        }
    }

    fn subnet_role(self) -> String {
        format!("{}-subnet", self.name())
    }

    fn attribute(self) -> String {
        format!("{}_subnet_ids", self.name())
    }
}

/// What the configuration asks for, once planned.
#[derive(Debug, Deserialize)]
struct Spec {
    name: String,
    cidr_block: String,
    availability_zones: Vec<String>,
    tags: Option<BTreeMap<String, String>>,
}

/// The configuration as written (defaults not yet resolved).
#[derive(Debug, Deserialize)]
struct ConfigModel {
    availability_zones: MaybeUnknown<Option<Vec<String>>>,
}

/// How many NAT gateways a network has: one per AZ in production, where
/// an AZ outage must not cut the others off; one shared otherwise.
fn nat_zones(environment: Environment, zones: &[String]) -> Vec<String> {
    match environment {
        Environment::Production => zones.to_vec(),
        _ => zones.iter().take(1).cloned().collect(),
    }
}

/// The AZ count by tier of environment.
fn default_zone_count(environment: Environment) -> usize {
    match environment {
        Environment::Development => 1,
        Environment::Staging => 2,
        Environment::Production => 3,
    }
}

/// Parses an IPv4 CIDR block that a network can use: a network address
/// with a prefix from /16 to /24 (each subnet is 4 bits longer). The
/// prefix is read leniently (`+16`, `016`), as it always was here.
fn parse_cidr(text: &str) -> Result<(Ipv4Addr, u8), String> {
    match checks::ipv4_cidr(text, 16..=24, PrefixDigits::Lenient) {
        Ok(Ipv4Cidr { address, prefix }) => Ok((address, prefix)),
        Err(CidrError::Form) => Err(format!(
            "{text:?} is not an IPv4 CIDR block like 10.0.0.0/16"
        )),
        Err(CidrError::Address(address)) => Err(format!("{address:?} is not an IPv4 address")),
        Err(CidrError::Prefix(prefix)) => Err(format!("{prefix:?} is not a prefix length")),
        Err(CidrError::PrefixRange(prefix)) => {
            Err(format!("the prefix must be /16 to /24, not /{prefix}"))
        }
        Err(CidrError::HostBits(Ipv4Cidr { address, prefix })) => Err(format!(
            "{text} has host bits set; did you mean {address}/{prefix}?"
        )),
    }
}

/// The address block of one subnet: the network is cut into 16 blocks
/// (prefix + 4); tier t, zone i takes block 5t + i (so up to 5 zones).
fn subnet_cidr(cidr: &str, tier: Tier, zone_index: usize) -> Result<String, String> {
    let (address, prefix) = parse_cidr(cidr)?;
    let sub_prefix = prefix + 4;
    let slot = tier.index() * MAX_ZONES as u32 + zone_index as u32;
    let base = u32::from(address) + (slot << (32 - u32::from(sub_prefix)));
    Ok(format!("{}/{sub_prefix}", Ipv4Addr::from(base)))
}

fn cidr_check(text: &str) -> Result<(), String> {
    parse_cidr(text).map(|_| ())
}

fn name_check(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} must be 1 to 48 letters, digits and hyphens, not starting or ending with a hyphen"
        ))
    }
}

/// Everything AWS has of one network, found by its tags.
#[derive(Debug, Default)]
struct Observed {
    vpc: Option<Vpc>,
    internet_gateway: Option<InternetGateway>,
    subnets: Vec<Subnet>,
    nat_gateways: Vec<NatGateway>,
    route_tables: Vec<RouteTable>,
    /// Elastic IP allocations of the NAT gateways: (allocation id, zone).
    addresses: Vec<(String, String)>,
}

fn role_of(tags: &[aws_sdk_ec2::types::Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(tags::ROLE_KEY))
        .and_then(|t| t.value())
}

fn zone_of(tags: &[aws_sdk_ec2::types::Tag]) -> Option<&str> {
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
    name: &str,
) -> Result<Vec<NatGateway>, Diagnostic> {
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
        .filter(tags::owner_filter(KIND, name))
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
        .filter(|n| n.state() != Some(&NatGatewayState::Deleted))
        .cloned()
        .collect())
}

impl Observed {
    /// One describe per object kind, all at once.
    async fn load(client: &SwarmClient, name: &str) -> Result<Self, Diagnostic> {
        let owner = || tags::owner_filter(KIND, name);
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
            describe_nat_gateways(client, name),
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
        let vpc = vpcs.vpcs().first().cloned();
        Ok(Self {
            internet_gateway: gateways.internet_gateways().first().cloned(),
            subnets: subnets
                .subnets()
                .iter()
                .filter(|s| vpc.as_ref().is_some_and(|v| s.vpc_id() == v.vpc_id()))
                .cloned()
                .collect(),
            nat_gateways,
            route_tables: tables.route_tables().to_vec(),
            addresses: addresses
                .addresses()
                .iter()
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

    fn vpc_id(&self) -> Option<&str> {
        self.vpc.as_ref().and_then(Vpc::vpc_id)
    }

    /// The tier's subnets, sorted by zone.
    fn subnets(&self, tier: Tier) -> Vec<&Subnet> {
        let role = tier.subnet_role();
        let mut found: Vec<&Subnet> = self
            .subnets
            .iter()
            .filter(|s| role_of(s.tags()) == Some(role.as_str()))
            .collect();
        found.sort_by(|a, b| a.availability_zone().cmp(&b.availability_zone()));
        found
    }

    fn subnet(&self, tier: Tier, zone: &str) -> Option<&Subnet> {
        self.subnets(tier)
            .into_iter()
            .find(|s| s.availability_zone() == Some(zone))
    }

    /// The zone's NAT gateway that is (or is becoming) available; one
    /// being deleted or that failed does not count.
    fn nat_gateway(&self, zone: &str) -> Option<&NatGateway> {
        self.nat_gateways
            .iter()
            .find(|n| is_live(n) && zone_of(n.tags()) == Some(zone))
    }

    /// Whether a gateway of `zone` is being deleted (and still holds the
    /// zone's elastic IP).
    fn nat_deleting(&self, zone: &str) -> bool {
        self.nat_gateways.iter().any(|n| {
            n.state() == Some(&NatGatewayState::Deleting) && zone_of(n.tags()) == Some(zone)
        })
    }

    fn nat_gateways_sorted(&self) -> Vec<&NatGateway> {
        let mut found: Vec<&NatGateway> = self.nat_gateways.iter().filter(|n| is_live(n)).collect();
        found.sort_by(|a, b| zone_of(a.tags()).cmp(&zone_of(b.tags())));
        found
    }

    fn route_table(&self, role: &str, zone: &str) -> Option<&RouteTable> {
        self.route_tables
            .iter()
            .find(|t| role_of(t.tags()) == Some(role) && zone_of(t.tags()) == Some(zone))
    }

    /// Public first, then private ones by zone, then database.
    fn route_tables_sorted(&self) -> Vec<&RouteTable> {
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
    fn zones(&self) -> Vec<String> {
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
    fn tagged_objects(&self) -> Vec<(String, &[aws_sdk_ec2::types::Tag])> {
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

    /// The resource's state; `None` when the VPC does not exist.
    fn state(&self, client: &SwarmClient, name: &str, timeouts: Value) -> Option<Value> {
        let vpc = self.vpc.as_ref()?;
        let string = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
        let list = |items: Vec<Option<&str>>| {
            Value::List(
                items
                    .into_iter()
                    .flatten()
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            )
        };
        let user_tags = tags::user_tags(&tags::tag_map(vpc.tags()), client);
        let mut state = BTreeMap::from([
            ("id".to_owned(), Value::String(name.to_owned())),
            ("name".to_owned(), Value::String(name.to_owned())),
            ("cidr_block".to_owned(), string(vpc.cidr_block())),
            (
                "availability_zones".to_owned(),
                Value::List(self.zones().into_iter().map(Value::String).collect()),
            ),
            (
                "tags".to_owned(),
                if user_tags.is_empty() {
                    Value::Null
                } else {
                    Value::Map(
                        user_tags
                            .into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect(),
                    )
                },
            ),
            ("vpc_id".to_owned(), string(vpc.vpc_id())),
            (
                "internet_gateway_id".to_owned(),
                string(
                    self.internet_gateway
                        .as_ref()
                        .and_then(InternetGateway::internet_gateway_id),
                ),
            ),
            (
                "nat_gateway_ids".to_owned(),
                list(
                    self.nat_gateways_sorted()
                        .into_iter()
                        .map(NatGateway::nat_gateway_id)
                        .collect(),
                ),
            ),
            (
                "route_table_ids".to_owned(),
                list(
                    self.route_tables_sorted()
                        .into_iter()
                        .map(RouteTable::route_table_id)
                        .collect(),
                ),
            ),
            ("timeouts".to_owned(), timeouts),
        ]);
        for tier in Tier::ALL {
            state.insert(
                tier.attribute(),
                list(
                    self.subnets(tier)
                        .into_iter()
                        .map(Subnet::subnet_id)
                        .collect(),
                ),
            );
        }
        Some(Value::Object(state))
    }
}

/// Builds up a network: makes only what is missing, so it serves create,
/// repair after drift, and retries after a partial failure alike.
struct Builder<'a> {
    client: &'a SwarmClient,
    spec: &'a Spec,
    user_tags: BTreeMap<String, String>,
    timeout: Duration,
    cancel: &'a CancellationToken,
}

impl Builder<'_> {
    fn tags(&self, role: &str, object: &str, zone: Option<&str>) -> BTreeMap<String, String> {
        let mut tags = tags::object_tags(
            self.client,
            &self.user_tags,
            KIND,
            &self.spec.name,
            role,
            &format!("{}-{object}", self.spec.name),
        );
        if let Some(zone) = zone {
            tags.insert(AZ_KEY.to_owned(), zone.to_owned());
        }
        tags
    }

    fn spec_tags(
        &self,
        kind: ResourceType,
        role: &str,
        object: &str,
        zone: Option<&str>,
    ) -> aws_sdk_ec2::types::TagSpecification {
        tags::ec2_spec(kind, &self.tags(role, object, zone))
    }

    fn fail(&self, what: &str, err: &(impl std::error::Error + 'static)) -> Diagnostic {
        aws::error(
            format!("Cannot {what} for network {:?}", self.spec.name),
            err,
        )
    }

    fn wait_error<E: std::fmt::Display>(&self, err: waiter::WaitError<E>) -> Diagnostic {
        Diagnostic::error(
            format!("Network {:?} not ready", self.spec.name),
            err.to_string(),
        )
    }

    /// Creates what is missing and repairs what drifted. One read of
    /// everything at the start; after that, what this apply creates is
    /// added to `seen` from the create calls' answers instead of read again.
    async fn ensure(&self) -> Result<(), Diagnostic> {
        let ec2 = &self.client.ec2;
        let mut seen = Observed::load(self.client, &self.spec.name).await?;
        // Objects created below get their tags at creation; only those
        // that exist already may need theirs repaired.
        self.sync_tags(&seen).await?;

        // The VPC, with DNS names for hosts (agents find each other by name).
        let vpc_id = match seen.vpc_id() {
            Some(id) => id.to_owned(),
            None => {
                let created = aws::call(
                    "ec2",
                    "CreateVpc",
                    ec2.create_vpc()
                        .cidr_block(&self.spec.cidr_block)
                        .tag_specifications(self.spec_tags(ResourceType::Vpc, "vpc", "vpc", None))
                        .send(),
                )
                .await
                .map_err(|e| self.fail("create the VPC", &e))?;
                let vpc = created.vpc().cloned();
                let id = vpc
                    .as_ref()
                    .and_then(Vpc::vpc_id)
                    .ok_or_else(|| Diagnostic::error("CreateVpc returned no VPC id", ""))?
                    .to_owned();
                self.wait_vpc_available(&id).await?;
                for (support, hostnames) in [(true, false), (false, true)] {
                    let mut call = ec2.modify_vpc_attribute().vpc_id(&id);
                    let on = aws_sdk_ec2::types::AttributeBooleanValue::builder()
                        .value(true)
                        .build();
                    if support {
                        call = call.enable_dns_support(on.clone());
                    }
                    if hostnames {
                        call = call.enable_dns_hostnames(on);
                    }
                    aws::call("ec2", "ModifyVpcAttribute", call.send())
                        .await
                        .map_err(|e| self.fail("turn on DNS in the VPC", &e))?;
                }
                // A new VPC holds none of the network's subnets yet.
                seen.vpc = vpc;
                seen.subnets.clear();
                id
            }
        };

        // The internet gateway, attached.
        let igw_id = match &seen.internet_gateway {
            Some(igw) => igw.internet_gateway_id().unwrap_or_default().to_owned(),
            None => aws::call(
                "ec2",
                "CreateInternetGateway",
                ec2.create_internet_gateway()
                    .tag_specifications(self.spec_tags(
                        ResourceType::InternetGateway,
                        "igw",
                        "igw",
                        None,
                    ))
                    .send(),
            )
            .await
            .map_err(|e| self.fail("create the internet gateway", &e))?
            .internet_gateway()
            .and_then(InternetGateway::internet_gateway_id)
            .unwrap_or_default()
            .to_owned(),
        };
        let attached = seen.internet_gateway.as_ref().is_some_and(|igw| {
            igw.attachments()
                .iter()
                .any(|a| a.vpc_id() == Some(vpc_id.as_str()))
        });
        if !attached {
            aws::call(
                "ec2",
                "AttachInternetGateway",
                ec2.attach_internet_gateway()
                    .internet_gateway_id(&igw_id)
                    .vpc_id(&vpc_id)
                    .send(),
            )
            .await
            .map_err(|e| self.fail("attach the internet gateway", &e))?;
        }

        // The subnets that are missing, all at once.
        let mut creates = Vec::new();
        for tier in Tier::ALL {
            for (i, zone) in self.spec.availability_zones.iter().enumerate() {
                if seen.subnet(tier, zone).is_some() {
                    continue;
                }
                let cidr = subnet_cidr(&self.spec.cidr_block, tier, i).map_err(|why| {
                    Diagnostic::error("Invalid cidr_block", why)
                        .at(AttributePath::attr("cidr_block"))
                })?;
                let tags = self.tags(
                    &tier.subnet_role(),
                    &format!("{}-{zone}", tier.name()),
                    Some(zone),
                );
                let call = ec2
                    .create_subnet()
                    .vpc_id(&vpc_id)
                    .cidr_block(cidr)
                    .availability_zone(zone)
                    .tag_specifications(tags::ec2_spec(ResourceType::Subnet, &tags))
                    .send();
                creates.push(async move {
                    let out = aws::call("ec2", "CreateSubnet", call)
                        .await
                        .map_err(|e| self.fail("create subnets", &e))?;
                    Ok::<_, Diagnostic>(out.subnet().cloned())
                });
            }
        }
        let created = try_join_all(creates).await?;
        seen.subnets.extend(created.into_iter().flatten());

        // NAT gateways with their elastic IPs, in public subnets.
        let nat_zones = nat_zones(self.client.environment, &self.spec.availability_zones);
        let missing: Vec<&String> = nat_zones
            .iter()
            .filter(|z| seen.nat_gateway(z).is_none())
            .collect();
        // A gateway deleted out of band holds its zone's address until it
        // is gone.
        if missing.iter().any(|z| seen.nat_deleting(z)) {
            seen.nat_gateways = self.wait_nat_deleted(&missing).await?;
        }
        let mut nats = Vec::new();
        for zone in missing {
            let subnet = seen
                .subnet(Tier::Public, zone)
                .and_then(Subnet::subnet_id)
                .ok_or_else(|| Diagnostic::error(format!("No public subnet in {zone}"), ""))?
                .to_owned();
            let allocation = match seen.addresses.iter().find(|(_, z)| z == zone) {
                Some((id, _)) => id.clone(),
                None => aws::call(
                    "ec2",
                    "AllocateAddress",
                    ec2.allocate_address()
                        .domain(DomainType::Vpc)
                        .tag_specifications(self.spec_tags(
                            ResourceType::ElasticIp,
                            "nat-eip",
                            &format!("nat-{zone}"),
                            Some(zone),
                        ))
                        .send(),
                )
                .await
                .map_err(|e| self.fail("allocate an elastic IP", &e))?
                .allocation_id()
                .unwrap_or_default()
                .to_owned(),
            };
            nats.push(self.create_nat_gateway(zone, subnet, allocation));
        }
        try_join_all(nats).await?;
        seen.nat_gateways = self.wait_nat_available(nat_zones.len()).await?;

        // Route tables: public → internet gateway; private → NAT of their
        // zone (or the shared one); database → nowhere.
        self.ensure_route_table(
            &seen,
            &vpc_id,
            "public-rt",
            "public",
            SHARED,
            Some(Route::Gateway(&igw_id)),
            &seen.subnets(Tier::Public),
        )
        .await?;
        let per_zone = nat_zones.len() > 1;
        let private_groups: Vec<(String, Vec<&Subnet>)> = if per_zone {
            self.spec
                .availability_zones
                .iter()
                .map(|z| {
                    (
                        z.clone(),
                        seen.subnet(Tier::Private, z).into_iter().collect(),
                    )
                })
                .collect()
        } else {
            vec![(SHARED.to_owned(), seen.subnets(Tier::Private))]
        };
        for (zone, subnets) in private_groups {
            let nat_zone = if per_zone {
                zone.as_str()
            } else {
                nat_zones.first().map_or("", String::as_str)
            };
            let nat = seen
                .nat_gateway(nat_zone)
                .and_then(NatGateway::nat_gateway_id)
                .map(str::to_owned);
            let object = if per_zone {
                format!("private-{zone}")
            } else {
                "private".to_owned()
            };
            self.ensure_route_table(
                &seen,
                &vpc_id,
                "private-rt",
                &object,
                &zone,
                nat.as_deref().map(Route::Nat),
                &subnets,
            )
            .await?;
        }
        self.ensure_route_table(
            &seen,
            &vpc_id,
            "database-rt",
            "database",
            SHARED,
            None,
            &seen.subnets(Tier::Database),
        )
        .await?;

        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn ensure_route_table(
        &self,
        seen: &Observed,
        vpc_id: &str,
        role: &str,
        object: &str,
        zone: &str,
        route: Option<Route<'_>>,
        subnets: &[&Subnet],
    ) -> Result<(), Diagnostic> {
        let ec2 = &self.client.ec2;
        let existing = seen.route_table(role, zone);
        let table_id = match existing.and_then(RouteTable::route_table_id) {
            Some(id) => id.to_owned(),
            None => aws::call(
                "ec2",
                "CreateRouteTable",
                ec2.create_route_table()
                    .vpc_id(vpc_id)
                    .tag_specifications(self.spec_tags(
                        ResourceType::RouteTable,
                        role,
                        object,
                        Some(zone),
                    ))
                    .send(),
            )
            .await
            .map_err(|e| self.fail("create a route table", &e))?
            .route_table()
            .and_then(RouteTable::route_table_id)
            .unwrap_or_default()
            .to_owned(),
        };
        if let Some(route) = route {
            let default = existing.and_then(|t| {
                t.routes()
                    .iter()
                    .find(|r| r.destination_cidr_block() == Some(ANYWHERE))
            });
            let right = default.is_some_and(|r| match route {
                Route::Gateway(id) => r.gateway_id() == Some(id),
                Route::Nat(id) => r.nat_gateway_id() == Some(id),
            });
            let (gateway, nat) = route.targets();
            if default.is_none() {
                let call = ec2
                    .create_route()
                    .route_table_id(&table_id)
                    .destination_cidr_block(ANYWHERE)
                    .set_gateway_id(gateway)
                    .set_nat_gateway_id(nat);
                aws::call("ec2", "CreateRoute", call.send())
                    .await
                    .map_err(|e| self.fail("add the default route", &e))?;
            } else if !right {
                // A route to a gateway deleted or changed out of band
                // (a blackhole): point it at the right one.
                let call = ec2
                    .replace_route()
                    .route_table_id(&table_id)
                    .destination_cidr_block(ANYWHERE)
                    .set_gateway_id(gateway)
                    .set_nat_gateway_id(nat);
                aws::call("ec2", "ReplaceRoute", call.send())
                    .await
                    .map_err(|e| self.fail("repair the default route", &e))?;
            }
        }
        let associated: Vec<&str> = existing
            .map(|t| {
                t.associations()
                    .iter()
                    .filter_map(|a| a.subnet_id())
                    .collect()
            })
            .unwrap_or_default();
        let associations = subnets
            .iter()
            .filter_map(|s| s.subnet_id())
            .filter(|id| !associated.contains(id))
            .map(|subnet| {
                aws::call(
                    "ec2",
                    "AssociateRouteTable",
                    ec2.associate_route_table()
                        .route_table_id(&table_id)
                        .subnet_id(subnet)
                        .send(),
                )
            });
        try_join_all(associations)
            .await
            .map_err(|e| self.fail("associate subnets with a route table", &e))?;
        Ok(())
    }

    /// Every object's tags to what they should be, one object per task,
    /// concurrently.
    async fn sync_tags(&self, seen: &Observed) -> Result<(), Diagnostic> {
        let mut calls = Vec::new();
        for (id, current) in seen.tagged_objects() {
            let current = tags::tag_map(current);
            let role = current.get(tags::ROLE_KEY).cloned().unwrap_or_default();
            let name = current.get("Name").cloned().unwrap_or_default();
            let object = name
                .strip_prefix(&format!("{}-", self.spec.name))
                .unwrap_or(&name)
                .to_owned();
            let desired = self.tags(&role, &object, current.get(AZ_KEY).map(String::as_str));
            let changes = tags::changes(&current, &desired);
            if !changes.is_empty() {
                let client = self.client;
                calls.push(async move {
                    let ids = [id];
                    tags::ec2_set(client, &ids, &changes.set).await?;
                    tags::ec2_remove(client, &ids, &changes.remove).await
                });
            }
        }
        try_join_all(calls).await.map(|_| ())
    }

    async fn wait_vpc_available(&self, vpc_id: &str) -> Result<(), Diagnostic> {
        let ec2 = &self.client.ec2;
        waiter::wait_for(
            "the VPC to be available",
            self.timeout,
            self.cancel,
            || async {
                let out = aws::call(
                    "ec2",
                    "DescribeVpcs",
                    ec2.describe_vpcs().vpc_ids(vpc_id).send(),
                )
                .await
                .map_err(|e| aws_sdk_ec2::error::DisplayErrorContext(e).to_string())?;
                Ok::<_, String>(match out.vpcs().first().and_then(Vpc::state) {
                    Some(aws_sdk_ec2::types::VpcState::Available) => Poll::Ready(()),
                    other => Poll::Pending(format!("{other:?}")),
                })
            },
        )
        .await
        .map_err(|e| self.wait_error(e))
    }

    /// Creates the NAT gateway of `zone`. The client token, derived from
    /// everything the request sends, makes retries of the same request
    /// create one gateway. EC2 remembers tokens (for at least a day): when
    /// it answers with a gateway that is deleted or being deleted (an
    /// earlier one of this zone, deleted out of band), the token is salted
    /// with that gateway's id and the call made again; each such gateway
    /// adds one step to the chain. A token refused because it came with
    /// other parameters before is salted too.
    async fn create_nat_gateway(
        &self,
        zone: &str,
        subnet: String,
        allocation: String,
    ) -> Result<(), Diagnostic> {
        let tags = self.tags("nat", &format!("nat-{zone}"), Some(zone));
        let tag_text: String = tags.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let mut salt = String::new();
        let mut refused = 0;
        for _ in 0..NAT_TOKEN_TRIES {
            let token = format!(
                "swarm-nat-{}",
                aws::fingerprint(&[
                    &self.spec.name,
                    zone,
                    &subnet,
                    &allocation,
                    &tag_text,
                    &salt
                ])
            );
            let request = self
                .client
                .ec2
                .create_nat_gateway()
                .subnet_id(&subnet)
                .allocation_id(&allocation)
                .client_token(token)
                .tag_specifications(tags::ec2_spec(ResourceType::Natgateway, &tags))
                .send();
            let out = match aws::call("ec2", "CreateNatGateway", request).await {
                Ok(out) => out,
                Err(e) if e.code() == Some("IdempotentParameterMismatch") => {
                    refused += 1;
                    salt.push_str("/parameters");
                    continue;
                }
                Err(e) => return Err(self.fail("create a NAT gateway", &e)),
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
                self.spec.name
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
    async fn wait_nat_deleted(&self, zones: &[&String]) -> Result<Vec<NatGateway>, Diagnostic> {
        let client = self.client;
        let name = &self.spec.name;
        waiter::wait_for(
            "deleted NAT gateways to be gone",
            self.timeout,
            self.cancel,
            || async move {
                let nats = describe_nat_gateways(client, name)
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
        .map_err(|e| self.wait_error(e))
    }

    /// Waits until `expected` NAT gateways are available (minutes on
    /// AWS); returns the network's NAT gateways as last seen.
    async fn wait_nat_available(&self, expected: usize) -> Result<Vec<NatGateway>, Diagnostic> {
        let client = self.client;
        let name = &self.spec.name;
        waiter::wait_for(
            "NAT gateways to be available",
            self.timeout,
            self.cancel,
            || async move {
                let nats = describe_nat_gateways(client, name)
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
        .map_err(|e| self.wait_error(e))
    }
}

#[derive(Clone, Copy)]
enum Route<'a> {
    Gateway(&'a str),
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
}

/// Tears a network down in dependency order.
async fn destroy(
    client: &SwarmClient,
    name: &str,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), Diagnostic> {
    let ec2 = &client.ec2;
    let fail = |what: &str, err: &(dyn std::error::Error + 'static)| {
        Diagnostic::error(
            format!("Cannot {what} of network {name:?}"),
            aws_sdk_ec2::error::DisplayErrorContext(err).to_string(),
        )
    };
    let seen = Observed::load(client, name).await?;

    // NAT gateways first: their addresses and subnets wait on them.
    try_join_all(
        seen.nat_gateways
            .iter()
            .filter_map(NatGateway::nat_gateway_id)
            .map(|id| {
                aws::call(
                    "ec2",
                    "DeleteNatGateway",
                    ec2.delete_nat_gateway().nat_gateway_id(id).send(),
                )
            }),
    )
    .await
    .map_err(|e| fail("delete the NAT gateways", &e))?;
    waiter::wait_for("NAT gateways to be deleted", timeout, cancel, || async {
        let nats = describe_nat_gateways(client, name)
            .await
            .map_err(|d| d.detail)?;
        Ok::<_, String>(match nats.len() {
            0 => Poll::Ready(()),
            n => Poll::Pending(format!("{n} still deleting")),
        })
    })
    .await
    .map_err(|e| Diagnostic::error(format!("Network {name:?} not deleted"), e.to_string()))?;
    try_join_all(seen.addresses.iter().map(|(id, _)| {
        aws::call(
            "ec2",
            "ReleaseAddress",
            ec2.release_address().allocation_id(id).send(),
        )
    }))
    .await
    .map_err(|e| fail("release the elastic IPs", &e))?;

    // Route tables: drop their associations, then the tables.
    let associations = seen
        .route_tables
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.route_table_association_id());
    try_join_all(associations.map(|id| {
        aws::call(
            "ec2",
            "DisassociateRouteTable",
            ec2.disassociate_route_table().association_id(id).send(),
        )
    }))
    .await
    .map_err(|e| fail("disassociate the route tables", &e))?;
    try_join_all(
        seen.route_tables
            .iter()
            .filter_map(RouteTable::route_table_id)
            .map(|id| {
                aws::call(
                    "ec2",
                    "DeleteRouteTable",
                    ec2.delete_route_table().route_table_id(id).send(),
                )
            }),
    )
    .await
    .map_err(|e| fail("delete the route tables", &e))?;

    if let Some(igw) = seen
        .internet_gateway
        .as_ref()
        .and_then(InternetGateway::internet_gateway_id)
    {
        if let Some(vpc_id) = seen.vpc_id() {
            let attached = seen
                .internet_gateway
                .as_ref()
                .is_some_and(|g| g.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)));
            if attached {
                aws::call(
                    "ec2",
                    "DetachInternetGateway",
                    ec2.detach_internet_gateway()
                        .internet_gateway_id(igw)
                        .vpc_id(vpc_id)
                        .send(),
                )
                .await
                .map_err(|e| fail("detach the internet gateway", &e))?;
            }
        }
        aws::call(
            "ec2",
            "DeleteInternetGateway",
            ec2.delete_internet_gateway()
                .internet_gateway_id(igw)
                .send(),
        )
        .await
        .map_err(|e| fail("delete the internet gateway", &e))?;
    }

    try_join_all(seen.subnets.iter().filter_map(Subnet::subnet_id).map(|id| {
        aws::call(
            "ec2",
            "DeleteSubnet",
            ec2.delete_subnet().subnet_id(id).send(),
        )
    }))
    .await
    .map_err(|e| fail("delete the subnets (do instances still use them?)", &e))?;

    if let Some(vpc_id) = seen.vpc_id() {
        aws::call("ec2", "DeleteVpc", ec2.delete_vpc().vpc_id(vpc_id).send())
            .await
            .map_err(|e| fail("delete the VPC", &e))?;
    }
    Ok(())
}

fn computed_list(name: &str, description: &str) -> Attribute {
    Attribute::list_of(name, Type::String)
        .computed()
        .description(description)
        .plan_modifier(plan_modifiers::use_state_for_unknown())
}

fn computed_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .computed()
        .description(description)
        .plan_modifier(plan_modifiers::use_state_for_unknown())
}

/// The attributes that describe the built network; planned unknown when
/// the network must be repaired.
const BUILT: [&str; 6] = [
    "public_subnet_ids",
    "private_subnet_ids",
    "database_subnet_ids",
    "nat_gateway_ids",
    "route_table_ids",
    "internet_gateway_id",
];

fn list_len(value: &Value, attribute: &str) -> usize {
    match value.get_attr(attribute) {
        Some(Value::List(items)) => items.len(),
        _ => 0,
    }
}

impl Network {
    fn timeout(value: &Value, op: &str, diags: &mut Diagnostics) -> Duration {
        timeouts::get(value, op, DEFAULT_TIMEOUT).unwrap_or_else(|d| {
            diags.push(d);
            DEFAULT_TIMEOUT
        })
    }

    async fn apply(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let spec: Spec = match req.plan_as() {
            Ok(spec) => spec,
            Err(d) => return resp.diagnostics.extend(d),
        };
        let op = if req.prior_state.is_null() {
            "create"
        } else {
            "update"
        };
        let timeout = Self::timeout(&req.plan, op, &mut resp.diagnostics);
        let builder = Builder {
            client,
            spec: &spec,
            user_tags: spec.tags.clone().unwrap_or_default(),
            timeout,
            cancel: &req.cancel,
        };
        let outcome = builder.ensure().await;
        // Whatever happened, the state is what exists: a half-built network
        // is recorded (and repaired or replaced by the next apply).
        let timeouts = req
            .plan
            .get_attr("timeouts")
            .cloned()
            .unwrap_or(Value::Null);
        match Observed::load(client, &spec.name).await {
            Ok(seen) => {
                if let Some(state) = seen.state(client, &spec.name, timeouts) {
                    resp.new_state = state;
                }
            }
            Err(d) => resp.diagnostics.push(d),
        }
        if let Err(d) = outcome {
            resp.diagnostics.push(d);
        }
    }
}

#[tfplugin::async_trait]
impl Resource<SwarmClient> for Network {
    fn type_name(&self) -> &'static str {
        "swarm_network"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "A multi-AZ network for an agent swarm: a VPC with public, private and database \
             subnets in each availability zone, an internet gateway, NAT for the private tier \
             (one per AZ in production, one shared otherwise) and route tables. The database \
             tier has no route to the internet.",
        )
        .attribute(computed_string("id", "The network's name."))
        .attribute(
            Attribute::string("name")
                .required()
                .description("Name of the network; prefixes every object's `Name` tag. Changing it replaces the network.")
                .validator(validators::string_check("1 to 48 letters, digits and hyphens", name_check))
                .plan_modifier(plan_modifiers::requires_replace()),
        )
        .attribute(
            Attribute::string("cidr_block")
                .default_value(Value::String(DEFAULT_CIDR.to_owned()))
                .description("IPv4 block of the VPC, /16 to /24 (default `10.0.0.0/16`). Each subnet gets a sixteenth of it.")
                .validator(validators::string_check("an IPv4 CIDR block from /16 to /24", cidr_check))
                .plan_modifier(plan_modifiers::requires_replace()),
        )
        .attribute(
            Attribute::list_of("availability_zones", Type::String)
                .optional()
                .computed()
                .description(
                    "Zones to span, 1 to 5. Default: the region's first 3 usable zones in production, \
                     2 in staging, 1 in development.",
                )
                .validator(validators::size_between(1, MAX_ZONES))
                .validator(validators::unique_elements())
                .plan_modifier(plan_modifiers::use_state_for_unknown())
                .plan_modifier(plan_modifiers::requires_replace()),
        )
        .attribute(
            Attribute::map_of("tags", Type::String)
                .optional()
                .description("Tags for every object of the network, over the provider's `default_tags`."),
        )
        .attribute(computed_string("vpc_id", "The VPC's id."))
        .attribute(computed_string("internet_gateway_id", "The internet gateway's id."))
        .attribute(computed_list("public_subnet_ids", "Public subnets, one per zone, in zone order."))
        .attribute(computed_list("private_subnet_ids", "Private subnets (outbound through NAT), in zone order."))
        .attribute(computed_list("database_subnet_ids", "Database subnets (no route out), in zone order."))
        .attribute(computed_list("nat_gateway_ids", "NAT gateways, in zone order."))
        .attribute(computed_list(
            "route_table_ids",
            "Route tables: public, then private (per zone or shared), then database.",
        ))
        .block(timeouts::block(&["create", "update", "delete"]))
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
        // Zones: the configured ones must exist; the default depends on
        // the provider's environment.
        let wanted = match &config.availability_zones {
            MaybeUnknown::Known(Some(zones)) => Some(zones.clone()),
            _ => None,
        };
        if req.creating() || wanted.is_some() {
            let usable = match usable_zones(client).await {
                Ok(zones) => zones,
                Err(d) => return resp.diagnostics.push(d),
            };
            match &wanted {
                Some(zones) => {
                    for (i, zone) in zones.iter().enumerate() {
                        if !usable.iter().any(|z| &z.name == zone) {
                            resp.diagnostics.attribute_error(
                                AttributePath::attr("availability_zones").push_index(i as i64),
                                "Unknown availability zone",
                                format!("{zone:?} is not a usable zone of {}.", client.region),
                            );
                        }
                    }
                }
                None if req.creating() && config.availability_zones.is_known() => {
                    let count = default_zone_count(client.environment);
                    let zones: Vec<Value> = usable
                        .iter()
                        .take(count)
                        .map(|z| Value::String(z.name.clone()))
                        .collect();
                    if zones.is_empty() {
                        resp.diagnostics.error(
                            "No availability zones",
                            format!("{} has no usable zone.", client.region),
                        );
                    }
                    resp.set("availability_zones", Value::List(zones));
                }
                None => {}
            }
        }
        if req.creating() {
            return;
        }
        // Drift: parts deleted out of band are rebuilt by an update.
        let zones = list_len(&resp.plan, "availability_zones");
        let nats = match client.environment {
            Environment::Production => zones,
            _ => zones.min(1),
        };
        let prior = &req.prior_state;
        let routes_expected = 2 + if nats > 1 { zones } else { 1 };
        let complete = Tier::ALL
            .iter()
            .all(|t| list_len(prior, &t.attribute()) == zones)
            && list_len(prior, "nat_gateway_ids") == nats
            && list_len(prior, "route_table_ids") == routes_expected
            && prior
                .get_attr("internet_gateway_id")
                .is_some_and(|v| !v.is_null());
        if !complete {
            for attribute in BUILT {
                resp.set(attribute, Value::Unknown);
            }
        }
    }

    async fn create(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        self.apply(client, req, resp).await;
    }

    async fn read(&self, client: &SwarmClient, req: &ReadRequest, resp: &mut ReadResponse) {
        let Some(Value::String(name)) = req.state.get_attr("id") else {
            return resp.diagnostics.error("Network state has no id", "");
        };
        let timeouts = req
            .state
            .get_attr("timeouts")
            .cloned()
            .unwrap_or(Value::Null);
        match Observed::load(client, name).await {
            Ok(seen) => resp.new_state = seen.state(client, name, timeouts).unwrap_or(Value::Null),
            Err(d) => resp.diagnostics.push(d),
        }
    }

    async fn update(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        self.apply(client, req, resp).await;
    }

    async fn delete(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let Some(Value::String(name)) = req.prior_state.get_attr("id") else {
            return resp.diagnostics.error("Network state has no id", "");
        };
        let timeout = Self::timeout(&req.prior_state, "delete", &mut resp.diagnostics);
        if let Err(d) = destroy(client, name, timeout, &req.cancel).await {
            resp.diagnostics.push(d);
        }
    }

    async fn import(&self, client: &SwarmClient, id: &str, resp: &mut ImportResponse) {
        match Observed::load(client, id).await {
            Ok(seen) => match seen.state(client, id, Value::Null) {
                Some(state) => resp.state = state,
                None => resp.diagnostics.error(
                    "Network not found",
                    format!("No VPC tagged swarm:network = {id:?} exists; import takes the network's name."),
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
    fn subnets_tile_the_network_without_overlap() {
        assert_eq!(
            subnet_cidr("10.20.0.0/16", Tier::Public, 0).unwrap(),
            "10.20.0.0/20"
        );
        assert_eq!(
            subnet_cidr("10.20.0.0/16", Tier::Public, 1).unwrap(),
            "10.20.16.0/20"
        );
        assert_eq!(
            subnet_cidr("10.20.0.0/16", Tier::Private, 0).unwrap(),
            "10.20.80.0/20"
        );
        assert_eq!(
            subnet_cidr("10.20.0.0/16", Tier::Database, 4).unwrap(),
            "10.20.224.0/20"
        );
        assert_eq!(
            subnet_cidr("192.168.4.0/24", Tier::Private, 2).unwrap(),
            "192.168.4.112/28"
        );
    }

    #[test]
    fn cidr_blocks_are_checked() {
        assert!(cidr_check("10.0.0.0/16").is_ok());
        assert!(cidr_check("10.0.0.0/8").is_err());
        assert!(cidr_check("10.0.0.0/25").is_err());
        assert!(
            cidr_check("10.0.1.0/16")
                .unwrap_err()
                .contains("did you mean 10.0.0.0/16")
        );
        assert!(cidr_check("10.0.0/16").is_err());
        assert!(cidr_check("banana").is_err());
    }

    #[test]
    fn names_are_checked() {
        assert!(name_check("agents-1").is_ok());
        for bad in ["", "-a", "a-", "a b", "ä", &"x".repeat(49)] {
            assert!(name_check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nat_per_zone_only_in_production() {
        let zones = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(nat_zones(Environment::Production, &zones).len(), 3);
        assert_eq!(
            nat_zones(Environment::Staging, &zones),
            vec!["a".to_owned()]
        );
    }
}
