//! The schema of `swarm_failover_pair`: every attribute, its description
//! (the Registry docs are generated from them), validators and defaults.

use tfplugin::schema::{
    Attribute, Block, NestedBlock, Schema, plan_modifiers, timeouts, validators,
};
use tfplugin::value::{Type, Value};

use super::checks;
use crate::instances::{self, checks as instance_checks};
use crate::ownership;
use crate::resources::attributes::{self, computed_string};

pub fn schema() -> Schema {
    Schema::new(
        "Two identical EC2 instances, a primary and a secondary, always in two different \
         availability zones, and an endpoint on the active one: a planned switchover moves it \
         from one to the other without replacing either.\n\n\
         Both nodes are launched as a `swarm_node`'s instances are (IMDSv2 only, an encrypted \
         gp3 root volume, the swarm bootstrap then `user_data`, one security group that lets in \
         only TCP on `mcp_port` from `allowed_cidrs`), from the same image, type, volume size \
         and user data.\n\n\
         With `floating_ip`, an Elastic IP is always associated with the active node. Nothing \
         fails over by itself: the Elastic IP moves only when `active` changes and Terraform \
         applies.\n\n\
         Changes: `active` is an update in place of `active`, `active_instance_id` and \
         `endpoint` (the Elastic IP moves; no instance is replaced). `instance_type` is changed \
         in place, the standby first. `ami`, `user_data`, `agents_per_instance`, `mcp_port` and \
         `root_volume_size` roll the pair one node at a time: the standby is replaced first; \
         then the Elastic IP moves to the new standby while the active node is replaced; then \
         it moves back, so that `active` ends as configured. A move of the nodes' zones \
         (`subnet_ids`) is rolled the same way.\n\n\
         A node stopped out of band is started again (its instance id shows as unknown in the \
         plan meanwhile); a node terminated out of band is replaced in its own zone (the other \
         is left alone); an Elastic IP disassociated or moved by hand is put back on the active \
         node.\n\n\
         Health checks and DNS failover (Route 53): with `health_check` or `dns`, each node \
         gets a Route 53 health check (`health_check_ids`, `healthy`). Its kind \
         (`health_check_kind`, known at plan) follows the subnets. In public subnets (a route \
         to an internet gateway) Route 53's checkers connect to each node's public address: \
         each node gets an Elastic IP of its own, kept through stops and replacements, and \
         the security group also lets Route 53's health checkers (AWS's published ranges) \
         reach the health-check port, and nothing else. With `floating_ip` as well, the \
         active node's public address is the floating IP (its own address is kept allocated \
         but unassociated), the standby's is its own; a switchover moves the floating IP, \
         gives the old active node its own address back, and moves both health checks with \
         the addresses. In private subnets each node's check follows a CloudWatch alarm on \
         its status checks (`protocol`, `port`, `path` and `interval_seconds` then do not \
         apply). One public and one private subnet are refused. With `dns`, two failover A \
         record sets of `record_name`: PRIMARY on the active node, SECONDARY on the standby, \
         each with its node's health check, so that Route 53 answers the standby by itself \
         when the active node fails its check; `endpoint` is then the record name.\n\n\
         Without `dns` nothing fails over by itself: the floating IP moves only when `active` \
         changes and Terraform applies. After Route 53 has failed over by itself, `active` \
         stays as configured (Terraform does not fight Route 53) and `healthy` shows the \
         failed node; see the runbook below. Timeouts default to 15m (create), 30m (update) \
         and 15m (delete).",
    )
    .attribute(
        Attribute::string("id")
            .computed()
            .description("The pair's name.")
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::string("name")
            .required()
            .description(
                "The pair's name, 1 to 64 letters, digits or hyphens. The nodes are named \
                 `<name>-primary` and `<name>-secondary`; every object is tagged \
                 `swarm:failover-pair = <name>`. Changing it replaces the pair.",
            )
            .validator(validators::string_check(
                "1 to 64 letters, digits or hyphens",
                instance_checks::name,
            ))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::list_of("subnet_ids", Type::String)
            .required()
            .description(
                "Subnets of one VPC in at least two availability zones. The primary goes to the \
                 first subnet, the secondary to the first subnet of another zone, in the order \
                 given (`primary_availability_zone` and `secondary_availability_zone` say \
                 which). Subnets of a single zone are refused at plan (or, when they are known \
                 only at apply, before anything is created).",
            )
            .validator(validators::each(validators::string_check(
                "a subnet id such as subnet-0123abcd",
                instance_checks::subnet_id,
            )))
            .validator(instance_checks::Size { min: 2, max: 32 }),
    )
    .attribute(
        Attribute::string("ami")
            .optional()
            .computed()
            .description(
                "The image both nodes boot. Default: the newest Canonical Ubuntu LTS amd64 server \
                 image of the region, looked up when the pair is created and kept afterwards. A \
                 change rolls the pair, the standby first.",
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
                "EC2 instance type of both nodes. Default by the provider's `environment`: \
                 `t3.small` (development), `t3.medium` (staging), `t3.large` (production). It \
                 must be offered in both zones: the plan refuses it otherwise, naming the \
                 nearest types that are. Changed in place (stop, modify, start), the standby \
                 first.",
            )
            .validator(validators::string_check(
                "an instance type such as t3.large",
                instance_checks::instance_type,
            )),
    )
    .attribute(instances::schema::agents_per_instance("node"))
    .attribute(instances::schema::mcp_port("node"))
    .attribute(instances::schema::allowed_cidrs())
    .attribute(instances::schema::root_volume_size())
    .attribute(instances::schema::user_data("first boot of each node"))
    .attribute(
        Attribute::string("active")
            .default_value(Value::from("primary"))
            .description(
                "The node that holds the endpoint, `primary` or `secondary`. Changing it is a \
                 planned switchover, in place: the Elastic IP moves, and with `dns` the PRIMARY \
                 and SECONDARY records swap; no instance is replaced. Route 53 failing over by \
                 itself does not change it. Default: `primary`.",
            )
            .validator(validators::string_check(
                "\"primary\" or \"secondary\"",
                checks::active,
            )),
    )
    .attribute(
        Attribute::bool("floating_ip")
            .default_value(Value::Bool(false))
            .description(
                "An Elastic IP always associated with the active node (`public_ip`); the \
                 subnets need a route to an internet gateway. Default: false (the endpoint is \
                 the active node's private IP).",
            ),
    )
    .attribute(attributes::tags(
        "every object of the pair (instances, volumes, network interfaces, the security group, \
         the Elastic IP)",
        &checks::TAGGING,
    ))
    .attribute(attributes::tags_all())
    .attribute(computed_string(
        "primary_instance_id",
        "The primary node's instance.",
    ))
    .attribute(computed_string(
        "secondary_instance_id",
        "The secondary node's instance.",
    ))
    .attribute(computed_string(
        "primary_availability_zone",
        "The primary's zone: that of the first of `subnet_ids`.",
    ))
    .attribute(computed_string(
        "secondary_availability_zone",
        "The secondary's zone: the first other zone in `subnet_ids`.",
    ))
    .attribute(computed_string(
        "active_instance_id",
        "The instance that holds the endpoint (with `floating_ip`, the one the Elastic IP is \
         associated with as last read).",
    ))
    .attribute(computed_string(
        "public_ip",
        "The Elastic IP, with `floating_ip`.",
    ))
    .attribute(computed_string(
        "endpoint",
        "Where clients reach the active node: `dns.record_name` with `dns` (null while its \
         record sets are not as configured), else the Elastic IP with `floating_ip`, else the \
         active node's private IP.",
    ))
    .attribute(computed_string(
        "security_group_id",
        "The pair's security group.",
    ))
    .attribute(
        Attribute::map_of("health_check_ids", Type::String)
            .computed()
            .description(
                "Each node's Route 53 health check, keyed `primary` and `secondary` (for \
                 alarms of your own). A node is listed only while its check exists as the \
                 configuration wants it; empty without `health_check` and `dns`.",
            ),
    )
    .attribute(
        Attribute::map_of("healthy", Type::Bool)
            .computed()
            .description(
                "Each node's health as Route 53 reported it when last read, keyed `primary` \
                 and `secondary`. After Route 53 has failed over by itself, the failed node \
                 shows `false` while `active` stays as configured.",
            ),
    )
    .attribute(computed_string(
        "health_check_kind",
        "How the nodes are checked: `endpoint` (public subnets: Route 53 connects to each \
         node's public address) or `cloudwatch-alarm` (private subnets: each check follows a \
         status-check alarm of its node); null without `health_check` and `dns`. Known at \
         plan once the subnets are.",
    ))
    .attribute(
        Attribute::map_of("node_public_ips", Type::String)
            .computed()
            .description(
                "Each node's public address, keyed `primary` and `secondary`, with \
                 endpoint-kind checks: the floating IP on the active node with `floating_ip`, \
                 else the node's own Elastic IP.",
            ),
    )
    .attribute(ownership::attribute())
    .block(health_check_block())
    .block(dns_block())
    .block(timeouts::block(&["create", "update", "delete"]))
}

fn health_check_block() -> NestedBlock {
    NestedBlock::single(
        "health_check",
        Block::new(
            "What \"healthy\" means for Route 53's checks of each node (at most one block). \
             Unset attributes take their defaults. For a pair in private subnets only \
             `failure_threshold` applies (1: the alarm rises after one failed minute; more: \
             after two); the plan warns about the others.",
        )
        .attribute(
            Attribute::string("protocol")
                .optional()
                .description(
                    "`HTTP`, `HTTPS` or `TCP`. Default: `TCP`. A change replaces the checks.",
                )
                .validator(validators::string_check(
                    "HTTP, HTTPS or TCP",
                    checks::protocol,
                )),
        )
        .attribute(
            Attribute::number("port")
                .optional()
                .description("The port checked. Default: `mcp_port`."),
        )
        .attribute(Attribute::string("path").optional().description(
            "The path requested, HTTP and HTTPS only (a path with TCP is refused). \
                     Default: `/`.",
        ))
        .attribute(
            Attribute::number("interval_seconds")
                .optional()
                .description(
                    "Seconds between checks, 10 or 30 (Route 53's intervals). Default: 30. A \
                     change replaces the checks.",
                ),
        )
        .attribute(
            Attribute::number("failure_threshold")
                .optional()
                .description(
                    "Failed checks in a row that make a node unhealthy, 1 to 10. Default: 3.",
                ),
        ),
    )
}

fn dns_block() -> NestedBlock {
    NestedBlock::single(
        "dns",
        Block::new(
            "Automatic failover through Route 53 (at most one block): two failover A record \
             sets of `record_name` in `zone_id`, PRIMARY on the active node and SECONDARY on \
             the standby, each with its node's health check. Health checks are made with the \
             `health_check` defaults when that block is left out. In private subnets the \
             records hold private addresses and belong in a private zone (the plan warns \
             about a public one). Changing `zone_id` or `record_name` moves the records.",
        )
        .attribute(
            Attribute::string("zone_id")
                .required()
                .description("The hosted zone; it must exist (checked at plan).")
                .validator(validators::string_check(
                    "a hosted zone id such as Z0123456789ABC",
                    checks::zone_id,
                )),
        )
        .attribute(
            Attribute::string("record_name")
                .required()
                .description(
                    "The name clients resolve, in the zone (compared without case or the final \
                     dot).",
                )
                .validator(validators::string_check("a DNS name", checks::record_name)),
        )
        .attribute(
            Attribute::number("ttl")
                .optional()
                .description("The records' TTL in seconds, 0 to 86400. Default: 60.")
                .validator(validators::int_between(0, 86400)),
        ),
    )
}
