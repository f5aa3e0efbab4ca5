//! `swarm_cache` through terraform against the emulator, each change
//! checked on the ElastiCache and EC2 objects through the SDK, one focused
//! test per concern: `basic` (create: encryption, Multi-AZ with failover,
//! replicas, snapshots, the subnet group, the security group's single rule
//! and no egress, tags; destroy leaves only the final snapshot), `update`
//! (node type, engine upgrade, replicas up and down, snapshot settings,
//! allowed groups, tags in place, and import by name), `drift` (changes
//! made out of band planned back and repaired), cluster mode with online
//! resharding, final snapshots under the next free name, the environment's
//! defaults, and invalid values that fail early and create nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use acceptance_tests::checks::{
    Memo, attr_str, drifted, ensure, err, ingress, open_to_the_world, out_of_band, sdk_check, sent,
    tag_map, tcp_from,
};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{filter, security_group, subnet, vpc};
use acceptance_tests::snapshots::{Snapshots, destroy_onto_taken_names};
use acceptance_tests::{config, run, test_case, with_import_block};
use aws_sdk_ec2::types::SecurityGroup;
use aws_sdk_elasticache::operation::modify_replication_group::builders::ModifyReplicationGroupFluentBuilder as ModifyReplicationGroup;
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, CacheSubnetGroup, MultiAzStatus, ReplicationGroup,
};
use serde_json::{Value as Json, json};
use tfplugin::testing::{Check, CheckResult, Step, TestCase};

const CACHE: &str = "swarm_cache.main";

// ---------------------------------------------------------------------------
// The network the caches live in, made through the SDK.

#[derive(Clone)]
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
    let vpc = vpc(&ec2, "10.30.0.0/16").await;
    Net {
        subnet_a: subnet(&ec2, &vpc, "10.30.1.0/24", "us-east-1a").await,
        subnet_b: subnet(&ec2, &vpc, "10.30.2.0/24", "us-east-1b").await,
        app: security_group(&ec2, &vpc, "clients-app", "cache clients").await,
        worker: security_group(&ec2, &vpc, "clients-worker", "cache clients").await,
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
        tags = tag_map(out.tag_list());
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
        .filters(filter("tag:swarm:cache", &[name]))
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

/// A cluster-mode-disabled cache "agents": its configuration, and what
/// AWS must have.
#[derive(Clone)]
struct Settings {
    node_type: &'static str,
    /// The configured version, a prefix of the members' engine version.
    version: &'static str,
    replicas: usize,
    /// The client groups allowed in.
    allowed: Vec<String>,
    retention: i32,
    window: &'static str,
    team: &'static str,
}

fn created(net: &Net) -> Settings {
    Settings {
        node_type: "cache.t3.small",
        version: "7.0",
        replicas: 1,
        allowed: vec![net.app.clone()],
        retention: 7,
        window: "05:00-06:00",
        team: "agents",
    }
}

/// The `update` test's second configuration, which `drift` starts from.
fn updated(net: &Net) -> Settings {
    Settings {
        node_type: "cache.t3.medium",
        version: "7.1",
        replicas: 2,
        allowed: vec![net.app.clone(), net.worker.clone()],
        retention: 3,
        window: "03:00-04:00",
        team: "swarm",
    }
}

/// Checks the cache "agents" against `x`; returns its ARN and creation time.
async fn check_cache(
    emulator: &Emulator,
    net: &Net,
    x: &Settings,
) -> Result<(String, String), String> {
    let s = seen(emulator, "agents").await?;
    let group = s.group.as_ref().ok_or("no replication group")?;
    let expect = ensure;
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
        expect("engine version", version.starts_with(x.version), &version)?;
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
        subnets == BTreeSet::from([net.subnet_a.as_str(), net.subnet_b.as_str()]),
        &subnets,
    )?;

    // Only Redis in, from the allowed groups; nothing out.
    let allowed: Vec<&str> = x.allowed.iter().map(String::as_str).collect();
    let wanted = tcp_from(6379, &allowed);
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
    let sg_tags = tag_map(sg.tags());
    expect(
        "security group tags",
        sg_tags.get("team").map(String::as_str) == Some(x.team),
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

/// A check that the cache "agents" is as `settings` say, and is the
/// replication group the test's earlier steps saw (`identity`: its ARN and
/// creation time).
fn cache_matches(
    emulator: &Arc<Emulator>,
    net: &Net,
    settings: Settings,
    identity: &Memo<(String, String)>,
) -> Check {
    let (net, identity) = (net.clone(), identity.clone());
    sdk_check(emulator, move |e, _| {
        let (net, settings, identity) = (net.clone(), settings.clone(), identity.clone());
        async move {
            let id = check_cache(&e, &net, &settings).await?;
            identity.first_or_same("the replication group", id)
        }
    })
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

/// Nothing of the cache is left, and destroying it left a final snapshot
/// (`want_snapshot`) or none.
async fn destroyed(emulator: &Emulator, name: &str, want_snapshot: bool) -> CheckResult {
    nothing_exists(emulator, name).await?;
    let snapshots = Snapshots::ElastiCache.finals(emulator, name).await?;
    match (want_snapshot, snapshots.len()) {
        (true, 0) => Err(format!("no final snapshot of cache {name:?}")),
        (false, n) if n > 0 => Err(format!(
            "final snapshots {snapshots:?} despite final_snapshot = false"
        )),
        _ => Ok(()),
    }
}

/// A check after destroy: [`destroyed`].
fn nothing_left(emulator: &Arc<Emulator>, name: &'static str, want_snapshot: bool) -> Check {
    sdk_check(emulator, move |e, _| async move {
        destroyed(&e, name, want_snapshot).await
    })
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

/// The staging configuration of the cache "agents".
fn agents(emulator: &Emulator, net: &Net, s: &Settings) -> String {
    let allowed: Vec<String> = s.allowed.iter().map(|g| format!("\"{g}\"")).collect();
    cache(
        emulator,
        "staging",
        &format!(
            r#"  name                       = "agents"
  node_type                  = "{}"
  engine_version             = "{}"
  replicas                   = {}
  subnet_ids                 = ["{}", "{}"]
  allowed_security_group_ids = [{}]
  snapshot_retention_days    = {}
  snapshot_window            = "{}"
  tags                       = {{ team = "{}" }}"#,
            s.node_type,
            s.version,
            s.replicas,
            net.subnet_a,
            net.subnet_b,
            allowed.join(", "),
            s.retention,
            s.window,
            s.team,
        ),
    )
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

/// A test of the cache "agents": the emulator, the network made through
/// the SDK, and the replication group's identity across the test's steps.
struct Fixture {
    emulator: Arc<Emulator>,
    net: Net,
    identity: Memo<(String, String)>,
}

impl Fixture {
    async fn start() -> Self {
        let emulator = Arc::new(Emulator::start());
        let net = make_network(&emulator).await;
        Self {
            emulator,
            net,
            identity: Memo::default(),
        }
    }

    fn hcl(&self, settings: &Settings) -> String {
        agents(&self.emulator, &self.net, settings)
    }

    /// An apply of `settings`, after which AWS has the cache as they say,
    /// the same replication group.
    fn applied(&self, settings: Settings) -> Step {
        Step::apply(self.hcl(&settings)).check(cache_matches(
            &self.emulator,
            &self.net,
            settings,
            &self.identity,
        ))
    }

    /// A test case whose destroy must leave nothing but the final snapshot.
    fn case(&self) -> TestCase {
        test_case().check_destroy(nothing_left(&self.emulator, "agents", true))
    }

    /// A plan step after `change` to the replication group, out of band.
    fn modified<F>(&self, change: F) -> Step
    where
        F: Fn(ModifyReplicationGroup) -> ModifyReplicationGroup + Clone + Send + Sync + 'static,
    {
        drifted(&self.emulator, &self.hcl(&updated(&self.net)), move |e| {
            let change = change.clone();
            async move {
                let modify = e
                    .elasticache()
                    .await
                    .modify_replication_group()
                    .replication_group_id("agents")
                    .apply_immediately(true);
                sent(change(modify).send().await)
            }
        })
    }
}

// ---------------------------------------------------------------------------
// The tests.

/// Create: what Terraform shows, then what AWS has; the plan is empty;
/// destroy leaves nothing but the final snapshot.
#[tokio::test]
async fn basic() {
    let f = Fixture::start().await;
    let case = f.case().step(
        f.applied(created(&f.net))
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
                let primary = attr_str(state, CACHE, "primary_endpoint")?;
                let reader = attr_str(state, CACHE, "reader_endpoint")?;
                if primary == reader {
                    return Err(format!("primary and reader endpoints are both {primary}"));
                }
                Ok(())
            })),
    );
    run("cache::basic", case).await;
}

/// In place, on the same replication group: node type, engine upgrade, a
/// replica more, snapshot settings, another allowed group, tags; the
/// updated cache imports by name (CLI and `import {}`); then down to no
/// replicas, where failover and Multi-AZ go off first.
#[tokio::test]
async fn update() {
    let f = Fixture::start().await;
    let updated_hcl = f.hcl(&updated(&f.net));
    let single = Settings {
        replicas: 0,
        ..updated(&f.net)
    };
    let case = f
        .case()
        .step(f.applied(created(&f.net)))
        .step(
            f.applied(updated(&f.net))
                .check(Check::attr_equals(CACHE, "engine_version", "7.1"))
                .check(Check::attr_equals(CACHE, "replicas", 2))
                .check(Check::attr_equals(
                    CACHE,
                    "allowed_security_group_ids",
                    json!(sorted(&[&f.net.app, &f.net.worker])),
                )),
        )
        .step(Step::import(updated_hcl.clone(), CACHE, "agents"))
        .step(
            Step::import_block(with_import_block(&updated_hcl, CACHE, "agents"))
                .check(Check::attr_equals(CACHE, "node_type", "cache.t3.medium")),
        )
        .step(
            f.applied(single)
                .check(Check::attr_equals(CACHE, "multi_az", false))
                .check(Check::attr_equals(CACHE, "replicas", 0)),
        );
    run("cache::update", case).await;
}

/// Changes made out of band show in the plan and apply sets them back, on
/// the same replication group: the node type and snapshot retention; SSH
/// opened to the world on the cache's security group; the cache moved
/// onto another security group.
#[tokio::test]
async fn drift() {
    let f = Fixture::start().await;
    let repaired = || f.applied(updated(&f.net));
    let moved_to = f.net.app.clone();
    let case = f
        .case()
        .step(repaired())
        .step(f.modified(|modify| {
            modify
                .cache_node_type("cache.t3.large")
                .snapshot_retention_limit(10)
        }))
        .step(repaired())
        .step(drifted(
            &f.emulator,
            &f.hcl(&updated(&f.net)),
            |e| async move {
                let s = seen(&e, "agents").await?;
                let sg = s
                    .security_groups
                    .first()
                    .and_then(|g| g.group_id())
                    .ok_or("no security group")?
                    .to_owned();
                open_to_the_world(&e, &sg, 22).await
            },
        ))
        .step(repaired())
        .step(f.modified(move |modify| modify.security_group_ids(moved_to.clone())))
        .step(repaired());
    run("cache::drift", case).await;
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
    let arn: Memo<String> = Memo::default();
    let created_at: Memo<String> = Memo::default();
    let saved_time = created_at.clone();
    let shape = move |shards: usize, arn: Memo<String>| {
        let saved_time = saved_time.clone();
        move |e: Arc<Emulator>, _| {
            let arn = arn.clone();
            let created_at = saved_time.clone();
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
                created_at.set(
                    group
                        .replication_group_create_time()
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                )?;
                arn.first_or_same(
                    "the replication group",
                    group.arn().unwrap_or_default().to_owned(),
                )
            }
        }
    };
    let case = test_case()
        .step(
            Step::apply(cache(&emulator, "production", &body(2)))
                .check(Check::attr_equals(CACHE, "replicas", 1))
                .check(Check::attr_equals(CACHE, "node_type", "cache.t3.medium"))
                .check(Check::attr_equals(CACHE, "reader_endpoint", Json::Null))
                .check(Check::sync(|state| {
                    let primary = attr_str(state, CACHE, "primary_endpoint")?;
                    if primary.starts_with("clustercfg.") {
                        Ok(())
                    } else {
                        Err(format!("primary_endpoint {primary} is not the configuration endpoint"))
                    }
                }))
                .check(sdk_check(&emulator, shape(2, arn.clone()))),
        )
        .step(
            Step::apply(cache(&emulator, "production", &body(3)))
                .check(Check::attr_equals(CACHE, "shards", 3))
                .check(sdk_check(&emulator, shape(3, arn.clone()))),
        )
        .step(
            Step::apply(cache(&emulator, "production", &body(2)))
                .check(Check::attr_equals(CACHE, "shards", 2))
                .check(sdk_check(&emulator, shape(2, arn.clone()))),
        )
        // One shard is cluster mode off: that replaces the group.
        .step(
            Step::apply(cache(&emulator, "production", &body(1)))
                .check(Check::attr_equals(CACHE, "shards", 1))
                .check(Check::sync(|state| {
                    let primary = attr_str(state, CACHE, "primary_endpoint")?;
                    let reader = attr_str(state, CACHE, "reader_endpoint")?;
                    if primary.starts_with("clustercfg.") || reader.is_empty() {
                        return Err(format!("endpoints {primary} and {reader}"));
                    }
                    Ok(())
                }))
                .check(sdk_check(&emulator, move |e, _| {
                    let created = created_at.clone();
                    async move {
                        let group = seen(&e, "sessions")
                            .await?
                            .group
                            .ok_or("no replication group")?;
                        let time = group
                            .replication_group_create_time()
                            .map(|t| t.to_string())
                            .unwrap_or_default();
                        let before = created.get()?;
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
        .check_destroy(nothing_left(&emulator, "sessions", true));
    run("cache::cluster_mode_reshards_in_place", case).await;
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
    let case = test_case()
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
                .check(sdk_check(&emulator, |e, _| async move {
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
        .check_destroy(nothing_left(&emulator, "scratch", false));
    run("cache::development_defaults_are_a_single_node", case).await;
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
    let gone = sdk_check(&emulator, |e, _| async move {
        nothing_exists(&e, "taken").await
    });
    let case = test_case()
        .step(Step::apply(hcl))
        .step(destroy_onto_taken_names(
            &emulator,
            without_cache,
            Snapshots::ElastiCache,
            "taken",
            gone,
        ));
    run("cache::final_snapshot_takes_the_next_free_name", case).await;
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
    let nothing_left = sdk_check(&emulator, move |e, _| nothing(e));
    let case = test_case()
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
            Step::validate(bad("  engine_version = \"+7.1\""))
                .expect_error("engine_version must be a Redis version such as 7.1"),
        )
        .step(
            Step::validate(bad("  engine_version = \"5.9\""))
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
        // A well-formed version ElastiCache does not offer.
        .step(
            Step::apply(bad("  engine_version = \"7.9\""))
                .before(out_of_band(&emulator, nothing))
                .expect_error(
                    "engine_version: \"7.9\" is not a Redis version AWS offers. Redis 7 versions offered: 7.1, 7.0.",
                ),
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
        .check_destroy(nothing_left);
    run("cache::invalid_values_fail_early_and_create_nothing", case).await;
}
