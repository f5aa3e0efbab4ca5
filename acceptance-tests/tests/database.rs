//! `swarm_database` through terraform against the emulator, each change
//! checked on the RDS and EC2 objects through the SDK, one focused test
//! per concern: `basic` (create: encrypted gp3 storage, Multi-AZ, windows,
//! backups, no public access, the RDS-managed secret, replicas in the
//! other zones, the security group's single kind of rule, tags; destroy
//! leaves only the final snapshot), `update` (class, storage, version,
//! replicas, rules, tags in place, changes RDS cannot make refused at
//! plan, import by name, the write-only password), `drift` (changes made
//! out of band planned back and repaired; autoscaled storage is not
//! drift), `disappears` (a replica deleted out of band is rebuilt), the
//! environment's defaults with a `swarm_network` and deletion protection,
//! final snapshots under the next free name, and invalid values that fail
//! early and create nothing.

use std::collections::BTreeMap;

use std::sync::Arc;

use acceptance_tests::checks::{
    Memo, drifted, ensure, err, has_tags, ingress, open_to_the_world, out_of_band, sdk_check,
    strings, tag_map, tcp_from,
};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{filter, security_group, subnet, vpc};
use acceptance_tests::snapshots::{Snapshots, destroy_onto_taken_names};
use acceptance_tests::{config, run, test_case, with_import_block};
use aws_sdk_rds::types::DbInstance;
use serde_json::{Value as Json, json};
use tfplugin::testing::{Check, CheckResult, Step, TestCase};

const DB: &str = "swarm_database.main";
const PASSWORD: &str = "correct-horse-battery-9";
const ROTATED: &str = "staple-lantern-orbit-42";

type Rds = aws_sdk_rds::Client;
type Ec2 = aws_sdk_ec2::Client;

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

async fn groups(ec2: &Ec2, name: &str) -> Result<Vec<aws_sdk_ec2::types::SecurityGroup>, String> {
    let out = ec2
        .describe_security_groups()
        .filters(filter("tag:swarm:database", &[name]))
        .send()
        .await
        .map_err(err)?;
    Ok(out.security_groups().to_vec())
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

/// Nothing of the database is left but, when `snapshot`, its final
/// snapshot.
async fn nothing_exists(emulator: &Emulator, name: &str, snapshot: bool) -> CheckResult {
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
    let snapshots = Snapshots::Rds.finals(emulator, name).await?;
    match (snapshot, snapshots.len()) {
        (true, 1) | (false, 0) => Ok(()),
        (_, n) => Err(format!(
            "{n} final snapshots ({snapshots:?}), expected {}",
            u8::from(snapshot)
        )),
    }
}

/// A check after destroy: nothing of the database "agents" is left but,
/// when `snapshot`, its final snapshot.
fn nothing_left(emulator: &Arc<Emulator>, snapshot: bool) -> Check {
    sdk_check(emulator, move |e, _| async move {
        nothing_exists(&e, "agents", snapshot).await
    })
}

// ---------------------------------------------------------------------------
// A VPC with three zones and two client security groups, made through the
// SDK so that the configurations can name them.

/// The zones of the three subnets (not the region's first: RDS places
/// instances in their subnets' zones).
const ZONES: [&str; 3] = ["us-east-1b", "us-east-1c", "us-east-1d"];

#[derive(Clone)]
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

impl Network {
    /// The client groups `settings` allow in ("ops", else "app").
    fn allowed(&self, settings: &Settings) -> Vec<&String> {
        settings
            .groups
            .iter()
            .map(|g| {
                if *g == "ops" {
                    &self.ops_group
                } else {
                    &self.app_group
                }
            })
            .collect()
    }
}

async fn network(ec2: &Ec2) -> Network {
    let main = vpc(ec2, "10.30.0.0/16").await;
    let other = vpc(ec2, "10.40.0.0/16").await;
    let description = "clients of the database";
    Network {
        subnets: vec![
            subnet(ec2, &main, "10.30.1.0/24", ZONES[0]).await,
            subnet(ec2, &main, "10.30.2.0/24", ZONES[1]).await,
            subnet(ec2, &main, "10.30.3.0/24", ZONES[2]).await,
        ],
        one_zone: vec![
            subnet(ec2, &other, "10.40.1.0/24", "us-east-1a").await,
            subnet(ec2, &other, "10.40.2.0/24", "us-east-1a").await,
        ],
        app_group: security_group(ec2, &main, "app", description).await,
        ops_group: security_group(ec2, &main, "ops", description).await,
        foreign_group: security_group(ec2, &other, "elsewhere", description).await,
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

/// The configuration of `settings`; `extra` is appended.
fn body(net: &Network, settings: &Settings, extra: &str) -> String {
    let allowed: Vec<&String> = net.allowed(settings);
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
    net: &Network,
    settings: &Settings,
    secret_managed: bool,
) -> Result<String, String> {
    let rds = e.rds().await;
    let p = primary(&rds, "agents").await?;
    let expect = |what: &str, ok: bool, seen: &dyn std::fmt::Debug| {
        ensure(&format!("primary {what}"), ok, seen)
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
        &tag_map(p.tag_list()),
        &[
            ("team", settings.team),
            ("owner", "platform"),
            ("Name", "agents"),
            ("swarm:database", "agents"),
            ("swarm:role", "primary"),
        ],
        &[],
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
    let allowed: Vec<&str> = net
        .allowed(settings)
        .into_iter()
        .map(String::as_str)
        .collect();
    let wanted = tcp_from(5432, &allowed);
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
            &tag_map(r.tag_list()),
            &[("swarm:role", "replica"), ("team", settings.team)],
            &[],
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

/// A check that the database is as `settings` describe it, and that its
/// primary is the one the test's earlier steps saw (`identity`).
fn database_matches(
    emulator: &Arc<Emulator>,
    net: &Network,
    settings: &Settings,
    secret_managed: bool,
    identity: &Memo<String>,
) -> Check {
    let (net, settings, identity) = (net.clone(), settings.clone(), identity.clone());
    sdk_check(emulator, move |e, state| {
        let (net, settings, identity) = (net.clone(), settings.clone(), identity.clone());
        async move {
            let values = state.values(DB)?;
            let id = check_database(&e, values, &net, &settings, secret_managed).await?;
            identity.first_or_same("the primary", id)
        }
    })
}

/// The settings of the `update` test's second configuration, which the
/// other tests start from.
fn updated_settings() -> Settings {
    Settings {
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
    }
}

fn created_settings() -> Settings {
    Settings {
        groups: vec!["app"],
        ..CREATED
    }
}

/// A test's database: the emulator, the network made through the SDK, and
/// the primary's identity across the test's steps.
struct Fixture {
    emulator: Arc<Emulator>,
    net: Network,
    identity: Memo<String>,
}

impl Fixture {
    async fn start() -> Self {
        let emulator = Arc::new(Emulator::start());
        let net = network(&emulator.ec2().await).await;
        Self {
            emulator,
            net,
            identity: Memo::default(),
        }
    }

    /// The staging configuration of `settings`, with `extra` attributes.
    fn hcl(&self, settings: &Settings, extra: &str) -> String {
        database(&self.emulator, "staging", &body(&self.net, settings, extra))
    }

    /// The database is as `settings` describe it; the same primary.
    fn matches(&self, settings: &Settings, secret_managed: bool) -> Check {
        database_matches(
            &self.emulator,
            &self.net,
            settings,
            secret_managed,
            &self.identity,
        )
    }

    /// A test case whose destroy must leave nothing but the final snapshot.
    fn case(&self) -> TestCase {
        test_case().check_destroy(nothing_left(&self.emulator, true))
    }

    /// An apply of the updated configuration; everything is as it says
    /// (again), on the same primary.
    fn repaired(&self) -> Step {
        Step::apply(self.hcl(&updated_settings(), ""))
            .check(self.matches(&updated_settings(), true))
    }
}

// ---------------------------------------------------------------------------

/// Create: what Terraform shows, then everything checked through the SDK;
/// the plan is empty; destroy leaves nothing but the final snapshot.
#[tokio::test]
async fn basic() {
    let f = Fixture::start().await;
    let case = f.case().step(
        Step::apply(f.hcl(&created_settings(), ""))
            .check(Check::attr_equals(DB, "id", "agents"))
            .check(Check::attr_equals(DB, "engine_version", "15"))
            .check(Check::attr_equals(DB, "port", 5432))
            .check(Check::attr_equals(DB, "vpc_id", f.net.vpc.as_str()))
            .check(Check::attr_equals(
                DB,
                "ingress_rules",
                json!([format!("tcp/5432 from {}", f.net.app_group)]),
            ))
            .check(Check::attr_set(DB, "master_secret_arn"))
            .check(Check::attr_equals(
                DB,
                "tags_all",
                json!({"owner": "platform", "team": "agents"}),
            ))
            .check(f.matches(&created_settings(), true)),
    );
    run("database::basic", case).await;
}

/// In place: class, storage, major version, windows, retention, replicas
/// (one removed), rules and tags, on the same primary; changes RDS cannot
/// make fail in the plan. The updated database imports by name (CLI and
/// `import {}`). Then the password: given (write-only, never in the
/// state), rotated, handed back to RDS.
#[tokio::test]
async fn update() {
    let f = Fixture::start().await;
    let updated = f.hcl(&updated_settings(), "");
    let with_password = |version: u32, password: &str| {
        f.hcl(
            &updated_settings(),
            &format!(
                "  master_password_wo         = \"{password}\"\n  master_password_wo_version = {version}\n"
            ),
        )
    };
    let not_in_state = |secret: &'static str| {
        Check::sync(move |state| {
            if state.json.to_string().contains(secret) {
                Err("the password is in the state".into())
            } else {
                Ok(())
            }
        })
    };
    let case = f
        .case()
        .step(
            Step::apply(f.hcl(&created_settings(), "")).check(f.matches(&created_settings(), true)),
        )
        .step(
            Step::plan(f.hcl(
                &Settings {
                    version: "14",
                    ..created_settings()
                },
                "",
            ))
            .expect_error("Engine version cannot go back"),
        )
        .step(
            Step::apply(updated.clone())
                .check(Check::attr_equals(DB, "engine_version_actual", "16"))
                .check(Check::attr_equals(DB, "read_replicas", 1))
                .check(f.matches(&updated_settings(), true)),
        )
        .step(
            Step::plan(f.hcl(
                &Settings {
                    storage: 20,
                    ..updated_settings()
                },
                "",
            ))
            .expect_error("Storage cannot shrink"),
        )
        .step(Step::import(updated.clone(), DB, "agents"))
        .step(
            Step::import_block(with_import_block(&updated, DB, "agents"))
                .check(Check::attr_equals(DB, "instance_class", "db.t3.large"))
                .check(Check::attr_equals(DB, "read_replicas", 1)),
        )
        .step(
            Step::apply(with_password(1, PASSWORD))
                .check(Check::attr_equals(DB, "master_secret_arn", Json::Null))
                .check(Check::attr_equals(DB, "master_password_wo", Json::Null))
                .check(Check::attr_equals(DB, "master_password_wo_version", 1))
                .check(not_in_state(PASSWORD))
                .check(f.matches(&updated_settings(), false)),
        )
        .step(
            Step::apply(with_password(2, ROTATED))
                .check(Check::attr_equals(DB, "master_password_wo_version", 2))
                .check(not_in_state(ROTATED))
                .check(f.matches(&updated_settings(), false)),
        )
        .step(
            Step::apply(updated)
                .check(Check::attr_set(DB, "master_secret_arn"))
                .check(f.matches(&updated_settings(), true)),
        );
    run("database::update", case).await;
}

/// Changes made out of band show in the plan and apply sets them back, on
/// the same primary: the class, backup retention and a tag; the primary's
/// class alone (its replica still as configured); a replica's class (shown
/// as the database's instance_class); the port opened to the internet.
/// Storage grown by autoscaling (up to max_allocated_storage) is not
/// drift: the plan stays empty.
#[tokio::test]
async fn drift() {
    let f = Fixture::start().await;
    let updated = f.hcl(&updated_settings(), "");
    let case = f
        .case()
        .step(f.repaired())
        .step(drifted(&f.emulator, &updated, |e| async move {
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
        .step(
            f.repaired()
                .check(sdk_check(&f.emulator, |e, _| async move {
                    let tags = tag_map(primary(&e.rds().await, "agents").await?.tag_list());
                    match tags.get("rogue") {
                        None => Ok(()),
                        Some(_) => Err(format!("a tag added out of band is still there: {tags:?}")),
                    }
                })),
        )
        .step(drifted(&f.emulator, &updated, |e| {
            class_changed(e, "agents")
        }))
        .step(f.repaired())
        .step(drifted(&f.emulator, &updated, |e| {
            class_changed(e, "agents-replica-1")
        }))
        .step(f.repaired())
        .step(drifted(&f.emulator, &updated, |e| async move {
            let group = groups(&e.ec2().await, "agents")
                .await?
                .first()
                .and_then(|g| g.group_id().map(str::to_owned))
                .ok_or("no security group")?;
            open_to_the_world(&e, &group, 5432).await
        }))
        .step(f.repaired())
        .step(
            Step::plan(updated.clone()).before(out_of_band(&f.emulator, |e| async move {
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
            Step::apply(updated)
                .check(Check::attr_equals(DB, "allocated_storage", 30))
                .check(sdk_check(&f.emulator, |e, _| async move {
                    match primary(&e.rds().await, "agents").await?.allocated_storage() {
                        Some(45) => Ok(()),
                        other => Err(format!("storage {other:?}, autoscaled to 45 expected")),
                    }
                })),
        );
    run("database::drift", case).await;
}

/// A replica deleted out of band is planned back and rebuilt, beside the
/// same primary.
#[tokio::test]
async fn disappears() {
    let f = Fixture::start().await;
    let case = f
        .case()
        .step(f.repaired())
        .step(drifted(
            &f.emulator,
            &f.hcl(&updated_settings(), ""),
            |e| async move {
                e.rds()
                    .await
                    .delete_db_instance()
                    .db_instance_identifier("agents-replica-1")
                    .skip_final_snapshot(true)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err)
            },
        ))
        .step(f.repaired());
    run("database::disappears", case).await;
}

/// Makes DB instance `instance` a `db.t3.small`, out of band.
async fn class_changed(e: Arc<Emulator>, instance: &'static str) -> CheckResult {
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
    let case = test_case()
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
        .step(Step::apply(only_network).check(nothing_left(&emulator, false)))
        .check_destroy(nothing_left(&emulator, false));
    run(
        "database::production_defaults_on_a_network_and_deletion_protection",
        case,
    )
    .await;
}

/// A final snapshot whose name is taken (here: a snapshot by that name for
/// every second of the coming minute) goes under the next free name;
/// the destroy neither fails nor touches the existing snapshots.
#[tokio::test]
async fn final_snapshot_takes_the_next_free_name() {
    let emulator = Arc::new(Emulator::start());
    let instances_gone = sdk_check(&emulator, |e, _| async move {
        if instances(&e.rds().await, "agents").await?.is_empty() {
            Ok(())
        } else {
            Err("DB instances are left".to_owned())
        }
    });
    let case = test_case()
        .step(Step::apply(production(
            &emulator,
            Some("  deletion_protection = false\n"),
        )))
        .step(destroy_onto_taken_names(
            &emulator,
            production(&emulator, None),
            Snapshots::Rds,
            "agents",
            instances_gone,
        ));
    run("database::final_snapshot_takes_the_next_free_name", case).await;
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
    let case = test_case()
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
        // Windows that meet are what RDS takes (terraform-aws-modules/rds's
        // example); a minute of overlap is refused.
        .step(Step::validate(bad(&format!(
            "{name}  backup_window = \"03:00-06:00\"\n  maintenance_window = \"Mon:00:00-Mon:03:00\""
        ))))
        .step(validate(
            &format!(
                "{name}  backup_window = \"02:59-06:00\"\n  maintenance_window = \"Mon:00:00-Mon:03:00\""
            ),
            "overlaps the daily backup_window",
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
            r#"tags["swarm:database"]: "swarm:database" is reserved"#,
        ))
        // What depends on AWS fails in the plan.
        .step(
            Step::plan(bad(&format!("{name}  engine_version = \"11.99\"")))
                .expect_error(
                    "engine_version: \"11.99\" is not a PostgreSQL version AWS offers. PostgreSQL versions offered: 13, 14, 15, 16, 17.",
                ),
        )
        .step(
            Step::plan(bad(&format!("{name}  engine_version = \"16.99\"")))
                .expect_error("PostgreSQL 16 versions offered: 16.9, 16.8, 16.6"),
        )
        .step(
            Step::plan(bad(&format!("{name}  instance_class = \"db.t3.gigantic\"")))
                .expect_error(
                    "instance_class: \"db.t3.gigantic\" is not an instance class RDS offers for postgres 16.9. The nearest that are: db.t3.",
                ),
        )
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
        // Someone else's instance of that name is not taken over: the plan
        // refuses the name.
        .step(
            Step::apply(bad("  name = \"taken\""))
                .expect_error("The swarm_database name \"taken\" is taken"),
        )
        .check_destroy(nothing_left(&emulator, false))
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            let taken = primary(&e.rds().await, "taken").await?;
            match (taken.master_username(), taken.db_instance_class()) {
                (Some("someone"), Some("db.t3.micro")) => Ok(()),
                other => Err(format!("someone else's instance was changed: {other:?}")),
            }
        }));
    run(
        "database::invalid_values_fail_early_and_create_nothing",
        case,
    )
    .await;
}
