//! `swarm_node` data source: a node's instances and security group, by
//! name, found as the resource finds them (by their `swarm:node` tag).

use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::path::AttributePath;
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Type, Value};

use crate::config::SwarmClient;
use crate::resources::node;

pub struct NodeLookup;

fn list(name: &str, description: &str) -> Attribute {
    Attribute::list_of(name, Type::String)
        .computed()
        .description(description)
}

fn strings(items: Vec<String>) -> Value {
    Value::List(items.into_iter().map(Value::String).collect())
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
    }

    async fn read(
        &self,
        client: &SwarmClient,
        req: &DataSourceRequest,
        resp: &mut DataSourceResponse,
    ) {
        let Some(Value::String(name)) = req.config.get_attr("name") else {
            return resp.diagnostics.attribute_error(
                AttributePath::attr("name"),
                "No name",
                "Set name to the node to look up.",
            );
        };
        let found = match node::find(client, name).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                return resp.diagnostics.attribute_error(
                    AttributePath::attr("name"),
                    "No such swarm_node",
                    format!("No swarm_node named {name:?} exists in {}.", client.region),
                );
            }
            Err(d) => return resp.diagnostics.push(d),
        };
        resp.state = Value::Object(
            [
                ("name".to_owned(), Value::String(name.clone())),
                ("id".to_owned(), Value::String(name.clone())),
                ("instance_ids".to_owned(), strings(found.instance_ids)),
                ("private_ips".to_owned(), strings(found.private_ips)),
                (
                    "availability_zones".to_owned(),
                    strings(found.availability_zones),
                ),
                ("arns".to_owned(), strings(found.arns)),
                ("instance_type".to_owned(), Value::from(found.instance_type)),
                (
                    "security_group_id".to_owned(),
                    Value::from(found.security_group_id),
                ),
            ]
            .into(),
        );
    }
}
