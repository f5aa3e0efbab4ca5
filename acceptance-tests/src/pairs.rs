//! A `swarm_failover_pair`'s instances read back through the SDK, for the
//! tests of the pair (`tests/failover_pair_dns.rs`; `tests/failover_pair.rs`
//! has its own copy from before this module, to be moved here).

use aws_sdk_ec2::types::Instance;

use crate::checks::{err, tag_map};
use crate::fixtures::filter;

/// The instance states a pair's nodes can be in (terminated ones are gone).
pub const LIVE: [&str; 4] = ["pending", "running", "stopping", "stopped"];

/// The live instances of the pair `name`.
pub async fn instances(ec2: &aws_sdk_ec2::Client, name: &str) -> Result<Vec<Instance>, String> {
    let out = ec2
        .describe_instances()
        .filters(filter("tag:swarm:failover-pair", &[name]))
        .filters(filter("instance-state-name", &LIVE))
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances().iter().cloned())
        .collect())
}

/// The pair's nodes (primary, secondary), by their `swarm:index` tag; an
/// error unless each has exactly one live instance.
pub async fn nodes(ec2: &aws_sdk_ec2::Client, name: &str) -> Result<[Instance; 2], String> {
    let live = instances(ec2, name).await?;
    let at = |index: &str| {
        let found: Vec<&Instance> = live
            .iter()
            .filter(|i| tag_map(i.tags()).get("swarm:index").map(String::as_str) == Some(index))
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            other => Err(format!("{} instances of index {index}", other.len())),
        }
    };
    Ok([at("0")?, at("1")?])
}
