//! `swarm_backup_schedule` the way a platform team's module meets it:
//! `tags = var.tags` with the variable's default `{}`, and a second apply
//! after a failed one. `a_failed_create_resumes` fills the region's quota
//! of backup plans out of band, so that the create fails after the vaults
//! and the role are made; what it made carries the failed create's marker
//! and nothing else of the name exists. Once a plan is freed, the next
//! apply completes: every object of the schedule carries the state's
//! marker, none of the failed create's is left over in either region, the
//! plan after it is empty, and destroy leaves nothing.

use std::sync::Arc;

use acceptance_tests::backup::{COPY_REGION, ROLE, SCHEDULE as ADDRESS, VAULT};
use acceptance_tests::checks::{Memo, ensure, err, out_of_band, same, sdk_check, tag_map};
use acceptance_tests::emulator::{Emulator, REGION};
use acceptance_tests::{config, run, test_case};
use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput};
use serde_json::json;
use tfplugin::testing::{Check, CheckResult, Step};

/// AWS Backup's quota of backup plans per region (the emulator's too).
const PLAN_QUOTA: usize = 100;

fn hcl(e: &Emulator) -> String {
    config(&format!(
        r#"{}
variable "tags" {{
  type    = map(string)
  default = {{}}
}}

resource "swarm_backup_schedule" "nightly" {{
  name             = "nightly"
  schedule         = "0 2 * * *"
  resources_tagged = {{ backup = "nightly" }}
  copy_to_region   = "{COPY_REGION}"
  tags             = var.tags
}}
"#,
        e.provider_block("  default_tags = { team = \"platform\" }\n")
    ))
}

/// The `swarm:owner` tag of an AWS Backup vault or plan ("" without one).
async fn owner(backup: &aws_sdk_backup::Client, arn: &str) -> Result<String, String> {
    let tags = backup
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(err)?;
    Ok(tags
        .tags()
        .and_then(|t| t.get("swarm:owner"))
        .cloned()
        .unwrap_or_default())
}

/// The `swarm:owner` markers of the objects named like the schedule's,
/// as (what, marker): both vaults, every plan of the name, the role.
async fn markers(e: &Emulator) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    for region in [REGION, COPY_REGION] {
        let backup = e.backup_in(region).await;
        if let Ok(vault) = backup
            .describe_backup_vault()
            .backup_vault_name(VAULT)
            .send()
            .await
        {
            let owner = owner(&backup, vault.backup_vault_arn().unwrap_or_default()).await?;
            found.push((format!("vault in {region}"), owner));
        }
    }
    let backup = e.backup_in(REGION).await;
    let plans = backup
        .list_backup_plans()
        .max_results(1000)
        .send()
        .await
        .map_err(err)?;
    for plan in plans
        .backup_plans_list()
        .iter()
        .filter(|p| p.backup_plan_name() == Some(VAULT))
    {
        let owner = owner(&backup, plan.backup_plan_arn().unwrap_or_default()).await?;
        found.push(("plan".to_owned(), owner));
    }
    if let Ok(role) = e.iam().await.get_role().role_name(ROLE).send().await {
        let owner = role
            .role()
            .map(|r| tag_map(r.tags()))
            .and_then(|t| t.get("swarm:owner").cloned());
        found.push(("role".to_owned(), owner.unwrap_or_default()));
    }
    Ok(found)
}

/// Fills the region's plan quota with plans of another name.
async fn fill_plan_quota(e: Arc<Emulator>) -> CheckResult {
    let backup = e.backup_in(REGION).await;
    for i in 0..PLAN_QUOTA {
        let rule = BackupRuleInput::builder()
            .rule_name("daily")
            .target_backup_vault_name("Default")
            .schedule_expression("cron(0 3 * * ? *)")
            .build()
            .map_err(err)?;
        let plan = BackupPlanInput::builder()
            .backup_plan_name(format!("someone-else-{i}"))
            .rules(rule)
            .build()
            .map_err(err)?;
        backup
            .create_backup_plan()
            .backup_plan(plan)
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Deletes one of the plans `fill_plan_quota` made.
async fn free_one_plan(e: Arc<Emulator>) -> CheckResult {
    let backup = e.backup_in(REGION).await;
    let plans = backup
        .list_backup_plans()
        .max_results(1000)
        .send()
        .await
        .map_err(err)?;
    let other = plans
        .backup_plans_list()
        .iter()
        .find(|p| {
            p.backup_plan_name()
                .is_some_and(|n| n.starts_with("someone-else-"))
        })
        .and_then(|p| p.backup_plan_id())
        .ok_or("no plan of another name to delete")?;
    backup
        .delete_backup_plan()
        .backup_plan_id(other)
        .send()
        .await
        .map_err(err)?;
    Ok(())
}

/// Every object of the schedule's names carries the state's marker, and
/// there is one of each: two vaults, one plan, one role.
fn all_of_the_state(emulator: &Arc<Emulator>, failed: Memo<String>) -> Check {
    sdk_check(emulator, move |e, state| {
        let (failed, marker) = (
            failed.get(),
            state.attr(ADDRESS, "ownership_marker").cloned(),
        );
        async move {
            let (failed, marker) = (failed?, marker?);
            let marker = marker.as_str().unwrap_or_default().to_owned();
            ensure("a marker in the state", !marker.is_empty(), &marker)?;
            let found = markers(&e).await?;
            let whats: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
            same(
                "the objects of the name",
                whats,
                vec!["vault in us-east-1", "vault in us-west-2", "plan", "role"],
            )?;
            ensure(
                "every object carries the state's marker",
                found.iter().all(|(_, m)| *m == marker),
                &(&found, &marker),
            )?;
            ensure(
                "nothing of the failed create's marker is left",
                marker == failed || found.iter().all(|(_, m)| *m != failed),
                &(&found, &failed),
            )
        }
    })
}

#[tokio::test]
async fn a_failed_create_resumes() {
    let emulator = Arc::new(Emulator::start());
    let hcl = hcl(&emulator);
    let failed: Memo<String> = Memo::default();
    let remember = failed.clone();
    let case = test_case()
        .step(
            Step::apply(hcl.clone())
                .before(out_of_band(&emulator, fill_plan_quota))
                .expect_error("LimitExceededException"),
        )
        // What the failed create made: the vaults and the role, with one
        // marker, and no plan of the name.
        .step(
            Step::plan(hcl.clone())
                .expect_changes()
                .check(sdk_check(&emulator, move |e, _| {
                    let memo = remember.clone();
                    async move {
                        let found = markers(&e).await?;
                        let whats: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
                        same(
                            "what the failed create made",
                            whats,
                            vec!["vault in us-east-1", "vault in us-west-2", "role"],
                        )?;
                        let first = &found[0].1;
                        ensure(
                            "one marker on all of it",
                            !first.is_empty() && found.iter().all(|(_, m)| m == first),
                            &found,
                        )?;
                        memo.set(first.clone())
                    }
                })),
        )
        .step(
            Step::apply(hcl.clone())
                .before(out_of_band(&emulator, free_one_plan))
                .check(all_of_the_state(&emulator, failed))
                .check(Check::attr_equals(ADDRESS, "tags", json!({})))
                .check(Check::attr_equals(
                    ADDRESS,
                    "tags_all",
                    json!({ "team": "platform" }),
                )),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            let found = markers(&e).await?;
            same("objects of the name left", found, Vec::new())
        }));
    run("backup_schedule_retry::a_failed_create_resumes", case).await;
}
