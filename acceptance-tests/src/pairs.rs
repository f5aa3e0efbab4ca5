//! A `swarm_failover_pair`'s instances read back through the SDK, for the
//! tests of the pair (`tests/failover_pair.rs`, `tests/failover_pair_dns.rs`).

use aws_sdk_ec2::types::Instance;

use crate::checks::{err, tag_map};
use crate::fixtures::filter;

/// The instance states a pair's nodes can be in (terminated ones are gone).
pub const LIVE: [&str; 4] = ["pending", "running", "stopping", "stopped"];

/// The live instances of the pairs named `name`; with `owner`, only those
/// of the pair with that marker (`swarm:owner`: two stacks may each have a
/// pair of one name).
pub async fn instances(
    ec2: &aws_sdk_ec2::Client,
    name: &str,
    owner: Option<&str>,
) -> Result<Vec<Instance>, String> {
    let mut request = ec2
        .describe_instances()
        .filters(filter("tag:swarm:failover-pair", &[name]))
        .filters(filter("instance-state-name", &LIVE));
    if let Some(owner) = owner {
        request = request.filters(filter("tag:swarm:owner", &[owner]));
    }
    let out = request.send().await.map_err(err)?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances().iter().cloned())
        .collect())
}

/// The pair's nodes (primary, secondary), by their `swarm:index` tag; an
/// error unless each has exactly one live instance. `owner` as for
/// [`instances`].
pub async fn nodes(
    ec2: &aws_sdk_ec2::Client,
    name: &str,
    owner: Option<&str>,
) -> Result<[Instance; 2], String> {
    let live = instances(ec2, name, owner).await?;
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
