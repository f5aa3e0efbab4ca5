//! `swarm_availability_zones`: the usable availability zones of the region.

use serde::Serialize;
use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{self, Type};

use crate::config::SwarmClient;
use crate::ec2::usable_zones;

pub struct AvailabilityZones;

/// What the data source exports.
#[derive(Debug, Serialize)]
struct Zones {
    id: String,
    names: Vec<String>,
    zone_ids: Vec<String>,
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
        let zones = Zones {
            id: client.region.clone(),
            names: zones.iter().map(|z| z.name.clone()).collect(),
            zone_ids: zones.into_iter().map(|z| z.id).collect(),
        };
        match value::to_value(&zones).and_then(|v| v.conform(&self.schema().value_type())) {
            Ok(state) => resp.state = state,
            Err(e) => resp
                .diagnostics
                .error("Cannot record the availability zones", e.to_string()),
        }
    }
}
