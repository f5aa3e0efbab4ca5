//! The schema attributes of the instance settings every resource that runs
//! hosts has, alike but for the word that names its hosts ("instance",
//! "node"): their descriptions (the Registry docs are generated from them),
//! validators and defaults.

use tfplugin::schema::{Attribute, validators};
use tfplugin::value::{Type, Value};

use super::checks;

pub const DEFAULT_AGENTS_PER_INSTANCE: i64 = 1;
pub const DEFAULT_MCP_PORT: i64 = 3000;
pub const DEFAULT_ROOT_VOLUME_SIZE: i64 = 20;

/// `agents_per_instance`; `host` names one host ("instance", "node").
pub fn agents_per_instance(host: &str) -> Attribute {
    Attribute::number("agents_per_instance")
        .default_value(Value::from(DEFAULT_AGENTS_PER_INSTANCE))
        .description(format!(
            "Agent processes per {host}, 1 to 256 (`AGENTS_PER_INSTANCE`). Default: 1."
        ))
        .validator(validators::int_between(1, 256))
}

/// `mcp_port`; `host` names one host ("instance", "node").
pub fn mcp_port(host: &str) -> Attribute {
    Attribute::number("mcp_port")
        .default_value(Value::from(DEFAULT_MCP_PORT))
        .description(format!(
            "The port of the MCP server on each {host} (`MCP_PORT`), the only one open. \
             Default: 3000."
        ))
        .validator(validators::int_between(1, 65535))
}

/// `allowed_cidrs`: left out, the plan sets the VPC's block.
pub fn allowed_cidrs() -> Attribute {
    Attribute::set_of("allowed_cidrs", Type::String)
        .optional()
        .computed()
        .description(
            "IPv4 blocks that may reach `mcp_port`. Default: the VPC's primary block. An \
             empty set closes the port.",
        )
        .validator(validators::each(validators::string_check(
            "an IPv4 CIDR block such as 10.20.0.0/16",
            checks::ipv4_cidr,
        )))
        .validator(checks::Size { min: 0, max: 50 })
}

/// `root_volume_size`.
pub fn root_volume_size() -> Attribute {
    Attribute::number("root_volume_size")
        .default_value(Value::from(DEFAULT_ROOT_VOLUME_SIZE))
        .description("Root volume size in GiB, 8 to 16384; always gp3 and encrypted. Default: 20.")
        .validator(validators::int_between(8, 16384))
}

/// `user_data`; `first_boot` says when it runs ("first boot", "first boot
/// of each node").
pub fn user_data(first_boot: &str) -> Attribute {
    Attribute::string("user_data")
        .optional()
        .sensitive()
        .description(format!(
            "A script run as root at {first_boot}, after the swarm bootstrap and before the \
             agents start (a `#!` line picks its interpreter; bash otherwise). At most 14 KiB. \
             Sensitive: the configuration `terraform plan -generate-config-out` writes at \
             import has it as null, which would remove it and launch the instances again \
             (the plan warns); write it back in."
        ))
        .validator(validators::string_check(
            "at most 14336 bytes",
            checks::user_data,
        ))
}
