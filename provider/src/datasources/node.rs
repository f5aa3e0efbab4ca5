//! `swarm_node` data source: a node's instances and security group, by
//! name (their `swarm:node` tag). Two stacks may each have a node of one
//! name: then `vpc_id` or `ownership_marker` says which (see
//! `crate::ownership`).

use serde::Serialize;
use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::path::AttributePath;
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{self, Type};

use crate::config::SwarmClient;
use crate::instances;
use crate::resources::node;

pub struct NodeLookup;

/// What the data source exports.
#[derive(Debug, Serialize)]
struct NodeFound {
    id: String,
    name: String,
    instance_ids: Vec<String>,
    private_ips: Vec<String>,
    availability_zones: Vec<String>,
    arns: Vec<String>,
    instance_type: Option<String>,
    security_group_id: Option<String>,
    vpc_id: Option<String>,
    ownership_marker: Option<String>,
}

fn list(name: &str, description: &str) -> Attribute {
    Attribute::list_of(name, Type::String)
        .computed()
        .description(description)
}

#[tfplugin::async_trait]
impl DataSource<SwarmClient> for NodeLookup {
    fn type_name(&self) -> &'static str {
        "swarm_node"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Looks up a `swarm_node` by name (from this configuration or another): its \
             instances, in instance order, and its security group. It is an error if no \
             such node exists.",
        )
        .attribute(node::name_attribute())
        .attribute(
            Attribute::string("id")
                .computed()
                .description("The node's name."),
        )
        .attribute(list("instance_ids", "Instance ids, in instance order."))
        .attribute(list(
            "private_ips",
            "Private IPv4 addresses, in instance order.",
        ))
        .attribute(list(
            "availability_zones",
            "Each instance's availability zone, in instance order.",
        ))
        .attribute(list("arns", "Instance ARNs, in instance order."))
        .attribute(
            Attribute::string("instance_type")
                .computed()
                .description("The instances' type (null without instances)."),
        )
        .attribute(
            Attribute::string("security_group_id")
                .computed()
                .description("The node's security group (null if it has none)."),
        )
        .attribute(Attribute::string("vpc_id").optional().description(
            "Only a node in this VPC. Needed when nodes of this name exist in several \
                     VPCs (stacks that each call their node the same).",
        ))
        .attribute(
            Attribute::string("ownership_marker")
                .optional()
                .computed()
                .description(
                    "The node's `ownership_marker` (its objects' `swarm:owner` tag). Set it to \
                     pick one of several nodes of this name; otherwise it shows the marker of \
                     the node found (null for a node whose objects carry none).",
                ),
        )
    }

    async fn read(
        &self,
        client: &SwarmClient,
        req: &DataSourceRequest,
        resp: &mut DataSourceResponse,
    ) {
        let (name, narrowing) = match instances::lookup::lookup(req, "the node") {
            Ok(lookup) => lookup,
            Err(d) => return resp.diagnostics.extend(d),
        };
        let found = match node::find(client, &name, &narrowing).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                let narrowed = match (&narrowing.vpc_id, &narrowing.marker) {
                    (None, None) => String::new(),
                    _ => " with that vpc_id and ownership_marker".to_owned(),
                };
                return resp.diagnostics.attribute_error(
                    AttributePath::attr("name"),
                    "No such swarm_node",
                    format!(
                        "No swarm_node named {name:?}{narrowed} exists in {}.",
                        client.region
                    ),
                );
            }
            Err(d) => return resp.diagnostics.push(d.at(AttributePath::attr("name"))),
        };
        let state = NodeFound {
            id: name.clone(),
            name,
            instance_ids: found.instance_ids,
            private_ips: found.private_ips,
            availability_zones: found.availability_zones,
            arns: found.arns,
            instance_type: found.instance_type,
            vpc_id: narrowing.vpc_id,
            ownership_marker: found.marker,
            security_group_id: found.security_group_id,
        };
        match value::to_value(&state).and_then(|v| v.conform(&self.schema().value_type())) {
            Ok(state) => resp.state = state,
            Err(e) => resp
                .diagnostics
                .error("Cannot record the swarm_node data source", e.to_string()),
        }
    }
}
