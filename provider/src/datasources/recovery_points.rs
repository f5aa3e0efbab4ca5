//! `swarm_recovery_points` data source: the recovery points of a
//! `swarm_backup_schedule` (its vault) or of one resource (every vault of
//! the provider's region), newest first, with their tier (the rule that
//! made them) and whether their copy to the other region is done: what a
//! restore runbook starts from.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_backup::types::RecoveryPointByBackupVault;
use serde::{Deserialize, Serialize};
use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::diag::Diagnostic;
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{self, Type};

use crate::aws;
use crate::config::SwarmClient;
use crate::resources::backup_schedule;
use crate::schedule;

pub struct RecoveryPoints;

#[derive(Debug, Deserialize)]
struct Config {
    schedule: Option<String>,
    resource_arn: Option<String>,
}

/// One recovery point, as the data source exports it.
#[derive(Debug, Serialize)]
struct Point {
    recovery_point_arn: String,
    resource_arn: Option<String>,
    vault_name: String,
    created: Option<String>,
    size_bytes: Option<i64>,
    status: Option<String>,
    tier: Option<String>,
    copy_status: String,
    copy_recovery_point_arn: Option<String>,
}

#[derive(Debug, Serialize)]
struct Exported {
    id: String,
    schedule: Option<String>,
    resource_arn: Option<String>,
    recovery_points: Vec<Point>,
}

fn point_type() -> Type {
    Type::Object(BTreeMap::from([
        ("recovery_point_arn".to_owned(), Type::String),
        ("resource_arn".to_owned(), Type::String),
        ("vault_name".to_owned(), Type::String),
        ("created".to_owned(), Type::String),
        ("size_bytes".to_owned(), Type::Number),
        ("status".to_owned(), Type::String),
        ("tier".to_owned(), Type::String),
        ("copy_status".to_owned(), Type::String),
        ("copy_recovery_point_arn".to_owned(), Type::String),
    ]))
}

/// The vaults that hold points of `resource_arn` (ListRecoveryPointsByResource).
async fn vaults_of(
    client: &SwarmClient,
    resource_arn: &str,
) -> Result<BTreeSet<String>, Diagnostic> {
    let names = aws::all_pages(|token| async move {
        let out = aws::call(
            "backup",
            "ListRecoveryPointsByResource",
            client
                .backup
                .list_recovery_points_by_resource()
                .resource_arn(resource_arn)
                .set_next_token(token)
                .send(),
        )
        .await
        .map_err(|e| {
            aws::error(
                format!("Cannot list the recovery points of {resource_arn}"),
                &e,
            )
        })?;
        let names = out
            .recovery_points()
            .iter()
            .filter_map(|p| p.backup_vault_name().map(str::to_owned))
            .collect();
        Ok((names, out.next_token().map(str::to_owned)))
    })
    .await?;
    Ok(names.into_iter().collect())
}

/// The copy jobs of the region, by source point: (state, copy's ARN).
async fn copies(
    client: &SwarmClient,
) -> Result<BTreeMap<String, (String, Option<String>)>, Diagnostic> {
    let jobs = aws::all_pages(|token| async move {
        let out = aws::call(
            "backup",
            "ListCopyJobs",
            client.backup.list_copy_jobs().set_next_token(token).send(),
        )
        .await
        .map_err(|e| aws::error("Cannot list the copy jobs", &e))?;
        Ok((
            out.copy_jobs().to_vec(),
            out.next_token().map(str::to_owned),
        ))
    })
    .await?;
    let mut by_source = BTreeMap::new();
    for job in jobs {
        let Some(source) = job.source_recovery_point_arn() else {
            continue;
        };
        let state = job.state().map_or("UNKNOWN", |s| s.as_str()).to_owned();
        let done = state == "COMPLETED";
        // A completed copy wins over a failed try of the same point.
        let entry = by_source
            .entry(source.to_owned())
            .or_insert((state.clone(), None));
        if done || entry.1.is_none() {
            *entry = (
                state,
                job.destination_recovery_point_arn().map(str::to_owned),
            );
        }
    }
    Ok(by_source)
}

/// A rule's name by plan version and rule id, for points whose creator
/// names only the rule's id.
async fn rule_names(
    client: &SwarmClient,
    points: &[RecoveryPointByBackupVault],
) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let plans: BTreeSet<(String, Option<String>)> = points
        .iter()
        .filter_map(|p| p.created_by())
        .filter(|c| c.backup_rule_name().is_none())
        .filter_map(|c| {
            Some((
                c.backup_plan_id()?.to_owned(),
                c.backup_plan_version().map(str::to_owned),
            ))
        })
        .collect();
    for (plan_id, version) in plans {
        let out = aws::call(
            "backup",
            "GetBackupPlan",
            client
                .backup
                .get_backup_plan()
                .backup_plan_id(&plan_id)
                .set_version_id(version)
                .send(),
        )
        .await;
        // A plan deleted since: the tier stays unknown (null).
        if let Ok(out) = out
            && let Some(plan) = out.backup_plan()
        {
            for rule in plan.rules() {
                if let Some(id) = rule.rule_id() {
                    names.insert(id.to_owned(), rule.rule_name().to_owned());
                }
            }
        }
    }
    names
}

#[tfplugin::async_trait]
impl DataSource<SwarmClient> for RecoveryPoints {
    fn type_name(&self) -> &'static str {
        "swarm_recovery_points"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The recovery points of a `swarm_backup_schedule` (by `schedule`, its name) or of \
             one resource (by `resource_arn`, in every vault of the provider's region), newest \
             first, with the tier that made each and whether its copy to the schedule's \
             `copy_to_region` is done: for restore runbooks and for checking that backups ran.",
        )
        .attribute(
            Attribute::string("schedule")
                .optional()
                .description("The name of a `swarm_backup_schedule`: the points in its vault. Set this or `resource_arn`."),
        )
        .attribute(
            Attribute::string("resource_arn")
                .optional()
                .description("The ARN of a backed-up resource: its points in every vault. Set this or `schedule`."),
        )
        .attribute(Attribute::string("id").computed().description("The schedule's name or the resource's ARN."))
        .attribute(
            Attribute::list_of("recovery_points", point_type())
                .computed()
                .description(
                    "Newest first: `recovery_point_arn`, `resource_arn`, `vault_name`, \
                     `created` (RFC 3339, UTC), `size_bytes`, `status` (`COMPLETED`, `PARTIAL`, \
                     `DELETING`, `EXPIRED`), `tier` (the rule that made it: `daily`, `weekly`, \
                     `monthly`, `yearly`; null for an on-demand backup), `copy_status` (the \
                     copy job's state, `COMPLETED` when the copy exists in the other region, \
                     `NONE` when no copy was made) and `copy_recovery_point_arn`.",
                ),
        )
    }

    async fn read(
        &self,
        client: &SwarmClient,
        req: &DataSourceRequest,
        resp: &mut DataSourceResponse,
    ) {
        let config: Config = match req.config_as() {
            Ok(config) => config,
            Err(d) => return resp.diagnostics.extend(d),
        };
        let listed = async {
            let (vaults, id) = match (&config.schedule, &config.resource_arn) {
                (Some(name), None) => (
                    BTreeSet::from([backup_schedule::object_name(name)]),
                    name.clone(),
                ),
                (None, Some(arn)) => (vaults_of(client, arn).await?, arn.clone()),
                _ => {
                    return Err(Diagnostic::error(
                        "Set schedule or resource_arn",
                        "swarm_recovery_points takes exactly one of schedule (a \
                         swarm_backup_schedule's name) and resource_arn.",
                    ));
                }
            };
            let mut points = Vec::new();
            for vault in &vaults {
                points.extend(
                    backup_schedule::recovery_points(client, vault, config.resource_arn.as_deref())
                        .await?,
                );
            }
            let (copied, names) = tokio::join!(copies(client), rule_names(client, &points));
            let copied = copied?;
            points.sort_by_key(|p| {
                std::cmp::Reverse(p.creation_date().map(|d| (d.secs(), d.subsec_nanos())))
            });
            let exported = points
                .iter()
                .filter_map(|p| {
                    let arn = p.recovery_point_arn()?.to_owned();
                    let copy = copied.get(&arn);
                    let tier = p.created_by().and_then(|c| {
                        c.backup_rule_name()
                            .map(str::to_owned)
                            .or_else(|| c.backup_rule_id().and_then(|id| names.get(id).cloned()))
                    });
                    Some(Point {
                        resource_arn: p.resource_arn().map(str::to_owned),
                        vault_name: p.backup_vault_name().unwrap_or_default().to_owned(),
                        created: p.creation_date().map(|d| schedule::rfc3339(d.secs())),
                        size_bytes: p.backup_size_in_bytes(),
                        status: p.status().map(|s| s.as_str().to_owned()),
                        tier,
                        copy_status: copy.map_or_else(|| "NONE".to_owned(), |c| c.0.clone()),
                        copy_recovery_point_arn: copy.and_then(|c| c.1.clone()),
                        recovery_point_arn: arn,
                    })
                })
                .collect();
            Ok::<_, Diagnostic>(Exported {
                id,
                schedule: config.schedule.clone(),
                resource_arn: config.resource_arn.clone(),
                recovery_points: exported,
            })
        };
        match listed.await {
            Ok(exported) => match value::to_value(&exported)
                .and_then(|v| v.conform(&self.schema().value_type()))
            {
                Ok(state) => resp.state = state,
                Err(e) => resp.diagnostics.error(
                    "Cannot record the swarm_recovery_points data source",
                    e.to_string(),
                ),
            },
            Err(d) => resp.diagnostics.push(d),
        }
    }
}
