//! `swarm_failover_pair` data source: a pair's endpoint and nodes, by name
//! (their `swarm:failover-pair` tag), for stacks that connect to it. Two
//! stacks may each have a pair of one name: then `vpc_id` or
//! `ownership_marker` says which (see `crate::ownership`).

use std::collections::BTreeMap;

use serde::Serialize;
use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::path::AttributePath;
use tfplugin::schema::{Attribute, Schema, validators};
use tfplugin::value;
use tfplugin::value::Type;

use crate::config::SwarmClient;
use crate::instances;
use crate::instances::checks;
use crate::resources::failover_pair;

pub struct FailoverPairLookup;

/// What the data source exports.
#[derive(Debug, Serialize)]
struct PairFound {
    id: String,
    name: String,
    active: Option<String>,
    endpoint: Option<String>,
    public_ip: Option<String>,
    active_instance_id: Option<String>,
    primary_instance_id: Option<String>,
    secondary_instance_id: Option<String>,
    primary_availability_zone: Option<String>,
    secondary_availability_zone: Option<String>,
    security_group_id: Option<String>,
    vpc_id: Option<String>,
    ownership_marker: Option<String>,
    health_check_ids: Option<BTreeMap<String, String>>,
    healthy: Option<BTreeMap<String, bool>>,
    health_check_kind: Option<String>,
    node_public_ips: Option<BTreeMap<String, String>>,
}

fn computed(name: &str, description: &str) -> Attribute {
    Attribute::string(name).computed().description(description)
}

#[tfplugin::async_trait]
impl DataSource<SwarmClient> for FailoverPairLookup {
    fn type_name(&self) -> &'static str {
        "swarm_failover_pair"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Looks up a `swarm_failover_pair` by name (from this configuration or another): \
             its endpoint and nodes as they are in AWS. It is an error if no such pair exists.",
        )
        .attribute(
            Attribute::string("name")
                .required()
                .description("The pair's name.")
                .validator(validators::string_check(
                    "1 to 64 letters, digits or hyphens",
                    checks::name,
                )),
        )
        .attribute(computed("id", "The pair's name."))
        .attribute(computed(
            "active",
            "The active node, `primary` or `secondary`: the one the Elastic IP is on, else the \
             one the pair's last apply made active.",
        ))
        .attribute(computed(
            "endpoint",
            "Where clients reach the active node: the DNS name of its failover records (with \
             `dns`), else the Elastic IP, else its private IP.",
        ))
        .attribute(
            Attribute::map_of("health_check_ids", Type::String)
                .computed()
                .description("Each node's Route 53 health check, keyed `primary` and `secondary`."),
        )
        .attribute(
            Attribute::map_of("healthy", Type::Bool)
                .computed()
                .description("Each node's health as Route 53 reports it now."),
        )
        .attribute(computed(
            "health_check_kind",
            "`endpoint`, `cloudwatch-alarm`, or null for a pair without health checks.",
        ))
        .attribute(
            Attribute::map_of("node_public_ips", Type::String)
                .computed()
                .description("Each node's public address, with endpoint-kind checks."),
        )
        .attribute(computed("public_ip", "The Elastic IP (null without one)."))
        .attribute(computed(
            "active_instance_id",
            "The active node's instance.",
        ))
        .attribute(computed("primary_instance_id", "The primary's instance."))
        .attribute(computed(
            "secondary_instance_id",
            "The secondary's instance.",
        ))
        .attribute(computed("primary_availability_zone", "The primary's zone."))
        .attribute(computed(
            "secondary_availability_zone",
            "The secondary's zone.",
        ))
        .attribute(computed("security_group_id", "The pair's security group."))
        .attribute(
            Attribute::string("vpc_id")
                .optional()
                .computed()
                .description(
                    "Only a pair in this VPC. Needed when pairs of this name exist in several VPCs \
             (stacks that each call their pair the same); otherwise it shows the pair's VPC.",
                ),
        )
        .attribute(
            Attribute::string("ownership_marker")
                .optional()
                .computed()
                .description(
                    "The pair's `ownership_marker` (its objects' `swarm:owner` tag). Set it to \
                     pick one of several pairs of this name; otherwise it shows the marker of \
                     the pair found.",
                ),
        )
    }

    async fn read(
        &self,
        client: &SwarmClient,
        req: &DataSourceRequest,
        resp: &mut DataSourceResponse,
    ) {
        let name_path = AttributePath::attr("name");
        let (name, narrowing) = match instances::lookup::lookup(req, "the pair") {
            Ok(lookup) => lookup,
            Err(d) => return resp.diagnostics.extend(d),
        };
        let found = match failover_pair::find(client, &name, &narrowing).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                let narrowed = match (&narrowing.vpc_id, &narrowing.marker) {
                    (None, None) => String::new(),
                    _ => " with that vpc_id and ownership_marker".to_owned(),
                };
                return resp.diagnostics.attribute_error(
                    name_path,
                    "No such swarm_failover_pair",
                    format!(
                        "No swarm_failover_pair named {name:?}{narrowed} exists in {}.",
                        client.region
                    ),
                );
            }
            Err(d) => return resp.diagnostics.push(d.at(name_path)),
        };
        let s = found.state;
        let state = PairFound {
            id: name.clone(),
            name,
            active: s.active,
            endpoint: s.endpoint,
            public_ip: s.public_ip,
            active_instance_id: s.active_instance_id,
            primary_instance_id: s.primary_instance_id,
            secondary_instance_id: s.secondary_instance_id,
            primary_availability_zone: s.primary_availability_zone,
            secondary_availability_zone: s.secondary_availability_zone,
            security_group_id: s.security_group_id,
            vpc_id: narrowing.vpc_id.or(found.vpc_id),
            health_check_ids: s.health_check_ids,
            healthy: s.healthy,
            health_check_kind: s.health_check_kind,
            node_public_ips: s.node_public_ips,
            ownership_marker: found.marker,
        };
        match value::to_value(&state).and_then(|v| v.conform(&self.schema().value_type())) {
            Ok(state) => resp.state = state,
            Err(e) => resp.diagnostics.error(
                "Cannot record the swarm_failover_pair data source",
                e.to_string(),
            ),
        }
    }
}
