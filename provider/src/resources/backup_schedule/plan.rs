//! Planning a schedule: the tier defaults (from the provider's
//! `environment`), the rules the plan will hold, the checks that need AWS
//! (a bucket without versioning, names taken) or the provider (the copy
//! region, the key's region), a destroy refused while the vaults hold
//! recovery points, and a copy region change that keeps the old vault.

use std::collections::BTreeMap;

use serde::Deserialize;
use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::checks;
use super::cloud;
use super::state::{RetentionModel, RuleModel, ScheduleState, default_retention};
use crate::config::SwarmClient;
use crate::ownership;
use crate::resources::planned::{self, Maybe, given};
use crate::schedule::Schedule;
use crate::schedule::tiers;
use crate::tags;

#[derive(Debug, Deserialize)]
struct Configured {
    name: Maybe<String>,
    schedule: Maybe<String>,
    retention: MaybeUnknown<Option<BTreeMap<String, MaybeUnknown<Option<i64>>>>>,
    #[serde(deserialize_with = "planned::wholly_known")]
    resources: Maybe<Vec<String>>,
    resources_tagged: MaybeUnknown<Option<BTreeMap<String, MaybeUnknown<String>>>>,
    copy_to_region: Maybe<String>,
    kms_key_id: Maybe<String>,
    vault_lock: Maybe<LockConfigured>,
}

#[derive(Debug, Deserialize)]
struct LockConfigured {
    mode: Maybe<String>,
    min_retention_days: Maybe<i64>,
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    tfplugin::value::to_value(value).unwrap_or(Value::Unknown)
}

/// Destroying (or replacing): refused while a vault holds recovery points
/// and `force_destroy` was not applied, so that Terraform stops before
/// anything is deleted.
async fn plan_destroy(client: &SwarmClient, prior: &ScheduleState, resp: &mut PlanResponse) {
    if prior.force_destroy == Some(true) {
        return;
    }
    let Some(name) = prior.name.as_deref() else {
        return;
    };
    let id = ownership::Identity::new(
        name,
        prior
            .ownership_marker
            .clone()
            .map(ownership::Marker::from_stored),
    );
    // The vaults alone: the rest of the schedule does not hold points.
    match cloud::vaults(client, &id, prior.copy_to_region.as_deref()).await {
        Ok(vaults) => {
            if let Some(d) = super::converge::holds_points(name, vaults.iter().flatten()) {
                resp.diagnostics.push(d);
            }
        }
        // Destroy checks again before deleting anything.
        Err(d) => {
            tracing::warn!(schedule = name, error = %d.detail, "cannot count recovery points")
        }
    }
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    let prior: Option<ScheduleState> = match planned::prior_state(req) {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.extend(d),
    };
    if resp.destroying() {
        if let Some(prior) = &prior {
            plan_destroy(client, prior, resp).await;
        }
        return;
    }
    let config: Configured = match req.config_as() {
        Ok(config) => config,
        Err(d) => return resp.diagnostics.extend(d),
    };
    if let Some(prior) = &prior
        && !resp.requires_replace.is_empty()
    {
        plan_destroy(client, prior, resp).await;
    }
    tags::plan(client, &checks::TAGGING, resp);
    if let Some(name) = given(&config.name) {
        resp.set("id", Value::from(name.as_str()));
    }

    // The tiers: without a `retention` block, the environment's defaults
    // (the block stays null: Terraform blocks cannot be computed); in one,
    // a count left out takes its default, and the plan shows it.
    let defaults = default_retention(client.environment);
    let retention = match &config.retention {
        MaybeUnknown::Unknown => None,
        MaybeUnknown::Known(None) => Some(RetentionModel::of(&defaults)),
        MaybeUnknown::Known(Some(members)) => {
            // A count unknown at plan stays unknown, each in its place.
            let count = |tier: &str, default: u32| match members.get(tier) {
                Some(MaybeUnknown::Unknown) => None,
                Some(MaybeUnknown::Known(Some(v))) => Some(*v),
                _ => Some(i64::from(default)),
            };
            let counts = [
                ("daily", count("daily", defaults.daily)),
                ("weekly", count("weekly", defaults.weekly)),
                ("monthly", count("monthly", defaults.monthly)),
                ("yearly", count("yearly", defaults.yearly)),
            ];
            resp.set(
                "retention",
                Value::Object(
                    counts
                        .iter()
                        .map(|(tier, n)| {
                            ((*tier).to_owned(), n.map_or(Value::Unknown, Value::from))
                        })
                        .collect(),
                ),
            );
            match counts.map(|(_, n)| n) {
                [Some(daily), Some(weekly), Some(monthly), Some(yearly)] => Some(RetentionModel {
                    daily: Some(daily),
                    weekly: Some(weekly),
                    monthly: Some(monthly),
                    yearly: Some(yearly),
                }),
                _ => None,
            }
        }
    };
    // The rules, when the schedule and the counts are known.
    let rules = match (given(&config.schedule), &retention) {
        (Some(text), Some(retention)) => match Schedule::parse(text) {
            Ok(schedule) => match tiers::rules(&schedule, &retention.resolve(&defaults)) {
                Ok(rules) => Some(rules),
                Err(e) => {
                    resp.diagnostics.push(checks::tier_error(&e));
                    None
                }
            },
            // Reported at validate, on `schedule`.
            Err(_) => None,
        },
        _ => None,
    };
    // A lock no tier outlives; a compliance lock that becomes
    // irreversible.
    if let Some(Some(lock)) = config.vault_lock.known() {
        if let (Some(days), Some(rules)) =
            (lock.min_retention_days.known().copied().flatten(), &rules)
            && let Err(d) = checks::lock_fits(days, rules)
        {
            resp.diagnostics.push(d);
        }
        let was = prior
            .as_ref()
            .and_then(|p| p.vault_lock.as_ref())
            .and_then(|l| l.mode.clone());
        if lock.mode.known().cloned().flatten().as_deref() == Some("compliance")
            && was.as_deref() != Some("compliance")
        {
            resp.diagnostics.push(
                Diagnostic::warning(
                    "A compliance vault lock becomes irreversible",
                    format!(
                        "vault_lock.mode = \"compliance\": for {} days after this apply the \
                         lock can still be changed or removed; after that nobody (AWS \
                         included) can remove it, shorten min_retention_days, or delete the \
                         vaults before their recovery points expire.",
                        super::cloud::COMPLIANCE_GRACE_DAYS
                    ),
                )
                .at(AttributePath::attr("vault_lock").push_attr("mode")),
            );
        }
    }
    resp.set(
        "rules",
        rules.map_or(Value::Unknown, |rules| {
            to_value(&rules.iter().map(RuleModel::of).collect::<Vec<_>>())
        }),
    );

    // The copy region and the key. A copy region refused here is asked
    // nothing below: there is no endpoint to ask (the SDK would retry its
    // failures for minutes).
    let copy_region = given(&config.copy_to_region).filter(|region| {
        checks::copy_region(client, region)
            .map_err(|d| resp.diagnostics.push(d))
            .is_ok()
    });
    if let Some(key) = given(&config.kms_key_id) {
        match key.strip_prefix("arn:").and_then(|k| k.split(':').nth(2)) {
            Some(key_region) if key_region != client.region => {
                resp.diagnostics.attribute_error(
                    AttributePath::attr("kms_key_id"),
                    "KMS key in another region",
                    format!(
                        "kms_key_id is a key of {key_region}, but the vault is in {}: AWS \
                         Backup encrypts a vault with a key of its own region. Use a key (or \
                         a multi-Region replica key) in {}.",
                        client.region, client.region
                    ),
                );
            }
            Some(_) => {}
            None => resp.diagnostics.attribute_error(
                AttributePath::attr("kms_key_id"),
                "KMS key ARN expected",
                format!(
                    "kms_key_id {key:?} is not a key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
                ),
            ),
        }
    }
    let copy_changed = prior
        .as_ref()
        .is_some_and(|p| config.copy_to_region.known() != Some(&p.copy_to_region));
    let prior_string = |v: Option<&String>| v.map_or(Value::Null, |v| Value::from(v.as_str()));
    match (&config.copy_to_region, &prior) {
        (MaybeUnknown::Known(None), _) => resp.set("copy_vault_arn", Value::Null),
        (_, Some(prior)) if !copy_changed => {
            resp.set(
                "copy_vault_arn",
                prior_string(prior.copy_vault_arn.as_ref()),
            );
        }
        _ => resp.set("copy_vault_arn", Value::Unknown),
    }
    if copy_changed
        && let Some(prior) = &prior
        && let Some(old) = prior.copy_to_region.as_deref()
    {
        warn_old_copy_vault(client, prior, old, resp).await;
    }

    // The selection: a change recreates it (a new id).
    let resources = config.resources.known().cloned();
    // The role's policies, from what is selected: planned always, so that
    // one detached out of band (the state lacks it) shows as an update.
    let by_tag = match &config.resources_tagged {
        MaybeUnknown::Known(tagged) => Some(tagged.as_ref().is_some_and(|t| !t.is_empty())),
        MaybeUnknown::Unknown => None,
    };
    resp.set(
        "role_policy_arns",
        match (&resources, by_tag) {
            (Some(arns), Some(by_tag)) => to_value(&super::state::role_policies(
                arns.as_deref().unwrap_or_default(),
                by_tag,
            )),
            _ => Value::Unknown,
        },
    );
    if let Some(prior) = &prior {
        let tagged = match &config.resources_tagged {
            MaybeUnknown::Known(Some(m)) => m
                .iter()
                .map(|(k, v)| v.known().map(|v| (k.clone(), v.clone())))
                .collect::<Option<BTreeMap<_, _>>>()
                .map(Some),
            MaybeUnknown::Known(None) => Some(None),
            MaybeUnknown::Unknown => None,
        };
        let same = |a: Option<Vec<String>>, b: Option<Vec<String>>| {
            let sorted = |v: Option<Vec<String>>| {
                let mut v = v.unwrap_or_default();
                v.sort();
                v
            };
            sorted(a) == sorted(b)
        };
        let selection_changed = match (&resources, &tagged) {
            (Some(r), Some(t)) => {
                !same(r.clone(), prior.resources.clone())
                    || t.clone().unwrap_or_default()
                        != prior.resources_tagged.clone().unwrap_or_default()
            }
            _ => true,
        };
        // A change of the role's policies or the plan leaves the selection
        // as it is: it names the role by ARN, which stays.
        resp.set(
            "selection_id",
            if selection_changed {
                Value::Unknown
            } else {
                prior_string(prior.selection_id.as_ref())
            },
        );
        // An object gone since the last apply (deleted out of band, or a
        // create that failed half way): its id is planned as known after
        // apply, so that the plan shows an update in place and its apply
        // makes the object again.
        let copying = !matches!(config.copy_to_region, MaybeUnknown::Known(None));
        for (attribute, missing) in [
            ("vault_arn", prior.vault_arn.is_none()),
            ("copy_vault_arn", copying && prior.copy_vault_arn.is_none()),
            ("plan_id", prior.plan_id.is_none()),
            ("selection_id", prior.selection_id.is_none()),
            ("role_arn", prior.role_arn.is_none()),
        ] {
            if missing {
                resp.set(attribute, Value::Unknown);
            }
        }
    }

    // Buckets must be versioned (AWS Backup refuses the others); asked at
    // plan of the ARNs known and new since the prior state, and again at
    // apply (`unversioned_buckets`).
    if let Some(Some(arns)) = &resources {
        let before = prior
            .as_ref()
            .and_then(|p| p.resources.clone())
            .unwrap_or_default();
        for d in unversioned_buckets(client, arns, &before).await {
            resp.diagnostics.push(d);
        }
    }

    // Names AWS keeps unique, taken by objects that are not this one's.
    if req.creating()
        && let Some(name) = given(&config.name)
    {
        match cloud::taken(client, name, copy_region.map(String::as_str)).await {
            Ok(taken) => {
                let replaced = ownership::replaced(
                    &client.held,
                    "swarm_backup_schedule",
                    name,
                    &req.prior_private,
                );
                if let Err(d) =
                    ownership::refuse_taken("swarm_backup_schedule", name, taken, &replaced)
                {
                    resp.diagnostics.push(d);
                }
            }
            Err(d) => resp.diagnostics.push(d),
        }
    }
}

/// The errors of the buckets in `resources` without versioning, each on
/// `resources[i]`, leaving out the ARNs in `known_before`. At plan those
/// are the prior state's; at apply none, as a bucket made in the same
/// apply has an ARN only then (unknown at plan), and every bucket is
/// asked before any object of the schedule is made or changed.
pub async fn unversioned_buckets(
    client: &SwarmClient,
    resources: &[String],
    known_before: &[String],
) -> Vec<Diagnostic> {
    let asked = resources
        .iter()
        .enumerate()
        .filter(|(_, arn)| !known_before.contains(arn))
        .filter_map(|(i, arn)| Some((i, checks::bucket_of(arn)?)))
        .map(|(i, bucket)| unversioned(client, i, bucket));
    futures_util::future::join_all(asked)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The error of `resources[i]`, a bucket without versioning; `None` when
/// it is versioned, or when S3 cannot tell (apply's AWS Backup job would
/// fail then, which its status shows).
async fn unversioned(client: &SwarmClient, i: usize, bucket: &str) -> Option<Diagnostic> {
    let out = crate::aws::call(
        "s3",
        "GetBucketVersioning",
        client.s3.get_bucket_versioning().bucket(bucket).send(),
    )
    .await;
    match out {
        Ok(out) if out.status().is_some_and(|s| s.as_str() == "Enabled") => None,
        Ok(_) => Some(checks::resource_error(
            i,
            &format!(
                "bucket {bucket:?} is not versioned, and AWS Backup backs up only versioned \
                 buckets: turn versioning on (a swarm_bucket's `versioning = true`; `purpose = \
                 \"logs\"` buckets have none by default), or leave the bucket out"
            ),
        )),
        Err(e) => {
            tracing::warn!(bucket, error = %crate::aws::error("", &e).detail, "cannot read bucket versioning");
            None
        }
    }
}

/// A copy region change: the old copy vault is kept while it holds
/// recovery points (never deleted with points in it); say so.
async fn warn_old_copy_vault(
    client: &SwarmClient,
    prior: &ScheduleState,
    old: &str,
    resp: &mut PlanResponse,
) {
    let Some(name) = prior.name.as_deref() else {
        return;
    };
    let vault_name = cloud::object_name(name);
    if let Ok(Some(vault)) = cloud::vault(&client.in_region(old), &vault_name).await
        && vault.points > 0
    {
        resp.diagnostics.push(
            Diagnostic::warning(
                "The old copy vault is kept",
                format!(
                    "copy_to_region changes from {old}: backup vault {vault_name:?} in {old} holds \
                     {} recovery points, and is kept with them (it is no longer this \
                     resource's; its points expire with their lifecycles). Delete it by hand \
                     once they are no longer needed.",
                    vault.points
                ),
            )
            .at(AttributePath::attr("copy_to_region")),
        );
    }
}
