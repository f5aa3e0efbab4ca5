//! The schema of `swarm_node`: every attribute, its description (the
//! Registry docs are generated from them), validators and defaults.

use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{Type, Value};

use super::checks;
use crate::instances::{self, checks as instance_checks};
use crate::ownership;
use crate::resources::attributes;

fn computed_list(name: &str, description: &str) -> Attribute {
    Attribute::list_of(name, Type::String)
        .computed()
        .description(description)
}

/// The name's attribute, shared with the data source.
pub fn name_attribute() -> Attribute {
    Attribute::string("name")
        .required()
        .description(
            "The node's name, 1 to 64 letters, digits or hyphens. Instances are named \
             `<name>-1`, `<name>-2`, ...; every object is tagged `swarm:node = <name>`. \
             Changing it replaces the node.",
        )
        .validator(validators::string_check(
            "1 to 64 letters, digits or hyphens",
            checks::name,
        ))
}

pub fn schema() -> Schema {
    Schema::new(
        "A pool of hardened EC2 instances that run agent processes, spread round-robin over the \
         availability zones of `subnet_ids`.\n\n\
         Every instance requires IMDSv2 (hop limit 1), has an encrypted gp3 root volume and no \
         public IP unless `associate_public_ip` is set. It boots a short script that writes \
         `/etc/swarm/agent.env` (`AGENTS_PER_INSTANCE`, `MCP_PORT`) and a systemd template \
         `swarm-agent@.service` running `/usr/local/bin/swarm-agent` (from the AMI or from \
         `user_data`), runs `user_data`, then starts `agents_per_instance` agents.\n\n\
         The node's security group lets in only TCP on `mcp_port` from `allowed_cidrs`; rules \
         added out of band are removed. Egress stays open (the group's default rule): agents \
         call model APIs and tools.\n\n\
         Changes: `instance_count` adds or removes the highest-numbered instances and leaves \
         the others alone; `instance_type` is changed in place, one instance at a time (stop, \
         modify, start); `ami`, `subnet_ids`, `user_data`, `agents_per_instance`, `mcp_port`, \
         `root_volume_size` and `associate_public_ip` replace the instances within the update \
         (new ones run before the old ones are terminated; the security group is kept); \
         `allowed_cidrs`, `mcp_port` and tags change the security group and tags in place.\n\n\
         Instances terminated or resized out of band show in the plan, and apply repairs them. \
         Timeouts default to 15m (create), 30m (update) and 15m (delete).",
    )
    .attribute(
        Attribute::string("id")
            .computed()
            .description("The node's name.")
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(name_attribute().plan_modifier(plan_modifiers::requires_replace()))
    .attribute(
        Attribute::string("ami")
            .optional()
            .computed()
            .description(
                "The image instances boot. Default: the newest Canonical Ubuntu LTS amd64 server \
                 image of the region, looked up when the node is created and kept afterwards.",
            )
            .validator(validators::string_check(
                "an AMI id such as ami-0123abcd",
                instance_checks::ami,
            )),
    )
    .attribute(
        Attribute::string("instance_type")
            .optional()
            .computed()
            .description(
                "EC2 instance type. Default by the provider's `environment`: `t3.small` \
                 (development), `t3.medium` (staging), `t3.large` (production). It must be \
                 offered in every zone of `subnet_ids` (not every zone offers every type): the \
                 plan refuses it otherwise, naming the nearest types that are.",
            )
            .validator(validators::string_check(
                "an instance type such as t3.large",
                instance_checks::instance_type,
            )),
    )
    .attribute(
        Attribute::number("instance_count")
            .optional()
            .computed()
            .description("How many instances, 0 to 100. Default: 1 in development, 2 otherwise.")
            .validator(validators::int_between(0, 100)),
    )
    .attribute(
        Attribute::set_of("subnet_ids", Type::String)
            .optional()
            .computed()
            .description(
                "Subnets of one VPC, at most one per availability zone; instance `i` goes to \
                 the `i mod n`-th of them in zone order. Default: the default VPC's default \
                 subnets in the zones that offer `instance_type`.",
            )
            .validator(validators::each(validators::string_check(
                "a subnet id such as subnet-0123abcd",
                instance_checks::subnet_id,
            )))
            .validator(instance_checks::Size { min: 1, max: 32 }),
    )
    .attribute(instances::schema::agents_per_instance("instance"))
    .attribute(instances::schema::mcp_port("instance"))
    .attribute(instances::schema::allowed_cidrs())
    .attribute(instances::schema::root_volume_size())
    .attribute(instances::schema::user_data("first boot"))
    .attribute(
        Attribute::bool("associate_public_ip")
            .default_value(Value::Bool(false))
            .description(
                "Give instances a public IPv4 address. Off by default: no public IP unless asked.",
            ),
    )
    .attribute(attributes::tags(
        "every object of the node (instances, volumes, network interfaces, the security group)",
        &checks::TAGGING,
    ))
    .attribute(attributes::tags_all())
    .attribute(computed_list(
        "instance_ids",
        "Instance ids, in instance order.",
    ))
    .attribute(computed_list(
        "private_ips",
        "Private IPv4 addresses, in instance order.",
    ))
    .attribute(computed_list(
        "availability_zones",
        "Each instance's availability zone, in instance order.",
    ))
    .attribute(computed_list("arns", "Instance ARNs, in instance order."))
    .attribute(
        Attribute::string("security_group_id")
            .computed()
            .description("The node's security group."),
    )
    .attribute(computed_list(
        "ingress_rules",
        "The security group's ingress rules as found, e.g. `tcp/3000 from 10.20.0.0/16`: \
         anything else than `mcp_port` from `allowed_cidrs` shows here and is removed by apply.",
    ))
    .attribute(ownership::attribute())
    .block(timeouts::block(&["create", "update", "delete"]))
}
