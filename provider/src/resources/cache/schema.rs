//! The schema of `swarm_cache`: every attribute, its description (the
//! Registry docs are generated from them), validators and defaults.

use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{Type, Value};

use super::checks;
use super::checks::{
    MAX_REPLICAS, MAX_RETENTION_DAYS, MAX_SHARDS, aws_id_check, engine_version_check, name_check,
    node_type_check, snapshot_window_check,
};
use super::state::DEFAULT_ENGINE_VERSION;
use crate::ownership;
use crate::resources::attributes::{self, computed_string};

pub fn schema() -> Schema {
    Schema::new(
        "Redis on ElastiCache: a replication group encrypted at rest and in transit, with \
         replicas in other zones, automatic failover and Multi-AZ (from one replica on), daily \
         snapshots, its own cache subnet group, and its own security group that lets in TCP \
         6379 only from `allowed_security_group_ids` (and lets nothing out).\n\n\
         With `shards = 1` the group runs with cluster mode disabled: `primary_endpoint` takes \
         writes and `reader_endpoint` spreads reads over the replicas. With `shards > 1` it \
         runs in cluster mode: `primary_endpoint` is the configuration endpoint, which cluster \
         clients use for everything, and `reader_endpoint` is null.\n\n\
         Changed in place: `node_type`, `engine_version` (upgrades), `replicas`, `shards` \
         (within cluster mode: online resharding), the snapshot settings, the subnets (within \
         one VPC), `allowed_security_group_ids` and `tags`. Replaced: `name`, an engine \
         downgrade, moving between one shard and several (cluster mode cannot be switched in \
         place), and subnets in another VPC.\n\n\
         Every object it makes carries the resource's `ownership_marker` (tag `swarm:owner`), \
         and only objects with it are read, changed or deleted. Replication group ids and \
         cache subnet group names are unique, so a create whose name is taken (by another \
         stack's cache, or one made by hand) fails at plan, and again at apply, before \
         anything is made; the error names the objects and how to import them.\n\n\
         Import takes the replication group id, also of one made by hand: the state (and the \
         configuration `terraform plan -generate-config-out` writes) describes it as found, \
         and the first apply changes it in place only, never replacing it: it stays in its \
         own cache subnet group (read, never changed, tagged or deleted: `subnet_ids` must \
         stay that group's subnets), it stays behind its own security groups \
         (`additional_security_group_ids`), with the provider's group added beside them, and \
         an unencrypted one stays so (`at_rest_encryption_enabled`, \
         `transit_encryption_enabled`) until encryption is asked for, which replaces it.",
    )
    .attribute(computed_string("id", "The cache's name (the replication group id)."))
    .attribute(
        Attribute::string("name")
            .required()
            .description(
                "Name of the cache: the replication group id, and the name of its subnet group. \
                 1 to 40 lowercase letters, digits and hyphens, starting with a letter, without \
                 `--` or a trailing hyphen. Changing it replaces the cache.",
            )
            .validator(validators::string_check(
                "1 to 40 lowercase letters, digits and hyphens, starting with a letter",
                name_check,
            ))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("node_type")
            .optional()
            .computed()
            .description(
                "Node type, e.g. `cache.r7g.large`. Default by the provider's environment: \
                 `cache.t3.micro` in development, `cache.t3.small` in staging, \
                 `cache.t3.medium` in production. Changed in place (online scaling).",
            )
            .validator(validators::string_check("a node type like cache.t3.micro", node_type_check))
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::string("engine_version")
            .default_value(Value::String(DEFAULT_ENGINE_VERSION.to_owned()))
            .description(
                "Redis version: `MAJOR.MINOR` from Redis 6 on (default `7.1`), the full version \
                 before (e.g. `5.0.6`). Upgrades happen in place; a downgrade replaces the cache. \
                 A version ElastiCache does not offer is refused at plan, with the ones it does.",
            )
            .validator(validators::string_check(
                "a Redis version such as 7.1",
                engine_version_check,
            )),
    )
    .attribute(
        Attribute::number("replicas")
            .optional()
            .computed()
            .description(
                "Read replicas per shard, 0 to 5, each in another zone where the subnets allow. \
                 From 1 on, automatic failover and Multi-AZ are on. Default by environment: 0 in \
                 development, 1 in staging and production (and at least 1 with several shards).",
            )
            .validator(validators::int_between(0, MAX_REPLICAS))
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::number("shards")
            .default_value(Value::Number(1.into()))
            .description(
                "Shards (node groups), 1 to 500 (default 1). More than 1 runs the group in \
                 cluster mode, which needs `replicas` of at least 1. Changed in place between \
                 counts above 1 (online resharding); going from 1 to more, or back, replaces \
                 the cache.",
            )
            .validator(validators::int_between(1, MAX_SHARDS)),
    )
    .attribute(
        Attribute::set_of("subnet_ids", Type::String)
            .required()
            .description(
                "Subnets of the cache subnet group, all in one VPC, in at least two zones when \
                 `replicas >= 1`; typically `swarm_network.main.database_subnet_ids`. Subnets \
                 in another VPC replace the cache.",
            )
            .validator(validators::size_between(1, 20))
            .validator(validators::each(validators::string_check(
                "a subnet id like subnet-0123abcd",
                aws_id_check("subnet-"),
            ))),
    )
    .attribute(
        Attribute::set_of("allowed_security_group_ids", Type::String)
            .default_value(Value::Set(Vec::new()))
            .description(
                "Security groups whose members may connect to Redis (TCP 6379), e.g. \
                 `[swarm_node.agents.security_group_id]`. Default: none, so nothing can connect. \
                 Any other rule found on the cache's security group (added out of band) is \
                 shown here as a description such as `tcp/22 from 0.0.0.0/0`, so that the plan \
                 shows it being removed.",
            )
            .validator(validators::each(validators::string_check(
                "a security group id like sg-0123abcd",
                aws_id_check("sg-"),
            ))),
    )
    .attribute(
        Attribute::number("snapshot_retention_days")
            .optional()
            .computed()
            .description(
                "Days a daily snapshot is kept, 0 (no snapshots) to 35. Default by environment: \
                 1 in development, 3 in staging, 7 in production.",
            )
            .validator(validators::int_between(0, MAX_RETENTION_DAYS))
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::string("snapshot_window")
            .optional()
            .computed()
            .description(
                "Daily time range (UTC) of the snapshot, `HH:MM-HH:MM`, at least 60 minutes, \
                 e.g. `05:00-06:00`. Default: a window ElastiCache picks.",
            )
            .validator(validators::string_check(
                "a window like 05:00-06:00 of at least 60 minutes",
                snapshot_window_check,
            ))
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::bool("final_snapshot")
            .default_value(Value::Bool(true))
            .description(
                "Take a snapshot `<name>-final-<UTC time>` of the data when the cache is \
                 destroyed or replaced (`-2`, `-3`, ... appended if a snapshot has that \
                 name already). It outlives the cache; restore it into a new one with \
                 ElastiCache. Default true.",
            ),
    )
    .attribute(attributes::tags(
        "the replication group, subnet group and security group",
        &checks::TAGGING,
    ))
    .attribute(attributes::tags_all())
    .attribute(computed_string("arn", "The replication group's ARN."))
    .attribute(computed_string(
        "primary_endpoint",
        "Where clients connect (TLS): the primary endpoint, or in cluster mode (`shards > 1`) the configuration endpoint.",
    ))
    .attribute(computed_string(
        "reader_endpoint",
        "The endpoint that spreads reads over the replicas; null in cluster mode.",
    ))
    .attribute(
        Attribute::number("port")
            .computed()
            .description("The port Redis listens on (6379).")
            .plan_modifier(plan_modifiers::use_state_for_unknown()),
    )
    .attribute(
        Attribute::bool("multi_az")
            .computed()
            .description("Whether Multi-AZ with automatic failover is on (it is when `replicas >= 1`)."),
    )
    .attribute(attributes::additional_security_group_ids(
        "the cache's nodes",
    ))
    .attribute(attributes::encryption(
        "at_rest_encryption_enabled",
        "the cache's data at rest (and its snapshots)",
    ))
    .attribute(attributes::encryption(
        "transit_encryption_enabled",
        "traffic to and between the cache's nodes (TLS)",
    ))
    .attribute(computed_string("security_group_id", "The cache's security group."))
    .attribute(computed_string("vpc_id", "The VPC of the subnets."))
    .attribute(computed_string(
        "subnet_group_name",
        "The cache subnet group: the cache's name for one the provider made; an imported \
         cache's own, which the provider reads but never changes, tags or deletes.",
    ))
    .attribute(ownership::attribute())
    .block(timeouts::block(&["create", "update", "delete"]))
}
