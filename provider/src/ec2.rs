//! The EC2 look-ups the resources and data sources share: subnets and the
//! checks of where they are, a VPC's block, the default VPC's subnets, the
//! region's usable zones and the VPCs of security groups.
//!
//! The checks are small pure functions that return what is wrong; each
//! resource combines the ones it needs and words the failures its own way
//! (its messages are what its users and tests know).

use std::collections::BTreeMap;

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsError;
use aws_sdk_ec2::types::Filter;
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;

/// An EC2 filter on `name` matching any of `values`.
pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .build()
}

/// A subnet: where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
}

/// Why DescribeSubnets failed.
#[derive(Debug)]
pub enum SubnetsError {
    /// An id names no subnet: EC2 then fails the whole call, with a
    /// message naming the id.
    NotFound(Box<SdkError<DescribeSubnetsError>>),
    /// Any other failure.
    Failed(Box<SdkError<DescribeSubnetsError>>),
}

impl SubnetsError {
    /// The failure, whatever it was, as a diagnostic under `summary`.
    pub fn diagnostic(&self, summary: &str) -> Diagnostic {
        let (Self::NotFound(e) | Self::Failed(e)) = self;
        aws::error(summary, e.as_ref())
    }
}

/// The subnets of `ids`, as one DescribeSubnets lists them. An id it does
/// not list is for [`missing`] to find.
pub async fn subnets(client: &SwarmClient, ids: &[String]) -> Result<Vec<Subnet>, SubnetsError> {
    let request = client
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(ids.to_vec()))
        .send();
    let out = aws::call("ec2", "DescribeSubnets", request)
        .await
        .map_err(|e| {
            if e.code() == Some("InvalidSubnetID.NotFound") {
                SubnetsError::NotFound(Box::new(e))
            } else {
                SubnetsError::Failed(Box::new(e))
            }
        })?;
    Ok(out
        .subnets()
        .iter()
        .filter_map(|s| {
            Some(Subnet {
                id: s.subnet_id()?.to_owned(),
                vpc_id: s.vpc_id().unwrap_or_default().to_owned(),
                availability_zone: s.availability_zone().unwrap_or_default().to_owned(),
            })
        })
        .collect())
}

/// The ids of `ids` that are not among `subnets`, in the order of `ids`.
pub fn missing<'a>(ids: &'a [String], subnets: &[Subnet]) -> Vec<&'a str> {
    ids.iter()
        .map(String::as_str)
        .filter(|id| !subnets.iter().any(|s| s.id == *id))
        .collect()
}

/// The one VPC the subnets are in; or else the VPCs they are in, sorted
/// (several, or none when there is no subnet).
pub fn one_vpc(subnets: &[Subnet]) -> Result<&str, Vec<&str>> {
    let mut vpcs: Vec<&str> = subnets.iter().map(|s| s.vpc_id.as_str()).collect();
    vpcs.sort_unstable();
    vpcs.dedup();
    match vpcs.as_slice() {
        [vpc] => Ok(vpc),
        _ => Err(vpcs),
    }
}

/// The first two subnets (by zone, then id) that share a zone, if any:
/// the check of one subnet per zone.
pub fn one_per_zone(subnets: &[Subnet]) -> Result<(), (&Subnet, &Subnet)> {
    let mut sorted: Vec<&Subnet> = subnets.iter().collect();
    sorted.sort_by(|a, b| (&a.availability_zone, &a.id).cmp(&(&b.availability_zone, &b.id)));
    sorted.dedup_by(|a, b| a.id == b.id);
    match sorted
        .windows(2)
        .find(|pair| pair[0].availability_zone == pair[1].availability_zone)
    {
        Some(pair) => Err((pair[0], pair[1])),
        None => Ok(()),
    }
}

/// The zones of some subnets, sorted, each once.
pub fn zones(subnets: &[Subnet]) -> Vec<String> {
    let mut zones: Vec<String> = subnets
        .iter()
        .map(|s| s.availability_zone.clone())
        .collect();
    zones.sort();
    zones.dedup();
    zones
}

/// The check of at least `n` zones: when the subnets span fewer, the
/// zones they do span.
pub fn at_least_zones(subnets: &[Subnet], n: usize) -> Result<(), Vec<String>> {
    let zones = zones(subnets);
    if zones.len() < n { Err(zones) } else { Ok(()) }
}

/// The primary IPv4 block of a VPC.
pub async fn vpc_cidr(client: &SwarmClient, vpc_id: &str) -> Result<String, Diagnostic> {
    let request = client.ec2.describe_vpcs().vpc_ids(vpc_id).send();
    let out = aws::call("ec2", "DescribeVpcs", request)
        .await
        .map_err(|e| aws::error("Cannot describe the subnets' VPC", &e))?;
    out.vpcs()
        .first()
        .and_then(|v| v.cidr_block())
        .map(str::to_owned)
        .ok_or_else(|| Diagnostic::error("VPC not found", format!("EC2 does not list {vpc_id}.")))
}

/// Whether each of `subnet_ids` (of `vpc_id`) is public: its route table
/// (its own association, else the VPC's main table) sends 0.0.0.0/0 to an
/// internet gateway. One DescribeRouteTables for the VPC; the answers are
/// in the order of `subnet_ids`.
pub async fn public_subnets(
    client: &SwarmClient,
    vpc_id: &str,
    subnet_ids: &[&str],
) -> Result<Vec<bool>, Diagnostic> {
    let request = client
        .ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &[vpc_id]))
        .send();
    let out = aws::call("ec2", "DescribeRouteTables", request)
        .await
        .map_err(|e| aws::error("Cannot read the subnets' route tables", &e))?;
    let tables: Vec<RouteTable> = out
        .route_tables()
        .iter()
        .map(|t| RouteTable {
            subnets: t
                .associations()
                .iter()
                .filter_map(|a| a.subnet_id().map(str::to_owned))
                .collect(),
            main: t.associations().iter().any(|a| a.main() == Some(true)),
            to_internet: t.routes().iter().any(|r| {
                r.destination_cidr_block() == Some("0.0.0.0/0")
                    && r.gateway_id().is_some_and(|g| g.starts_with("igw-"))
            }),
        })
        .collect();
    Ok(subnet_ids.iter().map(|id| is_public(&tables, id)).collect())
}

/// A route table as [`public_subnets`] needs it.
#[derive(Debug, Clone, Default)]
struct RouteTable {
    subnets: Vec<String>,
    main: bool,
    to_internet: bool,
}

fn is_public(tables: &[RouteTable], subnet_id: &str) -> bool {
    tables
        .iter()
        .find(|t| t.subnets.iter().any(|s| s == subnet_id))
        .or_else(|| tables.iter().find(|t| t.main))
        .is_some_and(|t| t.to_internet)
}

/// The default VPC's default subnets (one per AZ), sorted.
pub async fn default_subnets(client: &SwarmClient) -> Result<Vec<String>, Diagnostic> {
    let request = client
        .ec2
        .describe_vpcs()
        .filters(filter("is-default", &["true"]))
        .send();
    let vpcs = aws::call("ec2", "DescribeVpcs", request)
        .await
        .map_err(|e| aws::error("Cannot look up the default VPC", &e))?;
    let no_default = || {
        Diagnostic::error(
            "No default VPC",
            format!(
                "Region {} has no default VPC with default subnets: set subnet_ids (for example from a swarm_network).",
                client.region
            ),
        )
    };
    let vpc_id = vpcs
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .ok_or_else(no_default)?
        .to_owned();
    let request = client
        .ec2
        .describe_subnets()
        .filters(filter("vpc-id", &[&vpc_id]))
        .filters(filter("default-for-az", &["true"]))
        .send();
    let subnets = aws::call("ec2", "DescribeSubnets", request)
        .await
        .map_err(|e| aws::error("Cannot list the default VPC's subnets", &e))?;
    let mut ids: Vec<String> = subnets
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id())
        .map(str::to_owned)
        .collect();
    ids.sort();
    if ids.is_empty() {
        return Err(no_default());
    }
    Ok(ids)
}

/// A usable availability zone.
pub struct Zone {
    pub name: String,
    pub id: String,
}

/// The region's usable zones, sorted by name: available, opted in (or
/// needing no opt-in), real AZs (no Local or Wavelength Zones).
pub async fn usable_zones(client: &SwarmClient) -> Result<Vec<Zone>, Diagnostic> {
    let output = aws::call(
        "ec2",
        "DescribeAvailabilityZones",
        client.ec2.describe_availability_zones().send(),
    )
    .await
    .map_err(|err| aws::error("Cannot list availability zones", &err))?;
    let mut zones: Vec<Zone> = output
        .availability_zones()
        .iter()
        .filter(|z| z.state().is_none_or(|s| s.as_str() == "available"))
        .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
        .filter(|z| {
            z.opt_in_status()
                .is_none_or(|s| matches!(s.as_str(), "opt-in-not-required" | "opted-in"))
        })
        .filter_map(|z| {
            Some(Zone {
                name: z.zone_name()?.to_owned(),
                id: z.zone_id().unwrap_or_default().to_owned(),
            })
        })
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(zones)
}

/// The VPC of each of `ids` (security groups the user names), or a
/// diagnostic on `attribute` naming the ones that do not exist.
pub async fn vpcs_of(
    client: &SwarmClient,
    ids: &[String],
    attribute: &str,
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let request = client
        .ec2
        .describe_security_groups()
        .set_group_ids(Some(ids.to_vec()))
        .send();
    let out = match aws::call("ec2", "DescribeSecurityGroups", request).await {
        Ok(out) => out,
        // The whole call fails when one id is unknown.
        Err(e) if e.code() == Some("InvalidGroup.NotFound") => {
            return Err(Diagnostic::error(
                "Security group not found",
                format!(
                    "{attribute}: {}",
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
            format!("{attribute}: {missing} does not exist."),
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(id: &str, zone: &str, vpc: &str) -> Subnet {
        Subnet {
            id: id.into(),
            vpc_id: vpc.into(),
            availability_zone: zone.into(),
        }
    }

    #[test]
    fn a_subnet_is_public_by_its_own_table_else_the_main_one() {
        let table = |subnets: &[&str], main: bool, to_internet: bool| RouteTable {
            subnets: subnets.iter().map(|s| (*s).to_owned()).collect(),
            main,
            to_internet,
        };
        let tables = [
            table(&[], true, true),
            table(&["subnet-private"], false, false),
            table(&["subnet-public"], false, true),
        ];
        assert!(is_public(&tables, "subnet-public"));
        assert!(!is_public(&tables, "subnet-private"));
        // No association of its own: the main table's routes.
        assert!(is_public(&tables, "subnet-other"));
        assert!(!is_public(&tables[1..], "subnet-other"));
    }

    #[test]
    fn missing_ids_in_the_order_given() {
        let ids = ["subnet-c", "subnet-a", "subnet-b"].map(String::from);
        let found = [subnet("subnet-a", "us-east-1a", "v")];
        assert_eq!(missing(&ids, &found), ["subnet-c", "subnet-b"]);
        assert!(missing(&ids[1..2], &found).is_empty());
    }

    #[test]
    fn one_vpc_or_all_of_them() {
        let a = subnet("subnet-a", "us-east-1a", "vpc-2");
        let b = subnet("subnet-b", "us-east-1b", "vpc-2");
        let c = subnet("subnet-c", "us-east-1c", "vpc-1");
        assert_eq!(one_vpc(&[a.clone(), b.clone()]), Ok("vpc-2"));
        assert_eq!(one_vpc(&[a, b, c]), Err(vec!["vpc-1", "vpc-2"]));
        assert_eq!(one_vpc(&[]), Err(vec![]));
    }

    #[test]
    fn one_subnet_per_zone() {
        let a = subnet("subnet-a", "us-east-1b", "v");
        let b = subnet("subnet-b", "us-east-1a", "v");
        let c = subnet("subnet-c", "us-east-1b", "v");
        assert_eq!(one_per_zone(&[a.clone(), b.clone()]), Ok(()));
        // The same subnet listed twice is one subnet.
        assert_eq!(one_per_zone(&[a.clone(), a.clone(), b.clone()]), Ok(()));
        assert_eq!(one_per_zone(&[c.clone(), b, a.clone()]), Err((&a, &c)));
    }

    #[test]
    fn zones_sorted_and_counted() {
        let subnets = [
            subnet("subnet-a", "us-east-1b", "v"),
            subnet("subnet-b", "us-east-1a", "v"),
            subnet("subnet-c", "us-east-1b", "v"),
        ];
        assert_eq!(zones(&subnets), ["us-east-1a", "us-east-1b"]);
        assert_eq!(at_least_zones(&subnets, 2), Ok(()));
        assert_eq!(
            at_least_zones(&subnets, 3),
            Err(vec!["us-east-1a".to_owned(), "us-east-1b".to_owned()])
        );
        assert_eq!(
            at_least_zones(&subnets[..1], 2),
            Err(vec!["us-east-1b".to_owned()])
        );
    }
}
