//! `swarm_node`: a pool of hardened EC2 hosts running agent processes,
//! spread over availability zones, behind a security group that opens
//! only the MCP port.
//!
//! Every AWS object carries `swarm:node = <name>`: read, import, drift
//! detection and destroy find the node's objects by that tag, and the
//! settings `terraform import` needs are tags too (see `cloud`).

mod bootstrap;
mod checks;
mod cloud;
mod converge;
mod plan;
mod state;

use std::time::Duration;

use tfplugin::diag::Diagnostic;
use tfplugin::resource::{
    ChangeRequest, ChangeResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{Type, Value};

use self::state::{NodeState, Planned, Progress, Spec, planned};
use crate::config::SwarmClient;
use crate::ec2;
use crate::waiter::Wait;

const CREATE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const UPDATE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The resource.
pub struct Node;

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

fn schema() -> Schema {
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
            .validator(validators::string_check("an AMI id such as ami-0123abcd", checks::ami)),
    )
    .attribute(
        Attribute::string("instance_type")
            .optional()
            .computed()
            .description(
                "EC2 instance type. Default by the provider's `environment`: `t3.small` \
                 (development), `t3.medium` (staging), `t3.large` (production).",
            )
            .validator(validators::string_check(
                "an instance type such as t3.large",
                checks::instance_type,
            )),
    )
    .attribute(
        Attribute::number("instance_count")
            .optional()
            .computed()
            .description(
                "How many instances, 0 to 100. Default: 1 in development, 2 otherwise.",
            )
            .validator(validators::int_between(0, 100)),
    )
    .attribute(
        Attribute::set_of("subnet_ids", Type::String)
            .optional()
            .computed()
            .description(
                "Subnets of one VPC, at most one per availability zone; instance `i` goes to \
                 the `i mod n`-th of them in zone order. Default: the default VPC's default \
                 subnets.",
            )
            .validator(validators::each(validators::string_check(
                "a subnet id such as subnet-0123abcd",
                checks::subnet_id,
            )))
            .validator(checks::Size { min: 1, max: 32 }),
    )
    .attribute(
        Attribute::number("agents_per_instance")
            .default_value(Value::from(state::DEFAULT_AGENTS_PER_INSTANCE))
            .description("Agent processes per instance, 1 to 256 (`AGENTS_PER_INSTANCE`). Default: 1.")
            .validator(validators::int_between(1, 256)),
    )
    .attribute(
        Attribute::number("mcp_port")
            .default_value(Value::from(state::DEFAULT_MCP_PORT))
            .description("The port of the MCP server on each instance (`MCP_PORT`), the only one open. Default: 3000.")
            .validator(validators::int_between(1, 65535)),
    )
    .attribute(
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
            .validator(checks::Size { min: 0, max: 50 }),
    )
    .attribute(
        Attribute::number("root_volume_size")
            .default_value(Value::from(state::DEFAULT_ROOT_VOLUME_SIZE))
            .description("Root volume size in GiB, 8 to 16384; always gp3 and encrypted. Default: 20.")
            .validator(validators::int_between(8, 16384)),
    )
    .attribute(
        Attribute::string("user_data")
            .optional()
            .description(
                "A script run as root at first boot, after the swarm bootstrap and before the \
                 agents start (a `#!` line picks its interpreter; bash otherwise). At most 14 KiB.",
            )
            .validator(validators::string_check("at most 14336 bytes", checks::user_data)),
    )
    .attribute(
        Attribute::bool("associate_public_ip")
            .default_value(Value::Bool(false))
            .description("Give instances a public IPv4 address. Off by default: no public IP unless asked."),
    )
    .attribute(
        Attribute::map_of("tags", Type::String)
            .optional()
            .description(
                "Tags for every object of the node (instances, volumes, network interfaces, the \
                 security group), over the provider's `default_tags`. `Name` and keys starting \
                 with `swarm:` or `aws:` are reserved.",
            )
            .validator(checks::TAG_KEYS),
    )
    .attribute(
        Attribute::map_of("tags_all", Type::String)
            .computed()
            .description("The provider's `default_tags` with `tags`: what the objects carry besides the provider's own tags."),
    )
    .attribute(computed_list("instance_ids", "Instance ids, in instance order."))
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
    .block(timeouts::block(&["create", "update", "delete"]))
}

/// What a data source shows of a node.
#[derive(Debug, Clone)]
pub struct Found {
    pub instance_ids: Vec<String>,
    pub private_ips: Vec<String>,
    pub availability_zones: Vec<String>,
    pub arns: Vec<String>,
    pub security_group_id: Option<String>,
    pub instance_type: Option<String>,
}

/// Looks a node up by name, as `read` does; `None` if nothing of it exists.
pub async fn find(client: &SwarmClient, name: &str) -> Result<Option<Found>, Diagnostic> {
    let observed = cloud::observe(client, name).await?;
    if observed.is_empty() {
        return Ok(None);
    }
    let state = state::refreshed(client, &NodeState::default(), &observed);
    Ok(Some(Found {
        instance_ids: state.instance_ids.unwrap_or_default(),
        private_ips: state.private_ips.unwrap_or_default(),
        availability_zones: state.availability_zones.unwrap_or_default(),
        arns: state.arns.unwrap_or_default(),
        security_group_id: state.security_group_id,
        instance_type: state.instance_type,
    }))
}

fn timeouts_of(value: &Value) -> Value {
    value.get_attr("timeouts").cloned().unwrap_or(Value::Null)
}

/// A planned value that must be known at apply.
fn required<T: serde::de::DeserializeOwned>(plan: &Value, name: &str) -> Result<T, Diagnostic> {
    match planned(plan, name) {
        Planned::Known(v) => Ok(v),
        _ => Err(Diagnostic::error(
            "Value unknown at apply",
            format!("{name} is not known at apply; this is a bug in the provider."),
        )),
    }
}

/// The plan, resolved into what apply makes exist. Values the plan could
/// not know yet (a default that depends on unknown subnets) are looked
/// up now.
async fn spec_of(client: &SwarmClient, plan: &Value) -> Result<Spec, Diagnostic> {
    let name: String = required(plan, "name")?;
    let ami = match planned(plan, "ami") {
        Planned::Known(ami) => ami,
        _ => cloud::newest_ubuntu_lts(client).await?,
    };
    let subnet_ids = match planned(plan, "subnet_ids") {
        Planned::Known(ids) => ids,
        _ => ec2::default_subnets(client).await?,
    };
    let allowed_cidrs = match planned(plan, "allowed_cidrs") {
        Planned::Known(cidrs) => cidrs,
        _ => {
            let subnets = cloud::subnets(client, &subnet_ids).await?;
            let vpc = subnets
                .first()
                .map(|s| s.vpc_id.clone())
                .unwrap_or_default();
            vec![ec2::vpc_cidr(client, &vpc).await?]
        }
    };
    let count: i64 = required(plan, "instance_count")?;
    Ok(Spec {
        name,
        ami,
        instance_type: required(plan, "instance_type")?,
        instance_count: usize::try_from(count).unwrap_or(0),
        subnet_ids,
        agents_per_instance: required(plan, "agents_per_instance")?,
        mcp_port: required(plan, "mcp_port")?,
        allowed_cidrs,
        root_volume_size: required(plan, "root_volume_size")?,
        user_data: match planned(plan, "user_data") {
            Planned::Known(text) => Some(text),
            _ => None,
        },
        associate_public_ip: required(plan, "associate_public_ip")?,
        tags: match planned(plan, "tags") {
            Planned::Known(tags) => Some(tags),
            _ => None,
        },
    })
}

/// Create and update: converge on the plan; on failure, the state of
/// what exists.
async fn apply(
    client: &SwarmClient,
    req: &ChangeRequest,
    resp: &mut ChangeResponse,
    operation: &str,
    default_timeout: Duration,
) {
    let spec = match spec_of(client, &req.plan).await {
        Ok(spec) => spec,
        Err(d) => return resp.diagnostics.push(d),
    };
    let timeout = match timeouts::get(&req.config, operation, default_timeout) {
        Ok(timeout) => timeout,
        Err(d) => return resp.diagnostics.push(d),
    };
    let prior = match req.prior_state {
        Value::Null => None,
        ref prior => NodeState::from_value(prior).ok(),
    };
    let wait = Wait::new(timeout, &req.cancel);
    let mut progress = Progress::default();
    let prior_tags = prior.as_ref().and_then(|p| p.tags_all.as_ref());
    let result = converge::converge(client, &spec, prior_tags, &mut progress, &wait).await;
    let anything = progress.group.is_some() || !progress.instances.is_empty();
    if let Err(d) = result {
        resp.diagnostics.push(d);
        if !anything {
            return;
        }
    }
    let ty = schema().value_type();
    match spec
        .state(client, &progress, prior.as_ref())
        .to_value(&ty, timeouts_of(&req.plan))
    {
        Ok(state) => resp.new_state = state,
        Err(d) => resp.diagnostics.push(d),
    }
}

#[tfplugin::async_trait]
impl Resource<SwarmClient> for Node {
    fn type_name(&self) -> &'static str {
        "swarm_node"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        plan::modify_plan(client, req, resp).await;
    }

    async fn create(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        apply(client, req, resp, "create", CREATE_TIMEOUT).await;
    }

    async fn read(&self, client: &SwarmClient, req: &ReadRequest, resp: &mut ReadResponse) {
        let prior = match NodeState::from_value(&req.state) {
            Ok(prior) => prior,
            Err(d) => return resp.diagnostics.push(d),
        };
        let Some(name) = prior.name.clone().or_else(|| prior.id.clone()) else {
            return resp
                .diagnostics
                .error("No name in state", "The swarm_node state has no name.");
        };
        let observed = match cloud::observe(client, &name).await {
            Ok(observed) => observed,
            Err(d) => return resp.diagnostics.push(d),
        };
        if observed.is_empty() {
            resp.new_state = Value::Null;
            return;
        }
        // An import leaves only the name: everything else comes from AWS.
        let state = if prior.instance_count.is_none() {
            match state::imported(client, &name, &observed).await {
                Ok(state) => state,
                Err(d) => return resp.diagnostics.push(d),
            }
        } else {
            state::refreshed(client, &prior, &observed)
        };
        match state.to_value(&schema().value_type(), timeouts_of(&req.state)) {
            Ok(state) => resp.new_state = state,
            Err(d) => resp.diagnostics.push(d),
        }
    }

    async fn update(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        apply(client, req, resp, "update", UPDATE_TIMEOUT).await;
    }

    async fn delete(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let prior = match NodeState::from_value(&req.prior_state) {
            Ok(prior) => prior,
            Err(d) => return resp.diagnostics.push(d),
        };
        let Some(name) = prior.name.or(prior.id) else {
            return;
        };
        let timeout = match timeouts::get(&req.prior_state, "delete", DELETE_TIMEOUT) {
            Ok(timeout) => timeout,
            Err(d) => return resp.diagnostics.push(d),
        };
        let wait = Wait::new(timeout, &req.cancel);
        if let Err(d) = converge::destroy(client, &name, &wait).await {
            resp.diagnostics.push(d);
        }
    }

    async fn import(&self, _client: &SwarmClient, id: &str, resp: &mut ImportResponse) {
        if let Err(why) = checks::name(id) {
            return resp.diagnostics.error(
                "Invalid import id",
                format!(
                    "Import a swarm_node by its name (1 to 64 letters, digits or hyphens): {why}."
                ),
            );
        }
        let state = NodeState {
            id: Some(id.to_owned()),
            name: Some(id.to_owned()),
            ..NodeState::default()
        };
        match state.to_value(&schema().value_type(), Value::Null) {
            Ok(state) => resp.state = state,
            Err(d) => resp.diagnostics.push(d),
        }
    }
}
