//! `swarm_availability_zones`: the usable availability zones of the region.

use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::diag::Diagnostic;
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Type, Value};

use crate::aws;
use crate::config::SwarmClient;

pub struct AvailabilityZones;

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

#[tfplugin::async_trait]
impl DataSource<SwarmClient> for AvailabilityZones {
    fn type_name(&self) -> &'static str {
        "swarm_availability_zones"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The availability zones of the provider's region that can take resources: available, \
             opted in (or needing no opt-in), and real AZs (no Local or Wavelength Zones). \
             Sorted by name.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .description("The region."),
        )
        .attribute(
            Attribute::list_of("names", Type::String)
                .computed()
                .description("Zone names, e.g. `us-east-1a`."),
        )
        .attribute(
            Attribute::list_of("zone_ids", Type::String)
                .computed()
                .description("Zone ids, e.g. `use1-az1`, in the order of `names`."),
        )
    }

    async fn read(
        &self,
        client: &SwarmClient,
        _req: &DataSourceRequest,
        resp: &mut DataSourceResponse,
    ) {
        let zones = match usable_zones(client).await {
            Ok(zones) => zones,
            Err(diagnostic) => return resp.diagnostics.push(diagnostic),
        };
        let strings = |f: fn(&Zone) -> &str| {
            Value::List(
                zones
                    .iter()
                    .map(|z| Value::String(f(z).to_owned()))
                    .collect(),
            )
        };
        resp.state = Value::Object(
            [
                ("id".to_owned(), Value::String(client.region.clone())),
                ("names".to_owned(), strings(|z| &z.name)),
                ("zone_ids".to_owned(), strings(|z| &z.id)),
            ]
            .into(),
        );
    }
}
