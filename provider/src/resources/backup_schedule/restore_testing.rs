//! AWS Backup restore testing for a schedule (`restore_testing`): a
//! restore testing plan that restores the newest recovery point of the
//! schedule's vault on its own schedule, and one restore testing selection
//! per protected resource type of `resources` (AWS takes one type per
//! selection), each keeping the restored copy `validation_hours` for
//! checks before deleting it.
//!
//! Restore testing names take letters, digits and underscores only: the
//! plan is `swarm_<name>` with hyphens as underscores, each selection
//! `swarm_<type>`. The plan carries the schedule's marker and tags, and
//! its schedule as written (`swarm:schedule`).

use std::collections::BTreeMap;

use aws_sdk_backup::types::{
    RestoreTestingPlanForCreate, RestoreTestingPlanForUpdate, RestoreTestingRecoveryPointSelection,
    RestoreTestingRecoveryPointSelectionAlgorithm, RestoreTestingRecoveryPointType,
    RestoreTestingSelectionForCreate, RestoreTestingSelectionForUpdate,
};
use tfplugin::diag::Diagnostic;

use super::cloud::{SCHEDULE_TAG, found};
use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::Identity;

/// How far back a test picks its recovery point from (days).
const SELECTION_WINDOW_DAYS: i32 = 7;
/// The hours a test may wait to start after its scheduled time.
const START_WINDOW_HOURS: i32 = 1;

/// What the spec asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// As written (kept in the plan's tag).
    pub schedule: String,
    /// AWS's `cron(...)`, UTC.
    pub expression: String,
    pub validation_hours: i32,
    /// The protected resource type of each ARN of `resources`, and the ARNs.
    pub by_type: BTreeMap<String, Vec<String>>,
}

/// What exists.
#[derive(Debug, Clone)]
pub struct Found {
    pub arn: String,
    pub expression: String,
    pub tags: BTreeMap<String, String>,
    /// By selection name: (type, ARNs, validation hours).
    pub selections: BTreeMap<String, (String, Vec<String>, i32)>,
}

impl Found {
    /// The validation hours (every selection has the same).
    pub fn validation_hours(&self) -> Option<i32> {
        self.selections.values().map(|s| s.2).next()
    }
}

pub fn plan_name(name: &str) -> String {
    format!("swarm_{}", name.replace('-', "_"))
}

fn selection_name(resource_type: &str) -> String {
    format!("swarm_{}", resource_type.to_ascii_lowercase())
}

/// The protected resource type restore testing knows for an ARN, if any.
pub fn resource_type(arn: &str) -> Option<&'static str> {
    let mut parts = arn.splitn(6, ':');
    let service = parts.nth(2)?;
    let resource = parts.nth(2)?;
    Some(match service {
        "rds" if resource.starts_with("cluster:") => "Aurora",
        "rds" => "RDS",
        "s3" => "S3",
        "ec2" if resource.starts_with("volume/") => "EBS",
        "ec2" => "EC2",
        "dynamodb" => "DynamoDB",
        "elasticfilesystem" => "EFS",
        "fsx" => "FSx",
        "docdb" => "DocumentDB",
        "neptune-db" => "Neptune",
        _ => return None,
    })
}

/// The ARNs of `resources` by restore testing type (the others are left
/// out: restore testing does not cover them).
pub fn by_type(resources: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for arn in resources {
        if let Some(kind) = resource_type(arn) {
            by_type
                .entry(kind.to_owned())
                .or_default()
                .push(arn.clone());
        }
    }
    for arns in by_type.values_mut() {
        arns.sort();
    }
    by_type
}

/// The schedule's restore testing plan and its selections, if `id` owns it.
pub async fn observe(client: &SwarmClient, id: &Identity) -> Result<Option<Found>, Diagnostic> {
    let name = plan_name(&id.id);
    let Some(out) = found(
        aws::call(
            "backup",
            "GetRestoreTestingPlan",
            client
                .backup
                .get_restore_testing_plan()
                .restore_testing_plan_name(&name)
                .send(),
        )
        .await,
        || format!("Cannot read restore testing plan {name:?}"),
    )?
    else {
        return Ok(None);
    };
    let Some(plan) = out.restore_testing_plan() else {
        return Ok(None);
    };
    let arn = plan.restore_testing_plan_arn().to_owned();
    let tags = crate::tags::backup::list(client, &arn).await?;
    if !id.owns(&tags) {
        return Ok(None);
    }
    let listed = aws::call(
        "backup",
        "ListRestoreTestingSelections",
        client
            .backup
            .list_restore_testing_selections()
            .restore_testing_plan_name(&name)
            .send(),
    )
    .await
    .map_err(|e| aws::error(format!("Cannot list the selections of {name:?}"), &e))?;
    let mut selections = BTreeMap::new();
    for listed in listed.restore_testing_selections() {
        let selection_name = listed.restore_testing_selection_name();
        let got = aws::call(
            "backup",
            "GetRestoreTestingSelection",
            client
                .backup
                .get_restore_testing_selection()
                .restore_testing_plan_name(&name)
                .restore_testing_selection_name(selection_name)
                .send(),
        )
        .await
        .map_err(|e| {
            aws::error(
                format!("Cannot read restore testing selection {selection_name:?}"),
                &e,
            )
        })?;
        let mut arns = got
            .restore_testing_selection()
            .map(|s| s.protected_resource_arns().to_vec())
            .unwrap_or_default();
        arns.sort();
        selections.insert(
            selection_name.to_owned(),
            (
                listed.protected_resource_type().to_owned(),
                arns,
                listed.validation_window_hours(),
            ),
        );
    }
    Ok(Some(Found {
        arn,
        expression: plan.schedule_expression().to_owned(),
        tags,
        selections,
    }))
}

fn built<T>(what: &str, built: Result<T, impl std::fmt::Display>) -> Result<T, Diagnostic> {
    built.map_err(|e| {
        Diagnostic::error(
            format!("Cannot build the {what}"),
            format!("{e}. This is a bug in the provider."),
        )
    })
}

/// Makes the restore testing plan and selections match `wanted` (or
/// deletes them when it is `None`).
pub async fn converge(
    client: &SwarmClient,
    schedule_name: &str,
    wanted: Option<&Wanted>,
    found: Option<&Found>,
    vault_arn: &str,
    role_arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    let name = plan_name(schedule_name);
    let Some(wanted) = wanted else {
        if let Some(found) = found {
            delete(client, &name, found).await?;
        }
        return Ok(());
    };
    let mut tags = tags.clone();
    tags.insert(
        SCHEDULE_TAG.to_owned(),
        super::cloud::schedule_tag(&wanted.schedule),
    );
    match found {
        None => {
            let selection = RestoreTestingRecoveryPointSelection::builder()
                .algorithm(RestoreTestingRecoveryPointSelectionAlgorithm::LatestWithinWindow)
                .include_vaults(vault_arn)
                .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
                .selection_window_days(SELECTION_WINDOW_DAYS)
                .build();
            let plan = RestoreTestingPlanForCreate::builder()
                .restore_testing_plan_name(&name)
                .schedule_expression(&wanted.expression)
                .schedule_expression_timezone("Etc/UTC")
                .start_window_hours(START_WINDOW_HOURS)
                .recovery_point_selection(selection)
                .build();
            aws::call(
                "backup",
                "CreateRestoreTestingPlan",
                client
                    .backup
                    .create_restore_testing_plan()
                    .restore_testing_plan(built("restore testing plan", plan)?)
                    .set_tags(Some(crate::tags::backup::to_sdk(&tags)))
                    .creator_request_id(aws::fingerprint(&[&name, vault_arn]))
                    .send(),
            )
            .await
            .map_err(|e| aws::error(format!("Cannot create restore testing plan {name:?}"), &e))?;
        }
        Some(found) => {
            if found.expression != wanted.expression {
                aws::call(
                    "backup",
                    "UpdateRestoreTestingPlan",
                    client
                        .backup
                        .update_restore_testing_plan()
                        .restore_testing_plan_name(&name)
                        .restore_testing_plan(
                            RestoreTestingPlanForUpdate::builder()
                                .schedule_expression(&wanted.expression)
                                .build(),
                        )
                        .send(),
                )
                .await
                .map_err(|e| {
                    aws::error(format!("Cannot update restore testing plan {name:?}"), &e)
                })?;
            }
            crate::tags::backup::sync(client, &found.arn, &found.tags, &tags).await?;
        }
    }
    // The selections: one per type; an ARN change makes it again (the
    // update cannot change the type), an hours change updates it.
    let empty = BTreeMap::new();
    let existing = found.map_or(&empty, |f| &f.selections);
    for (selection, (kind, arns, hours)) in existing {
        let keep = wanted.by_type.get(kind).is_some_and(|w| w == arns)
            && *selection == selection_name(kind);
        if !keep {
            delete_selection(client, &name, selection).await?;
        } else if *hours != wanted.validation_hours {
            aws::call(
                "backup",
                "UpdateRestoreTestingSelection",
                client
                    .backup
                    .update_restore_testing_selection()
                    .restore_testing_plan_name(&name)
                    .restore_testing_selection_name(selection)
                    .restore_testing_selection(
                        RestoreTestingSelectionForUpdate::builder()
                            .validation_window_hours(wanted.validation_hours)
                            .build(),
                    )
                    .send(),
            )
            .await
            .map_err(|e| {
                aws::error(
                    format!("Cannot update restore testing selection {selection:?}"),
                    &e,
                )
            })?;
        }
    }
    for (kind, arns) in &wanted.by_type {
        let selection = selection_name(kind);
        if existing
            .get(&selection)
            .is_some_and(|(k, a, _)| k == kind && a == arns)
        {
            continue;
        }
        let create = RestoreTestingSelectionForCreate::builder()
            .restore_testing_selection_name(&selection)
            .protected_resource_type(kind)
            .set_protected_resource_arns(Some(arns.clone()))
            .iam_role_arn(role_arn)
            .validation_window_hours(wanted.validation_hours)
            .build();
        aws::call(
            "backup",
            "CreateRestoreTestingSelection",
            client
                .backup
                .create_restore_testing_selection()
                .restore_testing_plan_name(&name)
                .restore_testing_selection(built("restore testing selection", create)?)
                .send(),
        )
        .await
        .map_err(|e| {
            aws::error(
                format!("Cannot create restore testing selection {selection:?}"),
                &e,
            )
        })?;
    }
    Ok(())
}

async fn delete_selection(
    client: &SwarmClient,
    plan: &str,
    selection: &str,
) -> Result<(), Diagnostic> {
    super::cloud::deleted(
        aws::call(
            "backup",
            "DeleteRestoreTestingSelection",
            client
                .backup
                .delete_restore_testing_selection()
                .restore_testing_plan_name(plan)
                .restore_testing_selection_name(selection)
                .send(),
        )
        .await,
        || format!("Cannot delete restore testing selection {selection:?}"),
    )
}

/// Deletes the selections, then the plan (AWS refuses a plan with
/// selections).
pub async fn delete(client: &SwarmClient, plan: &str, found: &Found) -> Result<(), Diagnostic> {
    for selection in found.selections.keys() {
        delete_selection(client, plan, selection).await?;
    }
    super::cloud::deleted(
        aws::call(
            "backup",
            "DeleteRestoreTestingPlan",
            client
                .backup
                .delete_restore_testing_plan()
                .restore_testing_plan_name(plan)
                .send(),
        )
        .await,
        || format!("Cannot delete restore testing plan {plan:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_of_arns() {
        assert_eq!(
            resource_type("arn:aws:rds:us-east-1:1:db:main"),
            Some("RDS")
        );
        assert_eq!(
            resource_type("arn:aws:rds:us-east-1:1:cluster:c"),
            Some("Aurora")
        );
        assert_eq!(resource_type("arn:aws:s3:::bucket"), Some("S3"));
        assert_eq!(
            resource_type("arn:aws:ec2:us-east-1:1:volume/vol-1"),
            Some("EBS")
        );
        assert_eq!(
            resource_type("arn:aws:ec2:us-east-1:1:instance/i-1"),
            Some("EC2")
        );
        assert_eq!(
            resource_type("arn:aws:redshift:us-east-1:1:cluster:r"),
            None
        );
        assert_eq!(plan_name("night-ly"), "swarm_night_ly");
    }
}
