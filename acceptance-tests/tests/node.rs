//! `swarm_node` through terraform against the emulator, each change
//! checked on the real EC2 objects through the SDK, one focused test per
//! concern: `basic` (create: placement, IMDSv2, encrypted gp3 root
//! volumes, no public IP, the security group's single rule, tags, the
//! bootstrap; destroy leaves nothing), `update` (scaling that keeps the
//! surviving instances, type and tag changes in place), `import` (CLI and
//! `import {}`, the same instances), `drift` (a resized instance and an
//! extra rule put right in place), `disappears` (a terminated instance
//! replaced alone), launch changes that replace the instances but keep the
//! group, a move to another VPC, a create failing half way, validation,
//! and the environment's defaults.

use std::future::Future;
use std::sync::Arc;

use acceptance_tests::checks::{
    Memo, drifted, err, has_tags, ingress, open_to_the_world, out_of_band, sdk_check, sent,
    strings, tag_map, tcp_from,
};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{default_subnets, default_vpc, filter, subnet, vpc};
use acceptance_tests::{config, run, test_case, with_import_block};
use aws_sdk_ec2::types::{
    AttributeValue, HttpTokensState, Instance, InstanceAttributeName, InstanceType, SecurityGroup,
    Volume, VolumeType,
};
use serde_json::{Value as Json, json};
use tfplugin::testing::{Check, CheckResult, Step, TestCase};

const NODE: &str = "swarm_node.agents";

type Ec2 = aws_sdk_ec2::Client;

// ---------------------------------------------------------------------------
// Looking at EC2 through the SDK.

/// The node's instances that are not terminated, by index.
async fn live_instances(ec2: &Ec2, name: &str) -> Result<Vec<Instance>, String> {
    let out = ec2
        .describe_instances()
        .filters(filter("tag:swarm:node", &[name]))
        .filters(filter(
            "instance-state-name",
            &["pending", "running", "stopping", "stopped"],
        ))
        .send()
        .await
        .map_err(|e| format!("DescribeInstances: {e:?}"))?;
    let mut instances: Vec<Instance> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances().iter().cloned())
        .collect();
    instances.sort_by_key(|i| {
        tag_map(i.tags())
            .get("swarm:index")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(usize::MAX)
    });
    Ok(instances)
}

async fn groups(ec2: &Ec2, name: &str) -> Result<Vec<SecurityGroup>, String> {
    let out = ec2
        .describe_security_groups()
        .filters(filter("tag:swarm:node", &[name]))
        .send()
        .await
        .map_err(|e| format!("DescribeSecurityGroups: {e:?}"))?;
    Ok(out.security_groups().to_vec())
}

async fn the_group(ec2: &Ec2, name: &str) -> Result<SecurityGroup, String> {
    match groups(ec2, name).await?.as_slice() {
        [group] => Ok(group.clone()),
        other => Err(format!(
            "expected one security group, found {}",
            other.len()
        )),
    }
}

async fn volume(ec2: &Ec2, id: &str) -> Result<Volume, String> {
    let out = ec2
        .describe_volumes()
        .volume_ids(id)
        .send()
        .await
        .map_err(|e| format!("DescribeVolumes: {e:?}"))?;
    out.volumes()
        .first()
        .cloned()
        .ok_or_else(|| format!("no volume {id}"))
}

async fn user_data(ec2: &Ec2, id: &str) -> Result<String, String> {
    let out = ec2
        .describe_instance_attribute()
        .instance_id(id)
        .attribute(InstanceAttributeName::UserData)
        .send()
        .await
        .map_err(|e| format!("DescribeInstanceAttribute: {e:?}"))?;
    let encoded = out.user_data().and_then(|v| v.value()).unwrap_or_default();
    String::from_utf8(base64_decode(encoded).ok_or("user data is not base64")?)
        .map_err(|e| e.to_string())
}

fn ids(instances: &[Instance]) -> Vec<String> {
    instances
        .iter()
        .map(|i| i.instance_id().unwrap_or_default().to_owned())
        .collect()
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for b in text
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
    {
        acc = (acc << 6) | ALPHABET.iter().position(|c| *c == b)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// A check that sees the node's attributes and an EC2 client.
fn node_check<F, Fut>(emulator: &Arc<Emulator>, f: F) -> Check
where
    F: Fn(Ec2, Json) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let f = Arc::new(f);
    sdk_check(emulator, move |e, state| {
        let f = Arc::clone(&f);
        async move { f(e.ec2().await, state.values(NODE)?.clone()).await }
    })
}

/// The state's instance ids equal the node's live instances, in order.
async fn state_matches_ec2(
    ec2: &Ec2,
    values: &Json,
    count: usize,
) -> Result<Vec<Instance>, String> {
    let live = live_instances(ec2, "agents").await?;
    let state_ids = strings(values, "instance_ids");
    if state_ids != ids(&live) || live.len() != count {
        return Err(format!(
            "state lists {state_ids:?}, EC2 has {:?}, expected {count}",
            ids(&live)
        ));
    }
    Ok(live)
}

/// Nothing of the node is left.
fn nothing_left(emulator: &Arc<Emulator>, name: &'static str) -> Check {
    sdk_check(emulator, move |e, _| async move {
        nothing_exists(&e.ec2().await, name).await
    })
}

async fn nothing_exists(ec2: &Ec2, name: &str) -> CheckResult {
    let live = live_instances(ec2, name).await?;
    let groups = groups(ec2, name).await?;
    if live.is_empty() && groups.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "left behind: instances {:?}, groups {:?}",
            ids(&live),
            groups.iter().map(|g| g.group_id()).collect::<Vec<_>>()
        ))
    }
}

// ---------------------------------------------------------------------------
// Configurations.

fn provider(emulator: &Emulator, environment: &str) -> String {
    emulator.provider_block(&format!(
        "  environment  = \"{environment}\"\n  default_tags = {{ team = \"platform\" }}"
    ))
}

/// A node named `agents` in two given subnets.
fn node(emulator: &Emulator, subnets: &[(String, String)], attrs: &str) -> String {
    config(&format!(
        "{}\nresource \"swarm_node\" \"agents\" {{\n  name       = \"agents\"\n  subnet_ids = [\"{}\", \"{}\"]\n{attrs}\n}}\n",
        provider(emulator, "production"),
        subnets[1].0,
        subnets[0].0,
    ))
}

const BASE: &str = r#"
  instance_type       = "t3.small"
  agents_per_instance = 5
  mcp_port            = 3000
  allowed_cidrs       = ["10.20.0.0/16"]
  root_volume_size    = 30
  user_data           = "echo hello from user data > /tmp/hello"
"#;

fn attrs(count: usize, extra: &str) -> String {
    format!("{BASE}  instance_count = {count}\n{extra}")
}

/// Remembers ids of a step (instances, a group), for later steps to
/// compare.
type Saved = Memo<Vec<String>>;

fn save_ids(saved: &Saved) -> Check {
    let saved = saved.clone();
    Check::sync(move |state| saved.set(strings(state.values(NODE)?, "instance_ids")))
}

/// Remembers the node's security group.
fn save_group(saved: &Saved) -> Check {
    let saved = saved.clone();
    Check::sync(move |state| {
        let id = state
            .attr(NODE, "security_group_id")?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        saved.set(vec![id])
    })
}

/// What was remembered (nothing yet: empty).
fn saved(saved: &Saved) -> Vec<String> {
    saved.get().unwrap_or_default()
}

/// The hardened pool of three the `basic` and `update` tests create,
/// checked through the SDK: placement round-robin over the subnets' zones,
/// running, IMDSv2, no public IP, in the node's group, tags on instances
/// and encrypted gp3 root volumes, the bootstrap before the user data, the
/// single ingress rule, ARNs and private IPs.
fn hardened_pool(emulator: &Arc<Emulator>, zones: [String; 2]) -> Check {
    node_check(emulator, move |ec2, values| {
        let zones = zones.clone();
        async move {
            let live = state_matches_ec2(&ec2, &values, 3).await?;
            // Round-robin over the subnets in zone order.
            let expected_zones = vec![&zones[0], &zones[1], &zones[0]];
            let actual: Vec<String> = live
                .iter()
                .map(|i| {
                    i.placement()
                        .and_then(|p| p.availability_zone())
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect();
            if actual.iter().collect::<Vec<_>>() != expected_zones
                || strings(&values, "availability_zones") != actual
            {
                return Err(format!("zones {actual:?}, expected {expected_zones:?}"));
            }
            let group = the_group(&ec2, "agents").await?;
            let group_id = group.group_id().unwrap_or_default();
            if values["security_group_id"] != json!(group_id) {
                return Err(format!("security_group_id {}", values["security_group_id"]));
            }
            for (n, i) in live.iter().enumerate() {
                let id = i.instance_id().unwrap_or_default();
                let what = format!("instance {id}");
                if i.state().and_then(|s| s.name()).map(|s| s.as_str()) != Some("running") {
                    return Err(format!("{what} is not running"));
                }
                if i.instance_type() != Some(&InstanceType::T3Small) {
                    return Err(format!("{what} is {:?}", i.instance_type()));
                }
                let tokens = i.metadata_options().and_then(|m| m.http_tokens());
                if tokens != Some(&HttpTokensState::Required) {
                    return Err(format!("{what}: IMDSv2 not required ({tokens:?})"));
                }
                let hops = i
                    .metadata_options()
                    .and_then(|m| m.http_put_response_hop_limit());
                if !matches!(hops, Some(1 | 2)) {
                    return Err(format!("{what}: hop limit {hops:?}"));
                }
                if i.public_ip_address().is_some_and(|ip| !ip.is_empty()) {
                    return Err(format!("{what} has a public IP"));
                }
                let groups: Vec<&str> = i
                    .network_interfaces()
                    .iter()
                    .flat_map(|n| n.groups())
                    .filter_map(|g| g.group_id())
                    .collect();
                if !groups.contains(&group_id) {
                    return Err(format!("{what} is not in {group_id}: {groups:?}"));
                }
                let name = format!("agents-{}", n + 1);
                let index = n.to_string();
                has_tags(
                    &what,
                    &tag_map(i.tags()),
                    &[
                        ("Name", &name),
                        ("team", "platform"),
                        ("role", "agents"),
                        ("swarm:node", "agents"),
                        ("swarm:role", "instance"),
                        ("swarm:managed-by", "terraform-provider-swarm"),
                        ("swarm:index", &index),
                        ("swarm:agents-per-instance", "5"),
                        ("swarm:mcp-port", "3000"),
                    ],
                    &[],
                )?;
                let volumes: Vec<&str> = i
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| m.ebs()?.volume_id())
                    .collect();
                let [root] = volumes[..] else {
                    return Err(format!("{what} has volumes {volumes:?}"));
                };
                let v = volume(&ec2, root).await?;
                if v.volume_type() != Some(&VolumeType::Gp3)
                    || v.encrypted() != Some(true)
                    || v.size() != Some(30)
                {
                    return Err(format!(
                        "root volume {root}: {:?}, encrypted {:?}, {:?} GiB",
                        v.volume_type(),
                        v.encrypted(),
                        v.size()
                    ));
                }
                has_tags(
                    &format!("volume {root}"),
                    &tag_map(v.tags()),
                    &[
                        ("Name", &name),
                        ("team", "platform"),
                        ("role", "agents"),
                        ("swarm:node", "agents"),
                        ("swarm:role", "root-volume"),
                    ],
                    &[],
                )?;
                let script = user_data(&ec2, id).await?;
                for needle in [
                    "#!/bin/bash\n",
                    "AGENTS_PER_INSTANCE=5\nMCP_PORT=3000\n",
                    "swarm-agent@.service",
                    "echo hello from user data > /tmp/hello\n",
                    "$(seq 1 5)",
                ] {
                    if !script.contains(needle) {
                        return Err(format!("{what}: user data lacks {needle:?}:\n{script}"));
                    }
                }
                let (bootstrap, user) = script
                    .split_once("echo hello from user data")
                    .unwrap_or_default();
                if !bootstrap.contains("/etc/swarm/agent.env") || !user.contains("swarm-agent@$i") {
                    return Err(format!(
                        "{what}: user_data does not run after the bootstrap"
                    ));
                }
            }
            let rules = ingress(&group);
            if rules != tcp_from(3000, &["10.20.0.0/16"]) {
                return Err(format!("ingress {rules:?}"));
            }
            has_tags(
                "security group",
                &tag_map(group.tags()),
                &[
                    ("Name", "agents"),
                    ("team", "platform"),
                    ("role", "agents"),
                    ("swarm:node", "agents"),
                    ("swarm:role", "security-group"),
                    ("swarm:managed-by", "terraform-provider-swarm"),
                ],
                &[],
            )?;
            let arns = strings(&values, "arns");
            let owner_ok = arns.iter().zip(ids(&live)).all(|(arn, id)| {
                arn.starts_with("arn:aws:ec2:us-east-1:")
                    && arn.ends_with(&format!(":instance/{id}"))
            });
            if arns.len() != 3 || !owner_ok {
                return Err(format!("arns {arns:?}"));
            }
            if strings(&values, "private_ips")
                .iter()
                .any(|ip| !ip.starts_with("172.31."))
            {
                return Err(format!("private_ips {}", values["private_ips"]));
            }
            Ok(())
        }
    })
}

/// The first `keep` of the node's `count` instances are the ones `first`
/// remembers: scaling and changes in place leave them running.
fn first_kept(emulator: &Arc<Emulator>, count: usize, keep: usize, first: &Saved) -> Check {
    let first = first.clone();
    node_check(emulator, move |ec2, values| {
        let first = saved(&first);
        async move {
            let live = state_matches_ec2(&ec2, &values, count).await?;
            let now = ids(&live);
            if now.get(..keep) != first.get(..keep) {
                return Err(format!("instances changed: {first:?} then {now:?}"));
            }
            Ok(())
        }
    })
}

/// The node's two instances are exactly the ones `first` remembers.
fn same_instances(emulator: &Arc<Emulator>, first: &Saved) -> Check {
    first_kept(emulator, 2, 2, first)
}

/// A test of a node in the default subnets: the emulator and the subnets
/// (in zone order).
struct Fixture {
    emulator: Arc<Emulator>,
    subnets: Vec<(String, String)>,
}

impl Fixture {
    async fn start() -> Self {
        let emulator = Arc::new(Emulator::start());
        let subnets = default_subnets(&emulator.ec2().await).await;
        Self { emulator, subnets }
    }

    /// The node in the two default subnets, with `count` instances and
    /// `extra` attributes besides [`BASE`].
    fn hcl(&self, count: usize, extra: &str) -> String {
        node(&self.emulator, &self.subnets, &attrs(count, extra))
    }

    /// A test case whose destroy must leave nothing.
    fn case(&self) -> TestCase {
        test_case().check_destroy(nothing_left(&self.emulator, "agents"))
    }

    /// A test case that starts by creating the node `hcl`, its instances
    /// remembered in `first`; destroy must leave nothing.
    fn created(&self, hcl: &str, first: &Saved) -> TestCase {
        self.case().step(Step::apply(hcl).check(save_ids(first)))
    }

    fn zones(&self) -> [String; 2] {
        [self.subnets[0].1.clone(), self.subnets[1].1.clone()]
    }
}

const ROLE_TAG: &str = "  tags = { role = \"agents\" }\n";

/// A test that starts from the node of two instances, remembered in
/// `first`.
struct Pair {
    f: Fixture,
    hcl: String,
    first: Saved,
}

impl Pair {
    async fn start() -> Self {
        let f = Fixture::start().await;
        let hcl = f.hcl(2, ROLE_TAG);
        Self {
            f,
            hcl,
            first: Memo::default(),
        }
    }

    /// A test case that creates the node; destroy must leave nothing.
    fn case(&self) -> TestCase {
        self.f.created(&self.hcl, &self.first)
    }

    /// A plan step after `change` was made out of band.
    fn drifted<F, Fut>(&self, change: F) -> Step
    where
        F: Fn(Arc<Emulator>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        drifted(&self.f.emulator, &self.hcl, change)
    }
}

/// The id of the node's live instance `n` (from 0).
async fn nth_instance(ec2: &Ec2, n: usize) -> Result<String, String> {
    let live = live_instances(ec2, "agents").await?;
    ids(&live)
        .get(n)
        .cloned()
        .ok_or_else(|| format!("no instance {n} of {}", live.len()))
}
const TIER_TAG: &str = "  tags = { tier = \"gold\" }\n";

#[tokio::test]
async fn basic() {
    let f = Fixture::start().await;
    let case = f.case().step(
        Step::apply(f.hcl(3, ROLE_TAG))
            .check(Check::attr_equals(NODE, "id", "agents"))
            .check(Check::attr_equals(
                NODE,
                "ingress_rules",
                json!(["tcp/3000 from 10.20.0.0/16"]),
            ))
            .check(Check::attr_equals(
                NODE,
                "tags_all",
                json!({"team": "platform", "role": "agents"}),
            ))
            .check(hardened_pool(&f.emulator, f.zones())),
    );
    run("node::basic", case).await;
}

/// Scaling keeps the surviving instances; the type and the tags change in
/// place.
#[tokio::test]
async fn update() {
    let f = Fixture::start().await;
    let first: Saved = Memo::default();
    let medium = |tags: &str| f.hcl(2, tags).replace("t3.small", "t3.medium");
    let case = f
        .case()
        .step(Step::apply(f.hcl(3, ROLE_TAG)).check(save_ids(&first)))
        // One more: the three keep running untouched; the fourth goes to
        // the first zone's neighbour.
        .step(
            Step::apply(f.hcl(4, ROLE_TAG))
                .check(first_kept(&f.emulator, 4, 3, &first))
                .check(Check::sync({
                    let zones = f.zones();
                    move |state| {
                        let azs = strings(state.values(NODE)?, "availability_zones");
                        match azs.get(3) {
                            Some(z) if *z == zones[1] => Ok(()),
                            _ => Err(format!("zones {azs:?}")),
                        }
                    }
                })),
        )
        // Two fewer: the highest-numbered go.
        .step(Step::apply(f.hcl(2, ROLE_TAG)).check(same_instances(&f.emulator, &first)))
        // A new type, in place.
        .step(
            Step::apply(medium(ROLE_TAG))
                .check(same_instances(&f.emulator, &first))
                .check(node_check(&f.emulator, |ec2, _| async move {
                    let live = live_instances(&ec2, "agents").await?;
                    match live
                        .iter()
                        .find(|i| i.instance_type() != Some(&InstanceType::T3Medium))
                    {
                        Some(i) => Err(format!("{:?} is {:?}", i.instance_id(), i.instance_type())),
                        None => Ok(()),
                    }
                })),
        )
        // New tags on every object; the dropped key is removed.
        .step(
            Step::apply(medium(TIER_TAG))
                .check(same_instances(&f.emulator, &first))
                .check(Check::attr_equals(
                    NODE,
                    "tags_all",
                    json!({"team": "platform", "tier": "gold"}),
                ))
                .check(node_check(&f.emulator, |ec2, _| async move {
                    let expected = [
                        ("team", "platform"),
                        ("tier", "gold"),
                        ("swarm:node", "agents"),
                    ];
                    for i in live_instances(&ec2, "agents").await? {
                        let id = i.instance_id().unwrap_or_default().to_owned();
                        has_tags(&id, &tag_map(i.tags()), &expected, &["role"])?;
                        for m in i.block_device_mappings() {
                            let vid = m.ebs().and_then(|e| e.volume_id()).unwrap_or_default();
                            let tags = tag_map(volume(&ec2, vid).await?.tags());
                            has_tags(vid, &tags, &expected, &["role"])?;
                        }
                    }
                    let group = the_group(&ec2, "agents").await?;
                    has_tags(
                        "security group",
                        &tag_map(group.tags()),
                        &expected,
                        &["role"],
                    )
                })),
        );
    run("node::update", case).await;
}

/// Import by name: `terraform import` in a fresh state gives the created
/// instances and an empty plan; an `import {}` block applied in a fresh
/// state takes the node over as it is (the same instances), and the plan
/// after it is empty.
#[tokio::test]
async fn import() {
    let p = Pair::start().await;
    let case = p
        .case()
        .step(Step::import(p.hcl.clone(), NODE, "agents").check({
            let first = p.first.clone();
            Check::sync(move |state| {
                let imported = strings(state.values(NODE)?, "instance_ids");
                let created = saved(&first);
                if imported == created {
                    Ok(())
                } else {
                    Err(format!("imported {imported:?}, created {created:?}"))
                }
            })
        }))
        .step(
            Step::import_block(with_import_block(&p.hcl, NODE, "agents"))
                .check(same_instances(&p.f.emulator, &p.first)),
        );
    run("node::import", case).await;
}

/// Out of band, an instance resized and SSH opened to the world: the plan
/// shows both, and apply puts them right without replacing anything.
#[tokio::test]
async fn drift() {
    let p = Pair::start().await;
    let case = p
        .case()
        .step(p.drifted(|e| async move {
            let ec2 = e.ec2().await;
            let id = nth_instance(&ec2, 0).await?;
            ec2.stop_instances()
                .instance_ids(&id)
                .send()
                .await
                .map_err(err)?;
            ec2.modify_instance_attribute()
                .instance_id(&id)
                .instance_type(AttributeValue::builder().value("t3.xlarge").build())
                .send()
                .await
                .map_err(err)?;
            ec2.start_instances()
                .instance_ids(&id)
                .send()
                .await
                .map_err(err)?;
            let group = the_group(&ec2, "agents").await?;
            open_to_the_world(&e, group.group_id().unwrap_or_default(), 22).await
        }))
        .step(
            Step::apply(p.hcl.clone())
                .check(same_instances(&p.f.emulator, &p.first))
                .check(node_check(&p.f.emulator, |ec2, _| async move {
                    let live = live_instances(&ec2, "agents").await?;
                    if let Some(i) = live
                        .iter()
                        .find(|i| i.instance_type() != Some(&InstanceType::T3Small))
                    {
                        return Err(format!(
                            "{:?} is still {:?}",
                            i.instance_id(),
                            i.instance_type()
                        ));
                    }
                    let rules = ingress(&the_group(&ec2, "agents").await?);
                    if rules != tcp_from(3000, &["10.20.0.0/16"]) {
                        return Err(format!("ingress {rules:?}"));
                    }
                    Ok(())
                })),
        );
    run("node::drift", case).await;
}

/// An instance terminated out of band is planned back, and apply replaces
/// it alone.
#[tokio::test]
async fn disappears() {
    let p = Pair::start().await;
    let case = p
        .case()
        .step(p.drifted(|e| async move {
            let ec2 = e.ec2().await;
            let victim = nth_instance(&ec2, 1).await?;
            sent(ec2.terminate_instances().instance_ids(victim).send().await)
        }))
        .step(Step::apply(p.hcl.clone()).check({
            let first = p.first.clone();
            node_check(&p.f.emulator, move |ec2, values| {
                let first = saved(&first);
                async move {
                    let live = state_matches_ec2(&ec2, &values, 2).await?;
                    let now = ids(&live);
                    if now.first() != first.first() || now.get(1) == first.get(1) {
                        return Err(format!("instances {first:?} then {now:?}"));
                    }
                    Ok(())
                }
            })
        }));
    run("node::disappears", case).await;
}

#[tokio::test]
async fn launch_changes_replace_the_instances_and_keep_the_group() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let subnets = default_subnets(&ec2).await;
    let group_id: Saved = Memo::default();
    let first: Saved = Memo::default();
    let with = |extra: &str| {
        node(
            &emulator,
            &subnets,
            &format!("  instance_count = 2\n  ami = \"ami-785db401\"\n{extra}"),
        )
    };
    let same_group = |group_id: &Saved| {
        let group_id = group_id.clone();
        Check::sync(move |state| {
            let now = state.attr(NODE, "security_group_id")?;
            match saved(&group_id).first() {
                Some(id) if now == id => Ok(()),
                other => Err(format!("security group {now}, before {other:?}")),
            }
        })
    };
    let replaced = |first: &Saved, port: i32, cidrs: &'static [&'static str], ami: &'static str| {
        let first = first.clone();
        node_check(&emulator, move |ec2, values| {
            let first = saved(&first);
            async move {
                let live = state_matches_ec2(&ec2, &values, 2).await?;
                if ids(&live).iter().any(|id| first.contains(id)) {
                    return Err(format!("not replaced: {first:?} then {:?}", ids(&live)));
                }
                if let Some(i) = live.iter().find(|i| i.image_id() != Some(ami)) {
                    return Err(format!("{:?} runs {:?}", i.instance_id(), i.image_id()));
                }
                let script = user_data(&ec2, live[0].instance_id().unwrap_or_default()).await?;
                if !script.contains(&format!("MCP_PORT={port}\n")) {
                    return Err(format!("bootstrap without MCP_PORT={port}:\n{script}"));
                }
                let expected = tcp_from(port, cidrs);
                let rules = ingress(&the_group(&ec2, "agents").await?);
                if rules != expected {
                    return Err(format!("ingress {rules:?}, expected {expected:?}"));
                }
                Ok(())
            }
        })
    };

    let case = test_case()
        .step(
            Step::apply(with("  allowed_cidrs = [\"10.20.0.0/16\"]\n"))
                .check(save_ids(&first))
                .check(save_group(&group_id)),
        )
        // Another source: the rule is added in place, nothing replaced.
        .step(
            Step::apply(with(
                "  allowed_cidrs = [\"10.20.0.0/16\", \"10.30.0.0/16\"]\n",
            ))
            .check({
                let first = first.clone();
                node_check(&emulator, move |ec2, values| {
                    let first = saved(&first);
                    async move {
                        let live = state_matches_ec2(&ec2, &values, 2).await?;
                        if ids(&live) != first {
                            return Err(format!("replaced: {first:?} then {:?}", ids(&live)));
                        }
                        let rules = ingress(&the_group(&ec2, "agents").await?);
                        if rules.len() != 2 {
                            return Err(format!("ingress {rules:?}"));
                        }
                        Ok(())
                    }
                })
            })
            .check(same_group(&group_id)),
        )
        // Another image: new instances, the same group.
        .step(
            Step::apply(
                with("  allowed_cidrs = [\"10.20.0.0/16\", \"10.30.0.0/16\"]\n")
                    .replace("ami-785db401", "ami-1e749f67"),
            )
            .check(replaced(
                &first,
                3000,
                &["10.20.0.0/16", "10.30.0.0/16"],
                "ami-1e749f67",
            ))
            .check(same_group(&group_id))
            .check(save_ids(&first)),
        )
        // Another port: the rule moves, and the instances boot with it.
        .step(
            Step::apply(
                with("  allowed_cidrs = [\"10.30.0.0/16\"]\n  mcp_port = 8080\n")
                    .replace("ami-785db401", "ami-1e749f67"),
            )
            .check(replaced(&first, 8080, &["10.30.0.0/16"], "ami-1e749f67"))
            .check(Check::attr_equals(
                NODE,
                "ingress_rules",
                json!(["tcp/8080 from 10.30.0.0/16"]),
            ))
            .check(same_group(&group_id)),
        )
        .check_destroy(nothing_left(&emulator, "agents"));
    run(
        "node::launch_changes_replace_the_instances_and_keep_the_group",
        case,
    )
    .await;
}

#[tokio::test]
async fn defaults_follow_the_environment_and_the_default_vpc() {
    let emulator = Arc::new(Emulator::start());
    let hcl = config(&format!(
        "{}\nresource \"swarm_node\" \"agents\" {{\n  name = \"agents\"\n  timeouts {{\n    create = \"5m\"\n  }}\n}}\n",
        provider(&emulator, "development")
    ));
    let case = test_case()
        .step(
            Step::apply(hcl)
                .check(Check::attr_equals(NODE, "instance_type", "t3.small"))
                .check(Check::attr_equals(NODE, "instance_count", 1))
                .check(Check::attr_equals(NODE, "agents_per_instance", 1))
                .check(Check::attr_equals(NODE, "associate_public_ip", false))
                .check(node_check(&emulator, |ec2, values| async move {
                    let live = state_matches_ec2(&ec2, &values, 1).await?;
                    let instance = &live[0];
                    if instance.instance_type() != Some(&InstanceType::T3Small) {
                        return Err(format!("type {:?}", instance.instance_type()));
                    }
                    // The newest Canonical Ubuntu LTS image EC2 lists.
                    let images = ec2
                        .describe_images()
                        .owners("099720109477")
                        .filters(filter("name", &["ubuntu/images/*-amd64-server-*"]))
                        .send()
                        .await
                        .map_err(|e| format!("DescribeImages: {e:?}"))?;
                    let newest = images
                        .images()
                        .iter()
                        .filter(|i| {
                            i.name().is_some_and(|n| {
                                n.split('-').any(|p| {
                                    p.len() == 5
                                        && p.ends_with(".04")
                                        && p[..2].parse::<u32>().is_ok_and(|m| m % 2 == 0)
                                })
                            })
                        })
                        .max_by_key(|i| {
                            (
                                i.creation_date().unwrap_or_default().to_owned(),
                                i.name().unwrap_or_default().to_owned(),
                            )
                        })
                        .and_then(|i| i.image_id())
                        .ok_or("EC2 lists no Ubuntu LTS image")?;
                    if instance.image_id() != Some(newest) || values["ami"] != json!(newest) {
                        return Err(format!(
                            "ami {}, instance {:?}, newest {newest}",
                            values["ami"],
                            instance.image_id()
                        ));
                    }
                    // In the default VPC, allowing its block.
                    let vpcs = ec2
                        .describe_vpcs()
                        .filters(filter("is-default", &["true"]))
                        .send()
                        .await
                        .map_err(|e| format!("DescribeVpcs: {e:?}"))?;
                    let vpc = vpcs.vpcs().first().ok_or("no default VPC")?;
                    if instance.vpc_id() != vpc.vpc_id() {
                        return Err(format!("in {:?}, not the default VPC", instance.vpc_id()));
                    }
                    // The default subnets of the zones that offer t3.small.
                    let offering = ec2
                        .describe_instance_type_offerings()
                        .location_type(aws_sdk_ec2::types::LocationType::AvailabilityZone)
                        .filters(filter("instance-type", &["t3.small"]))
                        .send()
                        .await
                        .map_err(|e| format!("DescribeInstanceTypeOfferings: {e:?}"))?;
                    let zones: Vec<&str> = offering
                        .instance_type_offerings()
                        .iter()
                        .filter_map(|o| o.location())
                        .collect();
                    let mut defaults: Vec<String> = default_subnets(&ec2)
                        .await
                        .into_iter()
                        .filter(|s| zones.contains(&s.1.as_str()))
                        .map(|s| s.0)
                        .collect();
                    if defaults.is_empty() || zones.contains(&"us-east-1e") {
                        return Err(format!("t3.small is offered in {zones:?}"));
                    }
                    defaults.sort();
                    let mut planned = strings(&values, "subnet_ids");
                    planned.sort();
                    if planned != defaults {
                        return Err(format!(
                            "subnet_ids {planned:?}, default subnets {defaults:?}"
                        ));
                    }
                    let cidr = vpc.cidr_block().unwrap_or_default();
                    let rules = ingress(&the_group(&ec2, "agents").await?);
                    if values["allowed_cidrs"] != json!([cidr]) || rules != tcp_from(3000, &[cidr])
                    {
                        return Err(format!(
                            "allowed_cidrs {}, ingress {rules:?}, VPC {cidr}",
                            values["allowed_cidrs"]
                        ));
                    }
                    Ok(())
                })),
        )
        .check_destroy(nothing_left(&emulator, "agents"));
    run(
        "node::defaults_follow_the_environment_and_the_default_vpc",
        case,
    )
    .await;
}

#[tokio::test]
async fn invalid_values_fail_validation_and_create_nothing() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let subnets = default_subnets(&ec2).await;
    let bad = |name: &str, attrs: &str| {
        config(&format!(
            "{}\nresource \"swarm_node\" \"agents\" {{\n  name = \"{name}\"\n{attrs}\n}}\n",
            provider(&emulator, "development")
        ))
    };
    let no_t3 = subnets
        .iter()
        .find(|(_, zone)| zone == "us-east-1e")
        .map(|(id, _)| id.clone())
        .expect("a default subnet in us-east-1e");
    // A second subnet in a zone that already has one.
    let (default_vpc, _) = default_vpc(&ec2).await;
    let twin = subnet(&ec2, &default_vpc, "172.31.96.0/20", &subnets[0].1).await;
    let cases = [
        (
            "agents",
            "  mcp_port = 70000",
            "mcp_port must be a whole number from 1 to 65535, got 70000",
        ),
        (
            "agents",
            "  allowed_cidrs = [\"10.20.0.0/33\"]",
            "allowed_cidrs must be an IPv4 CIDR block such as 10.20.0.0/16",
        ),
        (
            "agents",
            "  allowed_cidrs = [\"10.20.3.4/16\"]",
            "has host bits set; the block is 10.20.0.0/16",
        ),
        (
            "bad_name!",
            "",
            "name must be 1 to 64 letters, digits or hyphens",
        ),
        (
            "agents",
            "  ami = \"image-1\"",
            "ami must be an AMI id such as ami-0123abcd",
        ),
        (
            "agents",
            "  instance_count = 101",
            "instance_count must be a whole number from 0 to 100, got 101",
        ),
        (
            "agents",
            "  root_volume_size = 4",
            "root_volume_size must be a whole number from 8 to 16384, got 4",
        ),
        (
            "agents",
            "  agents_per_instance = 0",
            "agents_per_instance must be a whole number from 1 to 256, got 0",
        ),
        (
            "agents",
            "  subnet_ids = []",
            "subnet_ids must have 1 to 32 elements, got 0",
        ),
        (
            "agents",
            "  subnet_ids = [\"sn-1\"]",
            "subnet_ids must be a subnet id",
        ),
        (
            "agents",
            "  instance_type = \"large\"",
            "instance_type must be an instance type such as t3.large",
        ),
        (
            "agents",
            "  tags = { \"swarm:node\" = \"x\" }",
            "is reserved: swarm: keys (in any case) are the provider's own",
        ),
    ];
    let mut case = test_case();
    for (name, attrs, error) in cases {
        case = case.step(Step::validate(bad(name, attrs)).expect_error(error));
    }
    let check_nothing = || {
        out_of_band(&emulator, |e| async move {
            nothing_exists(&e.ec2().await, "agents").await
        })
    };
    let case = case
        .step(
            Step::apply(bad("agents", "  mcp_port = 70000"))
                .expect_error("mcp_port must be a whole number"),
        )
        // Only AWS knows the subnets' zones: plan refuses, before creating anything.
        .step(
            Step::apply(bad(
                "agents",
                &format!("  subnet_ids = [\"{}\", \"{twin}\"]", subnets[0].0),
            ))
            .before(check_nothing())
            .expect_error("give one subnet per availability zone"),
        )
        .step(
            Step::apply(bad("agents", "  subnet_ids = [\"subnet-0000ffff\"]"))
                .before(check_nothing())
                .expect_error("subnet_ids"),
        )
        .step(
            Step::apply(bad("agents", "  ami = \"ami-0000dead\""))
                .before(check_nothing())
                .expect_error("ami: ami-0000dead does not exist in us-east-1"),
        )
        // What EC2 does not offer, refused at plan with the nearest it does.
        .step(
            Step::apply(bad("agents", "  instance_type = \"t3.gigantic\""))
                .before(check_nothing())
                .expect_error("instance_type: \"t3.gigantic\" is not an instance type EC2 offers in us-east-1a"),
        )
        // us-east-1e offers no t3 types (moto's offerings are AWS's own data).
        .step(
            Step::apply(bad(
                "agents",
                &format!("  instance_type = \"t3.small\"\n  subnet_ids = [\"{no_t3}\"]"),
            ))
            .before(check_nothing())
            .expect_error("instance_type: \"t3.small\" is not an instance type EC2 offers in us-east-1e"),
        )
        // A type known only at apply: the plan Terraform makes again then
        // refuses it, before any instance is launched.
        .step(
            Step::apply(bad(
                "agents",
                "  instance_type = terraform_data.type.output\n}\n\nresource \"terraform_data\" \"type\" {\n  input = \"t3.gigantic\"",
            ))
            .before(check_nothing())
            .expect_error("is not an instance type EC2 offers in"),
        )
        .step(Step::validate(bad("agents", "")).before(check_nothing()));
    run(
        "node::invalid_values_fail_validation_and_create_nothing",
        case,
    )
    .await;
}

#[tokio::test]
async fn moving_to_another_vpc_replaces_the_group_and_the_instances() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let defaults = default_subnets(&ec2).await;
    let vpc_id = vpc(&ec2, "10.50.0.0/16").await;
    let mut moved = Vec::new();
    for (cidr, zone) in [
        ("10.50.1.0/24", &defaults[0].1),
        ("10.50.2.0/24", &defaults[1].1),
    ] {
        moved.push((subnet(&ec2, &vpc_id, cidr, zone).await, zone.clone()));
    }
    let first: Saved = Memo::default();
    let group: Saved = Memo::default();
    let count = "  instance_count = 2\n";
    let case = test_case()
        .step(
            Step::apply(node(&emulator, &defaults, count))
                .check(save_ids(&first))
                .check(save_group(&group)),
        )
        .step(
            Step::apply(node(&emulator, &moved, count))
                .check(Check::attr_equals(
                    NODE,
                    "allowed_cidrs",
                    json!(["10.50.0.0/16"]),
                ))
                .check({
                    let (first, group) = (first.clone(), group.clone());
                    node_check(&emulator, move |ec2, values| {
                        let (first, old_group) = (saved(&first), saved(&group));
                        let vpc_id = vpc_id.clone();
                        async move {
                            let live = state_matches_ec2(&ec2, &values, 2).await?;
                            if ids(&live).iter().any(|id| first.contains(id)) {
                                return Err(format!("not replaced: {first:?}, {:?}", ids(&live)));
                            }
                            if let Some(i) =
                                live.iter().find(|i| i.vpc_id() != Some(vpc_id.as_str()))
                            {
                                return Err(format!(
                                    "{:?} is in {:?}",
                                    i.instance_id(),
                                    i.vpc_id()
                                ));
                            }
                            let group = the_group(&ec2, "agents").await?;
                            if group.vpc_id() != Some(vpc_id.as_str())
                                || old_group.first().map(String::as_str) == group.group_id()
                                || values["security_group_id"] != json!(group.group_id())
                            {
                                return Err(format!(
                                    "group {:?} in {:?}, before {old_group:?}",
                                    group.group_id(),
                                    group.vpc_id()
                                ));
                            }
                            Ok(())
                        }
                    })
                }),
        )
        .check_destroy(nothing_left(&emulator, "agents"));
    run(
        "node::moving_to_another_vpc_replaces_the_group_and_the_instances",
        case,
    )
    .await;
}

/// A create that fails half way (here: the subnet runs out of addresses)
/// leaves a state of what it made: Terraform plans to replace it, and
/// destroy finds everything.
#[tokio::test]
async fn a_create_failing_half_way_keeps_what_it_made_in_the_state() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let vpc_id = vpc(&ec2, "10.60.0.0/16").await;
    let tiny = subnet(&ec2, &vpc_id, "10.60.0.0/28", "us-east-1a").await;
    let hcl = |lifecycle: &str| {
        config(&format!(
            "{}\nresource \"swarm_node\" \"agents\" {{\n  name           = \"agents\"\n  subnet_ids     = [\"{tiny}\"]\n  instance_count = 20\n{lifecycle}\n}}\n",
            emulator.provider_block("  environment = \"development\"\n  max_retries = 0")
        ))
    };
    let some_exist = out_of_band(&emulator, |e| async move {
        let ec2 = e.ec2().await;
        let live = live_instances(&ec2, "agents").await?.len();
        let groups = groups(&ec2, "agents").await?.len();
        if live > 0 && live < 20 && groups == 1 {
            Ok(())
        } else {
            Err(format!("{live} instances, {groups} groups"))
        }
    });
    let case = test_case()
        .step(Step::apply(hcl("")).expect_error("Cannot launch instance"))
        // Had the failed create saved no state, this would plan a create;
        // it plans to replace the (tainted) node, which the lifecycle forbids.
        .step(
            Step::plan(hcl("  lifecycle {\n    prevent_destroy = true\n  }"))
                .before(some_exist)
                .expect_error("cannot be destroyed"),
        )
        // The configuration destroy runs with.
        .step(Step::validate(hcl("")))
        .check_destroy(nothing_left(&emulator, "agents"));
    run(
        "node::a_create_failing_half_way_keeps_what_it_made_in_the_state",
        case,
    )
    .await;
}
