//! `swarm_node` through terraform against the emulator, each change
//! checked on the real EC2 objects through the SDK: create (placement,
//! IMDSv2, encrypted gp3 root volumes, no public IP, the security group's
//! single rule, tags, the bootstrap), scaling that keeps the surviving
//! instances, in-place type and tag changes, launch changes that replace
//! the instances but keep the group, import (CLI and `import {}`), drift
//! repaired by apply, validation, and the environment's defaults.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, test_case};
use aws_sdk_ec2::types::{
    AttributeValue, Filter, HttpTokensState, Instance, InstanceAttributeName, InstanceType,
    IpPermission, IpRange, SecurityGroup, Tag, Volume, VolumeType,
};
use serde_json::{Value as Json, json};
use swarm_provider::SwarmProvider;
use tfplugin::testing::{Check, CheckResult, Step};

const NODE: &str = "swarm_node.agents";

type Ec2 = aws_sdk_ec2::Client;

// ---------------------------------------------------------------------------
// Looking at EC2 through the SDK.

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .build()
}

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
        tag(i.tags(), "swarm:index")
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

/// The default VPC's default subnets as (id, zone), in zone order.
async fn default_subnets(ec2: &Ec2) -> Vec<(String, String)> {
    let out = ec2
        .describe_subnets()
        .filters(filter("default-for-az", &["true"]))
        .send()
        .await
        .expect("DescribeSubnets");
    let mut subnets: Vec<(String, String)> = out
        .subnets()
        .iter()
        .map(|s| {
            (
                s.subnet_id().unwrap_or_default().to_owned(),
                s.availability_zone().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    subnets.sort_by(|a, b| a.1.cmp(&b.1));
    assert!(
        subnets.len() >= 2,
        "the emulator has too few default subnets"
    );
    subnets
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `expected` tags are all there with their values, `absent` keys are not.
fn has_tags(what: &str, tags: &[Tag], expected: &[(&str, &str)], absent: &[&str]) -> CheckResult {
    let map = tag_map(tags);
    for (k, v) in expected {
        if map.get(*k).map(String::as_str) != Some(*v) {
            return Err(format!("{what}: tag {k} should be {v:?}; tags are {map:?}"));
        }
    }
    for k in absent {
        if map.contains_key(*k) {
            return Err(format!("{what}: tag {k} should be gone; tags are {map:?}"));
        }
    }
    Ok(())
}

fn ids(instances: &[Instance]) -> Vec<String> {
    instances
        .iter()
        .map(|i| i.instance_id().unwrap_or_default().to_owned())
        .collect()
}

/// Ingress as (protocol, from, to, cidr), sorted.
fn ingress(group: &SecurityGroup) -> Vec<(String, i32, i32, String)> {
    let mut rules: Vec<_> = group
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            p.ip_ranges().iter().map(move |r| {
                (
                    p.ip_protocol().unwrap_or_default().to_owned(),
                    p.from_port().unwrap_or(-1),
                    p.to_port().unwrap_or(-1),
                    r.cidr_ip().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect();
    let others: usize = group
        .ip_permissions()
        .iter()
        .map(|p| p.user_id_group_pairs().len() + p.ipv6_ranges().len() + p.prefix_list_ids().len())
        .sum();
    for _ in 0..others {
        rules.push(("other".to_owned(), 0, 0, String::new()));
    }
    rules.sort();
    rules
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

/// A check that sees the resource's attributes and an EC2 client.
fn sdk_check<F, Fut>(emulator: &Arc<Emulator>, f: F) -> Check
where
    F: Fn(Ec2, Json) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    let f = Arc::new(f);
    Check::new(move |state| {
        let values = state.values(NODE).cloned();
        let emulator = Arc::clone(&emulator);
        let f = Arc::clone(&f);
        Box::pin(async move { f(emulator.ec2().await, values?).await })
    })
}

fn strings(values: &Json, attribute: &str) -> Vec<String> {
    values[attribute]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
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
    let emulator = Arc::clone(emulator);
    Check::new(move |_| {
        let emulator = Arc::clone(&emulator);
        Box::pin(async move { nothing_exists(&emulator.ec2().await, name).await })
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

/// Remembers the instance ids of a step, for later steps to compare.
type Saved = Arc<Mutex<Vec<String>>>;

fn save_ids(saved: &Saved) -> Check {
    let saved = Arc::clone(saved);
    Check::sync(move |state| {
        let ids = strings(state.values(NODE)?, "instance_ids");
        *saved.lock().map_err(|e| e.to_string())? = ids;
        Ok(())
    })
}

fn saved(saved: &Saved) -> Vec<String> {
    saved.lock().map(|s| s.clone()).unwrap_or_default()
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn creates_a_hardened_pool_then_scales_resizes_and_retags_in_place() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let subnets = default_subnets(&ec2).await;
    let zones = [subnets[0].1.clone(), subnets[1].1.clone()];
    let first: Saved = Arc::default();
    let tags_v1 = "  tags = { role = \"agents\" }\n";
    let tags_v2 = "  tags = { tier = \"gold\" }\n";

    let created = {
        let zones = zones.clone();
        sdk_check(&emulator, move |ec2, values| {
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
                        i.tags(),
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
                        v.tags(),
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
                    if !bootstrap.contains("/etc/swarm/agent.env")
                        || !user.contains("swarm-agent@$i")
                    {
                        return Err(format!(
                            "{what}: user_data does not run after the bootstrap"
                        ));
                    }
                }
                let rules = ingress(&group);
                if rules != [("tcp".to_owned(), 3000, 3000, "10.20.0.0/16".to_owned())] {
                    return Err(format!("ingress {rules:?}"));
                }
                has_tags(
                    "security group",
                    group.tags(),
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
    };

    let first_kept = |count: usize, keep: usize, first: &Saved| {
        let first = Arc::clone(first);
        sdk_check(&emulator, move |ec2, values| {
            let first = saved(&first);
            async move {
                let live = state_matches_ec2(&ec2, &values, count).await?;
                let now = ids(&live);
                if now[..keep] != first[..keep] {
                    return Err(format!("instances changed: {first:?} then {now:?}"));
                }
                Ok(())
            }
        })
    };

    test_case()
        .step(
            Step::apply(node(&emulator, &subnets, &attrs(3, tags_v1)))
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
                .check(created)
                .check(save_ids(&first)),
        )
        // One more: the three keep running untouched; the fourth goes to
        // the first zone's neighbour.
        .step(
            Step::apply(node(&emulator, &subnets, &attrs(4, tags_v1)))
                .check(first_kept(4, 3, &first))
                .check(Check::sync({
                    let zones = zones.clone();
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
        .step(
            Step::apply(node(&emulator, &subnets, &attrs(2, tags_v1)))
                .check(first_kept(2, 2, &first)),
        )
        // A new type, in place.
        .step(
            Step::apply(node(
                &emulator,
                &subnets,
                &attrs(2, tags_v1).replace("t3.small", "t3.medium"),
            ))
            .check(first_kept(2, 2, &first))
            .check(sdk_check(&emulator, |ec2, _| async move {
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
            Step::apply(node(
                &emulator,
                &subnets,
                &attrs(2, tags_v2).replace("t3.small", "t3.medium"),
            ))
            .check(first_kept(2, 2, &first))
            .check(Check::attr_equals(
                NODE,
                "tags_all",
                json!({"team": "platform", "tier": "gold"}),
            ))
            .check(sdk_check(&emulator, |ec2, _| async move {
                let expected = [
                    ("team", "platform"),
                    ("tier", "gold"),
                    ("swarm:node", "agents"),
                ];
                for i in live_instances(&ec2, "agents").await? {
                    let id = i.instance_id().unwrap_or_default().to_owned();
                    has_tags(&id, i.tags(), &expected, &["role"])?;
                    for m in i.block_device_mappings() {
                        let vid = m.ebs().and_then(|e| e.volume_id()).unwrap_or_default();
                        has_tags(vid, volume(&ec2, vid).await?.tags(), &expected, &["role"])?;
                    }
                }
                let group = the_group(&ec2, "agents").await?;
                has_tags("security group", group.tags(), &expected, &["role"])
            })),
        )
        .check_destroy(nothing_left(&emulator, "agents"))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn imports_by_name_and_repairs_drift() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let subnets = default_subnets(&ec2).await;
    let hcl = node(
        &emulator,
        &subnets,
        &attrs(2, "  tags = { role = \"agents\" }\n"),
    );
    let first: Saved = Arc::default();

    // Out of band: one instance terminated.
    let terminate = {
        let emulator = Arc::clone(&emulator);
        move || {
            let emulator = Arc::clone(&emulator);
            async move {
                let ec2 = emulator.ec2().await;
                let live = live_instances(&ec2, "agents").await?;
                let victim = ids(&live).get(1).cloned().ok_or("no second instance")?;
                ec2.terminate_instances()
                    .instance_ids(victim)
                    .send()
                    .await
                    .map_err(|e| format!("TerminateInstances: {e:?}"))?;
                Ok(())
            }
        }
    };
    // Out of band: an instance resized, and SSH opened to the world.
    let tamper = {
        let emulator = Arc::clone(&emulator);
        move || {
            let emulator = Arc::clone(&emulator);
            async move {
                let ec2 = emulator.ec2().await;
                let live = live_instances(&ec2, "agents").await?;
                let id = ids(&live).first().cloned().ok_or("no instance")?;
                let fail = |e: String| e;
                ec2.stop_instances()
                    .instance_ids(&id)
                    .send()
                    .await
                    .map_err(|e| fail(format!("StopInstances: {e:?}")))?;
                ec2.modify_instance_attribute()
                    .instance_id(&id)
                    .instance_type(AttributeValue::builder().value("t3.xlarge").build())
                    .send()
                    .await
                    .map_err(|e| format!("ModifyInstanceAttribute: {e:?}"))?;
                ec2.start_instances()
                    .instance_ids(&id)
                    .send()
                    .await
                    .map_err(|e| format!("StartInstances: {e:?}"))?;
                let group = the_group(&ec2, "agents").await?;
                ec2.authorize_security_group_ingress()
                    .group_id(group.group_id().unwrap_or_default())
                    .ip_permissions(
                        IpPermission::builder()
                            .ip_protocol("tcp")
                            .from_port(22)
                            .to_port(22)
                            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| format!("AuthorizeSecurityGroupIngress: {e:?}"))?;
                Ok(())
            }
        }
    };

    let import_block = config(&format!(
        "{}\nimport {{\n  to = {NODE}\n  id = \"agents\"\n}}\n\n{}",
        provider(&emulator, "production"),
        hcl.split_once("resource ")
            .map(|(_, r)| format!("resource {r}"))
            .unwrap_or_default()
    ));
    test_case()
        .step(Step::apply(hcl.clone()).check(save_ids(&first)))
        // `terraform import` in a fresh state: the plan after it is empty.
        .step(Step::import(hcl.clone(), NODE, "agents").check({
            let first = Arc::clone(&first);
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
        // A terminated instance is planned back, and apply replaces it
        // alone.
        .step(Step::plan(hcl.clone()).before(terminate).expect_changes())
        .step(Step::apply(hcl.clone()).check({
            let first = Arc::clone(&first);
            sdk_check(&emulator, move |ec2, values| {
                let first = saved(&first);
                async move {
                    let live = state_matches_ec2(&ec2, &values, 2).await?;
                    let now = ids(&live);
                    if now[0] != first[0] || now[1] == first[1] {
                        return Err(format!("instances {first:?} then {now:?}"));
                    }
                    Ok(())
                }
            })
        }))
        .step(Step::apply(hcl.clone()).check(save_ids(&first)))
        // A resized instance and an extra rule are planned back, and apply
        // puts them right without replacing anything.
        .step(Step::plan(hcl.clone()).before(tamper).expect_changes())
        .step(Step::apply(hcl.clone()).check({
            let first = Arc::clone(&first);
            sdk_check(&emulator, move |ec2, values| {
                let first = saved(&first);
                async move {
                    let live = state_matches_ec2(&ec2, &values, 2).await?;
                    if ids(&live) != first {
                        return Err(format!("instances {first:?} then {:?}", ids(&live)));
                    }
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
                    if rules != [("tcp".to_owned(), 3000, 3000, "10.20.0.0/16".to_owned())] {
                        return Err(format!("ingress {rules:?}"));
                    }
                    Ok(())
                }
            })
        }))
        // An `import {}` block applied in a fresh state takes the node over
        // as it is (the same instances), and the plan after it is empty.
        .step(Step::import_block(import_block).check({
            let first = Arc::clone(&first);
            sdk_check(&emulator, move |ec2, values| {
                let kept = saved(&first);
                async move {
                    let live = state_matches_ec2(&ec2, &values, 2).await?;
                    if ids(&live) != kept {
                        return Err(format!("imported {:?}, expected {kept:?}", ids(&live)));
                    }
                    Ok(())
                }
            })
        }))
        .check_destroy(nothing_left(&emulator, "agents"))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn launch_changes_replace_the_instances_and_keep_the_group() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let subnets = default_subnets(&ec2).await;
    let group_id: Saved = Arc::default();
    let first: Saved = Arc::default();
    let with = |extra: &str| {
        node(
            &emulator,
            &subnets,
            &format!("  instance_count = 2\n  ami = \"ami-785db401\"\n{extra}"),
        )
    };
    let save_group = {
        let group_id = Arc::clone(&group_id);
        Check::sync(move |state| {
            let id = state
                .attr(NODE, "security_group_id")?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *group_id.lock().map_err(|e| e.to_string())? = vec![id];
            Ok(())
        })
    };
    let same_group = |group_id: &Saved| {
        let group_id = Arc::clone(group_id);
        Check::sync(move |state| {
            let now = state.attr(NODE, "security_group_id")?;
            match saved(&group_id).first() {
                Some(id) if now == id => Ok(()),
                other => Err(format!("security group {now}, before {other:?}")),
            }
        })
    };
    let replaced = |first: &Saved, port: i32, cidrs: &'static [&'static str], ami: &'static str| {
        let first = Arc::clone(first);
        sdk_check(&emulator, move |ec2, values| {
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
                let mut expected: Vec<_> = cidrs
                    .iter()
                    .map(|c| ("tcp".to_owned(), port, port, (*c).to_owned()))
                    .collect();
                expected.sort();
                let rules = ingress(&the_group(&ec2, "agents").await?);
                if rules != expected {
                    return Err(format!("ingress {rules:?}, expected {expected:?}"));
                }
                Ok(())
            }
        })
    };

    test_case()
        .step(
            Step::apply(with("  allowed_cidrs = [\"10.20.0.0/16\"]\n"))
                .check(save_ids(&first))
                .check(save_group),
        )
        // Another source: the rule is added in place, nothing replaced.
        .step(
            Step::apply(with(
                "  allowed_cidrs = [\"10.20.0.0/16\", \"10.30.0.0/16\"]\n",
            ))
            .check({
                let first = Arc::clone(&first);
                sdk_check(&emulator, move |ec2, values| {
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
        .check_destroy(nothing_left(&emulator, "agents"))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn defaults_follow_the_environment_and_the_default_vpc() {
    let emulator = Arc::new(Emulator::start());
    let hcl = config(&format!(
        "{}\nresource \"swarm_node\" \"agents\" {{\n  name = \"agents\"\n  timeouts {{\n    create = \"5m\"\n  }}\n}}\n",
        provider(&emulator, "development")
    ));
    test_case()
        .step(
            Step::apply(hcl)
                .check(Check::attr_equals(NODE, "instance_type", "t3.small"))
                .check(Check::attr_equals(NODE, "instance_count", 1))
                .check(Check::attr_equals(NODE, "agents_per_instance", 1))
                .check(Check::attr_equals(NODE, "associate_public_ip", false))
                .check(sdk_check(&emulator, |ec2, values| async move {
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
                    let mut defaults: Vec<String> = default_subnets(&ec2)
                        .await
                        .into_iter()
                        .map(|s| s.0)
                        .collect();
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
                    if values["allowed_cidrs"] != json!([cidr])
                        || rules != [("tcp".to_owned(), 3000, 3000, cidr.to_owned())]
                    {
                        return Err(format!(
                            "allowed_cidrs {}, ingress {rules:?}, VPC {cidr}",
                            values["allowed_cidrs"]
                        ));
                    }
                    Ok(())
                })),
        )
        .check_destroy(nothing_left(&emulator, "agents"))
        .run(SwarmProvider::new())
        .await
        .unwrap();
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
    // A second subnet in a zone that already has one.
    let extra = ec2
        .create_subnet()
        .vpc_id(
            ec2.describe_vpcs()
                .filters(filter("is-default", &["true"]))
                .send()
                .await
                .expect("DescribeVpcs")
                .vpcs()[0]
                .vpc_id()
                .unwrap_or_default(),
        )
        .cidr_block("172.31.96.0/20")
        .availability_zone(&subnets[0].1)
        .send()
        .await
        .expect("CreateSubnet");
    let twin = extra
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap_or_default();
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
            "is reserved: swarm: tags are set by the provider",
        ),
    ];
    let mut case = test_case();
    for (name, attrs, error) in cases {
        case = case.step(Step::validate(bad(name, attrs)).expect_error(error));
    }
    let check_nothing = {
        let emulator = Arc::clone(&emulator);
        move || {
            let emulator = Arc::clone(&emulator);
            async move { nothing_exists(&emulator.ec2().await, "agents").await }
        }
    };
    case.step(
        Step::apply(bad("agents", "  mcp_port = 70000"))
            .expect_error("mcp_port must be a whole number"),
    )
    // Only AWS knows the subnets' zones: plan refuses, before creating anything.
    .step(
        Step::apply(bad(
            "agents",
            &format!("  subnet_ids = [\"{}\", \"{twin}\"]", subnets[0].0),
        ))
        .before(check_nothing.clone())
        .expect_error("give one subnet per availability zone"),
    )
    .step(
        Step::apply(bad("agents", "  subnet_ids = [\"subnet-0000ffff\"]"))
            .before(check_nothing.clone())
            .expect_error("subnet_ids"),
    )
    .step(
        Step::apply(bad("agents", "  ami = \"ami-0000dead\""))
            .before(check_nothing.clone())
            .expect_error("ami: ami-0000dead does not exist in us-east-1"),
    )
    .step(Step::validate(bad("agents", "")).before(check_nothing))
    .run(SwarmProvider::new())
    .await
    .unwrap();
}

#[tokio::test]
async fn moving_to_another_vpc_replaces_the_group_and_the_instances() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let defaults = default_subnets(&ec2).await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.50.0.0/16")
        .send()
        .await
        .expect("CreateVpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap_or_default()
        .to_owned();
    let mut moved = Vec::new();
    for (cidr, zone) in [
        ("10.50.1.0/24", &defaults[0].1),
        ("10.50.2.0/24", &defaults[1].1),
    ] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .expect("CreateSubnet");
        let id = subnet
            .subnet()
            .and_then(|s| s.subnet_id())
            .unwrap_or_default();
        moved.push((id.to_owned(), zone.clone()));
    }
    let first: Saved = Arc::default();
    let group: Saved = Arc::default();
    let save_group = {
        let group = Arc::clone(&group);
        Check::sync(move |state| {
            let id = state
                .attr(NODE, "security_group_id")?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *group.lock().map_err(|e| e.to_string())? = vec![id];
            Ok(())
        })
    };
    let count = "  instance_count = 2\n";
    test_case()
        .step(
            Step::apply(node(&emulator, &defaults, count))
                .check(save_ids(&first))
                .check(save_group),
        )
        .step(
            Step::apply(node(&emulator, &moved, count))
                .check(Check::attr_equals(
                    NODE,
                    "allowed_cidrs",
                    json!(["10.50.0.0/16"]),
                ))
                .check({
                    let (first, group) = (Arc::clone(&first), Arc::clone(&group));
                    sdk_check(&emulator, move |ec2, values| {
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
        .check_destroy(nothing_left(&emulator, "agents"))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

/// A create that fails half way (here: the subnet runs out of addresses)
/// leaves a state of what it made: Terraform plans to replace it, and
/// destroy finds everything.
#[tokio::test]
async fn a_create_failing_half_way_keeps_what_it_made_in_the_state() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.60.0.0/16")
        .send()
        .await
        .expect("CreateVpc");
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap_or_default();
    let subnet = ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block("10.60.0.0/28")
        .availability_zone("us-east-1a")
        .send()
        .await
        .expect("CreateSubnet");
    let tiny = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap_or_default();
    let hcl = |lifecycle: &str| {
        config(&format!(
            "{}\nresource \"swarm_node\" \"agents\" {{\n  name           = \"agents\"\n  subnet_ids     = [\"{tiny}\"]\n  instance_count = 20\n{lifecycle}\n}}\n",
            emulator.provider_block("  environment = \"development\"\n  max_retries = 0")
        ))
    };
    let some_exist = {
        let emulator = Arc::clone(&emulator);
        move || {
            let emulator = Arc::clone(&emulator);
            async move {
                let ec2 = emulator.ec2().await;
                let live = live_instances(&ec2, "agents").await?.len();
                let groups = groups(&ec2, "agents").await?.len();
                if live > 0 && live < 20 && groups == 1 {
                    Ok(())
                } else {
                    Err(format!("{live} instances, {groups} groups"))
                }
            }
        }
    };
    test_case()
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
        .check_destroy(nothing_left(&emulator, "agents"))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}
