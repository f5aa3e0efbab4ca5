//! `swarm_database` through terraform against the emulator, each change
//! checked on the RDS and EC2 objects through the SDK: create (encrypted
//! gp3 storage, Multi-AZ, windows, backups, no public access, the
//! RDS-managed secret, replicas in the other zones, the security group's
//! single kind of rule, tags), updates in place (class, storage, version,
//! replicas, rules, tags), import (CLI and `import {}`), drift repaired by
//! apply, the write-only password, deletion protection blocking destroy,
//! the environment's defaults with a `swarm_network`, final snapshots under
//! the next free name, and invalid values that fail early and create
//! nothing.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, final_snapshot_names_ahead, test_case, took_the_next_free_name};
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use aws_sdk_rds::types::DbInstance;
use serde_json::{Value as Json, json};
use swarm_provider::SwarmProvider;
use tfplugin::testing::{Check, CheckResult, Step};

const DB: &str = "swarm_database.main";
const PASSWORD: &str = "correct-horse-battery-9";
const ROTATED: &str = "staple-lantern-orbit-42";

type Rds = aws_sdk_rds::Client;
type Ec2 = aws_sdk_ec2::Client;

fn err(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

// ---------------------------------------------------------------------------
// Looking at RDS and EC2 through the SDK.

/// The DB instances whose identifiers start with `name`, by identifier.
async fn instances(rds: &Rds, name: &str) -> Result<BTreeMap<String, DbInstance>, String> {
    let out = rds.describe_db_instances().send().await.map_err(err)?;
    Ok(out
        .db_instances()
        .iter()
        .filter_map(|i| {
            let id = i.db_instance_identifier()?;
            (id == name || id.starts_with(&format!("{name}-"))).then(|| (id.to_owned(), i.clone()))
        })
        .collect())
}

async fn primary(rds: &Rds, name: &str) -> Result<DbInstance, String> {
    instances(rds, name)
        .await?
        .remove(name)
        .ok_or_else(|| format!("no DB instance {name}"))
}

/// The replicas, in replica order.
async fn replicas(rds: &Rds, name: &str) -> Result<Vec<DbInstance>, String> {
    Ok(instances(rds, name)
        .await?
        .into_iter()
        .filter(|(id, _)| id != name)
        .map(|(_, i)| i)
        .collect())
}

fn rds_tags(instance: &DbInstance) -> BTreeMap<String, String> {
    instance
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

fn has_tags(what: &str, tags: &BTreeMap<String, String>, expected: &[(&str, &str)]) -> CheckResult {
    for (k, v) in expected {
        if tags.get(*k).map(String::as_str) != Some(*v) {
            return Err(format!(
                "{what}: tag {k} should be {v:?}; tags are {tags:?}"
            ));
        }
    }
    Ok(())
}

async fn groups(ec2: &Ec2, name: &str) -> Result<Vec<aws_sdk_ec2::types::SecurityGroup>, String> {
    let out = ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("tag:swarm:database")
                .values(name)
                .build(),
        )
        .send()
        .await
        .map_err(err)?;
    Ok(out.security_groups().to_vec())
}

/// The group's ingress as (protocol, from, to, source), sorted.
fn ingress(group: &aws_sdk_ec2::types::SecurityGroup) -> Vec<(String, i32, i32, String)> {
    let mut rules = Vec::new();
    for p in group.ip_permissions() {
        let rule = |source: &str| {
            (
                p.ip_protocol().unwrap_or_default().to_owned(),
                p.from_port().unwrap_or(-1),
                p.to_port().unwrap_or(-1),
                source.to_owned(),
            )
        };
        rules.extend(
            p.ip_ranges()
                .iter()
                .map(|r| rule(r.cidr_ip().unwrap_or_default())),
        );
        rules.extend(
            p.user_id_group_pairs()
                .iter()
                .map(|g| rule(g.group_id().unwrap_or_default())),
        );
        rules.extend(
            p.ipv6_ranges()
                .iter()
                .map(|r| rule(r.cidr_ipv6().unwrap_or_default())),
        );
    }
    rules.sort();
    rules
}

async fn subnet_group_ids(rds: &Rds, name: &str) -> Result<Vec<String>, String> {
    let out = rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(format!("{name}-subnets"))
        .send()
        .await
        .map_err(err)?;
    let mut ids: Vec<String> = out
        .db_subnet_groups()
        .iter()
        .flat_map(|g| g.subnets())
        .filter_map(|s| s.subnet_identifier().map(str::to_owned))
        .collect();
    ids.sort();
    Ok(ids)
}

async fn final_snapshots(rds: &Rds, name: &str) -> Result<Vec<String>, String> {
    let snapshots: Vec<_> = rds
        .describe_db_snapshots()
        .snapshot_type("manual")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(err)?;
    Ok(snapshots
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .filter(|id| id.starts_with(&format!("{name}-final-")))
        .map(str::to_owned)
        .collect())
}

/// Nothing of the database is left but, when `snapshot`, its final
/// snapshot.
async fn nothing_left(emulator: &Emulator, name: &str, snapshot: bool) -> CheckResult {
    let rds = emulator.rds().await;
    let left = instances(&rds, name).await?;
    if !left.is_empty() {
        return Err(format!("DB instances left: {:?}", left.keys()));
    }
    let subnet_groups = rds.describe_db_subnet_groups().send().await.map_err(err)?;
    if let Some(g) = subnet_groups
        .db_subnet_groups()
        .iter()
        .find(|g| g.db_subnet_group_name() == Some(format!("{name}-subnets").as_str()))
    {
        return Err(format!("subnet group left: {:?}", g.db_subnet_group_name()));
    }
    let groups = groups(&emulator.ec2().await, name).await?;
    if !groups.is_empty() {
        return Err(format!("{} security groups left", groups.len()));
    }
    let snapshots = final_snapshots(&rds, name).await?;
    match (snapshot, snapshots.len()) {
        (true, 1) | (false, 0) => Ok(()),
        (_, n) => Err(format!(
            "{n} final snapshots ({snapshots:?}), expected {}",
            u8::from(snapshot)
        )),
    }
}

/// A check with the database's attributes and the emulator.
fn sdk_check<F, Fut>(emulator: &Arc<Emulator>, f: F) -> Check
where
    F: Fn(Arc<Emulator>, Json) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    let f = Arc::new(f);
    Check::new(move |state| {
        let values = state.values(DB).cloned();
        let (emulator, f) = (Arc::clone(&emulator), Arc::clone(&f));
        Box::pin(async move { f(emulator, values?).await })
    })
}

/// An action before a step, through the SDK (drift made out of band).
fn out_of_band<F, Fut>(
    emulator: &Arc<Emulator>,
    f: F,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = CheckResult> + Send>> + Send + Sync + 'static
where
    F: Fn(Arc<Emulator>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    move || Box::pin(f(Arc::clone(&emulator)))
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

// ---------------------------------------------------------------------------
// A VPC with three zones and two client security groups, made through the
// SDK so that the configurations can name them.

/// The zones of the three subnets (not the region's first: RDS places
/// instances in their subnets' zones).
const ZONES: [&str; 3] = ["us-east-1b", "us-east-1c", "us-east-1d"];

struct Network {
    vpc: String,
    /// In us-east-1b, us-east-1c, us-east-1d.
    subnets: Vec<String>,
    app_group: String,
    ops_group: String,
    /// In another VPC.
    foreign_group: String,
    /// Two subnets of one zone.
    one_zone: Vec<String>,
}

async fn network(ec2: &Ec2) -> Network {
    let vpc = |cidr: &'static str| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_vpc()
                .cidr_block(cidr)
                .send()
                .await
                .expect("CreateVpc")
                .vpc()
                .and_then(|v| v.vpc_id())
                .expect("a VPC id")
                .to_owned()
        }
    };
    let subnet = |vpc: String, cidr: &'static str, zone: &'static str| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .availability_zone(zone)
                .send()
                .await
                .expect("CreateSubnet")
                .subnet()
                .and_then(|s| s.subnet_id())
                .expect("a subnet id")
                .to_owned()
        }
    };
    let group = |vpc: String, name: &'static str| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_security_group()
                .group_name(name)
                .description("clients of the database")
                .vpc_id(vpc)
                .send()
                .await
                .expect("CreateSecurityGroup")
                .group_id()
                .expect("a group id")
                .to_owned()
        }
    };
    let main = vpc("10.30.0.0/16").await;
    let other = vpc("10.40.0.0/16").await;
    Network {
        subnets: vec![
            subnet(main.clone(), "10.30.1.0/24", ZONES[0]).await,
            subnet(main.clone(), "10.30.2.0/24", ZONES[1]).await,
            subnet(main.clone(), "10.30.3.0/24", ZONES[2]).await,
        ],
        one_zone: vec![
            subnet(other.clone(), "10.40.1.0/24", "us-east-1a").await,
            subnet(other.clone(), "10.40.2.0/24", "us-east-1a").await,
        ],
        app_group: group(main.clone(), "app").await,
        ops_group: group(main.clone(), "ops").await,
        foreign_group: group(other.clone(), "elsewhere").await,
        vpc: main,
    }
}

fn quoted(ids: &[&String]) -> String {
    let items: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", items.join(", "))
}

fn database(emulator: &Emulator, environment: &str, body: &str) -> String {
    config(&format!(
        "{}\nresource \"swarm_database\" \"main\" {{\n{body}\n}}\n",
        emulator.provider_block(&format!(
            "  environment  = \"{environment}\"\n  default_tags = {{ owner = \"platform\" }}"
        ))
    ))
}

/// The lifecycle's configuration; `extra` is appended.
fn body(net: &Network, settings: &Settings, extra: &str) -> String {
    let allowed: Vec<&String> = settings
        .groups
        .iter()
        .map(|g| {
            if *g == "ops" {
                &net.ops_group
            } else {
                &net.app_group
            }
        })
        .collect();
    format!(
        r#"  name                       = "agents"
  engine_version             = "{version}"
  instance_class             = "{class}"
  allocated_storage          = {storage}
  max_allocated_storage      = {max}
  multi_az                   = true
  subnet_ids                 = {subnets}
  allowed_security_group_ids = {allowed}
  backup_retention_days      = {retention}
  backup_window              = "{backup}"
  maintenance_window         = "mon:04:30-mon:05:30"
  deletion_protection        = false
  read_replicas              = {replicas}
  master_username            = "swarm"
  tags                       = {{ team = "{team}" }}
{extra}"#,
        version = settings.version,
        class = settings.class,
        storage = settings.storage,
        max = settings.max,
        subnets = quoted(
            &net.subnets
                .iter()
                .take(settings.subnets)
                .collect::<Vec<_>>()
        ),
        allowed = quoted(&allowed),
        retention = settings.retention,
        backup = settings.backup,
        replicas = settings.replicas,
        team = settings.team,
    )
}

#[derive(Clone)]
struct Settings {
    version: &'static str,
    class: &'static str,
    storage: i32,
    max: i32,
    retention: i32,
    backup: &'static str,
    replicas: usize,
    /// How many of the three subnets.
    subnets: usize,
    groups: Vec<&'static str>,
    team: &'static str,
}

const CREATED: Settings = Settings {
    version: "15",
    class: "db.t3.medium",
    storage: 20,
    max: 100,
    retention: 7,
    backup: "03:00-04:00",
    replicas: 2,
    subnets: 3,
    groups: Vec::new(),
    team: "agents",
};

/// The database as the settings describe it, read through the SDK;
/// returns the primary's resource id (its identity across updates).
async fn check_database(
    e: &Emulator,
    values: &Json,
    net: &NetIds,
    settings: &Settings,
    secret_managed: bool,
) -> Result<String, String> {
    let rds = e.rds().await;
    let p = primary(&rds, "agents").await?;
    let expect = |what: &str, ok: bool, seen: &dyn std::fmt::Debug| {
        if ok {
            Ok(())
        } else {
            Err(format!("primary {what}: {seen:?}"))
        }
    };
    expect("engine", p.engine() == Some("postgres"), &p.engine())?;
    expect(
        "engine version",
        p.engine_version().is_some_and(|v| {
            v == settings.version || v.starts_with(&format!("{}.", settings.version))
        }),
        &p.engine_version(),
    )?;
    expect(
        "class",
        p.db_instance_class() == Some(settings.class),
        &p.db_instance_class(),
    )?;
    expect(
        "storage",
        p.allocated_storage() == Some(settings.storage),
        &p.allocated_storage(),
    )?;
    expect(
        "storage ceiling",
        p.max_allocated_storage() == Some(settings.max),
        &p.max_allocated_storage(),
    )?;
    expect(
        "storage type",
        p.storage_type() == Some("gp3"),
        &p.storage_type(),
    )?;
    expect(
        "encryption",
        p.storage_encrypted() == Some(true),
        &p.storage_encrypted(),
    )?;
    expect("Multi-AZ", p.multi_az() == Some(true), &p.multi_az())?;
    expect(
        "backup retention",
        p.backup_retention_period() == Some(settings.retention),
        &p.backup_retention_period(),
    )?;
    expect(
        "backup window",
        p.preferred_backup_window() == Some(settings.backup),
        &p.preferred_backup_window(),
    )?;
    expect(
        "maintenance window",
        p.preferred_maintenance_window() == Some("mon:04:30-mon:05:30"),
        &p.preferred_maintenance_window(),
    )?;
    expect(
        "public access",
        p.publicly_accessible() == Some(false),
        &p.publicly_accessible(),
    )?;
    expect(
        "deletion protection",
        p.deletion_protection() == Some(false),
        &p.deletion_protection(),
    )?;
    expect(
        "tags on snapshots",
        p.copy_tags_to_snapshot() == Some(true),
        &p.copy_tags_to_snapshot(),
    )?;
    expect(
        "master user",
        p.master_username() == Some("swarm"),
        &p.master_username(),
    )?;
    expect(
        "subnet group",
        p.db_subnet_group().and_then(|g| g.db_subnet_group_name()) == Some("agents-subnets"),
        &p.db_subnet_group(),
    )?;
    let secret = p.master_user_secret().and_then(|s| s.secret_arn());
    expect("master secret", secret.is_some() == secret_managed, &secret)?;
    if values["master_secret_arn"].as_str() != secret {
        return Err(format!(
            "state master_secret_arn {} but RDS has {secret:?}",
            values["master_secret_arn"]
        ));
    }
    has_tags(
        "primary",
        &rds_tags(&p),
        &[
            ("team", settings.team),
            ("owner", "platform"),
            ("Name", "agents"),
            ("swarm:database", "agents"),
            ("swarm:role", "primary"),
        ],
    )?;

    let mut subnets: Vec<String> = net.subnets.iter().take(settings.subnets).cloned().collect();
    subnets.sort();
    let grouped = subnet_group_ids(&rds, "agents").await?;
    if grouped != subnets {
        return Err(format!(
            "the subnet group holds {grouped:?}, expected {subnets:?}"
        ));
    }

    // The security group: PostgreSQL from the allowed groups, nothing else.
    let ec2 = e.ec2().await;
    let group = match groups(&ec2, "agents").await?.as_slice() {
        [group] => group.clone(),
        other => return Err(format!("{} security groups", other.len())),
    };
    if group.vpc_id() != Some(net.vpc.as_str()) {
        return Err(format!("security group in {:?}", group.vpc_id()));
    }
    let attached: Vec<&str> = p
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    if attached != [group.group_id().unwrap_or_default()] {
        return Err(format!("the primary has security groups {attached:?}"));
    }
    let mut wanted: Vec<(String, i32, i32, String)> = settings
        .groups
        .iter()
        .map(|g| {
            let id = if *g == "ops" {
                &net.ops_group
            } else {
                &net.app_group
            };
            ("tcp".to_owned(), 5432, 5432, id.clone())
        })
        .collect();
    wanted.sort();
    if ingress(&group) != wanted {
        return Err(format!(
            "ingress {:?}, expected {wanted:?}",
            ingress(&group)
        ));
    }

    // Replicas: of the primary, in the other zones, of the same class.
    let replicas = replicas(&rds, "agents").await?;
    let ids: Vec<&str> = replicas
        .iter()
        .filter_map(|r| r.db_instance_identifier())
        .collect();
    let expected_ids: Vec<String> = (1..=settings.replicas)
        .map(|i| format!("agents-replica-{i}"))
        .collect();
    if ids != expected_ids {
        return Err(format!("replicas {ids:?}, expected {expected_ids:?}"));
    }
    // The primary is in one of its subnets' zones, the replicas in others.
    let subnet_zones = &ZONES[..settings.subnets];
    if !p
        .availability_zone()
        .is_some_and(|z| subnet_zones.contains(&z))
    {
        return Err(format!(
            "the primary is in {:?}, not in a zone of its subnets {subnet_zones:?}",
            p.availability_zone()
        ));
    }
    let mut zones = Vec::new();
    for r in &replicas {
        let id = r.db_instance_identifier().unwrap_or_default();
        if r.read_replica_source_db_instance_identifier() != Some("agents") {
            return Err(format!(
                "{id} replicates {:?}",
                r.read_replica_source_db_instance_identifier()
            ));
        }
        if r.availability_zone() == p.availability_zone()
            || !r
                .availability_zone()
                .is_some_and(|z| subnet_zones.contains(&z))
        {
            return Err(format!(
                "{id} is in {:?}: the primary's zone or none of its subnets'",
                r.availability_zone()
            ));
        }
        if r.db_instance_class() != Some(settings.class) {
            return Err(format!("{id} is a {:?}", r.db_instance_class()));
        }
        if r.publicly_accessible() != Some(false) || r.storage_encrypted() != Some(true) {
            return Err(format!("{id} is public or unencrypted"));
        }
        has_tags(
            id,
            &rds_tags(r),
            &[("swarm:role", "replica"), ("team", settings.team)],
        )?;
        zones.push(r.availability_zone().unwrap_or_default().to_owned());
    }
    let mut distinct = zones.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != zones.len() {
        return Err(format!("replicas share zones: {zones:?}"));
    }

    // The state says what RDS has.
    let endpoints: Vec<String> = replicas
        .iter()
        .filter_map(|r| r.endpoint().and_then(|e| e.address()).map(str::to_owned))
        .collect();
    if strings(values, "replica_endpoints") != endpoints
        || strings(values, "replica_availability_zones") != zones
    {
        return Err(format!(
            "state replicas {} / {}, RDS {endpoints:?} / {zones:?}",
            values["replica_endpoints"], values["replica_availability_zones"]
        ));
    }
    if values["endpoint"].as_str() != p.endpoint().and_then(|e| e.address())
        || values["arn"].as_str() != p.db_instance_arn()
        || values["availability_zone"].as_str() != p.availability_zone()
        || values["security_group_id"].as_str() != group.group_id()
    {
        return Err(format!("state outputs differ from RDS: {values}"));
    }
    Ok(p.dbi_resource_id().unwrap_or_default().to_owned())
}

/// What the checks need of the network, owned (checks are 'static).
#[derive(Clone)]
struct NetIds {
    vpc: String,
    subnets: Vec<String>,
    app_group: String,
    ops_group: String,
}

fn database_matches(
    emulator: &Arc<Emulator>,
    net: &NetIds,
    settings: &Settings,
    secret_managed: bool,
    identity: &Arc<Mutex<String>>,
) -> Check {
    let (net, settings, identity) = (net.clone(), settings.clone(), Arc::clone(identity));
    sdk_check(emulator, move |e, values| {
        let (net, settings, identity) = (net.clone(), settings.clone(), Arc::clone(&identity));
        async move {
            let id = check_database(&e, &values, &net, &settings, secret_managed).await?;
            let mut known = identity.lock().map_err(err)?;
            if known.is_empty() {
                *known = id;
            } else if *known != id {
                return Err(format!("the primary was replaced: {known} → {id}"));
            }
            Ok(())
        }
    })
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn database_lifecycle() {
    let emulator = Arc::new(Emulator::start());
    let net = network(&emulator.ec2().await).await;
    let ids = NetIds {
        vpc: net.vpc.clone(),
        subnets: net.subnets.clone(),
        app_group: net.app_group.clone(),
        ops_group: net.ops_group.clone(),
    };
    let created_settings = Settings {
        groups: vec!["app"],
        ..CREATED
    };
    let updated_settings = Settings {
        version: "16",
        class: "db.t3.large",
        storage: 30,
        max: 200,
        retention: 14,
        backup: "02:00-03:00",
        replicas: 1,
        subnets: 2,
        groups: vec!["app", "ops"],
        team: "swarm",
    };
    let hcl = |settings: &Settings, extra: &str| {
        database(&emulator, "staging", &body(&net, settings, extra))
    };
    let created = hcl(&created_settings, "");
    let updated = hcl(&updated_settings, "");
    let with_password = |version: u32, password: &str| {
        hcl(
            &updated_settings,
            &format!(
                "  master_password_wo         = \"{password}\"\n  master_password_wo_version = {version}\n"
            ),
        )
    };
    let identity = Arc::new(Mutex::new(String::new()));
    // Apply the updated configuration; everything is as it says again.
    let repaired = || {
        Step::apply(updated.clone()).check(database_matches(
            &emulator,
            &ids,
            &updated_settings,
            true,
            &identity,
        ))
    };

    test_case()
        // Create: everything checked through the SDK.
        .step(
            Step::apply(created.clone())
                .check(Check::attr_equals(DB, "id", "agents"))
                .check(Check::attr_equals(DB, "engine_version", "15"))
                .check(Check::attr_equals(DB, "port", 5432))
                .check(Check::attr_equals(DB, "vpc_id", net.vpc.as_str()))
                .check(Check::attr_equals(
                    DB,
                    "ingress_rules",
                    json!([format!("tcp/5432 from {}", net.app_group)]),
                ))
                .check(Check::attr_set(DB, "master_secret_arn"))
                .check(Check::attr_equals(
                    DB,
                    "tags_all",
                    json!({"owner": "platform", "team": "agents"}),
                ))
                .check(database_matches(
                    &emulator,
                    &ids,
                    &created_settings,
                    true,
                    &identity,
                )),
        )
        // Changes RDS cannot make fail in the plan.
        .step(
            Step::plan(hcl(
                &Settings {
                    version: "14",
                    ..created_settings.clone()
                },
                "",
            ))
            .expect_error("Engine version cannot go back"),
        )
        // In place: class, storage, major version, windows, retention,
        // replicas (one removed), rules and tags; same primary.
        .step(
            Step::apply(updated.clone())
                .check(Check::attr_equals(DB, "engine_version_actual", "16"))
                .check(Check::attr_equals(DB, "read_replicas", 1))
                .check(database_matches(
                    &emulator,
                    &ids,
                    &updated_settings,
                    true,
                    &identity,
                )),
        )
        .step(
            Step::plan(hcl(
                &Settings {
                    storage: 20,
                    ..updated_settings.clone()
                },
                "",
            ))
            .expect_error("Storage cannot shrink"),
        )
        // Import by name, with the CLI and with an import block.
        .step(Step::import(updated.clone(), DB, "agents"))
        .step(
            Step::import_block(format!(
                "{updated}\nimport {{\n  to = {DB}\n  id = \"agents\"\n}}\n"
            ))
            .check(Check::attr_equals(DB, "instance_class", "db.t3.large"))
            .check(Check::attr_equals(DB, "read_replicas", 1)),
        )
        // Drift: the instance changed out of band is planned back and
        // repaired.
        .step(
            Step::plan(updated.clone())
                .before(out_of_band(&emulator, |e| async move {
                    let rds = e.rds().await;
                    let modified = rds
                        .modify_db_instance()
                        .db_instance_identifier("agents")
                        .db_instance_class("db.t3.small")
                        .backup_retention_period(3)
                        .apply_immediately(true)
                        .send()
                        .await
                        .map_err(err)?;
                    let arn = modified
                        .db_instance()
                        .and_then(|i| i.db_instance_arn())
                        .unwrap_or_default()
                        .to_owned();
                    rds.add_tags_to_resource()
                        .resource_name(arn)
                        .tags(
                            aws_sdk_rds::types::Tag::builder()
                                .key("rogue")
                                .value("yes")
                                .build(),
                        )
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }))
                .expect_changes(),
        )
        .step(
            Step::apply(updated.clone())
                .check(database_matches(
                    &emulator,
                    &ids,
                    &updated_settings,
                    true,
                    &identity,
                ))
                .check(sdk_check(&emulator, |e, _| async move {
                    let tags = rds_tags(&primary(&e.rds().await, "agents").await?);
                    match tags.get("rogue") {
                        None => Ok(()),
                        Some(_) => Err(format!("a tag added out of band is still there: {tags:?}")),
                    }
                })),
        )
        // Drift: a replica deleted out of band is planned back and rebuilt.
        .step(
            Step::plan(updated.clone())
                .before(out_of_band(&emulator, |e| async move {
                    e.rds()
                        .await
                        .delete_db_instance()
                        .db_instance_identifier("agents-replica-1")
                        .skip_final_snapshot(true)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }))
                .expect_changes(),
        )
        .step(repaired())
        // Drift: the primary's class alone changed out of band (its
        // replica still as configured) shows in the plan and is set back.
        .step(class_changed_out_of_band(&emulator, &updated, "agents"))
        .step(repaired())
        // Drift: a replica's class changed out of band shows in the plan
        // (as the database's instance_class) and is set back.
        .step(class_changed_out_of_band(
            &emulator,
            &updated,
            "agents-replica-1",
        ))
        .step(repaired())
        // Drift: the port opened to the internet out of band is closed again.
        .step(
            Step::plan(updated.clone())
                .before(out_of_band(&emulator, |e| async move {
                    let ec2 = e.ec2().await;
                    let group = groups(&ec2, "agents")
                        .await?
                        .first()
                        .and_then(|g| g.group_id().map(str::to_owned))
                        .ok_or("no security group")?;
                    ec2.authorize_security_group_ingress()
                        .group_id(group)
                        .ip_permissions(
                            IpPermission::builder()
                                .ip_protocol("tcp")
                                .from_port(5432)
                                .to_port(5432)
                                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                                .build(),
                        )
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }))
                .expect_changes(),
        )
        .step(repaired())
        // The password: given (write-only, never in the state), rotated,
        // then handed back to RDS.
        .step(
            Step::apply(with_password(1, PASSWORD))
                .check(Check::attr_equals(DB, "master_secret_arn", Json::Null))
                .check(Check::attr_equals(DB, "master_password_wo", Json::Null))
                .check(Check::attr_equals(DB, "master_password_wo_version", 1))
                .check(Check::sync(|state| {
                    if state.json.to_string().contains(PASSWORD) {
                        Err("the password is in the state".into())
                    } else {
                        Ok(())
                    }
                }))
                .check(database_matches(
                    &emulator,
                    &ids,
                    &updated_settings,
                    false,
                    &identity,
                )),
        )
        .step(
            Step::apply(with_password(2, ROTATED))
                .check(Check::attr_equals(DB, "master_password_wo_version", 2))
                .check(Check::sync(|state| {
                    if state.json.to_string().contains(ROTATED) {
                        Err("the password is in the state".into())
                    } else {
                        Ok(())
                    }
                }))
                .check(database_matches(
                    &emulator,
                    &ids,
                    &updated_settings,
                    false,
                    &identity,
                )),
        )
        .step(
            Step::apply(updated.clone())
                .check(Check::attr_set(DB, "master_secret_arn"))
                .check(database_matches(
                    &emulator,
                    &ids,
                    &updated_settings,
                    true,
                    &identity,
                )),
        )
        // Storage grown by autoscaling (up to max_allocated_storage) is not
        // drift: the plan stays empty.
        .step(
            Step::plan(updated.clone()).before(out_of_band(&emulator, |e| async move {
                e.rds()
                    .await
                    .modify_db_instance()
                    .db_instance_identifier("agents")
                    .allocated_storage(45)
                    .apply_immediately(true)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err)
            })),
        )
        .step(
            Step::apply(updated.clone())
                .check(Check::attr_equals(DB, "allocated_storage", 30))
                .check(sdk_check(&emulator, |e, _| async move {
                    match primary(&e.rds().await, "agents").await?.allocated_storage() {
                        Some(45) => Ok(()),
                        other => Err(format!("storage {other:?}, autoscaled to 45 expected")),
                    }
                })),
        )
        .check_destroy(sdk_check_destroy(&emulator, true))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

/// A plan step that first makes DB instance `instance` a `db.t3.small` out
/// of band, and expects the plan to show it.
fn class_changed_out_of_band(
    emulator: &Arc<Emulator>,
    config: &str,
    instance: &'static str,
) -> Step {
    Step::plan(config)
        .before(out_of_band(emulator, move |e| async move {
            e.rds()
                .await
                .modify_db_instance()
                .db_instance_identifier(instance)
                .db_instance_class("db.t3.small")
                .apply_immediately(true)
                .send()
                .await
                .map(|_| ())
                .map_err(err)
        }))
        .expect_changes()
}

fn sdk_check_destroy(emulator: &Arc<Emulator>, snapshot: bool) -> Check {
    let emulator = Arc::clone(emulator);
    Check::new(move |_| {
        let emulator = Arc::clone(&emulator);
        Box::pin(async move { nothing_left(&emulator, "agents", snapshot).await })
    })
}

const NETWORK: &str = r#"resource "swarm_network" "main" {
  name               = "agents"
  availability_zones = ["us-east-1a", "us-east-1b"]
}
"#;

/// A production network, with the database on it when `db` is given
/// (its extra attributes).
fn production(emulator: &Emulator, db: Option<&str>) -> String {
    let provider = emulator.provider_block(
        "  environment  = \"production\"\n  default_tags = { owner = \"platform\" }",
    );
    let db = db.map_or(String::new(), |extra| {
        format!(
            r#"resource "swarm_database" "main" {{
  name       = "agents"
  subnet_ids = swarm_network.main.database_subnet_ids
  timeouts {{
    create = "90m"
    delete = "30m"
  }}
{extra}}}
"#
        )
    });
    config(&format!("{provider}\n{NETWORK}\n{db}"))
}

/// Production defaults on a `swarm_network`'s database subnets (unknown
/// when planned), deletion protection blocking destroy, and no final
/// snapshot when asked.
#[tokio::test]
async fn production_defaults_on_a_network_and_deletion_protection() {
    let emulator = Arc::new(Emulator::start());
    let only_network = production(&emulator, None);
    test_case()
        .step(
            Step::apply(production(&emulator, Some("")))
                .check(Check::attr_equals(DB, "instance_class", "db.t3.medium"))
                .check(Check::attr_equals(DB, "multi_az", true))
                .check(Check::attr_equals(DB, "deletion_protection", true))
                .check(Check::attr_equals(DB, "backup_retention_days", 14))
                .check(Check::attr_equals(DB, "engine_version", "16"))
                .check(Check::attr_equals(DB, "allocated_storage", 20))
                .check(Check::attr_equals(DB, "max_allocated_storage", 40))
                .check(Check::attr_equals(DB, "read_replicas", 0))
                .check(Check::attr_equals(DB, "final_snapshot", true))
                .check(Check::attr_equals(DB, "ingress_rules", json!([])))
                .check(Check::attr_set(DB, "backup_window"))
                .check(Check::attr_set(DB, "maintenance_window"))
                .check(Check::attr_set(DB, "master_secret_arn"))
                .check(Check::sync(|state| {
                    let db = state.values(DB)?;
                    let network = state.values("swarm_network.main")?;
                    let mut want = strings(network, "database_subnet_ids");
                    let mut got = strings(db, "subnet_ids");
                    want.sort();
                    got.sort();
                    if want != got || db["vpc_id"] != network["vpc_id"] {
                        return Err(format!("subnets {got:?}, the network's {want:?}"));
                    }
                    Ok(())
                }))
                .check(sdk_check(&emulator, |e, _| async move {
                    let rds = e.rds().await;
                    let p = primary(&rds, "agents").await?;
                    if p.deletion_protection() != Some(true)
                        || p.multi_az() != Some(true)
                        || p.db_instance_class() != Some("db.t3.medium")
                        || p.backup_retention_period() != Some(14)
                        || p.max_allocated_storage() != Some(40)
                        || p.storage_encrypted() != Some(true)
                        || p.master_user_secret().is_none()
                    {
                        return Err(format!("production defaults not applied: {p:?}"));
                    }
                    match groups(&e.ec2().await, "agents").await?.as_slice() {
                        [g] if ingress(g).is_empty() => Ok(()),
                        other => Err(format!("security groups {other:?}")),
                    }
                })),
        )
        // Destroying a protected database fails in the plan.
        .step(Step::apply(only_network.clone()).expect_error("Deletion protection is on"))
        // Nothing was deleted; protection off, no final snapshot.
        .step(
            Step::apply(production(
                &emulator,
                Some("  deletion_protection = false\n  final_snapshot      = false\n"),
            ))
            .before(out_of_band(&emulator, |e| async move {
                primary(&e.rds().await, "agents").await.map(|_| ())
            }))
            .check(Check::attr_equals(DB, "deletion_protection", false))
            .check(sdk_check(&emulator, |e, _| async move {
                match primary(&e.rds().await, "agents")
                    .await?
                    .deletion_protection()
                {
                    Some(false) => Ok(()),
                    other => Err(format!("deletion protection {other:?}")),
                }
            })),
        )
        // Destroyed with the network still there: nothing is left of the
        // database, and no final snapshot was taken.
        .step(Step::apply(only_network).check(sdk_check_destroy(&emulator, false)))
        .check_destroy(sdk_check_destroy(&emulator, false))
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
    let taken: Arc<Mutex<Vec<String>>> = Arc::default();
    let (made, seen_taken) = (Arc::clone(&taken), Arc::clone(&taken));
    test_case()
        .step(Step::apply(production(
            &emulator,
            Some("  deletion_protection = false\n"),
        )))
        .step(
            Step::apply(production(&emulator, None))
                .after_plan(out_of_band(&emulator, move |e| {
                    let made = Arc::clone(&made);
                    async move {
                        let names = final_snapshot_names_ahead("agents", 60);
                        let rds = e.rds().await;
                        for snapshot in &names {
                            rds.create_db_snapshot()
                                .db_instance_identifier("agents")
                                .db_snapshot_identifier(snapshot)
                                .send()
                                .await
                                .map_err(err)?;
                        }
                        *made.lock().map_err(err)? = names;
                        Ok(())
                    }
                }))
                .check(Check::new(move |_| {
                    let (emulator, taken) = (Arc::clone(&emulator), Arc::clone(&seen_taken));
                    Box::pin(async move {
                        let rds = emulator.rds().await;
                        if !instances(&rds, "agents").await?.is_empty() {
                            return Err("DB instances are left".to_owned());
                        }
                        let existing = final_snapshots(&rds, "agents").await?;
                        let taken = taken.lock().map_err(err)?.clone();
                        took_the_next_free_name("agents", &taken, &existing)
                    })
                })),
        )
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn invalid_values_fail_early_and_create_nothing() {
    let emulator = Arc::new(Emulator::start());
    let net = network(&emulator.ec2().await).await;
    let subnets = quoted(&net.subnets.iter().collect::<Vec<_>>());
    let bad = |attrs: &str| {
        database(
            &emulator,
            "staging",
            &format!("  subnet_ids = {subnets}\n{attrs}"),
        )
    };
    let validate = |attrs: &str, error: &str| Step::validate(bad(attrs)).expect_error(error);
    let name = "  name = \"agents\"\n";
    // A DB instance this provider did not create.
    emulator
        .rds()
        .await
        .create_db_instance()
        .db_instance_identifier("taken")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("someone")
        .master_user_password("someone-elses-9")
        .send()
        .await
        .expect("CreateDBInstance");
    test_case()
        .step(validate(
            "  name = \"Agents_1\"",
            "name must be an RDS identifier: \"Agents_1\" is not 1 to 53 lower-case letters",
        ))
        .step(validate(
            &format!("{name}  allocated_storage = 10"),
            "allocated_storage must be a whole number from 20 to 65536, got 10",
        ))
        .step(validate(
            &format!("{name}  allocated_storage = 50\n  max_allocated_storage = 40"),
            "max_allocated_storage (40) must be at least allocated_storage (50)",
        ))
        .step(validate(
            &format!("{name}  read_replicas = 6"),
            "read_replicas must be a whole number from 0 to 5, got 6",
        ))
        .step(validate(
            &format!("{name}  backup_retention_days = 36"),
            "backup_retention_days must be a whole number from 0 to 35, got 36",
        ))
        .step(validate(
            &format!("{name}  read_replicas = 1\n  backup_retention_days = 0"),
            "backup_retention_days must be at least 1 when read_replicas is set",
        ))
        .step(validate(
            &format!("{name}  backup_window = \"3:00-4:00\""),
            "backup_window must be a daily window such as 03:00-04:00",
        ))
        .step(validate(
            &format!("{name}  maintenance_window = \"sun:05:00-sun:05:15\""),
            "is shorter than 30 minutes",
        ))
        .step(validate(
            &format!(
                "{name}  backup_window = \"03:00-06:00\"\n  maintenance_window = \"Mon:00:00-Mon:03:00\""
            ),
            "overlaps or touches the daily backup_window",
        ))
        .step(validate(
            &format!("{name}  master_username = \"user\""),
            "\"user\" is reserved by PostgreSQL or RDS",
        ))
        .step(validate(
            &format!("{name}  master_password_wo = \"{PASSWORD}\""),
            "Set master_password_wo_version with master_password_wo",
        ))
        .step(validate(
            &format!("{name}  master_password_wo = \"short\"\n  master_password_wo_version = 1"),
            "it has 5 characters",
        ))
        .step(validate(
            &format!("{name}  instance_class = \"t3.medium\""),
            "instance_class must be an instance class such as db.t3.medium",
        ))
        .step(validate(
            &format!("{name}  engine_version = \"fifteen\""),
            "engine_version must be a version such as 16 or 16.4",
        ))
        .step(validate(
            &format!("{name}  allowed_security_group_ids = [\"10.0.0.0/8\"]"),
            "a security group id such as sg-0123abcd",
        ))
        .step(validate(
            &format!("{name}  tags = {{ \"swarm:database\" = \"other\" }}"),
            "tags keys must not be reserved",
        ))
        // What depends on AWS fails in the plan.
        .step(
            Step::plan(database(
                &emulator,
                "staging",
                &format!("{name}  subnet_ids = {}", quoted(&net.one_zone.iter().collect::<Vec<_>>())),
            ))
            .expect_error("subnet_ids must span at least two availability zones"),
        )
        .step(
            Step::plan(bad(&format!(
                "{name}  allowed_security_group_ids = [\"{}\"]",
                net.foreign_group
            )))
            .expect_error("a rule can only name groups of its own VPC"),
        )
        .step(
            Step::apply(database(
                &emulator,
                "staging",
                &format!("{name}  subnet_ids = [\"subnet-0123456789abcdef0\", \"{}\"]", net.subnets[0]),
            ))
            .expect_error("Subnet not found"),
        )
        // Someone else's instance of that name is not taken over.
        .step(
            Step::apply(bad("  name = \"taken\"")).expect_error("DB instance \"taken\" already exists"),
        )
        .check_destroy(sdk_check_destroy(&emulator, false))
        .check_destroy({
            let emulator = Arc::clone(&emulator);
            Check::new(move |_| {
                let emulator = Arc::clone(&emulator);
                Box::pin(async move {
                    let taken = primary(&emulator.rds().await, "taken").await?;
                    match (taken.master_username(), taken.db_instance_class()) {
                        (Some("someone"), Some("db.t3.micro")) => Ok(()),
                        other => Err(format!("someone else's instance was changed: {other:?}")),
                    }
                })
            })
        })
        .run(SwarmProvider::new())
        .await
        .unwrap();
}
