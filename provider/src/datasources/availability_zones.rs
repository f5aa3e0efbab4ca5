//! `swarm_availability_zones`: the usable availability zones of the region.

use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Type, Value};

use crate::config::SwarmClient;
use crate::ec2::{Zone, usable_zones};

pub struct AvailabilityZones;

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
