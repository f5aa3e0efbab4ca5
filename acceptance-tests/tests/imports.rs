//! Imports that apply: for each resource, objects made outside Terraform
//! (through the SDK) are imported with an `import {}` block and a
//! configuration Terraform writes itself (`terraform plan
//! -generate-config-out`); that configuration's plan imports them and
//! changes nothing or changes them in place (never a replacement: an
//! imported object may hold data), its apply succeeds, the plan after it
//! is empty, and the objects read back through the SDK are the same ones.

use std::collections::BTreeSet;
use std::sync::Arc;

use acceptance_tests::checks::{Memo, attr_str, ensure, err, same, sdk_check, strings, tag_map};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{self, filter, subnet, vpc};
use acceptance_tests::{config, run, test_case};
use tfplugin::testing::{Check, Step};

/// A configuration with only the provider and an `import {}` block.
fn import_only(emulator: &Emulator, address: &str, id: &str) -> String {
    config(&format!(
        "{}\nimport {{\n  to = {address}\n  id = \"{id}\"\n}}\n",
        emulator.provider_block("  environment = \"staging\"\n")
    ))
}

/// A bucket made by hand (no lifecycle, no tags, no `swarm:purpose`):
/// the generated configuration applies, hardening it in place.
#[tokio::test]
async fn bucket_made_by_hand() {
    let emulator = Arc::new(Emulator::start());
    let name = "made-by-hand-imports";
    let s3 = emulator.s3().await;
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the bucket: {}", err(e)));
    let address = "swarm_bucket.found";
    let step = Step::import_generated(import_only(&emulator, address, name))
        .expect_changes()
        .check(sdk_check(&emulator, move |e, state| async move {
            same(
                "the imported bucket",
                state
                    .attr(address, "id")?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                name.to_owned(),
            )?;
            let s3 = e.s3().await;
            let block = s3
                .get_public_access_block()
                .bucket(name)
                .send()
                .await
                .map_err(err)?;
            let blocked = block
                .public_access_block_configuration()
                .and_then(|c| c.block_public_acls());
            same("the public access block", blocked, Some(true))
        }));
    run("imports::bucket_made_by_hand", test_case().step(step)).await;
}

/// A network whose Terraform state was lost (made by the provider, then
/// `terraform state rm`, as a killed run or a deleted state file leaves
/// it): imported by name with a generated configuration, it is the same
/// VPC and subnets, and the plan changes nothing (the objects keep the
/// marker they were made with).
#[tokio::test]
async fn network_whose_state_was_lost() {
    let emulator = Arc::new(Emulator::start());
    let address = "swarm_network.main";
    let made = config(&format!(
        r#"{}
resource "swarm_network" "main" {{
  name               = "lost"
  cidr_block         = "10.40.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b"]
}}
"#,
        emulator.provider_block("  environment = \"staging\"\n")
    ));
    let first = Memo::<(String, Vec<String>)>::default();
    let remembered = first.clone();
    let case = test_case()
        .step(Step::apply(made.clone()).check(Check::sync(move |state| {
            let vpc = attr_str(state, address, "vpc_id")?;
            let mut subnets = strings(state.values(address)?, "private_subnet_ids");
            subnets.extend(strings(state.values(address)?, "public_subnet_ids"));
            subnets.extend(strings(state.values(address)?, "database_subnet_ids"));
            subnets.sort();
            remembered.set((vpc, subnets))
        })))
        .step(Step::command(made, &["state", "rm", "-no-color", address]))
        .step(
            Step::import_generated(import_only(&emulator, "swarm_network.found", "lost")).check(
                sdk_check(&emulator, move |e, state| {
                    let first = first.clone();
                    async move {
                        let (vpc, subnets) = first.get()?;
                        let found = "swarm_network.found";
                        same("the VPC", attr_str(&state, found, "vpc_id")?, vpc.clone())?;
                        let mut imported = strings(state.values(found)?, "private_subnet_ids");
                        imported.extend(strings(state.values(found)?, "public_subnet_ids"));
                        imported.extend(strings(state.values(found)?, "database_subnet_ids"));
                        imported.sort();
                        same("the subnets", imported, subnets.clone())?;
                        // Read back: the VPC's subnets are those and no more.
                        let ec2 = e.ec2().await;
                        let out = ec2
                            .describe_subnets()
                            .filters(filter("vpc-id", &[vpc.as_str()]))
                            .send()
                            .await
                            .map_err(err)?;
                        let mut live: Vec<String> = out
                            .subnets()
                            .iter()
                            .filter_map(|s| s.subnet_id().map(str::to_owned))
                            .collect();
                        live.sort();
                        same("the VPC's subnets, read back", live, subnets)
                    }
                }),
            ),
        );
    run("imports::network_whose_state_was_lost", case).await;
}

/// A VPC made by hand (subnets, an internet gateway, a route table; no
/// swarm tags) is not a `swarm_network`: its shape is not one the
/// resource's arguments describe (three subnet tiers per zone, cut from
/// the CIDR the provider's way), so an import by its VPC id fails at
/// plan with an error that says what it expects, and nothing is changed.
#[tokio::test]
async fn network_made_by_hand_is_refused() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let vpc_id = vpc(&ec2, "10.50.0.0/16").await;
    let subnet_id = subnet(&ec2, &vpc_id, "10.50.1.0/24", "us-east-1a").await;
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateInternetGateway: {}", err(e)));
    let igw_id = igw
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .unwrap_or_default()
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw_id)
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("AttachInternetGateway: {}", err(e)));
    let table = ec2
        .create_route_table()
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRouteTable: {}", err(e)));
    let table_id = table
        .route_table()
        .and_then(|t| t.route_table_id())
        .unwrap_or_default()
        .to_owned();
    ec2.associate_route_table()
        .route_table_id(&table_id)
        .subnet_id(&subnet_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("AssociateRouteTable: {}", err(e)));
    let address = "swarm_network.found";
    let unchanged = vpc_id.clone();
    let step = Step::import_generated(import_only(&emulator, address, &vpc_id))
        .expect_error("is not a swarm_network")
        .check_output(move |output| {
            ensure(
                "an error that names the VPC and says what an import expects",
                output.contains(unchanged.as_str())
                    && output.contains("swarm:network")
                    && output.contains("aws_vpc"),
                &output,
            )
        });
    let untouched = vpc_id.clone();
    let case = test_case()
        .step(step)
        .check_destroy(sdk_check(&emulator, move |e, _| {
            let vpc_id = untouched.clone();
            async move {
                // The hand-made VPC and its subnet are as they were: no
                // tags, no other subnets.
                let ec2 = e.ec2().await;
                let vpcs = ec2
                    .describe_vpcs()
                    .vpc_ids(&vpc_id)
                    .send()
                    .await
                    .map_err(err)?;
                let tags = vpcs.vpcs().first().map(|v| tag_map(v.tags()));
                same("the VPC's tags", tags, Some(Default::default()))?;
                let subnets = ec2
                    .describe_subnets()
                    .filters(filter("vpc-id", &[vpc_id.as_str()]))
                    .send()
                    .await
                    .map_err(err)?;
                same("the VPC's subnets", subnets.subnets().len(), 1)
            }
        }));
    run("imports::network_made_by_hand_is_refused", case).await;
}

/// A node whose Terraform state was lost (made by the provider in the
/// default VPC, then `terraform state rm`): imported by name with a
/// generated configuration, it is the same instances and security group,
/// and the plan changes nothing.
#[tokio::test]
async fn node_whose_state_was_lost() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let subnets = fixtures::default_subnets(&ec2).await;
    let address = "swarm_node.agents";
    let made = config(&format!(
        r#"{}
resource "swarm_node" "agents" {{
  name           = "lost-agents"
  subnet_ids     = ["{}", "{}"]
  instance_count = 2
  instance_type  = "t3.small"
  tags           = {{ team = "platform" }}
}}
"#,
        emulator.provider_block("  environment = \"staging\"\n"),
        subnets[0].0,
        subnets[1].0,
    ));
    let first = Memo::<(BTreeSet<String>, String)>::default();
    let remembered = first.clone();
    let case = test_case()
        .step(Step::apply(made.clone()).check(Check::sync(move |state| {
            let ids: BTreeSet<String> = strings(state.values(address)?, "instance_ids")
                .into_iter()
                .collect();
            remembered.set((ids, attr_str(state, address, "security_group_id")?))
        })))
        .step(Step::command(made, &["state", "rm", "-no-color", address]))
        .step(
            Step::import_generated(import_only(&emulator, "swarm_node.found", "lost-agents"))
                .check(sdk_check(&emulator, move |e, state| {
                    let first = first.clone();
                    async move {
                        let (ids, group) = first.get()?;
                        let found = "swarm_node.found";
                        let imported: BTreeSet<String> =
                            strings(state.values(found)?, "instance_ids")
                                .into_iter()
                                .collect();
                        same("the instances", imported, ids.clone())?;
                        same(
                            "the security group",
                            attr_str(&state, found, "security_group_id")?,
                            group,
                        )?;
                        // Read back: the same instances run, and no more.
                        let ec2 = e.ec2().await;
                        let out = ec2
                            .describe_instances()
                            .filters(filter("tag:swarm:node", &["lost-agents"]))
                            .filters(filter("instance-state-name", &["pending", "running"]))
                            .send()
                            .await
                            .map_err(err)?;
                        let live: BTreeSet<String> = out
                            .reservations()
                            .iter()
                            .flat_map(|r| r.instances())
                            .filter_map(|i| i.instance_id().map(str::to_owned))
                            .collect();
                        same("the running instances, read back", live, ids)
                    }
                })),
        );
    run("imports::node_whose_state_was_lost", case).await;
}

/// A PostgreSQL instance made by hand in the default VPC, with its own DB
/// subnet group and security group, unencrypted, with a password of its
/// own: the generated configuration describes it as found, and its apply
/// keeps it as it is. The same instance (not a replacement), still
/// unencrypted, in its own subnet group, still behind its own security
/// group (the provider's is added beside it, never in its place), its
/// password not taken over by RDS, its settings unchanged.
#[tokio::test]
async fn database_made_by_hand() {
    let emulator = Arc::new(Emulator::start());
    let name = "made-by-hand";
    let ec2 = emulator.ec2().await;
    let rds = emulator.rds().await;
    let (default_vpc, _) = fixtures::default_vpc(&ec2).await;
    let mut subnets: Vec<String> = fixtures::default_subnets(&ec2)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .take(2)
        .collect();
    subnets.sort();
    let clients =
        fixtures::security_group(&ec2, &default_vpc, "hand-made-db", "made by hand").await;
    rds.create_db_subnet_group()
        .db_subnet_group_name("hand-made-subnets")
        .db_subnet_group_description("made by hand")
        .set_subnet_ids(Some(subnets.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the subnet group: {}", err(e)));
    let created = rds
        .create_db_instance()
        .db_instance_identifier(name)
        .engine("postgres")
        .engine_version("16.4")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("owner")
        .master_user_password("hand-made-password")
        .db_subnet_group_name("hand-made-subnets")
        .vpc_security_group_ids(&clients)
        .storage_encrypted(false)
        .backup_retention_period(3)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the database: {}", err(e)));
    let resource_id = created
        .db_instance()
        .and_then(|db| db.dbi_resource_id())
        .unwrap_or_default()
        .to_owned();
    let address = "swarm_database.found";
    let step = Step::import_generated(import_only(&emulator, address, name))
        .expect_changes()
        .check(sdk_check(&emulator, move |e, state| {
            let (resource_id, clients, subnets) =
                (resource_id.clone(), clients.clone(), subnets.clone());
            async move {
                // The state describes the instance as found.
                let mut in_state = strings(state.values(address)?, "subnet_ids");
                in_state.sort();
                same("subnet_ids", in_state, subnets.clone())?;
                same(
                    "subnet_group_name",
                    attr_str(&state, address, "subnet_group_name")?,
                    "hand-made-subnets".to_owned(),
                )?;
                same(
                    "storage_encrypted",
                    state.attr(address, "storage_encrypted")?.as_bool(),
                    Some(false),
                )?;
                same(
                    "backup_retention_days",
                    state.attr(address, "backup_retention_days")?.as_i64(),
                    Some(3),
                )?;
                // And AWS, read back, holds the same instance as it was.
                let rds = e.rds().await;
                let found = rds
                    .describe_db_instances()
                    .db_instance_identifier(name)
                    .send()
                    .await
                    .map_err(err)?;
                let db = found.db_instances().first().ok_or("the database is gone")?;
                same(
                    "the database (DbiResourceId)",
                    db.dbi_resource_id().unwrap_or_default(),
                    resource_id.as_str(),
                )?;
                same("StorageEncrypted", db.storage_encrypted(), Some(false))?;
                same(
                    "BackupRetentionPeriod",
                    db.backup_retention_period(),
                    Some(3),
                )?;
                same(
                    "its DB subnet group",
                    db.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
                    Some("hand-made-subnets"),
                )?;
                let groups: Vec<&str> = db
                    .vpc_security_groups()
                    .iter()
                    .filter_map(|g| g.vpc_security_group_id())
                    .collect();
                ensure(
                    "its own security group, still on the instance",
                    groups.contains(&clients.as_str()),
                    &groups,
                )?;
                let own = attr_str(&state, address, "security_group_id")?;
                ensure(
                    "the provider's security group beside it",
                    groups.contains(&own.as_str()) && groups.len() == 2,
                    &groups,
                )?;
                same(
                    "additional_security_group_ids",
                    strings(state.values(address)?, "additional_security_group_ids"),
                    vec![clients.clone()],
                )?;
                same(
                    "manage_master_password",
                    state.attr(address, "manage_master_password")?.as_bool(),
                    Some(false),
                )?;
                ensure(
                    "its own password (no secret managed by RDS)",
                    db.master_user_secret().is_none(),
                    &db.master_user_secret(),
                )?;
                // No DB subnet group of the provider's beside it.
                let provider_group = rds
                    .describe_db_subnet_groups()
                    .db_subnet_group_name(format!("{name}-subnets"))
                    .send()
                    .await;
                ensure(
                    "no second DB subnet group",
                    provider_group.is_err(),
                    &provider_group.map(|g| g.db_subnet_groups().len()),
                )
            }
        }));
    // Destroyed, the database takes down what it made (the instance, its
    // own security group) and leaves its hand-made subnet group, which
    // other instances may share.
    let left = sdk_check(&emulator, move |e, _| async move {
        let rds = e.rds().await;
        let gone = rds
            .describe_db_instances()
            .db_instance_identifier(name)
            .send()
            .await;
        ensure(
            "the database deleted",
            gone.is_err(),
            &gone.map(|o| o.db_instances().len()),
        )?;
        let kept = rds
            .describe_db_subnet_groups()
            .db_subnet_group_name("hand-made-subnets")
            .send()
            .await
            .map_err(err)?;
        same(
            "the hand-made subnet group, kept",
            kept.db_subnet_groups().len(),
            1,
        )
    });
    run(
        "imports::database_made_by_hand",
        test_case().step(step).check_destroy(left),
    )
    .await;
}

/// A Redis replication group made by hand in the default VPC, with its
/// own cache subnet group and security group, unencrypted: the generated
/// configuration describes it as found, and its apply keeps it as it is.
/// The same replication group (not a replacement), still in its own
/// subnet group and behind its own security group (the provider's is
/// added beside it), still unencrypted.
#[tokio::test]
async fn cache_made_by_hand() {
    let emulator = Arc::new(Emulator::start());
    let name = "hand-made-cache";
    let ec2 = emulator.ec2().await;
    let ec = emulator.elasticache().await;
    let (default_vpc, _) = fixtures::default_vpc(&ec2).await;
    let mut subnets: Vec<String> = fixtures::default_subnets(&ec2)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .take(2)
        .collect();
    subnets.sort();
    let clients =
        fixtures::security_group(&ec2, &default_vpc, "hand-made-cache", "made by hand").await;
    ec.create_cache_subnet_group()
        .cache_subnet_group_name("hand-made-cache-subnets")
        .cache_subnet_group_description("made by hand")
        .set_subnet_ids(Some(subnets.clone()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the cache subnet group: {}", err(e)));
    ec.create_replication_group()
        .replication_group_id(name)
        .replication_group_description("made by hand")
        .engine("redis")
        .engine_version("7.1")
        .cache_node_type("cache.t3.micro")
        .num_cache_clusters(2)
        .automatic_failover_enabled(true)
        .cache_subnet_group_name("hand-made-cache-subnets")
        .security_group_ids(&clients)
        .snapshot_retention_limit(2)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the replication group: {}", err(e)));
    let address = "swarm_cache.found";
    let step = Step::import_generated(import_only(&emulator, address, name))
        .expect_changes()
        .check(sdk_check(&emulator, move |e, state| {
            let (clients, subnets) = (clients.clone(), subnets.clone());
            async move {
                // The state describes the replication group as found.
                let mut in_state = strings(state.values(address)?, "subnet_ids");
                in_state.sort();
                same("subnet_ids", in_state, subnets)?;
                same(
                    "snapshot_retention_days",
                    state.attr(address, "snapshot_retention_days")?.as_i64(),
                    Some(2),
                )?;
                same(
                    "replicas",
                    state.attr(address, "replicas")?.as_i64(),
                    Some(1),
                )?;
                same(
                    "subnet_group_name",
                    attr_str(&state, address, "subnet_group_name")?,
                    "hand-made-cache-subnets".to_owned(),
                )?;
                // And AWS, read back, holds the same group as it was.
                let ec = e.elasticache().await;
                let groups = ec
                    .describe_replication_groups()
                    .replication_group_id(name)
                    .send()
                    .await
                    .map_err(err)?;
                let group = groups
                    .replication_groups()
                    .first()
                    .ok_or("the replication group is gone")?;
                same(
                    "AtRestEncryptionEnabled",
                    group.at_rest_encryption_enabled().unwrap_or(false),
                    false,
                )?;
                let member = group.member_clusters().first().ok_or("no member cluster")?;
                let clusters = ec
                    .describe_cache_clusters()
                    .cache_cluster_id(member)
                    .send()
                    .await
                    .map_err(err)?;
                let cluster = clusters.cache_clusters().first().ok_or("no cluster")?;
                same(
                    "its cache subnet group",
                    cluster.cache_subnet_group_name(),
                    Some("hand-made-cache-subnets"),
                )?;
                let on: Vec<&str> = cluster
                    .security_groups()
                    .iter()
                    .filter_map(|g| g.security_group_id())
                    .collect();
                ensure(
                    "its own security group, still on the cluster",
                    on.contains(&clients.as_str()),
                    &on,
                )?;
                let own = attr_str(&state, address, "security_group_id")?;
                ensure(
                    "the provider's security group beside it",
                    on.contains(&own.as_str()) && on.len() == 2,
                    &on,
                )?;
                same(
                    "additional_security_group_ids",
                    strings(state.values(address)?, "additional_security_group_ids"),
                    vec![clients.clone()],
                )?;
                for attribute in ["at_rest_encryption_enabled", "transit_encryption_enabled"] {
                    same(
                        attribute,
                        state.attr(address, attribute)?.as_bool(),
                        Some(false),
                    )?;
                }
                // No cache subnet group of the provider's beside its own.
                let provider_group = ec
                    .describe_cache_subnet_groups()
                    .cache_subnet_group_name(name)
                    .send()
                    .await;
                ensure(
                    "no second cache subnet group",
                    provider_group.is_err(),
                    &provider_group.map(|g| g.cache_subnet_groups().len()),
                )
            }
        }));
    // Destroyed, the cache leaves its hand-made subnet group.
    let left = sdk_check(&emulator, move |e, _| async move {
        let ec = e.elasticache().await;
        let kept = ec
            .describe_cache_subnet_groups()
            .cache_subnet_group_name("hand-made-cache-subnets")
            .send()
            .await
            .map_err(err)?;
        same(
            "the hand-made subnet group, kept",
            kept.cache_subnet_groups().len(),
            1,
        )
    });
    run(
        "imports::cache_made_by_hand",
        test_case().step(step).check_destroy(left),
    )
    .await;
}

/// The same hand-made database, imported with a configuration written by
/// hand (an `import {}` block in the workspace): encryption is changed only
/// by a replacement the configuration asks for, and the subnets of a
/// subnet group the provider did not make are refused at plan.
#[tokio::test]
async fn database_made_by_hand_is_replaced_only_when_asked() {
    let emulator = Arc::new(Emulator::start());
    let name = "kept-as-found";
    let ec2 = emulator.ec2().await;
    let rds = emulator.rds().await;
    let (default_vpc, _) = fixtures::default_vpc(&ec2).await;
    let defaults: Vec<String> = fixtures::default_subnets(&ec2)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let subnets = &defaults[..2];
    let clients = fixtures::security_group(&ec2, &default_vpc, "kept-db", "made by hand").await;
    rds.create_db_subnet_group()
        .db_subnet_group_name("kept-subnets")
        .db_subnet_group_description("made by hand")
        .set_subnet_ids(Some(subnets.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the subnet group: {}", err(e)));
    let resource_id = rds
        .create_db_instance()
        .db_instance_identifier(name)
        .engine("postgres")
        .engine_version("16.4")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("owner")
        .master_user_password("hand-made-password")
        .db_subnet_group_name("kept-subnets")
        .vpc_security_group_ids(&clients)
        .storage_encrypted(false)
        .backup_retention_period(3)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the database: {}", err(e)))
        .db_instance()
        .and_then(|db| db.dbi_resource_id())
        .unwrap_or_default()
        .to_owned();
    let hcl = |subnets: &[String], extra: &str| {
        let subnets: Vec<String> = subnets.iter().map(|s| format!("\"{s}\"")).collect();
        config(&format!(
            r#"{}
import {{
  to = swarm_database.found
  id = "{name}"
}}

resource "swarm_database" "found" {{
  name                          = "{name}"
  subnet_ids                    = [{}]
  engine_version                = "16"
  instance_class                = "db.t3.micro"
  allocated_storage             = 20
  max_allocated_storage         = 20
  multi_az                      = false
  backup_retention_days         = 3
  deletion_protection           = false
  master_username               = "owner"
  additional_security_group_ids = ["{clients}"]
  final_snapshot                = false
{extra}
}}
"#,
            emulator.provider_block("  environment = \"staging\"\n"),
            subnets.join(", ")
        ))
    };
    let as_found = "  storage_encrypted = false\n  manage_master_password = false";
    let found = hcl(subnets, as_found);
    let case = test_case()
        .step(
            Step::apply(found.clone()).check(sdk_check(&emulator, move |e, _| {
                let resource_id = resource_id.clone();
                async move {
                    // Imported and updated in place: the same instance,
                    // still unencrypted.
                    let rds = e.rds().await;
                    let out = rds
                        .describe_db_instances()
                        .db_instance_identifier(name)
                        .send()
                        .await
                        .map_err(err)?;
                    let db = out.db_instances().first().ok_or("the database is gone")?;
                    same(
                        "the database (DbiResourceId)",
                        db.dbi_resource_id().unwrap_or_default(),
                        resource_id.as_str(),
                    )?;
                    same("StorageEncrypted", db.storage_encrypted(), Some(false))
                }
            })),
        )
        // Encryption asked for: a replacement, which the plan says (a new
        // database, whose password RDS makes).
        .step(
            Step::plan(hcl(subnets, "  storage_encrypted = true"))
                .expect_changes()
                .check_output(|output| {
                    ensure(
                        "a replacement forced by storage_encrypted",
                        output.contains("must be replaced")
                            && output.contains("storage_encrypted")
                            && output.contains("forces replacement"),
                        &output,
                    )
                }),
        )
        // Other subnets: its subnet group is not the provider's to change.
        .step(
            Step::plan(hcl(&defaults[1..3], as_found))
                .expect_error("The database's subnet group is not the provider's"),
        )
        .step(Step::plan(found));
    run(
        "imports::database_made_by_hand_is_replaced_only_when_asked",
        case,
    )
    .await;
}
