//! Making AWS match the plan, and taking the network down.
//!
//! `converge` serves create, update, the repair of drift and the retry of
//! a failed apply alike: it reads what exists once, makes only what is
//! missing and repairs what drifted (tags, a default route to a gateway
//! that is gone), so running it twice changes nothing. What it creates is
//! added to what it read from the create calls' answers, not read again.

use aws_sdk_ec2::types::{NatGateway, RouteTable, Subnet};
use futures_util::future::try_join_all;
use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;

use super::cloud::{self, ANYWHERE, AZ_KEY, Calls, Observed, Route, Tags};
use super::state::{Spec, Tier, nat_zones, subnet_cidr};
use crate::config::SwarmClient;
use crate::ownership::{self, Identity};
use crate::tags;
use crate::waiter::Wait;

/// The zone of the network's objects that serve every zone: the public
/// and database route tables, and the private one of a network with one
/// shared NAT gateway.
const SHARED: &str = "shared";

/// What a route table's default route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RouteRepair {
    /// It leads where it should.
    None,
    /// There is none.
    Create,
    /// It leads elsewhere: to a gateway deleted or changed out of band (a
    /// blackhole).
    Replace,
}

/// What the default route of `table` (`None`: a table made now) needs to
/// lead to `route`.
fn route_repair(table: Option<&RouteTable>, route: Route<'_>) -> RouteRepair {
    let default = table.and_then(|t| {
        t.routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some(ANYWHERE))
    });
    match default {
        None => RouteRepair::Create,
        Some(r) if route.is(r) => RouteRepair::None,
        Some(_) => RouteRepair::Replace,
    }
}

/// Makes the network match `spec`, within `wait`'s budget. `found` finds
/// what exists: by the spec's marker, or (a state without one) the
/// unmarked objects of the name, which the tag repair then marks.
pub async fn converge(
    client: &SwarmClient,
    spec: &Spec,
    found: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let mine = spec.identity();
    Builder {
        client,
        spec,
        cloud: Calls::apply(client, &mine, wait),
    }
    .ensure(found)
    .await
}

/// Builds up a network: makes only what is missing, so it serves create,
/// repair after drift, and retries after a partial failure alike.
struct Builder<'a> {
    client: &'a SwarmClient,
    spec: &'a Spec,
    cloud: Calls<'a>,
}

impl Builder<'_> {
    fn tags(&self, role: &str, object: &str, zone: Option<&str>) -> Tags {
        self.spec.object_tags(self.client, role, object, zone)
    }

    /// Creates what is missing and repairs what drifted. One read of
    /// everything at the start; after that, what this apply creates is
    /// added to `seen` from the create calls' answers instead of read again.
    async fn ensure(&self, found: &Identity) -> Result<(), Diagnostic> {
        let spec = self.spec;
        let mut seen = cloud::observe(self.client, found).await?;
        if found.adopts() {
            // A state without a marker: its objects (elastic IPs too, which
            // have no other tags to repair) are marked in one call, so
            // that they are all marked or none.
            let mut objects: Vec<String> = seen
                .tagged_objects()
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            objects.extend(seen.addresses.iter().map(|(id, _)| id.clone()));
            let mut marker = Tags::new();
            ownership::mark(&mut marker, spec.marker.as_ref());
            tags::ec2::create(self.client, &objects, &marker).await?;
            seen = cloud::observe(self.client, &spec.identity()).await?;
        }
        // Objects created below get their tags at creation; only those
        // that exist already may need theirs repaired.
        self.sync_tags(&seen).await?;

        // The VPC, with DNS names for hosts (agents find each other by name).
        let vpc_id = match seen.vpc_id() {
            Some(id) => id.to_owned(),
            None => {
                let (id, vpc) = self
                    .cloud
                    .create_vpc(&spec.cidr_block, &self.tags("vpc", "vpc", None))
                    .await?;
                self.cloud.wait_vpc_available(&id).await?;
                self.cloud.enable_dns(&id).await?;
                // A new VPC holds none of the network's subnets yet.
                seen.vpc = Some(vpc);
                seen.subnets.clear();
                id
            }
        };

        // The internet gateway, attached.
        let (igw_id, attached) = match seen.internet_gateway() {
            Some((id, attached)) => (id.to_owned(), attached),
            None => (
                self.cloud
                    .create_internet_gateway(&self.tags("igw", "igw", None))
                    .await?,
                false,
            ),
        };
        if !attached {
            self.cloud.attach_internet_gateway(&igw_id, &vpc_id).await?;
        }

        // The subnets that are missing, all at once.
        let mut creates = Vec::new();
        for tier in Tier::ALL {
            for (i, zone) in spec.availability_zones.iter().enumerate() {
                if seen.subnet(tier, zone).is_some() {
                    continue;
                }
                let cidr = subnet_cidr(&spec.cidr_block, tier, i).map_err(|why| {
                    Diagnostic::error("Invalid cidr_block", why)
                        .at(AttributePath::attr("cidr_block"))
                })?;
                let tags = self.tags(
                    &tier.subnet_role(),
                    &format!("{}-{zone}", tier.name()),
                    Some(zone),
                );
                creates.push(self.cloud.create_subnet(&vpc_id, cidr, zone, tags));
            }
        }
        let created = try_join_all(creates).await?;
        seen.subnets.extend(created.into_iter().flatten());

        // NAT gateways with their elastic IPs, in public subnets.
        let nat_zones = nat_zones(self.client.environment, &spec.availability_zones);
        let missing: Vec<&String> = nat_zones
            .iter()
            .filter(|z| seen.nat_gateway(z).is_none())
            .collect();
        // A gateway deleted out of band holds its zone's address until it
        // is gone.
        if missing.iter().any(|z| seen.nat_deleting(z)) {
            seen.nat_gateways = self.cloud.wait_nat_deleted(&missing).await?;
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
                None => {
                    self.cloud
                        .allocate_address(&self.tags("nat-eip", &format!("nat-{zone}"), Some(zone)))
                        .await?
                }
            };
            let tags = self.tags("nat", &format!("nat-{zone}"), Some(zone));
            nats.push(
                self.cloud
                    .create_nat_gateway(zone, subnet, allocation, tags),
            );
        }
        try_join_all(nats).await?;
        seen.nat_gateways = self.cloud.wait_nat_available(nat_zones.len()).await?;

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
            spec.availability_zones
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

    /// The route table of `role` in `zone`: made if missing, its default
    /// route to `route` (none for `None`), and `subnets` associated.
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
        let existing = seen.route_table(role, zone);
        let table_id = match existing.and_then(RouteTable::route_table_id) {
            Some(id) => id.to_owned(),
            None => {
                self.cloud
                    .create_route_table(vpc_id, &self.tags(role, object, Some(zone)))
                    .await?
            }
        };
        if let Some(route) = route {
            match route_repair(existing, route) {
                RouteRepair::None => {}
                RouteRepair::Create => self.cloud.default_route(&table_id, route, false).await?,
                RouteRepair::Replace => self.cloud.default_route(&table_id, route, true).await?,
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
            .map(|subnet| self.cloud.associate(&table_id, subnet));
        try_join_all(associations).await?;
        Ok(())
    }

    /// Every object's tags to what they should be, one object per task,
    /// concurrently.
    async fn sync_tags(&self, seen: &Observed) -> Result<(), Diagnostic> {
        let mut calls = Vec::new();
        for (id, current) in seen.tagged_objects() {
            let current = tags::ec2::from_sdk(current);
            let role = current.get(tags::ROLE_KEY).cloned().unwrap_or_default();
            let name = current.get("Name").cloned().unwrap_or_default();
            let object = name
                .strip_prefix(&format!("{}-", self.spec.name))
                .unwrap_or(&name)
                .to_owned();
            let desired = self.tags(&role, &object, current.get(AZ_KEY).map(String::as_str));
            let client = self.client;
            calls.push(async move { tags::ec2::sync(client, &[id], &current, &desired).await });
        }
        try_join_all(calls).await.map(|_| ())
    }
}

/// Tears a network down in dependency order, within `wait`'s budget.
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let cloud = Calls::destroy(client, id, wait);
    let seen = cloud::observe(client, id).await?;

    // NAT gateways first: their addresses and subnets wait on them.
    try_join_all(
        seen.nat_gateways
            .iter()
            .filter_map(NatGateway::nat_gateway_id)
            .map(|id| cloud.delete_nat_gateway(id)),
    )
    .await?;
    cloud.wait_nat_gone().await?;
    try_join_all(
        seen.addresses
            .iter()
            .map(|(id, _)| cloud.release_address(id)),
    )
    .await?;

    // Route tables: drop their associations, then the tables.
    let associations = seen
        .route_tables
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| a.route_table_association_id());
    try_join_all(associations.map(|id| cloud.disassociate(id))).await?;
    try_join_all(
        seen.route_tables
            .iter()
            .filter_map(RouteTable::route_table_id)
            .map(|id| cloud.delete_route_table(id)),
    )
    .await?;

    if let Some((igw_id, attached)) = seen.internet_gateway() {
        if let (true, Some(vpc_id)) = (attached, seen.vpc_id()) {
            cloud.detach_internet_gateway(igw_id, vpc_id).await?;
        }
        cloud.delete_internet_gateway(igw_id).await?;
    }

    try_join_all(
        seen.subnets
            .iter()
            .filter_map(Subnet::subnet_id)
            .map(|id| cloud.delete_subnet(id)),
    )
    .await?;

    if let Some(vpc_id) = seen.vpc_id() {
        cloud.delete_vpc(vpc_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::Route as AwsRoute;

    use super::*;

    fn table(routes: Vec<AwsRoute>) -> RouteTable {
        RouteTable::builder()
            .route_table_id("rtb-1")
            .set_routes(Some(routes))
            .build()
    }

    fn local() -> AwsRoute {
        AwsRoute::builder()
            .destination_cidr_block("10.20.0.0/16")
            .gateway_id("local")
            .build()
    }

    fn default_to_nat(id: &str) -> AwsRoute {
        AwsRoute::builder()
            .destination_cidr_block(ANYWHERE)
            .nat_gateway_id(id)
            .build()
    }

    #[test]
    fn a_new_table_gets_its_default_route() {
        assert_eq!(
            route_repair(None, Route::Gateway("igw-1")),
            RouteRepair::Create
        );
        assert_eq!(
            route_repair(Some(&table(vec![local()])), Route::Nat("nat-1")),
            RouteRepair::Create
        );
    }

    #[test]
    fn a_route_to_a_gateway_gone_is_pointed_at_the_new_one() {
        let current = table(vec![local(), default_to_nat("nat-1")]);
        assert_eq!(
            route_repair(Some(&current), Route::Nat("nat-1")),
            RouteRepair::None
        );
        assert_eq!(
            route_repair(Some(&current), Route::Nat("nat-2")),
            RouteRepair::Replace
        );
        assert_eq!(
            route_repair(Some(&current), Route::Gateway("nat-1")),
            RouteRepair::Replace
        );
    }
}
