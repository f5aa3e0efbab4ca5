//! `swarm_backup_schedule` end to end: `basic` (a schedule of a database
//! and a versioned bucket copied to another region: the plan's rules and
//! lifecycles, the copy actions, the selection, the role with its trust
//! and managed policies and both vaults read back through the SDK; a rule
//! run leaves recovery points in both regions' vaults; destroy is refused
//! while they hold points, and deletes nothing; with force_destroy applied
//! the points are still there, and destroy leaves nothing in either
//! region), `bad_input_is_refused_at_plan` (nothing is made),
//! `bucket_checked_at_apply_and_partial_retention` (an unversioned bucket
//! made in the same apply is refused at apply before anything of the
//! schedule is made; a partial `retention` block plans the defaults).

use std::sync::Arc;

use acceptance_tests::backup::{COPY_REGION, ROLE, SCHEDULE as ADDRESS, VAULT, run_rule};
use acceptance_tests::checks::{Memo, err, out_of_band, same, sdk_check};
use acceptance_tests::emulator::{Emulator, REGION};
use acceptance_tests::fixtures::default_subnets;
use acceptance_tests::{config, run, test_case};
use tfplugin::testing::{Check, CheckResult, Step};

/// The configuration: a bucket and a database, and (with `schedule`) the
/// schedule of both, whose body gets `extra`.
fn hcl(e: &Emulator, subnets: &[String], bucket: &str, schedule: Option<&str>) -> String {
    let subnets: Vec<String> = subnets.iter().map(|s| format!("\"{s}\"")).collect();
    let schedule = schedule.map_or_else(String::new, |extra| {
        format!(
            r#"
resource "swarm_backup_schedule" "nightly" {{
  name           = "nightly"
  schedule       = "0 2 * * *"
  resources      = [swarm_database.main.arn, swarm_bucket.config.arn]
  copy_to_region = "{COPY_REGION}"
{extra}
}}"#
        )
    });
    config(&format!(
        r#"{}
resource "swarm_bucket" "config" {{
  name          = "{bucket}"
  purpose       = "config"
  force_destroy = true
}}

resource "swarm_database" "main" {{
  name                = "main"
  subnet_ids          = [{}]
  multi_az            = false
  deletion_protection = false
  final_snapshot      = false
}}
{schedule}
"#,
        e.provider_block(
            "  environment  = \"production\"\n  default_tags = { owner = \"platform\" }\n"
        ),
        subnets.join(", ")
    ))
}

fn attr(state: &tfplugin::testing::State, attribute: &str) -> Result<String, String> {
    state
        .attr(ADDRESS, attribute)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{ADDRESS}.{attribute} is not a string"))
}

/// The plan's rules, as (name, cron, lifecycle days, [(copy vault ARN,
/// copy lifecycle days)]), sorted by name.
type RuleSeen = (String, String, i64, Vec<(String, i64)>);

async fn rules(e: &Emulator, plan_id: &str) -> Result<Vec<RuleSeen>, String> {
    let backup = e.backup_in(REGION).await;
    let plan = backup
        .get_backup_plan()
        .backup_plan_id(plan_id)
        .send()
        .await
        .map_err(err)?;
    let mut seen: Vec<RuleSeen> = plan
        .backup_plan()
        .ok_or("no plan document")?
        .rules()
        .iter()
        .map(|r| {
            (
                r.rule_name().to_owned(),
                r.schedule_expression().unwrap_or_default().to_owned(),
                r.lifecycle()
                    .and_then(|l| l.delete_after_days())
                    .unwrap_or(-1),
                r.copy_actions()
                    .iter()
                    .map(|c| {
                        (
                            c.destination_backup_vault_arn().to_owned(),
                            c.lifecycle()
                                .and_then(|l| l.delete_after_days())
                                .unwrap_or(-1),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    seen.sort();
    Ok(seen)
}

/// Everything the schedule made, read back through the SDK.
fn made(e: &Arc<Emulator>, bucket: String) -> Check {
    sdk_check(e, move |e, state| {
        let bucket = bucket.clone();
        async move {
            let plan_id = attr(&state, "plan_id")?;
            let copy_vault_arn = attr(&state, "copy_vault_arn")?;
            let copy = |days: i64| vec![(copy_vault_arn.clone(), days)];
            // Production's tiers: 7 daily, 4 weekly, 12 monthly points.
            same(
                "the plan's rules",
                rules(&e, &plan_id).await?,
                vec![
                    ("daily".into(), "cron(0 2 * * ? *)".into(), 7, copy(7)),
                    ("monthly".into(), "cron(0 2 1 * ? *)".into(), 372, copy(372)),
                    ("weekly".into(), "cron(0 2 ? * SUN *)".into(), 28, copy(28)),
                ],
            )?;
            // Both vaults, in their regions, marked.
            let marker = attr(&state, "ownership_marker")?;
            for (region, arn) in [
                (REGION, attr(&state, "vault_arn")?),
                (COPY_REGION, copy_vault_arn.clone()),
            ] {
                let backup = e.backup_in(region).await;
                let vault = backup
                    .describe_backup_vault()
                    .backup_vault_name(VAULT)
                    .send()
                    .await
                    .map_err(err)?;
                same("vault ARN", vault.backup_vault_arn(), Some(arn.as_str()))?;
                let tags = backup
                    .list_tags()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .map_err(err)?;
                let tags = tags.tags().cloned().unwrap_or_default();
                same("vault marker", tags.get("swarm:owner"), Some(&marker))?;
                same(
                    "vault default tag",
                    tags.get("owner").map(String::as_str),
                    Some("platform"),
                )?;
            }
            // The selection: the database and the bucket, with the role.
            let backup = e.backup_in(REGION).await;
            let selection = backup
                .get_backup_selection()
                .backup_plan_id(&plan_id)
                .selection_id(attr(&state, "selection_id")?)
                .send()
                .await
                .map_err(err)?;
            let selection = selection.backup_selection().ok_or("no selection")?;
            let mut resources = selection.resources().to_vec();
            resources.sort();
            let db_arn = state
                .attr("swarm_database.main", "arn")?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let mut want = vec![db_arn, format!("arn:aws:s3:::{bucket}")];
            want.sort();
            same("selected resources", resources, want)?;
            let role_arn = attr(&state, "role_arn")?;
            same(
                "selection's role",
                selection.iam_role_arn(),
                role_arn.as_str(),
            )?;
            // The role: AWS Backup may assume it, with the backup, restore
            // and (a bucket is selected) S3 policies.
            let iam = e.iam().await;
            let role = iam.get_role().role_name(ROLE).send().await.map_err(err)?;
            let role = role.role().ok_or("no role")?;
            same("role ARN", role.arn(), role_arn.as_str())?;
            let trust = role.assume_role_policy_document().unwrap_or_default();
            same(
                "trust policy names AWS Backup",
                trust.contains("backup.amazonaws.com"),
                true,
            )?;
            let attached = iam
                .list_attached_role_policies()
                .role_name(ROLE)
                .send()
                .await
                .map_err(err)?;
            let mut policies: Vec<String> = attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect();
            policies.sort();
            same(
                "role policies",
                policies,
                vec![
                    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup".to_owned(),
                    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore".to_owned(),
                    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
                        .to_owned(),
                    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
                        .to_owned(),
                ],
            )
        }
    })
}

/// The recovery points of the schedule's vault in `region`: (resource
/// ARN, rule name, lifecycle days).
async fn points(e: &Emulator, region: &str) -> Result<Vec<(String, String, i64)>, String> {
    let backup = e.backup_in(region).await;
    let out = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(VAULT)
        .send()
        .await
        .map_err(err)?;
    let mut seen: Vec<(String, String, i64)> = out
        .recovery_points()
        .iter()
        .map(|p| {
            (
                p.resource_arn().unwrap_or_default().to_owned(),
                p.created_by()
                    .and_then(|c| c.backup_rule_name())
                    .unwrap_or_default()
                    .to_owned(),
                p.lifecycle()
                    .and_then(|l| l.delete_after_days())
                    .unwrap_or(-1),
            )
        })
        .collect();
    seen.sort();
    Ok(seen)
}

/// Both vaults hold a daily point of the database and one of the bucket.
fn points_in_both_regions(e: &Arc<Emulator>, bucket: String) -> Check {
    sdk_check(e, move |e, state| {
        let bucket = bucket.clone();
        async move {
            let db_arn = state
                .attr("swarm_database.main", "arn")?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let mut want = vec![
                (db_arn, "daily".to_owned(), 7),
                (format!("arn:aws:s3:::{bucket}"), "daily".to_owned(), 7),
            ];
            want.sort();
            same(
                "recovery points in the vault",
                points(&e, REGION).await?,
                want.clone(),
            )?;
            same(
                "recovery points in the copy vault",
                points(&e, COPY_REGION).await?,
                want,
            )
        }
    })
}

/// What `swarm_recovery_points` shows after the run: by schedule, the
/// two daily points, each copied; by resource, the database's one point
/// in this region's vault.
fn listed_points(state: &tfplugin::testing::State) -> CheckResult {
    let listed = |address: &str| -> Result<Vec<serde_json::Value>, String> {
        Ok(state
            .attr(address, "recovery_points")?
            .as_array()
            .cloned()
            .unwrap_or_default())
    };
    let by_schedule = listed("data.swarm_recovery_points.nightly")?;
    same("points listed by schedule", by_schedule.len(), 2)?;
    for point in &by_schedule {
        same("tier", point["tier"].as_str(), Some("daily"))?;
        same(
            "copy status",
            point["copy_status"].as_str(),
            Some("COMPLETED"),
        )?;
        same("status", point["status"].as_str(), Some("COMPLETED"))?;
        same("vault", point["vault_name"].as_str(), Some(VAULT))?;
        same(
            "a copy in the other region",
            point["copy_recovery_point_arn"]
                .as_str()
                .is_some_and(|arn| arn.contains(COPY_REGION)),
            true,
        )?;
    }
    let db_arn = state.attr("swarm_database.main", "arn")?.clone();
    let by_resource = listed("data.swarm_recovery_points.database")?;
    same("points listed by resource", by_resource.len(), 1)?;
    same(
        "the database's point",
        &by_resource[0]["resource_arn"],
        &db_arn,
    )
}

/// Nothing of the schedule is left in either region.
async fn nothing_left(e: &Emulator) -> CheckResult {
    for region in [REGION, COPY_REGION] {
        let backup = e.backup_in(region).await;
        let vaults = backup.list_backup_vaults().send().await.map_err(err)?;
        let names: Vec<&str> = vaults
            .backup_vault_list()
            .iter()
            .filter_map(|v| v.backup_vault_name())
            .collect();
        same(
            &format!("vaults in {region}"),
            names.contains(&VAULT),
            false,
        )?;
    }
    let backup = e.backup_in(REGION).await;
    let plans = backup.list_backup_plans().send().await.map_err(err)?;
    same(
        "backup plans",
        plans
            .backup_plans_list()
            .iter()
            .filter(|p| p.backup_plan_name() == Some(VAULT))
            .count(),
        0,
    )?;
    let iam = e.iam().await;
    same(
        "role",
        iam.get_role().role_name(ROLE).send().await.is_ok(),
        false,
    )
}

fn unique_bucket() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("swarm-acc-backup-{:x}", nanos % (1 << 48))
}

async fn subnets(e: &Emulator) -> Vec<String> {
    default_subnets(&e.ec2().await)
        .await
        .into_iter()
        .take(2)
        .map(|(id, _)| id)
        .collect()
}

#[tokio::test]
async fn basic() {
    let emulator = Arc::new(Emulator::start());
    let subnets = subnets(&emulator).await;
    let bucket = unique_bucket();
    let created = hcl(&emulator, &subnets, &bucket, Some(""));
    let forced = hcl(&emulator, &subnets, &bucket, Some("  force_destroy = true"));
    let without = hcl(&emulator, &subnets, &bucket, None);
    let with_points = format!(
        "{created}\n{}",
        r#"
data "swarm_recovery_points" "nightly" {
  schedule = swarm_backup_schedule.nightly.name
}

data "swarm_recovery_points" "database" {
  resource_arn = swarm_database.main.arn
}
"#
    );
    let plan_id: Memo<String> = Memo::default();
    let remembered = plan_id.clone();
    let ran = plan_id.clone();
    let (b1, b2, b3) = (bucket.clone(), bucket.clone(), bucket.clone());
    let left = Arc::clone(&emulator);
    let case = test_case()
        .step(
            // No retention block: it stays null, and the environment's
            // tiers are in the rules (`made` reads them back).
            Step::apply(created.clone())
                .check(Check::attr_equals(
                    ADDRESS,
                    "retention",
                    serde_json::Value::Null,
                ))
                .check(made(&emulator, b1))
                .check(Check::new(move |state| {
                    let id = attr(state, "plan_id");
                    let memo = remembered.clone();
                    Box::pin(async move { memo.set(id?) })
                })),
        )
        // The daily rule fires: a point of each resource in each region.
        .step(
            Step::apply(with_points)
                .before(out_of_band(&emulator, move |e| {
                    let ran = ran.clone();
                    async move {
                        let answer = run_rule(&e, &ran.get()?, "daily").await?;
                        let jobs = answer["BackupJobs"].as_array().map_or(0, Vec::len);
                        let copies = answer["CopyJobs"].as_array().map_or(0, Vec::len);
                        same("backup and copy jobs", (jobs, copies), (2, 2))
                    }
                }))
                .check(points_in_both_regions(&emulator, b2.clone()))
                .check(Check::new(|state| {
                    let listed = listed_points(state);
                    Box::pin(async move { listed })
                })),
        )
        // Destroy is refused while the vaults hold points, and deletes
        // nothing.
        .step(
            Step::apply(without.clone())
                .expect_error("hold recovery points")
                .check_output(|output| {
                    let said = output.contains("\"swarm-nightly\" in us-east-1: 2 recovery points")
                        && output.contains("\"swarm-nightly\" in us-west-2: 2 recovery points")
                        && output.contains("force_destroy = true");
                    same(
                        "the error names each vault's points and the way out",
                        said,
                        true,
                    )
                }),
        )
        .step(
            Step::apply(created.clone())
                .check(points_in_both_regions(&emulator, b2))
                .check(made(&emulator, b3.clone())),
        )
        .step(
            Step::apply(forced)
                .check(Check::attr_equals(ADDRESS, "force_destroy", true))
                .check(points_in_both_regions(&emulator, b3)),
        )
        .check_destroy(Check::new(move |_| {
            let e = Arc::clone(&left);
            Box::pin(async move { nothing_left(&e).await })
        }));
    run("backup_schedule::basic", case).await;
}

/// A schedule of one versioned bucket, with `body` in the schedule.
fn bucket_only(e: &Emulator, bucket: &str, body: &str) -> String {
    config(&format!(
        r#"{}
resource "swarm_bucket" "config" {{
  name          = "{bucket}"
  purpose       = "config"
  force_destroy = true
}}

resource "swarm_backup_schedule" "nightly" {{
  name      = "nightly"
  resources = [swarm_bucket.config.arn]
{body}
}}
"#,
        e.provider_block("  environment = \"production\"\n")
    ))
}

/// The same object (not replaced) in every step.
fn same_object(memo: &Memo<String>, attribute: &'static str) -> Check {
    let memo = memo.clone();
    Check::new(move |state| {
        let value = attr(state, attribute);
        let memo = memo.clone();
        Box::pin(async move { memo.first_or_same(attribute, value?) })
    })
}

/// The plan's rules as (name, cron, days, copy vault regions).
fn rules_are(
    e: &Arc<Emulator>,
    want: Vec<(&'static str, &'static str, i64, Option<&'static str>)>,
) -> Check {
    sdk_check(e, move |e, state| {
        let want = want.clone();
        async move {
            let seen: Vec<(String, String, i64, Option<String>)> =
                rules(&e, &attr(&state, "plan_id")?)
                    .await?
                    .into_iter()
                    .map(|(name, cron, days, copies)| {
                        let region = copies.first().map(|(arn, copy_days)| {
                            format!("{}/{copy_days}", arn.split(':').nth(3).unwrap_or_default())
                        });
                        (name, cron, days, region)
                    })
                    .collect();
            let want: Vec<(String, String, i64, Option<String>)> = want
                .into_iter()
                .map(|(n, c, d, r)| (n.to_owned(), c.to_owned(), d, r.map(|r| format!("{r}/{d}"))))
                .collect();
            same("the plan's rules", seen, want)
        }
    })
}

/// Schedule, tiers, selection and copy region change in place: the same
/// plan and vault throughout; a new selection for a new selection; a copy
/// vault in the new region, the old one kept with its recovery point (and
/// the plan says so).
#[tokio::test]
async fn updates_in_place() {
    let emulator = Arc::new(Emulator::start());
    let bucket = unique_bucket();
    let first = bucket_only(
        &emulator,
        &bucket,
        "  schedule       = \"0 2 * * *\"\n  copy_to_region = \"us-west-2\"",
    );
    let retimed = bucket_only(
        &emulator,
        &bucket,
        "  schedule       = \"30 3 * * *\"\n  copy_to_region = \"us-west-2\"\n  retention {\n    weekly  = 8\n    monthly = 0\n    yearly  = 1\n  }",
    );
    let reselected = bucket_only(
        &emulator,
        &bucket,
        "  schedule         = \"30 3 * * *\"\n  copy_to_region   = \"us-west-2\"\n  retention {\n    weekly  = 8\n    monthly = 0\n    yearly  = 1\n  }\n  resources_tagged = { backup = \"nightly\" }",
    );
    let moved = bucket_only(
        &emulator,
        &bucket,
        "  schedule         = \"30 3 * * *\"\n  copy_to_region   = \"eu-west-1\"\n  retention {\n    weekly  = 8\n    monthly = 0\n    yearly  = 1\n  }\n  resources_tagged = { backup = \"nightly\" }\n  force_destroy    = true",
    );
    let (plan, vault, selection) = (Memo::default(), Memo::default(), Memo::<String>::default());
    let plan_id: Memo<String> = Memo::default();
    let (remember, ran) = (plan_id.clone(), plan_id.clone());
    let selection_was = selection.clone();
    let case = test_case()
        .step(
            Step::apply(first)
                .check(same_object(&plan, "plan_id"))
                .check(same_object(&vault, "vault_arn"))
                .check(same_object(&selection, "selection_id"))
                .check(Check::new(move |state| {
                    let id = attr(state, "plan_id");
                    let memo = remember.clone();
                    Box::pin(async move { memo.set(id?) })
                }))
                .check(rules_are(
                    &emulator,
                    vec![
                        ("daily", "cron(0 2 * * ? *)", 7, Some("us-west-2")),
                        ("monthly", "cron(0 2 1 * ? *)", 372, Some("us-west-2")),
                        ("weekly", "cron(0 2 ? * SUN *)", 28, Some("us-west-2")),
                    ],
                )),
        )
        .step(
            Step::apply(retimed)
                .check(same_object(&plan, "plan_id"))
                .check(same_object(&vault, "vault_arn"))
                .check(same_object(&selection, "selection_id"))
                .check(Check::attr_equals(ADDRESS, "schedule", "30 3 * * *"))
                .check(rules_are(
                    &emulator,
                    vec![
                        ("daily", "cron(30 3 * * ? *)", 7, Some("us-west-2")),
                        ("weekly", "cron(30 3 ? * SUN *)", 56, Some("us-west-2")),
                        ("yearly", "cron(30 3 1 JAN ? *)", 366, Some("us-west-2")),
                    ],
                )),
        )
        .step(
            Step::apply(reselected)
                .check(same_object(&plan, "plan_id"))
                .check(sdk_check(&emulator, move |e, state| {
                    let before = selection_was.get();
                    async move {
                        let id = attr(&state, "selection_id")?;
                        same("a new selection", id != before?, true)?;
                        let backup = e.backup_in(REGION).await;
                        let plan_id = attr(&state, "plan_id")?;
                        let listed = backup
                            .list_backup_selections()
                            .backup_plan_id(&plan_id)
                            .send()
                            .await
                            .map_err(err)?;
                        same(
                            "selections of the plan",
                            listed.backup_selections_list().len(),
                            1,
                        )?;
                        let found = backup
                            .get_backup_selection()
                            .backup_plan_id(&plan_id)
                            .selection_id(&id)
                            .send()
                            .await
                            .map_err(err)?;
                        let conditions: Vec<(String, String)> = found
                            .backup_selection()
                            .map(|s| {
                                s.list_of_tags()
                                    .iter()
                                    .map(|c| {
                                        (
                                            c.condition_key().to_owned(),
                                            c.condition_value().to_owned(),
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        same(
                            "tag conditions",
                            conditions,
                            vec![("backup".to_owned(), "nightly".to_owned())],
                        )
                    }
                })),
        )
        .step(
            Step::apply(moved)
                .before(out_of_band(&emulator, move |e| {
                    let ran = ran.clone();
                    async move {
                        run_rule(&e, &ran.get()?, "daily").await?;
                        same(
                            "a point in us-west-2",
                            points(&e, COPY_REGION).await?.len(),
                            1,
                        )
                    }
                }))
                .check_output(|output| {
                    same(
                        "the plan's warning",
                        output.contains("The old copy vault is kept")
                            && output.contains("holds 1 recovery points"),
                        true,
                    )
                })
                .check(same_object(&plan, "plan_id"))
                .check(same_object(&vault, "vault_arn"))
                .check(rules_are(
                    &emulator,
                    vec![
                        ("daily", "cron(30 3 * * ? *)", 7, Some("eu-west-1")),
                        ("weekly", "cron(30 3 ? * SUN *)", 56, Some("eu-west-1")),
                        ("yearly", "cron(30 3 1 JAN ? *)", 366, Some("eu-west-1")),
                    ],
                ))
                .check(sdk_check(&emulator, |e, state| async move {
                    same(
                        "the old copy vault's point, kept",
                        points(&e, COPY_REGION).await?.len(),
                        1,
                    )?;
                    let new = e
                        .backup_in("eu-west-1")
                        .await
                        .describe_backup_vault()
                        .backup_vault_name(VAULT)
                        .send()
                        .await
                        .map_err(err)?;
                    same(
                        "the new copy vault",
                        new.backup_vault_arn().map(str::to_owned),
                        Some(attr(&state, "copy_vault_arn")?),
                    )
                })),
        );
    run("backup_schedule::updates_in_place", case).await;
}

/// Bad input fails the plan on its attribute, and nothing is made.
#[tokio::test]
async fn bad_input_is_refused_at_plan() {
    let emulator = Arc::new(Emulator::start());
    let bucket = unique_bucket();
    // A logs bucket has no versioning; made first, so that the plan can
    // ask S3.
    let logs = config(&format!(
        r#"{}
resource "swarm_bucket" "logs" {{
  name          = "{bucket}"
  purpose       = "logs"
  force_destroy = true
}}
"#,
        emulator.provider_block("")
    ));
    let with = |body: &str| {
        format!(
            "{logs}\nresource \"swarm_backup_schedule\" \"nightly\" {{\n  name = \"nightly\"\n{body}\n}}\n"
        )
    };
    let cache_arn = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:agents";
    let mut case = test_case().step(Step::apply(logs.clone()));
    for (body, error) in [
        (
            format!("  schedule  = \"0 2 * * *\"\n  resources = [\"{cache_arn}\"]"),
            "snapshot_retention_days",
        ),
        (
            "  schedule  = \"0 2 * * *\"\n  resources = [swarm_bucket.logs.arn]".to_owned(),
            "is not versioned",
        ),
        (
            "  schedule  = \"0 2 * * *\"\n  resources_tagged = { a = \"b\" }\n  retention {\n    daily = 0\n  }"
                .to_owned(),
            "retention.daily must be at least 1",
        ),
        (
            "  schedule  = \"0 2 * * *\"\n  resources_tagged = { a = \"b\" }\n  retention {\n    weekly = -1\n  }"
                .to_owned(),
            "retention.weekly",
        ),
        (
            "  schedule  = \"0 2 * * *\"\n  resources_tagged = { a = \"b\" }\n  copy_to_region = \"us-east-1\""
                .to_owned(),
            "the provider's own region",
        ),
        (
            "  schedule  = \"0 2 * * *\"\n  resources_tagged = { a = \"b\" }\n  copy_to_region = \"mars\""
                .to_owned(),
            "\"mars\" is not a region name",
        ),
        (
            "  schedule  = \"0 2 * * *\"\n  resources_tagged = { a = \"b\" }\n  copy_to_region = \"us-moon-1\""
                .to_owned(),
            "copy_to_region: \"us-moon-1\" is not an AWS region this provider knows",
        ),
        (
            "  schedule  = \"0 2,14 * * *\"\n  resources_tagged = { a = \"b\" }".to_owned(),
            "runs 2 times a day",
        ),
        (
            "  schedule  = \"0 2 * * 1-5\"\n  resources_tagged = { a = \"b\" }\n  retention {\n    weekly = 4\n  }"
                .to_owned(),
            "retention.weekly is 4",
        ),
        ("  schedule  = \"0 2 * * *\"".to_owned(), "Nothing to back up"),
    ] {
        case = case.step(Step::plan(with(&body)).expect_error(error));
    }
    let case = case.step(
        Step::apply(logs).check(sdk_check(&emulator, |e, _| async move {
            nothing_left(&e).await
        })),
    );
    run("backup_schedule::bad_input_is_refused_at_plan", case).await;
}

/// A bucket made in the same apply cannot be asked at plan (it does not
/// exist yet): its versioning is asked again at apply, before anything of
/// the schedule is made, and the apply fails on `resources` (the bucket,
/// made first, exists; no vault, plan or role does). A partial
/// `retention` block plans the environment's defaults for the counts left
/// out, and the plan's rules read back match. A selected bucket whose
/// versioning is turned off in the apply that changes the schedule is
/// refused at that apply, and the schedule is left as it was. An import's
/// generated configuration of the partial block plans nothing.
#[tokio::test]
async fn bucket_checked_at_apply_and_partial_retention() {
    let emulator = Arc::new(Emulator::start());
    let logs = unique_bucket();
    let bucket = unique_bucket();
    let unversioned = config(&format!(
        r#"{}
resource "swarm_bucket" "logs" {{
  name          = "{logs}"
  purpose       = "logs"
  force_destroy = true
}}

resource "swarm_backup_schedule" "nightly" {{
  name      = "nightly"
  schedule  = "0 2 * * *"
  resources = [swarm_bucket.logs.arn]
}}
"#,
        emulator.provider_block("  environment = \"production\"\n")
    ));
    let partial = bucket_only(
        &emulator,
        &bucket,
        "  schedule = \"0 2 * * *\"\n  retention {\n    daily = 14\n  }",
    );
    // The selected bucket's versioning turned off in the apply that
    // changes the schedule: its ARN is the prior state's, which the plan
    // does not ask again; the apply does, before it changes anything.
    let suspended = partial
        .replace(
            "  purpose       = \"config\"\n",
            "  purpose       = \"config\"\n  versioning    = false\n",
        )
        .replace("schedule = \"0 2 * * *\"", "schedule = \"0 3 * * *\"");
    let bucket_alone = config(&format!(
        "{}\nresource \"swarm_bucket\" \"config\" {{\n  name          = \"{bucket}\"\n  purpose       = \"config\"\n  versioning    = false\n  force_destroy = true\n}}\n",
        emulator.provider_block("  environment = \"production\"\n")
    ));
    // A generated import runs in a fresh directory: the bucket stays in
    // the first one's state.
    let import_only = config(&format!(
        "{}\nimport {{\n  to = {ADDRESS}\n  id = \"nightly\"\n}}\n",
        emulator.provider_block("  environment = \"production\"\n")
    ));
    let logs_made = logs.clone();
    let suspended_bucket = bucket.clone();
    // Production's defaults for the tiers left out: 4 weekly, 12 monthly.
    let planned_defaults = |output: &str| {
        let words = output.split_whitespace().collect::<Vec<_>>().join(" ");
        same(
            "the plan's counts",
            [
                "+ daily = 14",
                "+ weekly = 4",
                "+ monthly = 12",
                "+ yearly = 0",
            ]
            .iter()
            .all(|count| words.contains(count)),
            true,
        )
    };
    let counts = serde_json::json!({ "daily": 14, "weekly": 4, "monthly": 12, "yearly": 0 });
    let plan = Memo::<String>::default();
    let case = test_case()
        .step(
            Step::apply(unversioned)
                .expect_error("Resource AWS Backup cannot back up")
                .check_output(move |output| {
                    // Terraform wraps long lines.
                    let words = output.split_whitespace().collect::<Vec<_>>().join(" ");
                    same(
                        "the error names resources[0] and the bucket",
                        words
                            .contains(&format!("resources[0]: bucket \"{logs}\" is not versioned")),
                        true,
                    )
                }),
        )
        // What the failed apply left: the bucket (so the plan did not
        // refuse it: the check ran at apply), nothing of the schedule.
        .step(
            Step::plan(partial.clone())
                .expect_changes()
                .before(out_of_band(&emulator, move |e| {
                    let logs = logs_made.clone();
                    async move {
                        let head = e.s3().await.head_bucket().bucket(&logs).send().await;
                        same("the logs bucket made", head.is_ok(), true)?;
                        nothing_left(&e).await
                    }
                }))
                .check_output(planned_defaults),
        )
        .step(
            Step::apply(partial.clone())
                .check(Check::attr_equals(ADDRESS, "retention", counts.clone()))
                .check(same_object(&plan, "plan_id"))
                .check(rules_are(
                    &emulator,
                    vec![
                        ("daily", "cron(0 2 * * ? *)", 14, None),
                        ("monthly", "cron(0 2 1 * ? *)", 372, None),
                        ("weekly", "cron(0 2 ? * SUN *)", 28, None),
                    ],
                )),
        )
        .step(
            Step::apply(suspended)
                .expect_error("Resource AWS Backup cannot back up")
                .check_output(move |output| {
                    let words = output.split_whitespace().collect::<Vec<_>>().join(" ");
                    same(
                        "the apply's error names resources[0] and the bucket",
                        words.contains(&format!(
                            "resources[0]: bucket \"{suspended_bucket}\" is not versioned"
                        )),
                        true,
                    )
                }),
        )
        // The first directory keeps the bucket alone (its destroy plans
        // with this configuration).
        .step(Step::command(
            bucket_alone,
            &["state", "rm", "-no-color", ADDRESS],
        ))
        // The refused update changed nothing: the plan still runs at 02:00.
        .step(
            Step::import_generated(import_only)
                .check(same_object(&plan, "plan_id"))
                .check(Check::attr_equals(ADDRESS, "schedule", "0 2 * * *"))
                .check(Check::attr_equals(ADDRESS, "retention", counts))
                .check(rules_are(
                    &emulator,
                    vec![
                        ("daily", "cron(0 2 * * ? *)", 14, None),
                        ("monthly", "cron(0 2 1 * ? *)", 372, None),
                        ("weekly", "cron(0 2 ? * SUN *)", 28, None),
                    ],
                )),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            nothing_left(&e).await
        }));
    run(
        "backup_schedule::bucket_checked_at_apply_and_partial_retention",
        case,
    )
    .await;
}

/// A schedule of the bucket `bucket` by its ARN, copied to us-west-2,
/// without the bucket (for a fresh directory's import).
fn schedule_of(e: &Emulator, bucket: &str, extra: &str) -> String {
    config(&format!(
        r#"{}
resource "swarm_backup_schedule" "nightly" {{
  name           = "nightly"
  schedule       = "0 2 * * *"
  resources      = ["arn:aws:s3:::{bucket}"]
  copy_to_region = "{COPY_REGION}"
  tags           = {{ team = "agents" }}
{extra}
}}
"#,
        e.provider_block("  environment = \"staging\"\n")
    ))
}

/// A second stack's schedule of the same name is refused at plan, naming
/// the objects, and the first is untouched; `terraform import` by name
/// gives an empty plan; after `state rm`, a configuration Terraform
/// generates imports the same plan and vaults and applies with nothing
/// replaced.
#[tokio::test]
async fn import_and_two_stacks() {
    let emulator = Arc::new(Emulator::start());
    let bucket = unique_bucket();
    let bucket_block = format!(
        "resource \"swarm_bucket\" \"config\" {{\n  name          = \"{bucket}\"\n  purpose       = \"config\"\n  force_destroy = true\n}}\n"
    );
    let main = format!(
        "{}\n{bucket_block}",
        schedule_of(
            &emulator,
            &bucket,
            "  depends_on     = [swarm_bucket.config]"
        )
    );
    let imported = schedule_of(&emulator, &bucket, "");
    let import_only = config(&format!(
        "{}\nimport {{\n  to = {ADDRESS}\n  id = \"nightly\"\n}}\n",
        emulator.provider_block("  environment = \"staging\"\n")
    ));
    let (plan, vault, marker) = (Memo::default(), Memo::default(), Memo::<String>::default());
    let named = marker.clone();
    let case = test_case()
        .step(
            Step::apply(main.clone())
                .check(same_object(&plan, "plan_id"))
                .check(same_object(&vault, "vault_arn"))
                .check(same_object(&marker, "ownership_marker"))
                .check(Check::attr_equals(
                    ADDRESS,
                    "retention",
                    serde_json::Value::Null,
                )),
        )
        .step(
            Step::plan(imported.clone())
                .in_workspace("two")
                .expect_error("The swarm_backup_schedule name \"nightly\" is taken")
                .check_output(move |output| {
                    let marker = named.get()?;
                    same(
                        "the error names the objects and how to import them",
                        output
                            .contains(&format!("backup vault \"swarm-nightly\" (marker {marker})"))
                            && output.contains(&format!(
                                "IAM role \"swarm-backup-nightly-us-east-1\" (marker {marker})"
                            ))
                            && output.contains("terraform import <address> nightly"),
                        true,
                    )
                }),
        )
        .step(
            Step::apply(main.clone())
                .check(same_object(&plan, "plan_id"))
                .check(same_object(&vault, "vault_arn"))
                .check(same_object(&marker, "ownership_marker")),
        )
        .step(Step::import(imported, ADDRESS, "nightly"))
        .step(Step::command(main, &["state", "rm", "-no-color", ADDRESS]))
        .step(
            Step::import_generated(import_only)
                .check(same_object(&plan, "plan_id"))
                .check(same_object(&vault, "vault_arn"))
                .check(same_object(&marker, "ownership_marker"))
                .check(Check::attr_equals(ADDRESS, "schedule", "0 2 * * *"))
                .check(Check::attr_equals(ADDRESS, "copy_to_region", COPY_REGION)),
        );
    run("backup_schedule::import_and_two_stacks", case).await;
}

/// Both vaults' locks: (MinRetentionDays, whether a LockDate is set).
async fn locks(e: &Emulator) -> Result<Vec<(Option<i64>, bool)>, String> {
    let mut seen = Vec::new();
    for region in [REGION, COPY_REGION] {
        let vault = e
            .backup_in(region)
            .await
            .describe_backup_vault()
            .backup_vault_name(VAULT)
            .send()
            .await
            .map_err(err)?;
        seen.push((vault.min_retention_days(), vault.lock_date().is_some()));
    }
    Ok(seen)
}

/// A governance lock on both vaults, read back; a lock longer than a
/// tier refused at plan; a compliance lock's plan warns; force_destroy
/// cannot delete points the lock holds (the error says until when, and
/// nothing is deleted); the governance lock removed in place.
#[tokio::test]
async fn vault_lock() {
    let emulator = Arc::new(Emulator::start());
    let bucket = unique_bucket();
    let body = |lock: &str| {
        format!(
            "  schedule       = \"0 2 * * *\"\n  copy_to_region = \"{COPY_REGION}\"\n  force_destroy  = true\n{lock}"
        )
    };
    let governance = bucket_only(
        &emulator,
        &bucket,
        &body(
            "  vault_lock {\n    mode               = \"governance\"\n    min_retention_days = 3\n  }",
        ),
    );
    let too_long = bucket_only(
        &emulator,
        &bucket,
        &body(
            "  vault_lock {\n    mode               = \"governance\"\n    min_retention_days = 30\n  }",
        ),
    );
    let compliance = bucket_only(
        &emulator,
        &bucket,
        &body(
            "  vault_lock {\n    mode               = \"compliance\"\n    min_retention_days = 3\n  }",
        ),
    );
    let unlocked = bucket_only(&emulator, &bucket, &body(""));
    let without = config(&format!(
        "{}\nresource \"swarm_bucket\" \"config\" {{\n  name          = \"{bucket}\"\n  purpose       = \"config\"\n  force_destroy = true\n}}\n",
        emulator.provider_block("  environment = \"production\"\n")
    ));
    let plan_id: Memo<String> = Memo::default();
    let (remember, ran) = (plan_id.clone(), plan_id.clone());
    let case = test_case()
        .step(
            Step::apply(governance.clone())
                .check(Check::attr_equals(
                    ADDRESS,
                    "vault_lock",
                    serde_json::json!({ "mode": "governance", "min_retention_days": 3 }),
                ))
                .check(sdk_check(&emulator, |e, _| async move {
                    same(
                        "both vaults' locks",
                        locks(&e).await?,
                        vec![(Some(3), false); 2],
                    )
                }))
                .check(Check::new(move |state| {
                    let id = attr(state, "plan_id");
                    let memo = remember.clone();
                    Box::pin(async move { memo.set(id?) })
                })),
        )
        .step(Step::plan(too_long).expect_error("the daily tier keeps its points 7"))
        .step(
            Step::plan(compliance)
                .expect_changes()
                .check_output(|output| {
                    same(
                        "the compliance warning",
                        output.contains("A compliance vault lock becomes irreversible"),
                        true,
                    )
                }),
        )
        // A run; then destroy with force_destroy is refused for the
        // points the lock holds, and deletes nothing.
        .step(
            Step::apply(without)
                .before(out_of_band(&emulator, move |e| {
                    let ran = ran.clone();
                    async move {
                        run_rule(&e, &ran.get()?, "daily").await?;
                        Ok(())
                    }
                }))
                .expect_error("Recovery points held by the vault lock")
                .check_output(|output| {
                    same(
                        "the error says until when",
                        output.contains("the vault lock") && output.contains("from 20"),
                        true,
                    )
                }),
        )
        .step(
            Step::apply(unlocked)
                .check(Check::attr_equals(
                    ADDRESS,
                    "vault_lock",
                    serde_json::Value::Null,
                ))
                .check(sdk_check(&emulator, |e, _| async move {
                    same("points kept", points(&e, REGION).await?.len(), 1)?;
                    same("copies kept", points(&e, COPY_REGION).await?.len(), 1)?;
                    same(
                        "both vaults unlocked",
                        locks(&e).await?,
                        vec![(None, false); 2],
                    )
                })),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            nothing_left(&e).await
        }));
    run("backup_schedule::vault_lock", case).await;
}

/// The restore testing plan and its selections: (schedule expression,
/// vaults, [(selection, type, ARNs, hours)]); `None` when there is none.
type RestoreTestingSeen = (String, Vec<String>, Vec<(String, String, Vec<String>, i32)>);

async fn restore_testing(e: &Emulator) -> Result<Option<RestoreTestingSeen>, String> {
    let backup = e.backup_in(REGION).await;
    let listed = backup
        .list_restore_testing_plans()
        .send()
        .await
        .map_err(err)?;
    if listed.restore_testing_plans().is_empty() {
        return Ok(None);
    }
    let plan = backup
        .get_restore_testing_plan()
        .restore_testing_plan_name("swarm_nightly")
        .send()
        .await
        .map_err(err)?;
    let plan = plan
        .restore_testing_plan()
        .ok_or("no restore testing plan")?;
    let vaults = plan
        .recovery_point_selection()
        .map(|s| s.include_vaults().to_vec())
        .unwrap_or_default();
    let selections = backup
        .list_restore_testing_selections()
        .restore_testing_plan_name("swarm_nightly")
        .send()
        .await
        .map_err(err)?;
    let mut seen = Vec::new();
    for s in selections.restore_testing_selections() {
        let got = backup
            .get_restore_testing_selection()
            .restore_testing_plan_name("swarm_nightly")
            .restore_testing_selection_name(s.restore_testing_selection_name())
            .send()
            .await
            .map_err(err)?;
        let got = got.restore_testing_selection().ok_or("no selection")?;
        seen.push((
            got.restore_testing_selection_name().to_owned(),
            got.protected_resource_type().to_owned(),
            got.protected_resource_arns().to_vec(),
            got.validation_window_hours(),
        ));
    }
    Ok(Some((plan.schedule_expression().to_owned(), vaults, seen)))
}

/// Restore testing made, read back, updated in place (schedule and
/// hours), and removed with the block; nothing left after destroy.
#[tokio::test]
async fn restore_testing_in_place() {
    let emulator = Arc::new(Emulator::start());
    let bucket = unique_bucket();
    let body = |rt: &str| format!("  schedule = \"0 2 * * *\"\n{rt}");
    let weekly = bucket_only(
        &emulator,
        &bucket,
        &body(
            "  restore_testing {\n    schedule         = \"0 6 * * 0\"\n    validation_hours = 2\n  }",
        ),
    );
    let daily = bucket_only(
        &emulator,
        &bucket,
        &body(
            "  restore_testing {\n    schedule         = \"cron(0 7 * * ? *)\"\n    validation_hours = 4\n  }",
        ),
    );
    let none = bucket_only(&emulator, &bucket, &body(""));
    let expect = |cron: &'static str, hours: i32| {
        let bucket = bucket.clone();
        sdk_check(&emulator, move |e, state| {
            let bucket = bucket.clone();
            async move {
                same(
                    "restore testing",
                    restore_testing(&e).await?,
                    Some((
                        cron.to_owned(),
                        vec![attr(&state, "vault_arn")?],
                        vec![(
                            "swarm_s3".to_owned(),
                            "S3".to_owned(),
                            vec![format!("arn:aws:s3:::{bucket}")],
                            hours,
                        )],
                    )),
                )
            }
        })
    };
    let case = test_case()
        .step(
            Step::apply(weekly)
                .check(Check::attr_equals(
                    ADDRESS,
                    "restore_testing",
                    serde_json::json!({ "schedule": "0 6 * * 0", "validation_hours": 2 }),
                ))
                .check(expect("cron(0 6 ? * SUN *)", 2)),
        )
        .step(
            Step::apply(daily)
                .check(Check::attr_equals(
                    ADDRESS,
                    "restore_testing",
                    serde_json::json!({ "schedule": "cron(0 7 * * ? *)", "validation_hours": 4 }),
                ))
                .check(expect("cron(0 7 * * ? *)", 4)),
        )
        .step(
            Step::apply(none).check(sdk_check(&emulator, |e, _| async move {
                same("restore testing", restore_testing(&e).await?, None)
            })),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            nothing_left(&e).await
        }));
    run("backup_schedule::restore_testing_in_place", case).await;
}

/// Changes made out of band show in the plan and the apply after it
/// repairs them: the selection deleted, the role deleted, a tag of the
/// plan removed.
#[tokio::test]
async fn drift() {
    use acceptance_tests::checks::drifted;
    let emulator = Arc::new(Emulator::start());
    let bucket = unique_bucket();
    let hcl = bucket_only(
        &emulator,
        &bucket,
        "  schedule = \"0 2 * * *\"\n  tags     = { team = \"agents\" }",
    );
    let plan_id: Memo<String> = Memo::default();
    let remember = plan_id.clone();
    let (p1, p2, p3) = (plan_id.clone(), plan_id.clone(), plan_id.clone());
    let repaired = |check: Check| Step::apply(hcl.clone()).check(check);
    let selection_back = move |e: Arc<Emulator>, plan: Memo<String>| async move {
        let listed = e
            .backup_in(REGION)
            .await
            .list_backup_selections()
            .backup_plan_id(plan.get()?)
            .send()
            .await
            .map_err(err)?;
        same("selections", listed.backup_selections_list().len(), 1)
    };
    let case = test_case()
        .step(Step::apply(hcl.clone()).check(Check::new(move |state| {
            let id = attr(state, "plan_id");
            let memo = remember.clone();
            Box::pin(async move { memo.set(id?) })
        })))
        .step(drifted(&emulator, &hcl, move |e| {
            let plan = p1.clone();
            async move {
                let backup = e.backup_in(REGION).await;
                let plan_id = plan.get()?;
                let listed = backup
                    .list_backup_selections()
                    .backup_plan_id(&plan_id)
                    .send()
                    .await
                    .map_err(err)?;
                for s in listed.backup_selections_list() {
                    backup
                        .delete_backup_selection()
                        .backup_plan_id(&plan_id)
                        .selection_id(s.selection_id().unwrap_or_default())
                        .send()
                        .await
                        .map_err(err)?;
                }
                Ok(())
            }
        }))
        .step(repaired(sdk_check(&emulator, move |e, _| {
            selection_back(e, p2.clone())
        })))
        .step(drifted(&emulator, &hcl, |e| async move {
            let iam = e.iam().await;
            let attached = iam
                .list_attached_role_policies()
                .role_name(ROLE)
                .send()
                .await
                .map_err(err)?;
            for p in attached.attached_policies() {
                iam.detach_role_policy()
                    .role_name(ROLE)
                    .policy_arn(p.policy_arn().unwrap_or_default())
                    .send()
                    .await
                    .map_err(err)?;
            }
            iam.delete_role()
                .role_name(ROLE)
                .send()
                .await
                .map_err(err)?;
            Ok(())
        }))
        .step(repaired(sdk_check(&emulator, |e, _| async move {
            let attached = e
                .iam()
                .await
                .list_attached_role_policies()
                .role_name(ROLE)
                .send()
                .await
                .map_err(err)?;
            same("the role's policies", attached.attached_policies().len(), 4)
        })))
        .step(drifted(&emulator, &hcl, move |e| {
            let plan = p3.clone();
            async move {
                let backup = e.backup_in(REGION).await;
                let got = backup
                    .get_backup_plan()
                    .backup_plan_id(plan.get()?)
                    .send()
                    .await
                    .map_err(err)?;
                backup
                    .untag_resource()
                    .resource_arn(got.backup_plan_arn().unwrap_or_default())
                    .tag_key_list("team")
                    .send()
                    .await
                    .map_err(err)?;
                Ok(())
            }
        }))
        .step(repaired(Check::attr_equals(
            ADDRESS,
            "tags",
            serde_json::json!({ "team": "agents" }),
        )));
    run("backup_schedule::drift", case).await;
}
