//! The schedule's model: the tier defaults, the plan resolved for apply,
//! the tags of each object, and the state built from what exists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::resource::ChangeRequest;
use tfplugin::value;

use super::checks;
use super::cloud::{self, LockMode, Observed, SCHEDULE_TAG};
use super::restore_testing;
use crate::config::{Environment, SwarmClient};
use crate::ownership::{self, Marker};
use crate::resources::lifecycle::{self, TimeoutsModel};
use crate::schedule::Schedule;
use crate::schedule::tiers::{self, Retention, Rule, Tier};
use crate::tags;

/// How many recovery points each tier keeps by default:
///
/// | environment | daily | weekly | monthly | yearly |
/// |---|---|---|---|---|
/// | development | 7 | 0 | 0 | 0 |
/// | staging | 7 | 4 | 3 | 0 |
/// | production | 7 | 4 | 12 | 0 |
pub fn default_retention(environment: Environment) -> Retention {
    match environment {
        Environment::Development => Retention {
            daily: 7,
            ..Retention::default()
        },
        Environment::Staging => Retention {
            daily: 7,
            weekly: 4,
            monthly: 3,
            yearly: 0,
        },
        Environment::Production => Retention {
            daily: 7,
            weekly: 4,
            monthly: 12,
            yearly: 0,
        },
    }
}

/// `retention` as the state stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionModel {
    pub daily: Option<i64>,
    pub weekly: Option<i64>,
    pub monthly: Option<i64>,
    pub yearly: Option<i64>,
}

impl RetentionModel {
    pub fn of(retention: &Retention) -> Self {
        Self {
            daily: Some(i64::from(retention.daily)),
            weekly: Some(i64::from(retention.weekly)),
            monthly: Some(i64::from(retention.monthly)),
            yearly: Some(i64::from(retention.yearly)),
        }
    }

    /// The counts, the environment's default where one is null.
    pub fn resolve(&self, defaults: &Retention) -> Retention {
        let count = |v: Option<i64>, d: u32| v.map_or(d, |v| u32::try_from(v).unwrap_or(0));
        Retention {
            daily: count(self.daily, defaults.daily),
            weekly: count(self.weekly, defaults.weekly),
            monthly: count(self.monthly, defaults.monthly),
            yearly: count(self.yearly, defaults.yearly),
        }
    }
}

/// `vault_lock` as the state stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockModel {
    pub mode: Option<String>,
    pub min_retention_days: Option<i64>,
}

/// `restore_testing` as the state stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestoreTestingModel {
    pub schedule: Option<String>,
    pub validation_hours: Option<i64>,
}

/// One element of `rules`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleModel {
    pub tier: Option<String>,
    pub schedule_expression: Option<String>,
    pub delete_after_days: Option<i64>,
}

impl RuleModel {
    pub fn of(rule: &Rule) -> Self {
        Self {
            tier: Some(rule.tier.name().to_owned()),
            schedule_expression: Some(rule.schedule_expression.clone()),
            delete_after_days: Some(i64::try_from(rule.delete_after_days).unwrap_or(i64::MAX)),
        }
    }
}

/// The state as Terraform stores it, one field per attribute (`None` for
/// null); also the basis the state is built on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleState {
    pub id: Option<String>,
    pub name: Option<String>,
    pub schedule: Option<String>,
    pub retention: Option<RetentionModel>,
    pub resources: Option<Vec<String>>,
    pub resources_tagged: Option<BTreeMap<String, String>>,
    pub copy_to_region: Option<String>,
    pub kms_key_id: Option<String>,
    pub force_destroy: Option<bool>,
    pub vault_lock: Option<LockModel>,
    pub restore_testing: Option<RestoreTestingModel>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub vault_arn: Option<String>,
    pub copy_vault_arn: Option<String>,
    pub plan_id: Option<String>,
    pub selection_id: Option<String>,
    pub role_arn: Option<String>,
    pub role_policy_arns: Option<Vec<String>>,
    pub rules: Option<Vec<RuleModel>>,
    pub ownership_marker: Option<String>,
    pub timeouts: Option<TimeoutsModel>,
}

/// The plan, resolved for apply.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    /// As written (kept in a tag of the plan).
    pub schedule: String,
    pub rules: Vec<Rule>,
    pub resources: Vec<String>,
    pub resources_tagged: BTreeMap<String, String>,
    pub copy_to_region: Option<String>,
    pub kms_key_id: Option<String>,
    /// On both vaults.
    pub vault_lock: Option<(LockMode, i64)>,
    pub restore_testing: Option<restore_testing::Wanted>,
    pub tags: BTreeMap<String, String>,
    pub marker: Option<Marker>,
}

fn unreadable(what: &str, err: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        format!("Unreadable swarm_backup_schedule {what}"),
        format!("{err}. This is a bug in the provider."),
    )
}

impl Spec {
    /// The spec of an apply: the plan resolved ([`Spec::from_request`]),
    /// and every selected bucket versioned, asked before any object is
    /// made or changed (a bucket made in the same apply had no ARN at
    /// plan, so the plan could not ask).
    pub async fn resolve(client: &SwarmClient, req: &ChangeRequest) -> Result<Self, Diagnostics> {
        let spec = Self::from_request(client, req)?;
        let unversioned = super::plan::unversioned_buckets(client, &spec.resources, &[]).await;
        if unversioned.is_empty() {
            Ok(spec)
        } else {
            Err(unversioned.into())
        }
    }

    /// The plan (with the configuration where it left values unknown).
    /// The checks that need no AWS call are made again here: a value
    /// known only at apply is refused before anything is made.
    pub fn from_request(client: &SwarmClient, req: &ChangeRequest) -> Result<Self, Diagnostic> {
        let plan: ScheduleState =
            value::from_value(&lifecycle::apply_basis(req)).map_err(|e| unreadable("plan", e))?;
        let name = plan
            .name
            .clone()
            .ok_or_else(|| unreadable("plan", "no name"))?;
        let text = plan
            .schedule
            .clone()
            .ok_or_else(|| unreadable("plan", "no schedule"))?;
        let schedule = Schedule::parse(&text).map_err(|why| {
            Diagnostic::error("Invalid schedule", format!("schedule {text:?} {why}"))
                .at(tfplugin::path::AttributePath::attr("schedule"))
        })?;
        let retention = plan
            .retention
            .unwrap_or_default()
            .resolve(&default_retention(client.environment));
        let rules = tiers::rules(&schedule, &retention).map_err(|e| checks::tier_error(&e))?;
        let resources = plan.resources.unwrap_or_default();
        for (i, arn) in resources.iter().enumerate() {
            checks::resource_arn(arn).map_err(|why| checks::resource_error(i, &why))?;
        }
        let resources_tagged = plan.resources_tagged.unwrap_or_default();
        if resources.is_empty() && resources_tagged.is_empty() {
            return Err(checks::nothing_selected());
        }
        if let Some(region) = &plan.copy_to_region {
            checks::copy_region(client, region)?;
        }
        let vault_lock = match plan.vault_lock {
            Some(LockModel {
                mode: Some(mode),
                min_retention_days: Some(days),
            }) => Some((
                LockMode::parse(&mode)
                    .ok_or_else(|| unreadable("plan", format!("lock mode {mode}")))?,
                days,
            )),
            _ => None,
        };
        if let Some((_, days)) = vault_lock {
            checks::lock_fits(days, &rules)?;
        }
        let restore_testing = match plan.restore_testing {
            Some(RestoreTestingModel {
                schedule: Some(text),
                validation_hours,
            }) => Some(checks::restore_testing(
                &text,
                validation_hours,
                &resources,
            )?),
            _ => None,
        };
        Ok(Self {
            restore_testing,
            vault_lock,
            name,
            schedule: text,
            rules,
            resources,
            resources_tagged,
            copy_to_region: plan.copy_to_region,
            kms_key_id: plan.kms_key_id,
            tags: plan.tags.unwrap_or_default(),
            marker: plan.ownership_marker.map(Marker::from_stored),
        })
    }

    /// The managed policies the role has.
    pub fn policies(&self) -> Vec<String> {
        role_policies(&self.resources, !self.resources_tagged.is_empty())
    }

    /// The tags of one of the schedule's objects (`role`: what it is).
    pub fn object_tags(
        &self,
        client: &SwarmClient,
        role: &str,
        object: &str,
    ) -> BTreeMap<String, String> {
        let mut tags = tags::object_tags(client, &self.tags, cloud::KIND, &self.name, role, object);
        ownership::mark(&mut tags, self.marker.as_ref());
        tags
    }

    /// The plan's tags: those of every object, and the schedule as written.
    pub fn plan_tags(&self, client: &SwarmClient) -> BTreeMap<String, String> {
        let mut tags = self.object_tags(client, "plan", &cloud::object_name(&self.name));
        tags.insert(SCHEDULE_TAG.to_owned(), cloud::schedule_tag(&self.schedule));
        tags
    }
}

/// The managed policies a schedule's role has, sorted: AWS Backup's
/// backup and restore policies, and the S3 ones when a bucket is selected
/// or may be (`by_tag`: a selection by tag takes tagged buckets too).
pub fn role_policies(resources: &[String], by_tag: bool) -> Vec<String> {
    let backs_up_s3 = by_tag
        || resources
            .iter()
            .any(|arn| arn.starts_with("arn:aws:s3:::") || arn.contains(":s3:::"));
    let mut policies: Vec<String> = cloud::BACKUP_POLICIES
        .iter()
        .chain(if backs_up_s3 {
            &cloud::S3_POLICIES[..]
        } else {
            &[]
        })
        .map(|p| (*p).to_owned())
        .collect();
    policies.sort();
    policies
}

/// The tier a rule of the plan is (by its name), and how many points it
/// keeps (its lifecycle in the tier's unit).
fn tier_of(rule: &aws_sdk_backup::types::BackupRule) -> Option<(Tier, i64)> {
    let tier = Tier::ALL
        .into_iter()
        .find(|t| t.name() == rule.rule_name())?;
    let days = rule.lifecycle().and_then(|l| l.delete_after_days())?;
    let unit = i64::try_from(tier.lifecycle_days(1)).unwrap_or(1);
    Some((tier, days / unit))
}

impl ScheduleState {
    /// The state of what exists on `basis` (the plan after apply, the
    /// prior state at refresh, the id alone at import).
    pub fn observed(client: &SwarmClient, name: &str, seen: &Observed, basis: &Self) -> Self {
        let mut state = Self {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            force_destroy: Some(basis.force_destroy.unwrap_or(false)),
            timeouts: basis.timeouts.clone(),
            kms_key_id: basis.kms_key_id.clone(),
            vault_arn: seen.vault.as_ref().map(|v| v.arn.clone()),
            restore_testing: seen.restore_testing.as_ref().map(|found| {
                let written = basis
                    .restore_testing
                    .as_ref()
                    .and_then(|r| r.schedule.clone());
                RestoreTestingModel {
                    schedule: schedule_as_written(
                        found
                            .tags
                            .get(SCHEDULE_TAG)
                            .and_then(|t| cloud::schedule_of_tag(t))
                            .as_ref(),
                        Some(found.expression.as_str()),
                        written,
                    ),
                    validation_hours: found.validation_hours().map(i64::from).or_else(|| {
                        basis
                            .restore_testing
                            .as_ref()
                            .and_then(|r| r.validation_hours)
                    }),
                }
            }),
            vault_lock: match &seen.vault {
                Some(vault) => vault.lock().map(|(mode, days)| LockModel {
                    mode: Some(mode.name().to_owned()),
                    min_retention_days: Some(days),
                }),
                None => basis.vault_lock.clone(),
            },
            copy_vault_arn: seen.copy_vault.as_ref().map(|v| v.arn.clone()),
            plan_id: seen.plan.as_ref().map(|p| p.id.clone()),
            selection_id: seen.selection.as_ref().map(|s| s.id.clone()),
            role_arn: seen.role.as_ref().map(|r| r.arn.clone()),
            // The provider's policies only: another one attached to the
            // role is someone's on purpose, not the schedule's.
            role_policy_arns: seen.role.as_ref().map(|r| {
                let mut arns: Vec<String> = r
                    .policies
                    .iter()
                    .filter(|p| cloud::provider_policy(p))
                    .cloned()
                    .collect();
                arns.sort();
                arns
            }),
            ..Self::default()
        };
        match &seen.plan {
            Some(plan) => {
                let mut retention = RetentionModel {
                    daily: Some(0),
                    weekly: Some(0),
                    monthly: Some(0),
                    yearly: Some(0),
                };
                let mut rules = Vec::new();
                for rule in &plan.rules {
                    if let Some((tier, count)) = tier_of(rule) {
                        match tier {
                            Tier::Daily => retention.daily = Some(count),
                            Tier::Weekly => retention.weekly = Some(count),
                            Tier::Monthly => retention.monthly = Some(count),
                            Tier::Yearly => retention.yearly = Some(count),
                        }
                        rules.push((
                            tier,
                            RuleModel {
                                tier: Some(tier.name().to_owned()),
                                schedule_expression: rule.schedule_expression().map(str::to_owned),
                                delete_after_days: rule
                                    .lifecycle()
                                    .and_then(|l| l.delete_after_days()),
                            },
                        ));
                    }
                }
                rules.sort_by_key(|(tier, _)| Tier::ALL.iter().position(|t| t == tier));
                let daily = plan
                    .rules
                    .iter()
                    .find(|r| r.rule_name() == Tier::Daily.name())
                    .and_then(|r| r.schedule_expression());
                state.schedule = schedule_as_written(
                    plan.tags
                        .get(SCHEDULE_TAG)
                        .and_then(|t| cloud::schedule_of_tag(t))
                        .as_ref(),
                    daily,
                    basis.schedule.clone(),
                );
                state.retention = retention_read(client, retention, basis.retention.is_some());
                state.rules = Some(rules.into_iter().map(|(_, r)| r).collect());
                state.copy_to_region = plan.copy_region();
                let read = checks::TAGGING.read_back(
                    &plan.tags,
                    &client.default_tags,
                    basis.tags.as_ref(),
                );
                state.tags = read.tags;
                state.tags_all = Some(read.tags_all);
            }
            None => {
                state.schedule = basis.schedule.clone();
                state.retention = basis.retention.clone();
                state.rules = basis.rules.clone();
                state.copy_to_region = basis.copy_to_region.clone();
                state.tags = basis.tags.clone();
                state.tags_all = basis.tags_all.clone();
            }
        }
        match &seen.selection {
            Some(selection) => {
                // The order written is kept when the same ARNs are selected.
                let mut found = selection.resources.clone();
                found.sort();
                let mut wanted = basis.resources.clone().unwrap_or_default();
                wanted.sort();
                state.resources = if found == wanted {
                    basis.resources.clone()
                } else if found.is_empty() {
                    None
                } else {
                    Some(selection.resources.clone())
                };
                state.resources_tagged =
                    if selection.tagged.is_empty() && basis.resources_tagged.is_none() {
                        None
                    } else {
                        Some(selection.tagged.clone())
                    };
            }
            None => {
                state.resources = basis.resources.clone();
                state.resources_tagged = basis.resources_tagged.clone();
            }
        }
        state
    }
}

/// `retention` as read: the block when the basis has one; without one
/// (no block written, or an import), null while AWS keeps the
/// environment's defaults, so that a configuration without the block
/// plans nothing, and the block as found otherwise, so that the plan
/// shows tiers changed out of band and an import's generated
/// configuration writes them.
fn retention_read(
    client: &SwarmClient,
    found: RetentionModel,
    written: bool,
) -> Option<RetentionModel> {
    let defaults = RetentionModel::of(&default_retention(client.environment));
    (written || found != defaults).then_some(found)
}

/// The schedule as the user wrote it (the plan's tag) while the daily
/// rule still runs at what it gives; AWS's expression when the rule was
/// changed out of band (so the plan shows it), or when there is no tag.
fn schedule_as_written(
    tag: Option<&String>,
    daily: Option<&str>,
    basis: Option<String>,
) -> Option<String> {
    let written = tag.cloned().or(basis);
    let gives = |text: &str| {
        Schedule::parse(text)
            .ok()
            .and_then(|s| tiers::expression(&s, Tier::Daily).ok())
    };
    match (written, daily) {
        (Some(text), Some(daily)) if gives(&text).as_deref() == Some(daily) => Some(text),
        (_, Some(daily)) => Some(daily.to_owned()),
        (written, None) => written,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_reads_back_as_written_while_the_rule_runs_at_it() {
        let tag = "0 2 * * *".to_owned();
        // The rule still runs at what the written form gives: as written.
        assert_eq!(
            schedule_as_written(Some(&tag), Some("cron(0 2 * * ? *)"), None).as_deref(),
            Some("0 2 * * *")
        );
        // The rule changed out of band: AWS's form, so that the plan shows it.
        assert_eq!(
            schedule_as_written(Some(&tag), Some("cron(0 4 * * ? *)"), None).as_deref(),
            Some("cron(0 4 * * ? *)")
        );
        // No tag (a plan made by hand): the basis's, else AWS's form.
        assert_eq!(
            schedule_as_written(
                None,
                Some("cron(0 2 * * ? *)"),
                Some("0 2 * * *".to_owned())
            )
            .as_deref(),
            Some("0 2 * * *")
        );
        assert_eq!(
            schedule_as_written(None, Some("cron(0 2 * * ? *)"), None).as_deref(),
            Some("cron(0 2 * * ? *)")
        );
    }

    #[test]
    fn schedules_fit_tag_values_and_come_back() {
        for schedule in ["0 2 * * *", "cron(0 9 ? * MON#1 *)", "0 2 1,15 * *", "a@b"] {
            let tag = cloud::schedule_tag(schedule);
            // AWS's tag value characters.
            assert!(
                tag.chars()
                    .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c)),
                "{tag}"
            );
            assert_eq!(cloud::schedule_of_tag(&tag).as_deref(), Some(schedule));
        }
        assert_eq!(cloud::schedule_of_tag("0 2 @z"), None);
    }

    #[test]
    fn tiers_default_by_environment_and_counts_left_out_take_them() {
        let production = default_retention(Environment::Production);
        assert_eq!(
            (
                production.daily,
                production.weekly,
                production.monthly,
                production.yearly
            ),
            (7, 4, 12, 0)
        );
        let development = default_retention(Environment::Development);
        assert_eq!((development.daily, development.weekly), (7, 0));
        let partial = RetentionModel {
            weekly: Some(8),
            ..RetentionModel::default()
        };
        let resolved = partial.resolve(&production);
        assert_eq!(
            (resolved.daily, resolved.weekly, resolved.monthly),
            (7, 8, 12)
        );
    }

    #[test]
    fn a_state_of_the_attribute_form_decodes_with_the_block() {
        // `retention` was an object attribute; as a block its value has
        // the same shape, so a stored state reads as it was.
        let stored = br#"{"id":"nightly","name":"nightly","schedule":"0 2 * * *",
            "retention":{"daily":7,"weekly":8,"monthly":0,"yearly":1},
            "resources_tagged":{"backup":"nightly"},"force_destroy":false,
            "rules":[{"tier":"daily","schedule_expression":"cron(0 2 * * ? *)",
            "delete_after_days":7}],"vault_lock":null}"#;
        let mut diags = tfplugin::Diagnostics::new();
        let value = tfplugin::resource::default_upgrade_state(
            "swarm_backup_schedule",
            &super::super::schema::schema(),
            &tfplugin::resource::RawState {
                json: stored.to_vec(),
                version: 0,
            },
            &mut diags,
        )
        .expect("decoded");
        assert!(!diags.has_errors(), "{diags:?}");
        let state: ScheduleState = value::from_value(&value).expect("a state");
        assert_eq!(
            state.retention,
            Some(RetentionModel {
                daily: Some(7),
                weekly: Some(8),
                monthly: Some(0),
                yearly: Some(1),
            })
        );
    }

    #[tokio::test]
    async fn retention_reads_back_null_without_a_block_while_the_tiers_are_the_defaults() {
        // The test client's environment is production: 7/4/12/0.
        let client = crate::tags::test_client().await;
        let defaults = RetentionModel::of(&default_retention(client.environment));
        let other = RetentionModel {
            weekly: Some(8),
            ..defaults.clone()
        };
        // No block (a configuration without one, or an import).
        assert_eq!(retention_read(&client, defaults.clone(), false), None);
        // Tiers changed out of band, or an import of other tiers: the
        // block as found.
        assert_eq!(
            retention_read(&client, other.clone(), false),
            Some(other.clone())
        );
        // A block written: read back whatever it holds.
        assert_eq!(
            retention_read(&client, defaults.clone(), true),
            Some(defaults)
        );
        assert_eq!(retention_read(&client, other.clone(), true), Some(other));
    }

    #[test]
    fn the_role_gets_the_s3_policies_only_when_buckets_may_be_selected() {
        let spec = |resources: &[&str], tagged: &[(&str, &str)]| Spec {
            name: "n".to_owned(),
            schedule: "0 2 * * *".to_owned(),
            rules: Vec::new(),
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            resources_tagged: tagged
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            copy_to_region: None,
            kms_key_id: None,
            vault_lock: None,
            restore_testing: None,
            tags: BTreeMap::new(),
            marker: None,
        };
        assert_eq!(
            spec(&["arn:aws:rds:us-east-1:1:db:main"], &[])
                .policies()
                .len(),
            2
        );
        assert_eq!(spec(&["arn:aws:s3:::b"], &[]).policies().len(), 4);
        assert_eq!(spec(&[], &[("backup", "yes")]).policies().len(), 4);
    }
}
