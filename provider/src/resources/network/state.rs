//! The network's model: its subnet tiers and how its address block is cut
//! among them, the tier defaults (zones, NAT gateways), the state as
//! Terraform stores it, the plan resolved for apply, and the state built
//! from what exists.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use aws_sdk_ec2::types::{InternetGateway, NatGateway, RouteTable, Subnet, Vpc};
use serde::{Deserialize, Serialize};
use tfplugin::diag::Diagnostic;
use tfplugin::resource::ChangeRequest;
use tfplugin::value;

use super::checks;
use super::cloud::{AZ_KEY, KIND, Observed};
use crate::config::{Environment, SwarmClient};
use crate::ownership::{self, Identity, Marker};
use crate::resources::lifecycle::{self, TimeoutsModel};
use crate::tags;

pub const DEFAULT_CIDR: &str = "10.0.0.0/16";
/// The most zones a network spans: each tier has room for five subnets.
pub const MAX_ZONES: usize = 5;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The subnet tiers, in the order of their address blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Public,
    Private,
    Database,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Public, Tier::Private, Tier::Database];

    pub fn name(self) -> &'static str {
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

    /// The `swarm:role` tag of the tier's subnets.
    pub fn subnet_role(self) -> String {
        format!("{}-subnet", self.name())
    }
}

/// How many NAT gateways a network of `zones` zones has: one per zone in
/// production, where a zone's outage must not cut the others off; one
/// shared otherwise.
pub fn nat_count(environment: Environment, zones: usize) -> usize {
    match environment {
        Environment::Production => zones,
        _ => zones.min(1),
    }
}

/// The zones that have a NAT gateway: the first `nat_count` of them.
pub fn nat_zones(environment: Environment, zones: &[String]) -> Vec<String> {
    zones
        .iter()
        .take(nat_count(environment, zones.len()))
        .cloned()
        .collect()
}

/// How many route tables a network has: the public and the database one,
/// and a private one per zone when each zone has its own NAT gateway, a
/// shared one otherwise.
pub fn route_table_count(zones: usize, nats: usize) -> usize {
    2 + if nats > 1 { zones } else { 1 }
}

/// The AZ count by tier of environment: two at least, as RDS needs DB
/// subnets in two zones (and a failover pair two zones) even in
/// development; the development tier's cost stays low through its one
/// shared NAT gateway (`nat_count`).
pub fn default_zone_count(environment: Environment) -> usize {
    match environment {
        Environment::Development => 2,
        Environment::Staging => 2,
        Environment::Production => 3,
    }
}

/// The address block of one subnet: the network is cut into 16 blocks
/// (prefix + 4); tier t, zone i takes block 5t + i (so up to 5 zones).
pub fn subnet_cidr(cidr: &str, tier: Tier, zone_index: usize) -> Result<String, String> {
    let (address, prefix) = checks::parse_cidr(cidr)?;
    let sub_prefix = prefix + 4;
    let slot = tier.index() * MAX_ZONES as u32 + zone_index as u32;
    let base = u32::from(address) + (slot << (32 - u32::from(sub_prefix)));
    Ok(format!("{}/{sub_prefix}", Ipv4Addr::from(base)))
}

/// The network's state as Terraform stores it, one field per attribute
/// (`None` for null). Also the basis the state is built on (see
/// `lifecycle`): of it, only `timeouts` is not read from AWS.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkState {
    pub id: Option<String>,
    pub name: Option<String>,
    pub cidr_block: Option<String>,
    pub availability_zones: Option<Vec<String>>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub vpc_id: Option<String>,
    pub internet_gateway_id: Option<String>,
    pub public_subnet_ids: Option<Vec<String>>,
    pub private_subnet_ids: Option<Vec<String>>,
    pub database_subnet_ids: Option<Vec<String>>,
    pub nat_gateway_ids: Option<Vec<String>>,
    pub route_table_ids: Option<Vec<String>>,
    pub ownership_marker: Option<String>,
    pub timeouts: Option<TimeoutsModel>,
}

fn count<T>(items: Option<&Vec<T>>) -> usize {
    items.map_or(0, Vec::len)
}

fn ids<'a>(items: impl IntoIterator<Item = Option<&'a str>>) -> Option<Vec<String>> {
    Some(items.into_iter().flatten().map(str::to_owned).collect())
}

impl NetworkState {
    pub fn subnet_ids(&self, tier: Tier) -> Option<&Vec<String>> {
        match tier {
            Tier::Public => self.public_subnet_ids.as_ref(),
            Tier::Private => self.private_subnet_ids.as_ref(),
            Tier::Database => self.database_subnet_ids.as_ref(),
        }
    }

    /// Whether the state records every object a network of `zones` zones
    /// has in `environment`: a subnet per tier and zone, the NAT gateways,
    /// the route tables and the internet gateway. When one is missing
    /// (deleted out of band, or a failed apply), the plan rebuilds it.
    pub fn is_complete(&self, zones: usize, environment: Environment) -> bool {
        let nats = nat_count(environment, zones);
        Tier::ALL
            .iter()
            .all(|t| count(self.subnet_ids(*t)) == zones)
            && count(self.nat_gateway_ids.as_ref()) == nats
            && count(self.route_table_ids.as_ref()) == route_table_count(zones, nats)
            && self.internet_gateway_id.is_some()
    }

    /// The state of what exists (`seen`, whose VPC exists) on `basis`,
    /// which gives `timeouts` and the `tags` as written. The tags are
    /// read back from the VPC.
    pub fn observed(client: &SwarmClient, name: &str, seen: &Observed, basis: &Self) -> Self {
        let found = seen
            .vpc
            .as_ref()
            .map(|vpc| tags::ec2::from_sdk(vpc.tags()))
            .unwrap_or_default();
        let read = checks::TAGGING.read_back(&found, &client.default_tags, basis.tags.as_ref());
        Self::built(name, seen, read, basis)
    }

    /// `observed`, with the tags already read back.
    fn built(name: &str, seen: &Observed, read: tags::ReadBack, basis: &Self) -> Self {
        let vpc = seen.vpc.as_ref();
        let subnet_ids = |tier| ids(seen.subnets(tier).into_iter().map(Subnet::subnet_id));
        Self {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            cidr_block: vpc.and_then(Vpc::cidr_block).map(str::to_owned),
            availability_zones: Some(seen.zones()),
            tags: read.tags,
            tags_all: Some(read.tags_all),
            vpc_id: seen.vpc_id().map(str::to_owned),
            internet_gateway_id: seen
                .internet_gateway
                .as_ref()
                .and_then(InternetGateway::internet_gateway_id)
                .map(str::to_owned),
            public_subnet_ids: subnet_ids(Tier::Public),
            private_subnet_ids: subnet_ids(Tier::Private),
            database_subnet_ids: subnet_ids(Tier::Database),
            nat_gateway_ids: ids(seen
                .nat_gateways_sorted()
                .into_iter()
                .map(NatGateway::nat_gateway_id)),
            route_table_ids: ids(seen
                .route_tables_sorted()
                .into_iter()
                .map(RouteTable::route_table_id)),
            // The lifecycle's to set: the marker of the identity it read by.
            ownership_marker: None,
            timeouts: basis.timeouts.clone(),
        }
    }
}

/// The plan, resolved for apply: what the network is to be.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub cidr_block: String,
    pub availability_zones: Vec<String>,
    /// The user's tags (without the provider's `default_tags`).
    pub tags: BTreeMap<String, String>,
    /// The marker every object carries (`None` only for a resource
    /// without one, which the lifecycle never hands an apply).
    pub marker: Option<Marker>,
}

/// A value the plan must know at apply (`modify_plan` resolves the zones;
/// the rest are configured or defaulted).
fn required<T>(value: Option<T>, attribute: &str) -> Result<T, Diagnostic> {
    value.ok_or_else(|| {
        Diagnostic::error(
            "Value unknown at apply",
            format!("{attribute} is not known at apply; this is a bug in the provider."),
        )
    })
}

impl Spec {
    pub fn from_request(req: &ChangeRequest) -> Result<Self, Diagnostic> {
        let plan: NetworkState = value::from_value(&lifecycle::apply_basis(req)).map_err(|e| {
            Diagnostic::error(
                "Unreadable swarm_network plan",
                format!("{e}. This is a bug in the provider."),
            )
        })?;
        let cidr_block = required(plan.cidr_block, "cidr_block")?;
        // A block from another resource was unknown at validate and plan:
        // it is checked now, before the VPC is made.
        checks::parse_cidr(&cidr_block).map_err(|why| {
            Diagnostic::error("Invalid cidr_block", format!("cidr_block: {why}."))
                .at(tfplugin::path::AttributePath::attr("cidr_block"))
        })?;
        Ok(Self {
            name: required(plan.name, "name")?,
            cidr_block,
            availability_zones: required(plan.availability_zones, "availability_zones")?,
            tags: plan.tags.unwrap_or_default(),
            marker: plan.ownership_marker.map(Marker::from_stored),
        })
    }

    /// What finds the network's own objects.
    pub fn identity(&self) -> Identity {
        Identity::new(self.name.clone(), self.marker.clone())
    }

    /// The tags of one of the network's objects: `role` is its
    /// `swarm:role`, `object` its `Name` after the network's name, and
    /// `zone` its `swarm:az` (for objects of one zone).
    pub fn object_tags(
        &self,
        client: &SwarmClient,
        role: &str,
        object: &str,
        zone: Option<&str>,
    ) -> BTreeMap<String, String> {
        let mut tags = tags::object_tags(
            client,
            &self.tags,
            KIND,
            &self.name,
            role,
            &format!("{}-{object}", self.name),
        );
        if let Some(zone) = zone {
            tags.insert(AZ_KEY.to_owned(), zone.to_owned());
        }
        ownership::mark(&mut tags, self.marker.as_ref());
        tags
    }
}

#[cfg(test)]
mod tests {

    /// `TAGGING.own_tags` is what the provider puts on the network's most
    /// tagged objects (those of one zone).
    #[tokio::test]
    async fn own_tags_are_those_of_an_object_of_one_zone() {
        let client = tags::test_client().await;
        let spec = Spec {
            name: "agents".to_owned(),
            cidr_block: DEFAULT_CIDR.to_owned(),
            availability_zones: vec!["us-east-1a".to_owned()],
            tags: BTreeMap::new(),
            marker: Some(crate::ownership::Marker::from_stored("m")),
        };
        let subnet = spec.object_tags(&client, "public-subnet", "public-a", Some("us-east-1a"));
        assert_eq!(subnet.len(), checks::TAGGING.own_tags, "{subnet:?}");
    }

    use aws_sdk_ec2::types::NatGatewayState;

    use super::super::cloud::tests::{nat, subnet, table};
    use super::*;

    #[test]
    fn subnets_tile_the_network_without_overlap() {
        for (network, tier, zone, subnet) in [
            ("10.20.0.0/16", Tier::Public, 0, "10.20.0.0/20"),
            ("10.20.0.0/16", Tier::Public, 1, "10.20.16.0/20"),
            ("10.20.0.0/16", Tier::Private, 0, "10.20.80.0/20"),
            ("10.20.0.0/16", Tier::Database, 4, "10.20.224.0/20"),
            ("192.168.4.0/24", Tier::Private, 2, "192.168.4.112/28"),
        ] {
            assert_eq!(
                subnet_cidr(network, tier, zone).as_deref(),
                Ok(subnet),
                "{network} {tier:?} {zone}"
            );
        }
    }

    #[test]
    fn every_subnet_of_five_zones_is_distinct_and_inside_the_network() {
        let mut blocks: Vec<String> = Tier::ALL
            .iter()
            .flat_map(|tier| (0..MAX_ZONES).map(move |i| subnet_cidr("10.0.0.0/24", *tier, i)))
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            blocks.iter().all(|b| b.starts_with("10.0.0.")),
            "{blocks:?}"
        );
        blocks.sort();
        blocks.dedup();
        assert_eq!(blocks.len(), 15);
    }

    #[test]
    fn nat_per_zone_only_in_production() {
        let zones = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(nat_zones(Environment::Production, &zones).len(), 3);
        assert_eq!(
            nat_zones(Environment::Staging, &zones),
            vec!["a".to_owned()]
        );
        assert_eq!(
            nat_zones(Environment::Development, &zones),
            vec!["a".to_owned()]
        );
        assert!(nat_zones(Environment::Production, &[]).is_empty());
    }

    #[test]
    fn private_route_tables_per_zone_only_with_a_nat_per_zone() {
        assert_eq!(route_table_count(3, 3), 5);
        assert_eq!(route_table_count(3, 1), 3);
        assert_eq!(route_table_count(1, 1), 3);
    }

    #[test]
    fn zones_by_environment() {
        assert_eq!(default_zone_count(Environment::Development), 2);
        assert_eq!(default_zone_count(Environment::Staging), 2);
        assert_eq!(default_zone_count(Environment::Production), 3);
    }

    fn list(n: usize, prefix: &str) -> Option<Vec<String>> {
        Some((0..n).map(|i| format!("{prefix}-{i}")).collect())
    }

    /// A two-zone staging network, recorded whole.
    fn two_zone_staging() -> NetworkState {
        NetworkState {
            public_subnet_ids: list(2, "subnet-pub"),
            private_subnet_ids: list(2, "subnet-priv"),
            database_subnet_ids: list(2, "subnet-db"),
            nat_gateway_ids: list(1, "nat"),
            route_table_ids: list(3, "rtb"),
            internet_gateway_id: Some("igw-1".to_owned()),
            ..NetworkState::default()
        }
    }

    #[test]
    fn a_missing_object_makes_the_state_incomplete() {
        let whole = two_zone_staging();
        assert!(whole.is_complete(2, Environment::Staging));
        // Production wants a NAT gateway and a private route table per zone.
        assert!(!whole.is_complete(2, Environment::Production));
        let without = |change: fn(&mut NetworkState)| {
            let mut state = two_zone_staging();
            change(&mut state);
            state.is_complete(2, Environment::Staging)
        };
        assert!(!without(|s| s.internet_gateway_id = None));
        assert!(!without(|s| s.nat_gateway_ids = Some(Vec::new())));
        assert!(!without(|s| s.database_subnet_ids = list(1, "subnet-db")));
        assert!(!without(|s| s.route_table_ids = None));
    }

    #[test]
    fn the_state_lists_objects_in_zone_and_tier_order() {
        let seen = Observed {
            vpc: Some(
                Vpc::builder()
                    .vpc_id("vpc-1")
                    .cidr_block("10.20.0.0/16")
                    .build(),
            ),
            internet_gateway: Some(
                InternetGateway::builder()
                    .internet_gateway_id("igw-1")
                    .build(),
            ),
            subnets: vec![
                subnet("subnet-pb", "public-subnet", "us-east-1b"),
                subnet("subnet-pa", "public-subnet", "us-east-1a"),
                subnet("subnet-da", "database-subnet", "us-east-1a"),
                subnet("subnet-qa", "private-subnet", "us-east-1a"),
            ],
            nat_gateways: vec![
                nat("nat-b", "us-east-1b", NatGatewayState::Available),
                nat("nat-old", "us-east-1a", NatGatewayState::Deleting),
                nat("nat-a", "us-east-1a", NatGatewayState::Pending),
            ],
            route_tables: vec![
                table("rtb-db", "database-rt", "shared"),
                table("rtb-qb", "private-rt", "us-east-1b"),
                table("rtb-pub", "public-rt", "shared"),
                table("rtb-qa", "private-rt", "us-east-1a"),
            ],
            addresses: Vec::new(),
        };
        let basis = NetworkState {
            timeouts: Some(TimeoutsModel {
                create: Some("30m".to_owned()),
                ..TimeoutsModel::default()
            }),
            ..NetworkState::default()
        };
        let read = tags::ReadBack {
            tags: None,
            tags_all: BTreeMap::new(),
        };
        let state = NetworkState::built("agents", &seen, read, &basis);
        let strings = |items: &[&str]| Some(items.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(
            state,
            NetworkState {
                id: Some("agents".to_owned()),
                name: Some("agents".to_owned()),
                cidr_block: Some("10.20.0.0/16".to_owned()),
                availability_zones: strings(&["us-east-1a", "us-east-1b"]),
                // No tags of the user's: null, as the configuration has none.
                tags: None,
                tags_all: Some(BTreeMap::new()),
                vpc_id: Some("vpc-1".to_owned()),
                internet_gateway_id: Some("igw-1".to_owned()),
                public_subnet_ids: strings(&["subnet-pa", "subnet-pb"]),
                private_subnet_ids: strings(&["subnet-qa"]),
                database_subnet_ids: strings(&["subnet-da"]),
                // A gateway being deleted is not the network's any more.
                nat_gateway_ids: strings(&["nat-a", "nat-b"]),
                route_table_ids: strings(&["rtb-pub", "rtb-qa", "rtb-qb", "rtb-db"]),
                ownership_marker: None,
                timeouts: basis.timeouts.clone(),
            }
        );
    }
}
