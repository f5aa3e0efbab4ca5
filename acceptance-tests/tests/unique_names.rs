//! Names AWS keeps unique (DB identifiers, DB and cache subnet groups,
//! replication group ids, bucket names) in an account shared by two stacks
//! (Terraform workspaces of one configuration directory): the second
//! stack's create of a name the first one has is refused before it makes
//! anything, and the first stack's objects stay exactly as they were. An
//! object of the name made by hand (through the SDK) is refused the same
//! way, with the advice to import it; one made after the plan, by the
//! apply's own check (`check_create`).
//!
//! - `database_of_a_taken_name_is_refused` (also: a replacement of the
//!   first stack's database under its own name is not refused)
//! - `database_never_touches_an_instance_of_its_name_made_since`: the
//!   primary deleted out of band and an instance of its name made by hand:
//!   the apply is refused, the instance never changed, and destroy deletes
//!   only the database's own subnet group and security group.
//! - `an_interrupted_database_create_is_retried`: a create failing half way
//!   keeps its marker; the retry (a replacement of the tainted state) is
//!   not refused for those objects, deletes them and starts again.
//! - `an_unmarked_database_is_imported_and_marked_by_its_apply`: objects
//!   from before markers, imported by name, are marked by the first apply.
//! - `cache_of_a_taken_name_is_refused`
//! - `an_unmarked_cache_is_imported_and_marked_by_its_apply`: the same for
//!   a cache.
//! - `bucket_of_a_taken_name_is_refused` (also: the hand-made bucket,
//!   imported, is marked by the import's apply)

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use acceptance_tests::checks::{Memo, attr_str, err, out_of_band, same, sdk_check, tag_map};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{filter, subnet, vpc};
use acceptance_tests::{config, run, test_case, with_import_block};
use tfplugin::testing::{CheckResult, Step};

const DB: &str = "swarm_database.main";
const CACHE: &str = "swarm_cache.main";
const BUCKET: &str = "swarm_bucket.main";
const OWNER: &str = "swarm:owner";

type Ec2 = aws_sdk_ec2::Client;

/// Two VPCs, one per stack, each with subnets in two zones.
#[derive(Clone)]
struct Vpcs {
    one: String,
    one_subnets: Vec<String>,
    two_subnets: Vec<String>,
}

async fn vpcs(emulator: &Emulator, zones: [&str; 2]) -> Vpcs {
    let ec2 = emulator.ec2().await;
    let one = vpc(&ec2, "10.50.0.0/16").await;
    let two = vpc(&ec2, "10.60.0.0/16").await;
    Vpcs {
        one_subnets: vec![
            subnet(&ec2, &one, "10.50.1.0/24", zones[0]).await,
            subnet(&ec2, &one, "10.50.2.0/24", zones[1]).await,
        ],
        two_subnets: vec![
            subnet(&ec2, &two, "10.60.1.0/24", zones[0]).await,
            subnet(&ec2, &two, "10.60.2.0/24", zones[1]).await,
        ],
        one,
    }
}

fn quoted(ids: &[String]) -> String {
    let items: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", items.join(", "))
}

fn staging(emulator: &Emulator, resource: &str) -> String {
    config(&format!(
        "{}\n{resource}\n",
        emulator.provider_block("  environment = \"staging\"")
    ))
}

/// The error's text with its whitespace made single spaces (Terraform
/// wraps long lines).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The output names each of `lines` (whitespace aside).
fn names_all(output: &str, lines: &[String]) -> CheckResult {
    let output = flat(output);
    for line in lines {
        if !output.contains(&flat(line)) {
            return Err(format!("the output does not say {line:?}"));
        }
    }
    Ok(())
}

/// The security groups tagged as the resource `kind` named `name`.
async fn groups_of(
    ec2: &Ec2,
    kind: &str,
    name: &str,
) -> Result<Vec<aws_sdk_ec2::types::SecurityGroup>, String> {
    let out = ec2
        .describe_security_groups()
        .filters(filter(&format!("tag:swarm:{kind}"), &[name]))
        .send()
        .await
        .map_err(err)?;
    Ok(out.security_groups().to_vec())
}

/// What the first stack made and must keep: its marker, and the ids that
/// would change if anything were replaced.
#[derive(Debug, Clone, Default, PartialEq)]
struct First {
    marker: String,
    /// The primary's DbiResourceId, the replication group's ARN, or the
    /// bucket's name.
    identity: String,
    security_group: String,
}

// ---------------------------------------------------------------------------
// swarm_database

fn database(emulator: &Emulator, name: &str, subnets: &[String], retention: i32) -> String {
    staging(
        emulator,
        &format!(
            r#"resource "swarm_database" "main" {{
  name                  = "{name}"
  subnet_ids            = {}
  backup_retention_days = {retention}
  multi_az              = false
  deletion_protection   = false
  final_snapshot        = false
}}"#,
            quoted(subnets)
        ),
    )
}

/// The DB instances whose identifier starts with `name`.
async fn db_instances(
    rds: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Vec<aws_sdk_rds::types::DbInstance>, String> {
    let out = rds.describe_db_instances().send().await.map_err(err)?;
    Ok(out
        .db_instances()
        .iter()
        .filter(|i| {
            i.db_instance_identifier()
                .is_some_and(|id| id.starts_with(name))
        })
        .cloned()
        .collect())
}

/// The DB subnet group `name`, if it exists, and its tags.
async fn db_subnet_group(
    rds: &aws_sdk_rds::Client,
    name: &str,
) -> Result<Option<(aws_sdk_rds::types::DbSubnetGroup, BTreeMap<String, String>)>, String> {
    let out = rds.describe_db_subnet_groups().send().await.map_err(err)?;
    let Some(group) = out
        .db_subnet_groups()
        .iter()
        .find(|g| g.db_subnet_group_name() == Some(name))
        .cloned()
    else {
        return Ok(None);
    };
    let tags = rds
        .list_tags_for_resource()
        .resource_name(group.db_subnet_group_arn().unwrap_or_default())
        .send()
        .await
        .map_err(err)?;
    Ok(Some((group, tag_map(tags.tag_list()))))
}

/// The first stack's database, exactly as it was made: one instance
/// "agents" (the same one, backups kept 7 days), its subnet group in the
/// first VPC, one security group; all with its marker.
async fn first_database_intact(e: &Emulator, vpcs: &Vpcs, first: &First) -> CheckResult {
    let rds = e.rds().await;
    let instances = db_instances(&rds, "agents").await?;
    let ids: Vec<&str> = instances
        .iter()
        .filter_map(|i| i.db_instance_identifier())
        .collect();
    same("the DB instances named agents*", ids, vec!["agents"])?;
    let primary = &instances[0];
    same(
        "the primary's DbiResourceId",
        primary.dbi_resource_id().unwrap_or_default(),
        first.identity.as_str(),
    )?;
    same(
        "the primary's backup retention",
        primary.backup_retention_period(),
        Some(7),
    )?;
    same(
        "the primary's marker",
        tag_map(primary.tag_list()).get(OWNER).cloned(),
        Some(first.marker.clone()),
    )?;
    let (group, tags) = db_subnet_group(&rds, "agents-subnets")
        .await?
        .ok_or("the DB subnet group agents-subnets is gone")?;
    same(
        "the DB subnet group's VPC",
        group.vpc_id(),
        Some(vpcs.one.as_str()),
    )?;
    same(
        "the DB subnet group's marker",
        tags.get(OWNER).cloned(),
        Some(first.marker.clone()),
    )?;
    let groups = groups_of(&e.ec2().await, "database", "agents").await?;
    let ids: Vec<&str> = groups.iter().filter_map(|g| g.group_id()).collect();
    same(
        "the security groups of database agents",
        ids,
        vec![first.security_group.as_str()],
    )
}

#[tokio::test]
async fn database_of_a_taken_name_is_refused() {
    let emulator = Arc::new(Emulator::start());
    let vpcs = vpcs(&emulator, ["us-east-1b", "us-east-1c"]).await;
    let first_stack = database(&emulator, "agents", &vpcs.one_subnets, 7);
    // The issue's second workspace: the same name, 14 days of backups.
    let second_stack = database(&emulator, "agents", &vpcs.two_subnets, 14);
    let handmade = database(&emulator, "handmade", &vpcs.two_subnets, 7);
    let replaced = first_stack.replace(
        "  final_snapshot        = false\n",
        "  final_snapshot        = false\n  master_username       = \"owner\"\n",
    );
    let first = Memo::<First>::default();

    let remember = first.clone();
    let named = first.clone();
    let kept = (first.clone(), vpcs.clone());
    let case = test_case()
        .step(
            Step::apply(first_stack.clone())
                .in_workspace("one")
                .check(sdk_check(&emulator, move |e, state| {
                    let remember = remember.clone();
                    async move {
                        let marker = attr_str(&state, DB, "ownership_marker")?;
                        let primary = db_instances(&e.rds().await, "agents")
                            .await?
                            .into_iter()
                            .find(|i| i.db_instance_identifier() == Some("agents"))
                            .ok_or("no DB instance agents")?;
                        same(
                            "the primary's marker",
                            tag_map(primary.tag_list()).get(OWNER),
                            Some(&marker),
                        )?;
                        remember.set(First {
                            marker,
                            identity: primary.dbi_resource_id().unwrap_or_default().to_owned(),
                            security_group: attr_str(&state, DB, "security_group_id")?,
                        })
                    }
                })),
        )
        // The second stack is refused at plan (and so its apply), naming
        // the first's objects.
        .step(
            Step::plan(second_stack.clone())
                .in_workspace("two")
                .expect_error("The swarm_database name \"agents\" is taken"),
        )
        .step(
            Step::apply(second_stack)
                .in_workspace("two")
                .expect_error("The swarm_database name \"agents\" is taken")
                .check_output(move |output| {
                    let marker = named.get()?.marker;
                    names_all(
                        output,
                        &[
                            format!("DB instance \"agents\" (marker {marker})"),
                            format!("DB subnet group \"agents-subnets\" (marker {marker})"),
                            "terraform import <address> agents".to_owned(),
                        ],
                    )
                }),
        )
        // Nothing of the second stack exists, the first's is as it was,
        // and its plan is empty.
        .step(
            Step::plan(first_stack)
                .in_workspace("one")
                .before(out_of_band(&emulator, move |e| {
                    let (first, vpcs) = kept.clone();
                    async move { first_database_intact(&e, &vpcs, &first.get()?).await }
                })),
        )
        // A replacement of the first stack's database (a new master user)
        // is not refused: what it replaces is its own, deleted first.
        .step(Step::apply(replaced).in_workspace("one").check(sdk_check(
            &emulator,
            |e, _| async move {
                let instances = db_instances(&e.rds().await, "agents").await?;
                let users: Vec<Option<&str>> =
                    instances.iter().map(|i| i.master_username()).collect();
                same("the master users of agents*", users, vec![Some("owner")])
            },
        )))
        // An instance made by hand after the plan: the apply checks again
        // and makes nothing.
        .step(
            Step::apply(handmade.clone())
                .in_workspace("three")
                .after_plan(out_of_band(&emulator, |e| async move {
                    instance_by_hand(&e, "handmade").await
                }))
                .expect_error("The swarm_database name \"handmade\" is taken")
                .check_output(|output| {
                    names_all(
                        output,
                        &[
                            "DB instance \"handmade\" (no marker)".to_owned(),
                            "terraform import <address> handmade".to_owned(),
                        ],
                    )
                }),
        )
        // And the next plan refuses it too; the instance is untouched.
        .step(
            Step::plan(handmade)
                .in_workspace("three")
                .expect_error("The swarm_database name \"handmade\" is taken")
                .before(out_of_band(&emulator, |e| async move {
                    handmade_database_untouched(&e).await
                })),
        )
        // The refused apply left an entry without instances in the state,
        // and `terraform destroy` plans the configuration first, which the
        // name refuses: the workspace drops the resource instead.
        .step(Step::apply(staging(&emulator, "")).in_workspace("three"))
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            let rds = e.rds().await;
            same(
                "DB instances agents* left",
                db_instances(&rds, "agents").await?.len(),
                0,
            )?;
            same(
                "the DB subnet group agents-subnets left",
                db_subnet_group(&rds, "agents-subnets").await?.is_some(),
                false,
            )?;
            same(
                "security groups of database agents left",
                groups_of(&e.ec2().await, "database", "agents").await?.len(),
                0,
            )?;
            handmade_database_untouched(&e).await
        }));
    run("unique_names::database_of_a_taken_name_is_refused", case).await;
}

/// The instance made by hand is as it was made (no tag of the provider's),
/// and nothing else of "handmade" exists.
async fn handmade_database_untouched(e: &Emulator) -> CheckResult {
    instance_by_hand_untouched(e, "handmade").await?;
    let rds = e.rds().await;
    same(
        "a DB subnet group handmade-subnets",
        db_subnet_group(&rds, "handmade-subnets").await?.is_some(),
        false,
    )?;
    same(
        "security groups of database handmade",
        groups_of(&e.ec2().await, "database", "handmade")
            .await?
            .len(),
        0,
    )
}

/// Makes the DB instance `name` by hand, as someone else would.
async fn instance_by_hand(e: &Emulator, name: &str) -> CheckResult {
    e.rds()
        .await
        .create_db_instance()
        .db_instance_identifier(name)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("someone")
        .master_user_password("someone-elses-9")
        .backup_retention_period(3)
        .send()
        .await
        .map(drop)
        .map_err(err)
}

/// The instance `name` made by hand is as it was made: its class, user and
/// retention, and no tag of the provider's.
async fn instance_by_hand_untouched(e: &Emulator, name: &str) -> CheckResult {
    let rds = e.rds().await;
    let instances = db_instances(&rds, name).await?;
    let [instance] = instances.as_slice() else {
        return Err(format!("{} DB instances {name}*", instances.len()));
    };
    same(
        "the hand-made instance's class, user and retention",
        (
            instance.db_instance_class(),
            instance.master_username(),
            instance.backup_retention_period(),
        ),
        (Some("db.t3.micro"), Some("someone"), Some(3)),
    )?;
    let tags = tag_map(instance.tag_list());
    same(
        "the hand-made instance's provider tags",
        tags.keys().filter(|k| k.starts_with("swarm:")).count(),
        0,
    )
}

/// The database's primary is deleted out of band and someone makes an
/// instance of its name: read, apply and destroy never take it for the
/// database's own (its marker is not there), nothing changes it, and the
/// destroy deletes only the database's subnet group and security group.
#[tokio::test]
async fn database_never_touches_an_instance_of_its_name_made_since() {
    let emulator = Arc::new(Emulator::start());
    let vpcs = vpcs(&emulator, ["us-east-1b", "us-east-1c"]).await;
    let stack = database(&emulator, "agents", &vpcs.one_subnets, 7);
    let case = test_case()
        .step(Step::apply(stack.clone()))
        .step(
            Step::apply(stack.clone())
                .before(out_of_band(&emulator, |e| async move {
                    let rds = e.rds().await;
                    rds.delete_db_instance()
                        .db_instance_identifier("agents")
                        .skip_final_snapshot(true)
                        .send()
                        .await
                        .map_err(err)?;
                    instance_by_hand(&e, "agents").await
                }))
                .expect_error("The swarm_database name \"agents\" is taken")
                .check_output(|output| {
                    names_all(output, &["DB instance \"agents\" (no marker)".to_owned()])
                }),
        )
        // The plan still wants the database's own primary; the instance of
        // its name is untouched.
        .step(
            Step::plan(stack)
                .expect_changes()
                .before(out_of_band(&emulator, |e| async move {
                    instance_by_hand_untouched(&e, "agents").await
                })),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            instance_by_hand_untouched(&e, "agents").await?;
            same(
                "the DB subnet group agents-subnets left",
                db_subnet_group(&e.rds().await, "agents-subnets")
                    .await?
                    .is_some(),
                false,
            )?;
            same(
                "security groups of database agents left",
                groups_of(&e.ec2().await, "database", "agents").await?.len(),
                0,
            )
        }));
    run(
        "unique_names::database_never_touches_an_instance_of_its_name_made_since",
        case,
    )
    .await;
}

/// A create that fails half way (a security group of the database's group
/// name, made by hand in its VPC after the plan, stops it once the subnet
/// group exists) records its marker; Terraform taints it, and the next
/// plan's create is not refused for what the failed one made: the apply
/// deletes it and starts again, leaving no orphan.
#[tokio::test]
async fn an_interrupted_database_create_is_retried() {
    let emulator = Arc::new(Emulator::start());
    let vpcs = vpcs(&emulator, ["us-east-1b", "us-east-1c"]).await;
    let plain = database(&emulator, "agents", &vpcs.one_subnets, 7);
    let in_the_way = Memo::<String>::default();
    let partial = Memo::<String>::default();
    let (made, checked, removed) = (in_the_way.clone(), in_the_way.clone(), in_the_way);
    let vpc_id = vpcs.one.clone();
    let remember = partial.clone();
    let case = test_case()
        .step(
            Step::apply(plain.clone())
                .after_plan(out_of_band(&emulator, move |e| {
                    let (made, vpc_id) = (made.clone(), vpc_id.clone());
                    async move {
                        let ec2 = e.ec2().await;
                        let id = acceptance_tests::fixtures::security_group(
                            &ec2,
                            &vpc_id,
                            "agents-database",
                            "someone else's",
                        )
                        .await;
                        made.set(id)
                    }
                }))
                .expect_error("Cannot create security group agents-database"),
        )
        // What the failed create made carries its marker; the plan is a
        // replacement of the tainted database, not a refusal.
        .step(
            Step::plan(plain.clone())
                .expect_changes()
                .before(out_of_band(&emulator, move |e| {
                    let (memo, group) = (remember.clone(), checked.clone());
                    async move {
                        let (_, tags) = db_subnet_group(&e.rds().await, "agents-subnets")
                            .await?
                            .ok_or("no subnet group after the failure")?;
                        let marker = tags
                            .get(OWNER)
                            .cloned()
                            .ok_or("the partial subnet group has no marker")?;
                        let ec2 = e.ec2().await;
                        same(
                            "security groups of database agents",
                            groups_of(&ec2, "database", "agents").await?.len(),
                            0,
                        )?;
                        let theirs = ec2
                            .describe_security_groups()
                            .group_ids(group.get()?)
                            .send()
                            .await
                            .map_err(err)?;
                        same(
                            "the hand-made group's tags",
                            theirs.security_groups().first().map(|g| g.tags().len()),
                            Some(0),
                        )?;
                        memo.set(marker)
                    }
                })),
        )
        // With the hand-made group gone, the retry replaces it: a new
        // marker, one subnet group and one security group, no orphan.
        .step(
            Step::apply(plain)
                .before(out_of_band(&emulator, move |e| {
                    let group = removed.clone();
                    async move {
                        e.ec2()
                            .await
                            .delete_security_group()
                            .group_id(group.get()?)
                            .send()
                            .await
                            .map(drop)
                            .map_err(err)
                    }
                }))
                .check(sdk_check(&emulator, move |e, state| {
                    let partial = partial.clone();
                    async move {
                        let marker = attr_str(&state, DB, "ownership_marker")?;
                        if marker == partial.get()? {
                            return Err("the retry kept the failed create's marker".to_owned());
                        }
                        let groups = groups_of(&e.ec2().await, "database", "agents").await?;
                        let ids: Vec<&str> = groups.iter().filter_map(|g| g.group_id()).collect();
                        let id = attr_str(&state, DB, "security_group_id")?;
                        same("the security groups of agents", ids, vec![id.as_str()])?;
                        let (_, tags) = db_subnet_group(&e.rds().await, "agents-subnets")
                            .await?
                            .ok_or("no subnet group")?;
                        same("the subnet group's marker", tags.get(OWNER), Some(&marker))?;
                        let instances = db_instances(&e.rds().await, "agents").await?;
                        same("DB instances agents*", instances.len(), 1)
                    }
                })),
        );
    run(
        "unique_names::an_interrupted_database_create_is_retried",
        case,
    )
    .await;
}

/// A database from before markers (its objects' `swarm:owner` tags
/// removed, and imported by name into a state without a marker): the plan
/// shows the marker as known after apply, and that apply writes it on the
/// primary, the subnet group and the security group.
#[tokio::test]
async fn an_unmarked_database_is_imported_and_marked_by_its_apply() {
    let emulator = Arc::new(Emulator::start());
    let vpcs = vpcs(&emulator, ["us-east-1b", "us-east-1c"]).await;
    let stack = database(&emulator, "agents", &vpcs.one_subnets, 7);
    let case = test_case()
        .step(Step::apply(stack.clone()))
        .step(
            Step::command(stack.clone(), &["state", "rm", DB]).before(out_of_band(
                &emulator,
                |e| async move {
                    let rds = e.rds().await;
                    let primary = db_instances(&rds, "agents")
                        .await?
                        .into_iter()
                        .next()
                        .ok_or("no DB instance agents")?;
                    let (group, _) = db_subnet_group(&rds, "agents-subnets")
                        .await?
                        .ok_or("no DB subnet group")?;
                    for arn in [primary.db_instance_arn(), group.db_subnet_group_arn()] {
                        rds.remove_tags_from_resource()
                            .resource_name(arn.unwrap_or_default())
                            .tag_keys(OWNER)
                            .send()
                            .await
                            .map_err(err)?;
                    }
                    let ec2 = e.ec2().await;
                    for sg in groups_of(&ec2, "database", "agents").await? {
                        ec2.delete_tags()
                            .resources(sg.group_id().unwrap_or_default())
                            .tags(aws_sdk_ec2::types::Tag::builder().key(OWNER).build())
                            .send()
                            .await
                            .map_err(err)?;
                    }
                    Ok(())
                },
            )),
        )
        .step(Step::command(stack.clone(), &["import", DB, "agents"]))
        // The import took the unmarked objects: the plan marks them.
        .step(
            Step::plan(stack.clone())
                .expect_changes()
                .check_output(|output| {
                    names_all(
                        output,
                        &["+ ownership_marker = (known after apply)".to_owned()],
                    )
                }),
        )
        .step(
            Step::apply(stack).check(sdk_check(&emulator, |e, state| async move {
                let marker = attr_str(&state, DB, "ownership_marker")?;
                let rds = e.rds().await;
                let primary = db_instances(&rds, "agents")
                    .await?
                    .into_iter()
                    .next()
                    .ok_or("no DB instance agents")?;
                same(
                    "the primary's marker",
                    tag_map(primary.tag_list()).get(OWNER),
                    Some(&marker),
                )?;
                let (_, tags) = db_subnet_group(&rds, "agents-subnets")
                    .await?
                    .ok_or("no DB subnet group")?;
                same("the subnet group's marker", tags.get(OWNER), Some(&marker))?;
                let groups = groups_of(&e.ec2().await, "database", "agents").await?;
                let markers: Vec<Option<String>> = groups
                    .iter()
                    .map(|g| tag_map(g.tags()).get(OWNER).cloned())
                    .collect();
                same("the security group's marker", markers, vec![Some(marker)])
            })),
        );
    run(
        "unique_names::an_unmarked_database_is_imported_and_marked_by_its_apply",
        case,
    )
    .await;
}

// ---------------------------------------------------------------------------
// swarm_cache

fn cache(emulator: &Emulator, name: &str, subnets: &[String], retention: i32) -> String {
    staging(
        emulator,
        &format!(
            r#"resource "swarm_cache" "main" {{
  name                    = "{name}"
  subnet_ids              = {}
  replicas                = 1
  snapshot_retention_days = {retention}
  final_snapshot          = false
}}"#,
            quoted(subnets)
        ),
    )
}

type ElastiCache = aws_sdk_elasticache::Client;

async fn replication_group(
    ec: &ElastiCache,
    name: &str,
) -> Result<
    Option<(
        aws_sdk_elasticache::types::ReplicationGroup,
        BTreeMap<String, String>,
    )>,
    String,
> {
    let out = ec.describe_replication_groups().send().await.map_err(err)?;
    let Some(group) = out
        .replication_groups()
        .iter()
        .find(|g| g.replication_group_id() == Some(name))
        .cloned()
    else {
        return Ok(None);
    };
    let tags = ec
        .list_tags_for_resource()
        .resource_name(group.arn().unwrap_or_default())
        .send()
        .await
        .map_err(err)?;
    Ok(Some((group, tag_map(tags.tag_list()))))
}

async fn cache_subnet_group(
    ec: &ElastiCache,
    name: &str,
) -> Result<
    Option<(
        aws_sdk_elasticache::types::CacheSubnetGroup,
        BTreeMap<String, String>,
    )>,
    String,
> {
    let out = ec
        .describe_cache_subnet_groups()
        .send()
        .await
        .map_err(err)?;
    let Some(group) = out
        .cache_subnet_groups()
        .iter()
        .find(|g| g.cache_subnet_group_name() == Some(name))
        .cloned()
    else {
        return Ok(None);
    };
    let tags = ec
        .list_tags_for_resource()
        .resource_name(group.arn().unwrap_or_default())
        .send()
        .await
        .map_err(err)?;
    Ok(Some((group, tag_map(tags.tag_list()))))
}

/// The first stack's cache as it was made: the same replication group
/// (snapshots kept 3 days), its subnet group in the first VPC, one
/// security group; all with its marker.
async fn first_cache_intact(e: &Emulator, vpcs: &Vpcs, first: &First) -> CheckResult {
    let ec = e.elasticache().await;
    let (group, tags) = replication_group(&ec, "agents")
        .await?
        .ok_or("the replication group agents is gone")?;
    same(
        "the replication group's ARN",
        group.arn().unwrap_or_default(),
        first.identity.as_str(),
    )?;
    same(
        "the snapshot retention",
        group.snapshot_retention_limit(),
        Some(3),
    )?;
    same(
        "the replication group's marker",
        tags.get(OWNER).cloned(),
        Some(first.marker.clone()),
    )?;
    let (subnets, tags) = cache_subnet_group(&ec, "agents")
        .await?
        .ok_or("the cache subnet group agents is gone")?;
    same(
        "the cache subnet group's VPC",
        subnets.vpc_id(),
        Some(vpcs.one.as_str()),
    )?;
    same(
        "the cache subnet group's marker",
        tags.get(OWNER).cloned(),
        Some(first.marker.clone()),
    )?;
    let groups = groups_of(&e.ec2().await, "cache", "agents").await?;
    let ids: Vec<&str> = groups.iter().filter_map(|g| g.group_id()).collect();
    same(
        "the security groups of cache agents",
        ids,
        vec![first.security_group.as_str()],
    )
}

/// The replication group made by hand is as it was made, and nothing else
/// of "handmade" exists.
async fn handmade_cache_untouched(e: &Emulator) -> CheckResult {
    let ec = e.elasticache().await;
    let (group, tags) = replication_group(&ec, "handmade")
        .await?
        .ok_or("the hand-made replication group is gone")?;
    same(
        "the hand-made group's node type and retention",
        (group.cache_node_type(), group.snapshot_retention_limit()),
        (Some("cache.t3.micro"), Some(0)),
    )?;
    same(
        "the hand-made group's provider tags",
        tags.keys().filter(|k| k.starts_with("swarm:")).count(),
        0,
    )?;
    same(
        "a cache subnet group handmade",
        cache_subnet_group(&ec, "handmade").await?.is_some(),
        false,
    )?;
    same(
        "security groups of cache handmade",
        groups_of(&e.ec2().await, "cache", "handmade").await?.len(),
        0,
    )
}

#[tokio::test]
async fn cache_of_a_taken_name_is_refused() {
    let emulator = Arc::new(Emulator::start());
    let vpcs = vpcs(&emulator, ["us-east-1a", "us-east-1b"]).await;
    let first_stack = cache(&emulator, "agents", &vpcs.one_subnets, 3);
    let second_stack = cache(&emulator, "agents", &vpcs.two_subnets, 7);
    let handmade = cache(&emulator, "handmade", &vpcs.two_subnets, 3);
    let first = Memo::<First>::default();

    let remember = first.clone();
    let named = first.clone();
    let kept = (first.clone(), vpcs.clone());
    let case = test_case()
        .step(
            Step::apply(first_stack.clone())
                .in_workspace("one")
                .check(sdk_check(&emulator, move |e, state| {
                    let remember = remember.clone();
                    async move {
                        let marker = attr_str(&state, CACHE, "ownership_marker")?;
                        let (group, tags) = replication_group(&e.elasticache().await, "agents")
                            .await?
                            .ok_or("no replication group agents")?;
                        same("the group's marker", tags.get(OWNER), Some(&marker))?;
                        remember.set(First {
                            marker,
                            identity: group.arn().unwrap_or_default().to_owned(),
                            security_group: attr_str(&state, CACHE, "security_group_id")?,
                        })
                    }
                })),
        )
        .step(
            Step::plan(second_stack.clone())
                .in_workspace("two")
                .expect_error("The swarm_cache name \"agents\" is taken"),
        )
        .step(
            Step::apply(second_stack)
                .in_workspace("two")
                .expect_error("The swarm_cache name \"agents\" is taken")
                .check_output(move |output| {
                    let marker = named.get()?.marker;
                    names_all(
                        output,
                        &[
                            format!("replication group \"agents\" (marker {marker})"),
                            format!("cache subnet group \"agents\" (marker {marker})"),
                            "terraform import <address> agents".to_owned(),
                        ],
                    )
                }),
        )
        .step(
            Step::plan(first_stack)
                .in_workspace("one")
                .before(out_of_band(&emulator, move |e| {
                    let (first, vpcs) = kept.clone();
                    async move { first_cache_intact(&e, &vpcs, &first.get()?).await }
                })),
        )
        .step(
            Step::apply(handmade.clone())
                .in_workspace("three")
                .after_plan(out_of_band(&emulator, |e| async move {
                    e.elasticache()
                        .await
                        .create_replication_group()
                        .replication_group_id("handmade")
                        .replication_group_description("made by hand")
                        .engine("redis")
                        .cache_node_type("cache.t3.micro")
                        .num_cache_clusters(1)
                        .send()
                        .await
                        .map(drop)
                        .map_err(err)
                }))
                .expect_error("The swarm_cache name \"handmade\" is taken")
                .check_output(|output| {
                    names_all(
                        output,
                        &[
                            "replication group \"handmade\" (no marker)".to_owned(),
                            "terraform import <address> handmade".to_owned(),
                        ],
                    )
                }),
        )
        .step(
            Step::plan(handmade)
                .in_workspace("three")
                .expect_error("The swarm_cache name \"handmade\" is taken")
                .before(out_of_band(&emulator, |e| async move {
                    handmade_cache_untouched(&e).await
                })),
        )
        // The refused apply left an entry without instances in the state,
        // and `terraform destroy` plans the configuration first, which the
        // name refuses: the workspace drops the resource instead.
        .step(Step::apply(staging(&emulator, "")).in_workspace("three"))
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            let ec = e.elasticache().await;
            same(
                "the replication group agents left",
                replication_group(&ec, "agents").await?.is_some(),
                false,
            )?;
            same(
                "the cache subnet group agents left",
                cache_subnet_group(&ec, "agents").await?.is_some(),
                false,
            )?;
            same(
                "security groups of cache agents left",
                groups_of(&e.ec2().await, "cache", "agents").await?.len(),
                0,
            )?;
            handmade_cache_untouched(&e).await
        }));
    run("unique_names::cache_of_a_taken_name_is_refused", case).await;
}

/// Objects of a cache from before markers (the markers removed out of
/// band, the state forgotten), imported by name, are marked by the first
/// apply: the plan shows the marker as known after apply, and afterwards
/// the replication group, its subnet group and its security group carry
/// the state's marker.
#[tokio::test]
async fn an_unmarked_cache_is_imported_and_marked_by_its_apply() {
    let emulator = Arc::new(Emulator::start());
    let vpcs = vpcs(&emulator, ["us-east-1a", "us-east-1b"]).await;
    let stack = cache(&emulator, "agents", &vpcs.one_subnets, 3);
    let case = test_case()
        .step(Step::apply(stack.clone()))
        .step(
            Step::command(stack.clone(), &["state", "rm", CACHE]).before(out_of_band(
                &emulator,
                |e| async move {
                    let ec = e.elasticache().await;
                    let (group, _) = replication_group(&ec, "agents")
                        .await?
                        .ok_or("no replication group agents")?;
                    let (subnets, _) = cache_subnet_group(&ec, "agents")
                        .await?
                        .ok_or("no cache subnet group agents")?;
                    for arn in [group.arn(), subnets.arn()] {
                        ec.remove_tags_from_resource()
                            .resource_name(arn.unwrap_or_default())
                            .tag_keys(OWNER)
                            .send()
                            .await
                            .map_err(err)?;
                    }
                    let ec2 = e.ec2().await;
                    for sg in groups_of(&ec2, "cache", "agents").await? {
                        ec2.delete_tags()
                            .resources(sg.group_id().unwrap_or_default())
                            .tags(aws_sdk_ec2::types::Tag::builder().key(OWNER).build())
                            .send()
                            .await
                            .map_err(err)?;
                    }
                    Ok(())
                },
            )),
        )
        .step(Step::command(stack.clone(), &["import", CACHE, "agents"]))
        .step(
            Step::plan(stack.clone())
                .expect_changes()
                .check_output(|output| {
                    names_all(
                        output,
                        &["+ ownership_marker = (known after apply)".to_owned()],
                    )
                }),
        )
        .step(
            Step::apply(stack).check(sdk_check(&emulator, |e, state| async move {
                let marker = attr_str(&state, CACHE, "ownership_marker")?;
                let ec = e.elasticache().await;
                let (_, tags) = replication_group(&ec, "agents")
                    .await?
                    .ok_or("no replication group agents")?;
                same(
                    "the replication group's marker",
                    tags.get(OWNER),
                    Some(&marker),
                )?;
                let (_, tags) = cache_subnet_group(&ec, "agents")
                    .await?
                    .ok_or("no cache subnet group agents")?;
                same("the subnet group's marker", tags.get(OWNER), Some(&marker))?;
                let groups = groups_of(&e.ec2().await, "cache", "agents").await?;
                let markers: Vec<Option<String>> = groups
                    .iter()
                    .map(|g| tag_map(g.tags()).get(OWNER).cloned())
                    .collect();
                same("the security group's marker", markers, vec![Some(marker)])
            })),
        );
    run(
        "unique_names::an_unmarked_cache_is_imported_and_marked_by_its_apply",
        case,
    )
    .await;
}

// ---------------------------------------------------------------------------
// swarm_bucket

/// A bucket name unique enough for a real AWS account (names are global).
fn unique(stem: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("swarm-acc-{stem}-{:x}", nanos % (1 << 48))
}

fn bucket(emulator: &Emulator, name: &str, purpose: &str) -> String {
    staging(
        emulator,
        &format!(
            r#"resource "swarm_bucket" "main" {{
  name    = "{name}"
  purpose = "{purpose}"
}}"#
        ),
    )
}

/// A bucket's tags (none when it has no tag set).
async fn bucket_tags(
    s3: &aws_sdk_s3::Client,
    name: &str,
) -> Result<BTreeMap<String, String>, String> {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match s3.get_bucket_tagging().bucket(name).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()),
        Err(e) if e.code() == Some("NoSuchTagSet") => Ok(BTreeMap::new()),
        Err(e) => Err(err(e)),
    }
}

async fn bucket_names(s3: &aws_sdk_s3::Client) -> Result<Vec<String>, String> {
    let out = s3.list_buckets().send().await.map_err(err)?;
    Ok(out
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect())
}

/// The bucket made by hand has no tags and no policy: nothing was written.
async fn handmade_bucket_untouched(e: &Emulator, name: &str) -> CheckResult {
    let s3 = e.s3().await;
    same(
        "the hand-made bucket exists",
        bucket_names(&s3).await?.iter().any(|b| b == name),
        true,
    )?;
    same(
        "the hand-made bucket's tags",
        bucket_tags(&s3, name).await?,
        BTreeMap::new(),
    )?;
    same(
        "the hand-made bucket has a policy",
        s3.get_bucket_policy().bucket(name).send().await.is_ok(),
        false,
    )
}

#[tokio::test]
async fn bucket_of_a_taken_name_is_refused() {
    let emulator = Arc::new(Emulator::start());
    let name = unique("shared");
    let handmade_name = unique("handmade");
    let first_stack = bucket(&emulator, &name, "logs");
    // The same name for another purpose: it would change the retention.
    let second_stack = bucket(&emulator, &name, "backups");
    let handmade = bucket(&emulator, &handmade_name, "logs");
    let first = Memo::<First>::default();

    let remember = first.clone();
    let named = (first.clone(), name.clone());
    let kept = (first.clone(), name.clone());
    let made = handmade_name.clone();
    let untouched = handmade_name.clone();
    let left = (name.clone(), handmade_name.clone());
    let taken = format!("The swarm_bucket name \"{handmade_name}\" is taken");
    let case = test_case()
        .step(
            Step::apply(first_stack.clone())
                .in_workspace("one")
                .check(sdk_check(&emulator, move |e, state| {
                    let remember = remember.clone();
                    async move {
                        let name = attr_str(&state, BUCKET, "id")?;
                        let marker = attr_str(&state, BUCKET, "ownership_marker")?;
                        let tags = bucket_tags(&e.s3().await, &name).await?;
                        same("the bucket's marker", tags.get(OWNER), Some(&marker))?;
                        remember.set(First {
                            marker,
                            identity: name,
                            security_group: String::new(),
                        })
                    }
                })),
        )
        .step(
            Step::apply(second_stack)
                .in_workspace("two")
                .expect_error(format!("The swarm_bucket name \"{name}\" is taken"))
                .check_output(move |output| {
                    let (first, name) = &named;
                    let marker = first.get()?.marker;
                    names_all(
                        output,
                        &[
                            format!("bucket \"{name}\" (marker {marker})"),
                            format!("terraform import <address> {name}"),
                        ],
                    )
                }),
        )
        // The first stack's bucket keeps its purpose, retention and marker.
        .step(
            Step::plan(first_stack)
                .in_workspace("one")
                .before(out_of_band(&emulator, move |e| {
                    let (first, name) = kept.clone();
                    async move {
                        let first = first.get()?;
                        same("the bucket", name.as_str(), first.identity.as_str())?;
                        let s3 = e.s3().await;
                        let tags = bucket_tags(&s3, &name).await?;
                        same(
                            "the bucket's marker and purpose",
                            (tags.get(OWNER), tags.get("swarm:purpose")),
                            (Some(&first.marker), Some(&"logs".to_owned())),
                        )?;
                        let rules = s3
                            .get_bucket_lifecycle_configuration()
                            .bucket(&name)
                            .send()
                            .await
                            .map_err(err)?;
                        let days: Vec<Option<i32>> = rules
                            .rules()
                            .iter()
                            .map(|r| r.expiration().and_then(|x| x.days()))
                            .collect();
                        same("the expiration days", days, vec![Some(7)])
                    }
                })),
        )
        .step(
            Step::apply(handmade.clone())
                .in_workspace("three")
                .after_plan(out_of_band(&emulator, move |e| {
                    let made = made.clone();
                    async move {
                        e.s3()
                            .await
                            .create_bucket()
                            .bucket(made)
                            .send()
                            .await
                            .map(drop)
                            .map_err(err)
                    }
                }))
                .expect_error(taken.clone())
                .check_output({
                    let name = handmade_name.clone();
                    move |output| {
                        names_all(
                            output,
                            &[
                                format!("bucket \"{name}\" (no marker)"),
                                format!("terraform import <address> {name}"),
                            ],
                        )
                    }
                }),
        )
        .step(
            Step::plan(handmade)
                .in_workspace("three")
                .expect_error(taken)
                .before(out_of_band(&emulator, move |e| {
                    let name = untouched.clone();
                    async move { handmade_bucket_untouched(&e, &name).await }
                })),
        )
        // The refused apply left an entry without instances in the state,
        // and `terraform destroy` plans the configuration first, which the
        // name refuses: the workspace drops the resource instead.
        .step(Step::apply(staging(&emulator, "")).in_workspace("three"))
        // Imported (in a directory of its own), the hand-made bucket gets
        // a marker at the import's apply.
        .step(
            Step::import_block(with_import_block(
                &bucket(&emulator, &handmade_name, "logs"),
                BUCKET,
                &handmade_name,
            ))
            .check(sdk_check(&emulator, |e, state| async move {
                let name = attr_str(&state, BUCKET, "id")?;
                let marker = attr_str(&state, BUCKET, "ownership_marker")?;
                let tags = bucket_tags(&e.s3().await, &name).await?;
                same(
                    "the imported bucket's marker",
                    tags.get(OWNER).map(String::len),
                    Some(20),
                )?;
                same(
                    "the imported bucket's marker",
                    tags.get(OWNER),
                    Some(&marker),
                )
            })),
        )
        .check_destroy(sdk_check(&emulator, move |e, _| {
            let (name, handmade) = left.clone();
            async move {
                let names = bucket_names(&e.s3().await).await?;
                same(
                    "the first stack's bucket and the imported one left",
                    (names.contains(&name), names.contains(&handmade)),
                    (false, true),
                )
            }
        }));
    run("unique_names::bucket_of_a_taken_name_is_refused", case).await;
}
