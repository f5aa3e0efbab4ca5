//! The schema of `swarm_network`: every attribute, its description (the
//! Registry docs are generated from them), validators and defaults.

use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{Type, Value};

use super::checks;
use super::state::{DEFAULT_CIDR, MAX_ZONES};
use crate::ownership;
use crate::resources::attributes::{self, computed_string};

fn computed_list(name: &str, description: &str) -> Attribute {
    Attribute::list_of(name, Type::String)
        .computed()
        .description(description)
        .plan_modifier(plan_modifiers::use_state_for_unknown())
}

pub fn schema() -> Schema {
    Schema::new(
        "A multi-AZ network for an agent swarm: a VPC with public, private and database \
         subnets in each availability zone, an internet gateway, NAT for the private tier \
         (one per AZ in production, one shared otherwise, which keeps the development and \
         staging tiers' cost at one NAT gateway) and route tables. The database tier has no \
         route to the internet.",
    )
    .attribute(computed_string("id", "The network's name."))
    .attribute(
        Attribute::string("name")
            .required()
            .description("Name of the network; prefixes every object's `Name` tag. Changing it replaces the network.")
            .validator(validators::string_check("1 to 48 letters, digits and hyphens", checks::name))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("cidr_block")
            .default_value(Value::String(DEFAULT_CIDR.to_owned()))
            .description("IPv4 block of the VPC, /16 to /24 (default `10.0.0.0/16`). Each subnet gets a sixteenth of it. \
                 Ranges AWS refuses for a VPC are refused at validate (or, for a block known only at apply, \
                 before anything is made): 0.0.0.0/8, loopback 127.0.0.0/8, link-local 169.254.0.0/16, \
                 multicast 224.0.0.0/4 and reserved 240.0.0.0/4.")
            .validator(validators::string_check("an IPv4 CIDR block from /16 to /24", checks::cidr_block))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::list_of("availability_zones", Type::String)
            .optional()
            .computed()
            .description(
                "Zones to span, 1 to 5. Default: the region's first 3 usable zones in production, \
                 2 in staging and development (RDS needs two zones). Zones added after the \
                 existing ones are built in place, as is the growth of a network made with fewer \
                 zones than its tier's default when this is left out (a development network of \
                 one zone gains a second); removing or reordering zones replaces the network.",
            )
            .validator(validators::size_between(1, MAX_ZONES))
            .validator(validators::unique_elements())
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(attributes::tags("every object of the network", &checks::TAGGING))
    .attribute(attributes::tags_all())
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
    .attribute(ownership::attribute())
    .block(timeouts::block(&["create", "update", "delete"]))
}
