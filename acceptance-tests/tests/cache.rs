//! `swarm_cache` through terraform against the emulator, each change
//! checked on the ElastiCache and EC2 objects through the SDK: create
//! (encryption, Multi-AZ with failover, replicas, snapshots, the subnet
//! group, the security group's single rule and no egress, tags), updates
//! in place (node type, engine upgrade, replicas up and down, snapshot
//! settings, allowed groups, tags), import (CLI and `import {}`), drift
//! repaired by apply, cluster mode with online resharding, final snapshots
//! under the next free name, the environment's defaults, and invalid
//! values that fail early and create nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, final_snapshot_names_ahead, test_case, took_the_next_free_name};
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, SecurityGroup};
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, CacheSubnetGroup, MultiAzStatus, ReplicationGroup,
};
use serde_json::{Value as Json, json};
use swarm_provider::SwarmProvider;
use tfplugin::testing::{Check, CheckResult, Step};

const CACHE: &str = "swarm_cache.main";

// ---------------------------------------------------------------------------
// The network the caches live in, made through the SDK.

struct Net {
    /// Subnets in us-east-1a and us-east-1b.
    subnet_a: String,
    subnet_b: String,
    /// The security groups of two kinds of clients.
    app: String,
    worker: String,
}

async fn make_network(emulator: &Emulator) -> Net {
    let ec2 = emulator.ec2().await;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("a VPC id")
        .to_owned();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.30.1.0/24", "us-east-1a"),
        ("10.30.2.0/24", "us-east-1b"),
    ] {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .expect("CreateSubnet")
            .subnet()
            .and_then(|s| s.subnet_id())
            .expect("a subnet id")
            .to_owned();
        subnets.push(subnet);
    }
    let mut groups = Vec::new();
    for name in ["app", "worker"] {
        let group = ec2
            .create_security_group()
            .group_name(format!("clients-{name}"))
            .description("cache clients")
            .vpc_id(&vpc)
            .send()
            .await
            .expect("CreateSecurityGroup")
            .group_id()
            .expect("a group id")
            .to_owned();
        groups.push(group);
    }
    Net {
        subnet_a: subnets[0].clone(),
        subnet_b: subnets[1].clone(),
        app: groups[0].clone(),
        worker: groups[1].clone(),
    }
}

// ---------------------------------------------------------------------------
// Looking at ElastiCache and EC2 through the SDK.

/// Everything the cache `name` is made of.
struct Seen {
    group: Option<ReplicationGroup>,
    members: Vec<CacheCluster>,
    subnet_group: Option<CacheSubnetGroup>,
    security_groups: Vec<SecurityGroup>,
    tags: BTreeMap<String, String>,
}

fn err(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

async fn seen(emulator: &Emulator, name: &str) -> Result<Seen, String> {
    let ec = emulator.elasticache().await;
    let group = match ec
        .describe_replication_groups()
        .replication_group_id(name)
        .send()
        .await
    {
        Ok(out) => out.replication_groups().first().cloned(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_replication_group_not_found_fault()) =>
        {
            None
        }
        Err(e) => return Err(err(e)),
    };
    let mut members = Vec::new();
    let mut tags = BTreeMap::new();
    if let Some(group) = &group {
        for id in group.member_clusters() {
            let out = ec
                .describe_cache_clusters()
                .cache_cluster_id(id)
                .send()
                .await
                .map_err(err)?;
            members.extend(out.cache_clusters().iter().cloned());
        }
        let out = ec
            .list_tags_for_resource()
            .resource_name(group.arn().unwrap_or_default())
            .send()
            .await
            .map_err(err)?;
        tags = out
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect();
    }
    let subnet_group = match ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => out.cache_subnet_groups().first().cloned(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_subnet_group_not_found_fault()) =>
        {
            None
        }
        Err(e) => return Err(err(e)),
    };
    let security_groups = emulator
        .ec2()
        .await
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("tag:swarm:cache")
                .values(name)
                .build(),
        )
        .send()
        .await
        .map_err(err)?
        .security_groups()
        .to_vec();
    Ok(Seen {
        group,
        members,
        subnet_group,
        security_groups,
        tags,
    })
}

/// A cache-mode-disabled cache as AWS must have it.
struct Expected<'a> {
    node_type: &'a str,
    version_prefix: &'a str,
    replicas: usize,
    retention: i32,
    window: &'a str,
    subnets: Vec<&'a str>,
    allowed: Vec<&'a str>,
    team: &'a str,
}

fn ingress(group: &SecurityGroup) -> Vec<(String, Option<i32>, Option<i32>, String)> {
    let mut rules: Vec<_> = group
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            let rule = |source: &str| {
                (
                    p.ip_protocol().unwrap_or_default().to_owned(),
                    p.from_port(),
                    p.to_port(),
                    source.to_owned(),
                )
            };
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id())
                .map(rule)
                .chain(p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).map(rule))
                .collect::<Vec<_>>()
        })
        .collect();
    rules.sort();
    rules
}

/// Checks the cache "agents" against `x`; returns its ARN and creation time.
async fn check_cache(emulator: &Emulator, x: &Expected<'_>) -> Result<(String, String), String> {
    let s = seen(emulator, "agents").await?;
    let group = s.group.as_ref().ok_or("no replication group")?;
    let expect = |what: &str, ok: bool, seen: &dyn std::fmt::Debug| {
        if ok {
            Ok(())
        } else {
            Err(format!("{what}: {seen:?}"))
        }
    };
    expect(
        "node type",
        group.cache_node_type() == Some(x.node_type),
        &group.cache_node_type(),
    )?;
    expect(
        "at-rest encryption",
        group.at_rest_encryption_enabled() == Some(true),
        &group.at_rest_encryption_enabled(),
    )?;
    expect(
        "in-transit encryption",
        group.transit_encryption_enabled() == Some(true),
        &group.transit_encryption_enabled(),
    )?;
    expect(
        "cluster mode",
        group.cluster_enabled() == Some(false),
        &group.cluster_enabled(),
    )?;
    let failover = x.replicas >= 1;
    expect(
        "automatic failover",
        (group.automatic_failover() == Some(&AutomaticFailoverStatus::Enabled)) == failover,
        &group.automatic_failover(),
    )?;
    expect(
        "Multi-AZ",
        (group.multi_az() == Some(&MultiAzStatus::Enabled)) == failover,
        &group.multi_az(),
    )?;
    expect(
        "snapshot retention",
        group.snapshot_retention_limit() == Some(x.retention),
        &group.snapshot_retention_limit(),
    )?;
    expect(
        "snapshot window",
        group.snapshot_window() == Some(x.window),
        &group.snapshot_window(),
    )?;
    let [node_group] = group.node_groups() else {
        return Err(format!("{} node groups", group.node_groups().len()));
    };
    expect(
        "members",
        node_group.node_group_members().len() == x.replicas + 1
            && s.members.len() == x.replicas + 1,
        &group.member_clusters(),
    )?;
    expect(
        "reader endpoint",
        node_group
            .reader_endpoint()
            .and_then(|e| e.address())
            .is_some(),
        &node_group.reader_endpoint(),
    )?;

    // Members: the engine, the subnet group, the cache's own security group.
    let [sg] = s.security_groups.as_slice() else {
        return Err(format!("{} security groups", s.security_groups.len()));
    };
    let sg_id = sg.group_id().unwrap_or_default();
    for member in &s.members {
        let version = member.engine_version().unwrap_or_default();
        expect(
            "engine version",
            version.starts_with(x.version_prefix),
            &version,
        )?;
        expect(
            "member subnet group",
            member.cache_subnet_group_name() == Some("agents"),
            &member.cache_subnet_group_name(),
        )?;
        let groups: Vec<&str> = member
            .security_groups()
            .iter()
            .filter_map(|g| g.security_group_id())
            .collect();
        expect("member security groups", groups == [sg_id], &groups)?;
    }
    let subnet_group = s.subnet_group.as_ref().ok_or("no cache subnet group")?;
    let subnets: BTreeSet<&str> = subnet_group
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    expect(
        "subnets",
        subnets == x.subnets.iter().copied().collect(),
        &subnets,
    )?;

    // Only Redis in, from the allowed groups; nothing out.
    let mut wanted: Vec<_> = x
        .allowed
        .iter()
        .map(|g| ("tcp".to_owned(), Some(6379), Some(6379), (*g).to_owned()))
        .collect();
    wanted.sort();
    expect("ingress", ingress(sg) == wanted, &ingress(sg))?;
    expect(
        "egress",
        sg.ip_permissions_egress().is_empty(),
        &sg.ip_permissions_egress(),
    )?;
    expect(
        "security group VPC",
        sg.vpc_id() == subnet_group.vpc_id(),
        &sg.vpc_id(),
    )?;

    for (k, v) in [
        ("team", x.team),
        ("owner", "platform"),
        ("swarm:managed-by", "terraform-provider-swarm"),
        ("swarm:cache", "agents"),
    ] {
        expect(
            &format!("tag {k}"),
            s.tags.get(k).map(String::as_str) == Some(v),
            &s.tags,
        )?;
    }
    let sg_tags: BTreeMap<_, _> = sg
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    expect(
        "security group tags",
        sg_tags.get("team") == Some(&x.team),
        &sg_tags,
    )?;
    Ok((
        group.arn().unwrap_or_default().to_owned(),
        group
            .replication_group_create_time()
            .map(|t| t.to_string())
            .unwrap_or_default(),
    ))
}

fn sdk_check<F, Fut>(emulator: &Arc<Emulator>, f: F) -> Check
where
    F: Fn(Arc<Emulator>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    let f = Arc::new(f);
    Check::new(move |_| {
        let (emulator, f) = (Arc::clone(&emulator), Arc::clone(&f));
        Box::pin(async move { f(emulator).await })
    })
}

/// A step hook that changes something out of band.
fn out_of_band<F, Fut>(
    emulator: &Arc<Emulator>,
    f: F,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = CheckResult> + Send>> + Send + Sync + 'static
where
    F: Fn(Arc<Emulator>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    let f = Arc::new(f);
    move || {
        let (emulator, f) = (Arc::clone(&emulator), Arc::clone(&f));
        Box::pin(async move { f(emulator).await })
    }
}

/// Nothing of the cache `name` is left on AWS.
async fn nothing_exists(emulator: &Emulator, name: &str) -> CheckResult {
    let s = seen(emulator, name).await?;
    let members = emulator
        .elasticache()
        .await
        .describe_cache_clusters()
        .send()
        .await
        .map_err(err)?
        .cache_clusters()
        .iter()
        .filter(|c| c.replication_group_id() == Some(name))
        .count();
    let left = [
        ("replication groups", usize::from(s.group.is_some())),
        ("member clusters", members),
        ("cache subnet groups", usize::from(s.subnet_group.is_some())),
        ("security groups", s.security_groups.len()),
    ];
    match left.iter().find(|(_, n)| *n > 0) {
        None => Ok(()),
        Some((what, n)) => Err(format!("{n} {what} of cache {name:?} exist")),
    }
}

/// The final snapshots of the cache `name`, read back through the SDK.
async fn final_snapshots(emulator: &Emulator, name: &str) -> Result<Vec<String>, String> {
    let prefix = format!("{name}-final-");
    let snapshots: Vec<_> = emulator
        .elasticache()
        .await
        .describe_snapshots()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(err)?;
    Ok(snapshots
        .iter()
        .filter_map(|s| s.snapshot_name())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_owned)
        .collect())
}

/// Nothing of the cache is left, and destroying it left a final snapshot
/// (`want_snapshot`) or none.
async fn destroyed(emulator: &Emulator, name: &str, want_snapshot: bool) -> CheckResult {
    nothing_exists(emulator, name).await?;
    let snapshots = final_snapshots(emulator, name).await?;
    match (want_snapshot, snapshots.len()) {
        (true, 0) => Err(format!("no final snapshot of cache {name:?}")),
        (false, n) if n > 0 => Err(format!(
            "final snapshots {snapshots:?} despite final_snapshot = false"
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// HCL.

fn cache(emulator: &Emulator, environment: &str, body: &str) -> String {
    config(&format!(
        "{}\nresource \"swarm_cache\" \"main\" {{\n{body}\n}}\n",
        emulator.provider_block(&format!(
            "  environment  = \"{environment}\"\n  default_tags = {{ owner = \"platform\" }}\n"
        ))
    ))
}

#[allow(clippy::too_many_arguments)]
fn agents(
    net: &Net,
    node_type: &str,
    version: &str,
    replicas: usize,
    allowed: &[&str],
    retention: i32,
    window: &str,
    team: &str,
) -> String {
    let allowed: Vec<String> = allowed.iter().map(|g| format!("\"{g}\"")).collect();
    format!(
        r#"  name                       = "agents"
  node_type                  = "{node_type}"
  engine_version             = "{version}"
  replicas                   = {replicas}
  subnet_ids                 = ["{}", "{}"]
  allowed_security_group_ids = [{}]
  snapshot_retention_days    = {retention}
  snapshot_window            = "{window}"
  tags                       = {{ team = "{team}" }}"#,
        net.subnet_a,
        net.subnet_b,
        allowed.join(", ")
    )
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

fn attr_str(state: &tfplugin::testing::State, attribute: &str) -> Result<String, String> {
    state
        .attr(CACHE, attribute)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{CACHE}.{attribute} is not a string"))
}

// ---------------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn cache_lifecycle() {
    let emulator = Arc::new(Emulator::start());
    let net = make_network(&emulator).await;
    let created = cache(
        &emulator,
        "staging",
        &agents(
            &net,
            "cache.t3.small",
            "7.0",
            1,
            &[&net.app],
            7,
            "05:00-06:00",
            "agents",
        ),
    );
    let updated_body = agents(
        &net,
        "cache.t3.medium",
        "7.1",
        2,
        &[&net.app, &net.worker],
        3,
        "03:00-04:00",
        "swarm",
    );
    let updated = cache(&emulator, "staging", &updated_body);
    let single = cache(
        &emulator,
        "staging",
        &agents(
            &net,
            "cache.t3.medium",
            "7.1",
            0,
            &[&net.app, &net.worker],
            3,
            "03:00-04:00",
            "swarm",
        ),
    );
    let (subnet_a, subnet_b) = (net.subnet_a.clone(), net.subnet_b.clone());
    let (app, worker) = (net.app.clone(), net.worker.clone());
    let first: Arc<Mutex<(String, String)>> = Arc::default();

    let expected_created = {
        let (a, b, app) = (subnet_a.clone(), subnet_b.clone(), app.clone());
        move |e: Arc<Emulator>, first: Arc<Mutex<(String, String)>>| {
            let (a, b, app) = (a.clone(), b.clone(), app.clone());
            async move {
                let identity = check_cache(
                    &e,
                    &Expected {
                        node_type: "cache.t3.small",
                        version_prefix: "7.0",
                        replicas: 1,
                        retention: 7,
                        window: "05:00-06:00",
                        subnets: vec![&a, &b],
                        allowed: vec![&app],
                        team: "agents",
                    },
                )
                .await?;
                *first.lock().map_err(err)? = identity;
                Ok(())
            }
        }
    };
    let expected_updated = {
        let (a, b, app, worker) = (
            subnet_a.clone(),
            subnet_b.clone(),
            app.clone(),
            worker.clone(),
        );
        move |e: Arc<Emulator>, replicas: usize, first: Arc<Mutex<(String, String)>>| {
            let (a, b, app, worker) = (a.clone(), b.clone(), app.clone(), worker.clone());
            async move {
                let identity = check_cache(
                    &e,
                    &Expected {
                        node_type: "cache.t3.medium",
                        version_prefix: "7.1",
                        replicas,
                        retention: 3,
                        window: "03:00-04:00",
                        subnets: vec![&a, &b],
                        allowed: vec![&app, &worker],
                        team: "swarm",
                    },
                )
                .await?;
                let before = first.lock().map_err(err)?.clone();
                if identity == before {
                    Ok(())
                } else {
                    Err(format!(
                        "the replication group was replaced: {before:?} → {identity:?}"
                    ))
                }
            }
        }
    };

    let on_create = {
        let (f, first) = (expected_created.clone(), Arc::clone(&first));
        sdk_check(&emulator, move |e| f(e, Arc::clone(&first)))
    };
    let after_update = {
        let (f, first) = (expected_updated.clone(), Arc::clone(&first));
        sdk_check(&emulator, move |e| f(e, 2, Arc::clone(&first)))
    };
    let after_repair = {
        let (f, first) = (expected_updated.clone(), Arc::clone(&first));
        sdk_check(&emulator, move |e| f(e, 2, Arc::clone(&first)))
    };
    let after_rule_repair = {
        let (f, first) = (expected_updated.clone(), Arc::clone(&first));
        sdk_check(&emulator, move |e| f(e, 2, Arc::clone(&first)))
    };
    let after_group_repair = {
        let (f, first) = (expected_updated.clone(), Arc::clone(&first));
        sdk_check(&emulator, move |e| f(e, 2, Arc::clone(&first)))
    };
    let moved_to = app.clone();
    let after_single = {
        let (f, first) = (expected_updated, Arc::clone(&first));
        sdk_check(&emulator, move |e| f(e, 0, Arc::clone(&first)))
    };

    test_case()
        // Create: what terraform shows, then what AWS has.
        .step(
            Step::apply(created)
                .check(Check::attr_equals(CACHE, "id", "agents"))
                .check(Check::attr_equals(CACHE, "port", 6379))
                .check(Check::attr_equals(CACHE, "multi_az", true))
                .check(Check::attr_equals(CACHE, "replicas", 1))
                .check(Check::attr_equals(CACHE, "shards", 1))
                .check(Check::attr_set(CACHE, "arn"))
                .check(Check::attr_set(CACHE, "primary_endpoint"))
                .check(Check::attr_set(CACHE, "reader_endpoint"))
                .check(Check::attr_set(CACHE, "security_group_id"))
                .check(Check::attr_set(CACHE, "vpc_id"))
                .check(Check::sync(|state| {
                    let primary = attr_str(state, "primary_endpoint")?;
                    let reader = attr_str(state, "reader_endpoint")?;
                    if primary == reader {
                        return Err(format!("primary and reader endpoints are both {primary}"));
                    }
                    Ok(())
                }))
                .check(on_create),
        )
        // In place: node type, engine upgrade, a replica more, snapshot
        // settings, another allowed group, tags.
        .step(
            Step::apply(updated.clone())
                .check(Check::attr_equals(CACHE, "engine_version", "7.1"))
                .check(Check::attr_equals(CACHE, "replicas", 2))
                .check(Check::attr_equals(
                    CACHE,
                    "allowed_security_group_ids",
                    json!(sorted(&[&app, &worker])),
                ))
                .check(after_update),
        )
        // Import by name, with the CLI and with an import block.
        .step(Step::import(updated.clone(), CACHE, "agents"))
        .step(
            Step::import_block(format!(
                "{updated}\nimport {{\n  to = {CACHE}\n  id = \"agents\"\n}}\n"
            ))
            .check(Check::attr_equals(CACHE, "node_type", "cache.t3.medium")),
        )
        // Drift: node type and snapshot retention changed out of band.
        .step(
            Step::plan(updated.clone())
                .before(out_of_band(&emulator, |e| async move {
                    e.elasticache()
                        .await
                        .modify_replication_group()
                        .replication_group_id("agents")
                        .cache_node_type("cache.t3.large")
                        .snapshot_retention_limit(10)
                        .apply_immediately(true)
                        .send()
                        .await
                        .map_err(err)?;
                    Ok(())
                }))
                .expect_changes(),
        )
        .step(Step::apply(updated.clone()).check(after_repair))
        // Drift: SSH opened to the world on the cache's security group.
        .step(
            Step::plan(updated.clone())
                .before(out_of_band(&emulator, |e| async move {
                    let s = seen(&e, "agents").await?;
                    let sg = s
                        .security_groups
                        .first()
                        .and_then(|g| g.group_id())
                        .ok_or("no security group")?
                        .to_owned();
                    e.ec2()
                        .await
                        .authorize_security_group_ingress()
                        .group_id(sg)
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
                        .map_err(err)?;
                    Ok(())
                }))
                .expect_changes(),
        )
        .step(Step::apply(updated.clone()).check(after_rule_repair))
        // Drift: the cache moved onto another security group out of band.
        .step(
            Step::plan(updated.clone())
                .before(out_of_band(&emulator, move |e| {
                    let app = moved_to.clone();
                    async move {
                        e.elasticache()
                            .await
                            .modify_replication_group()
                            .replication_group_id("agents")
                            .security_group_ids(app)
                            .apply_immediately(true)
                            .send()
                            .await
                            .map_err(err)?;
                        Ok(())
                    }
                }))
                .expect_changes(),
        )
        .step(Step::apply(updated).check(after_group_repair))
        // Down to no replicas: failover and Multi-AZ go off first.
        .step(
            Step::apply(single)
                .check(Check::attr_equals(CACHE, "multi_az", false))
                .check(Check::attr_equals(CACHE, "replicas", 0))
                .check(after_single),
        )
        .check_destroy(sdk_check(&emulator, |e| async move {
            destroyed(&e, "agents", true).await
        }))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn cluster_mode_reshards_in_place() {
    let emulator = Arc::new(Emulator::start());
    let net = make_network(&emulator).await;
    let body = |shards: usize| {
        format!(
            r#"  name       = "sessions"
  shards     = {shards}
  subnet_ids = ["{}", "{}"]
  allowed_security_group_ids = ["{}"]
  timeouts {{
    create = "60m"
    update = "90m"
    delete = "40m"
  }}"#,
            net.subnet_a, net.subnet_b, net.app
        )
    };
    let arn: Arc<Mutex<String>> = Arc::default();
    let created_at: Arc<Mutex<String>> = Arc::default();
    let saved_time = Arc::clone(&created_at);
    let shape = move |shards: usize, arn: Arc<Mutex<String>>| {
        let saved_time = Arc::clone(&saved_time);
        move |e: Arc<Emulator>| {
            let arn = Arc::clone(&arn);
            let created_at = Arc::clone(&saved_time);
            async move {
                let s = seen(&e, "sessions").await?;
                let group = s.group.ok_or("no replication group")?;
                if group.cluster_enabled() != Some(true) {
                    return Err("cluster mode is off".into());
                }
                let sizes: Vec<usize> = group
                    .node_groups()
                    .iter()
                    .map(|ng| ng.node_group_members().len())
                    .collect();
                if sizes != vec![2; shards] {
                    return Err(format!(
                        "node group sizes {sizes:?}, expected {shards} of 2"
                    ));
                }
                if group.automatic_failover() != Some(&AutomaticFailoverStatus::Enabled)
                    || group.multi_az() != Some(&MultiAzStatus::Enabled)
                {
                    return Err("failover or Multi-AZ is off".into());
                }
                // Production defaults.
                if group.cache_node_type() != Some("cache.t3.medium")
                    || group.snapshot_retention_limit() != Some(7)
                {
                    return Err(format!(
                        "node type {:?}, retention {:?}",
                        group.cache_node_type(),
                        group.snapshot_retention_limit()
                    ));
                }
                let groups: BTreeSet<Option<&str>> = s
                    .members
                    .iter()
                    .map(|m| {
                        m.cache_parameter_group()
                            .and_then(|p| p.cache_parameter_group_name())
                    })
                    .collect();
                if groups != BTreeSet::from([Some("default.redis7.cluster.on")]) {
                    return Err(format!("parameter groups {groups:?}"));
                }
                let id = group.arn().unwrap_or_default().to_owned();
                *created_at.lock().map_err(err)? = group
                    .replication_group_create_time()
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let mut saved = arn.lock().map_err(err)?;
                if saved.is_empty() {
                    *saved = id;
                } else if *saved != id {
                    return Err("the replication group was replaced".into());
                }
                Ok(())
            }
        }
    };
    test_case()
        .step(
            Step::apply(cache(&emulator, "production", &body(2)))
                .check(Check::attr_equals(CACHE, "replicas", 1))
                .check(Check::attr_equals(CACHE, "node_type", "cache.t3.medium"))
                .check(Check::attr_equals(CACHE, "reader_endpoint", Json::Null))
                .check(Check::sync(|state| {
                    let primary = attr_str(state, "primary_endpoint")?;
                    if primary.starts_with("clustercfg.") {
                        Ok(())
                    } else {
                        Err(format!("primary_endpoint {primary} is not the configuration endpoint"))
                    }
                }))
                .check(sdk_check(&emulator, shape(2, Arc::clone(&arn)))),
        )
        .step(
            Step::apply(cache(&emulator, "production", &body(3)))
                .check(Check::attr_equals(CACHE, "shards", 3))
                .check(sdk_check(&emulator, shape(3, Arc::clone(&arn)))),
        )
        .step(
            Step::apply(cache(&emulator, "production", &body(2)))
                .check(Check::attr_equals(CACHE, "shards", 2))
                .check(sdk_check(&emulator, shape(2, Arc::clone(&arn)))),
        )
        // One shard is cluster mode off: that replaces the group.
        .step(
            Step::apply(cache(&emulator, "production", &body(1)))
                .check(Check::attr_equals(CACHE, "shards", 1))
                .check(Check::sync(|state| {
                    let primary = attr_str(state, "primary_endpoint")?;
                    let reader = attr_str(state, "reader_endpoint")?;
                    if primary.starts_with("clustercfg.") || reader.is_empty() {
                        return Err(format!("endpoints {primary} and {reader}"));
                    }
                    Ok(())
                }))
                .check(sdk_check(&emulator, move |e| {
                    let created = Arc::clone(&created_at);
                    async move {
                        let group = seen(&e, "sessions")
                            .await?
                            .group
                            .ok_or("no replication group")?;
                        let time = group
                            .replication_group_create_time()
                            .map(|t| t.to_string())
                            .unwrap_or_default();
                        let before = created.lock().map_err(err)?.clone();
                        if group.cluster_enabled() != Some(false)
                            || group.node_groups().len() != 1
                            || time == before
                        {
                            return Err(format!(
                                "cluster mode {:?}, {} node groups, created {time} (before: {before})",
                                group.cluster_enabled(),
                                group.node_groups().len()
                            ));
                        }
                        Ok(())
                    }
                })),
        )
        .check_destroy(sdk_check(&emulator, |e| async move {
            destroyed(&e, "sessions", true).await
        }))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn development_defaults_are_a_single_node() {
    let emulator = Arc::new(Emulator::start());
    let net = make_network(&emulator).await;
    let hcl = cache(
        &emulator,
        "development",
        &format!(
            "  name           = \"scratch\"\n  subnet_ids     = [\"{}\"]\n  final_snapshot = false",
            net.subnet_a
        ),
    );
    test_case()
        .step(
            Step::apply(hcl)
                .check(Check::attr_equals(CACHE, "node_type", "cache.t3.micro"))
                .check(Check::attr_equals(CACHE, "replicas", 0))
                .check(Check::attr_equals(CACHE, "multi_az", false))
                .check(Check::attr_equals(CACHE, "snapshot_retention_days", 1))
                .check(Check::attr_equals(CACHE, "engine_version", "7.1"))
                .check(Check::attr_equals(
                    CACHE,
                    "allowed_security_group_ids",
                    json!([]),
                ))
                .check(sdk_check(&emulator, |e| async move {
                    let s = seen(&e, "scratch").await?;
                    let group = s.group.ok_or("no replication group")?;
                    if group.member_clusters().len() != 1
                        || group.automatic_failover() != Some(&AutomaticFailoverStatus::Disabled)
                        || group.at_rest_encryption_enabled() != Some(true)
                        || group.transit_encryption_enabled() != Some(true)
                    {
                        return Err(format!("{group:?}"));
                    }
                    // No client allowed yet: no rule at all.
                    let sg = s.security_groups.first().ok_or("no security group")?;
                    if !sg.ip_permissions().is_empty() || !sg.ip_permissions_egress().is_empty() {
                        return Err(format!("rules on an unused cache: {sg:?}"));
                    }
                    Ok(())
                })),
        )
        .check_destroy(sdk_check(&emulator, |e| async move {
            destroyed(&e, "scratch", false).await
        }))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

/// A final snapshot whose name is taken (here: a snapshot by that name for
/// every second of the coming minute) goes under the next free name;
/// the destroy neither fails nor touches the existing snapshots.
#[tokio::test]
async fn final_snapshot_takes_the_next_free_name() {
    let emulator = Arc::new(Emulator::start());
    let net = make_network(&emulator).await;
    let hcl = cache(
        &emulator,
        "development",
        &format!(
            "  name       = \"taken\"\n  subnet_ids = [\"{}\"]",
            net.subnet_a
        ),
    );
    let without_cache = config(&emulator.provider_block("  environment = \"development\""));
    let taken: Arc<Mutex<Vec<String>>> = Arc::default();
    let (made, seen_taken) = (Arc::clone(&taken), Arc::clone(&taken));
    test_case()
        .step(Step::apply(hcl))
        .step(
            Step::apply(without_cache)
                .after_plan(out_of_band(&emulator, move |e| {
                    let made = Arc::clone(&made);
                    async move {
                        let names = final_snapshot_names_ahead("taken", 60);
                        let ec = e.elasticache().await;
                        for snapshot in &names {
                            ec.create_snapshot()
                                .replication_group_id("taken")
                                .snapshot_name(snapshot)
                                .send()
                                .await
                                .map_err(err)?;
                        }
                        *made.lock().map_err(err)? = names;
                        Ok(())
                    }
                }))
                .check(sdk_check(&emulator, move |e| {
                    let taken = Arc::clone(&seen_taken);
                    async move {
                        nothing_exists(&e, "taken").await?;
                        let existing = final_snapshots(&e, "taken").await?;
                        let taken = taken.lock().map_err(err)?.clone();
                        took_the_next_free_name("taken", &taken, &existing)
                    }
                })),
        )
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn invalid_values_fail_early_and_create_nothing() {
    let emulator = Arc::new(Emulator::start());
    let net = make_network(&emulator).await;
    let both = format!("[\"{}\", \"{}\"]", net.subnet_a, net.subnet_b);
    let bad = |attrs: &str| {
        cache(
            &emulator,
            "staging",
            &format!("  name       = \"agents\"\n  subnet_ids = {both}\n{attrs}"),
        )
    };
    let named = |name: &str| {
        cache(
            &emulator,
            "staging",
            &format!("  name       = \"{name}\"\n  subnet_ids = {both}"),
        )
    };
    let nothing = |e: Arc<Emulator>| async move { nothing_exists(&e, "agents").await };
    test_case()
        .step(
            Step::validate(bad("  replicas = 6"))
                .expect_error("replicas must be a whole number from 0 to 5, got 6"),
        )
        .step(
            Step::validate(bad("  shards = 2\n  replicas = 0"))
                .expect_error("Cluster mode needs replicas"),
        )
        .step(
            Step::validate(bad("  shards = 501"))
                .expect_error("shards must be a whole number from 1 to 500, got 501"),
        )
        .step(
            Step::validate(bad("  snapshot_window = \"05:00-05:30\""))
                .expect_error("is 30 minutes long; it must be at least 60"),
        )
        .step(
            Step::validate(bad("  snapshot_window = \"5am-6am\""))
                .expect_error("snapshot_window must be a window like 05:00-06:00"),
        )
        .step(
            Step::validate(bad("  snapshot_retention_days = 36"))
                .expect_error("snapshot_retention_days must be a whole number from 0 to 35"),
        )
        .step(Step::validate(named("Agents")).expect_error("only lowercase letters"))
        .step(Step::validate(named("1agents")).expect_error("must start with a letter"))
        .step(Step::validate(named("agents--a")).expect_error("two hyphens in a row"))
        .step(Step::validate(named("agents-")).expect_error("must not end with a hyphen"))
        .step(Step::validate(named(&"a".repeat(41))).expect_error("1 to 40 characters"))
        .step(
            Step::validate(bad("  engine_version = \"7\""))
                .expect_error("engine_version must be a Redis version such as 7.1"),
        )
        .step(
            Step::validate(bad("  node_type = \"t3.micro\""))
                .expect_error("node_type must be a node type like cache.t3.micro"),
        )
        .step(
            Step::validate(bad("  allowed_security_group_ids = [\"default\"]"))
                .expect_error("allowed_security_group_ids must be a security group id"),
        )
        // Checks that need AWS fail at plan, before anything is created.
        .step(
            Step::apply(cache(
                &emulator,
                "staging",
                &format!(
                    "  name       = \"agents\"\n  replicas   = 1\n  subnet_ids = [\"{}\"]",
                    net.subnet_a
                ),
            ))
            .expect_error("Multi-AZ needs two zones"),
        )
        .step(
            Step::apply(cache(
                &emulator,
                "staging",
                "  name       = \"agents\"\n  subnet_ids = [\"subnet-0000dead\"]",
            ))
            .before(out_of_band(&emulator, nothing))
            .expect_error("Unknown subnets"),
        )
        .check_destroy(sdk_check(&emulator, nothing))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}
