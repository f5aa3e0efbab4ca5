//! CloudWatch alarms on an instance's status checks: how a node without a
//! public address is health-checked (Route 53's checkers cannot reach it,
//! so its health check follows the alarm instead; see
//! `route53::Target::Alarm`).
//!
//! Alarm names are unique per account and region, so an alarm is found by
//! its name, `swarm-<marker>-<role>-status`: made from the ownership
//! marker, it is the resource's alone, and PutMetricAlarm of the same
//! name creates or updates, which makes a retried create harmless. Their
//! tags are read and brought to the wanted ones at apply ([`alarm_tags`],
//! [`sync_alarm_tags`]), never at refresh.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic, Tag};
use tfplugin::diag::Diagnostic;

use crate::aws::{call, error};
use crate::config::SwarmClient;
use crate::ownership::Marker;

/// The status-check metric: 1 while a check fails (or the instance is not
/// running and reporting), 0 while both pass.
const NAMESPACE: &str = "AWS/EC2";
const METRIC: &str = "StatusCheckFailed";
/// EC2 reports status checks every minute.
const PERIOD_SECONDS: i32 = 60;

/// The alarm name of a node.
pub fn alarm_name(marker: &Marker, role: &str) -> String {
    format!("swarm-{marker}-{role}-status")
}

/// A status-check alarm as CloudWatch has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAlarm {
    pub name: String,
    pub arn: Option<String>,
    pub instance_id: Option<String>,
    /// How many failed minutes in a row raise it.
    pub periods: i32,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: Option<String>,
}

impl StatusAlarm {
    /// Whether it is raised: the node is failing its status checks, or
    /// reports nothing (stopped).
    pub fn in_alarm(&self) -> bool {
        self.state.as_deref() == Some(StateValue::Alarm.as_str())
    }
}

/// What is wrong with `periods`, if anything.
pub fn periods_problem(periods: i32) -> Option<String> {
    (!matches!(periods, 1 | 2))
        .then(|| format!("the status-check alarm takes 1 or 2 periods of a minute, not {periods}"))
}

/// Creates or updates the status-check alarm of `role`'s instance, with
/// `tags` (which should carry the marker). PutMetricAlarm takes tags only
/// when it creates: an alarm updated keeps its tags, which the caller
/// brings to `tags` with [`alarm_tags`] and [`sync_alarm_tags`] (the pair
/// does at the end of every apply).
pub async fn put_status_alarm(
    client: &SwarmClient,
    marker: &Marker,
    role: &str,
    instance_id: &str,
    periods: i32,
    tags: &BTreeMap<String, String>,
) -> Result<StatusAlarm, Diagnostic> {
    let name = alarm_name(marker, role);
    call(
        "cloudwatch",
        "PutMetricAlarm",
        client
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(&name)
            .alarm_description(format!(
                "terraform-provider-swarm: status checks of the {role} node ({instance_id})"
            ))
            .namespace(NAMESPACE)
            .metric_name(METRIC)
            .dimensions(
                Dimension::builder()
                    .name("InstanceId")
                    .value(instance_id)
                    .build(),
            )
            .statistic(Statistic::Maximum)
            .period(PERIOD_SECONDS)
            .evaluation_periods(periods)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            // A stopped instance reports nothing: that is a failed node.
            .treat_missing_data("breaching")
            .set_tags(Some(to_sdk(tags)))
            .send(),
    )
    .await
    .map_err(|e| error(format!("Cannot put the status-check alarm {name}"), &e))?;
    let alarm = describe_status_alarms(client, std::slice::from_ref(&name))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Diagnostic::error(
                format!("The status-check alarm {name} is not there"),
                "PutMetricAlarm succeeded but DescribeAlarms does not list the alarm.",
            )
        })?;
    Ok(alarm)
}

fn to_sdk(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of the alarm `arn` (ListTagsForResource, one alarm per call).
/// Read at apply only: a refresh never reads tags.
pub async fn alarm_tags(
    client: &SwarmClient,
    arn: &str,
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let out = call(
        "cloudwatch",
        "ListTagsForResource",
        client
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send(),
    )
    .await
    .map_err(|e| error(format!("Cannot read the tags of the alarm {arn}"), &e))?;
    Ok(crate::tags::from_pairs(
        out.tags().iter().map(|t| (t.key(), t.value())),
    ))
}

/// Brings the alarm `arn`'s tags from `current` to `desired`: TagResource
/// for what is new or changed, then UntagResource for what is gone; no
/// call when they are equal.
pub async fn sync_alarm_tags(
    client: &SwarmClient,
    arn: &str,
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    crate::tags::apply(
        current,
        desired,
        |set| async move {
            call(
                "cloudwatch",
                "TagResource",
                client
                    .cloudwatch
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(to_sdk(&set)))
                    .send(),
            )
            .await
            .map(drop)
            .map_err(|e| error(format!("Cannot tag the alarm {arn}"), &e))
        },
        |keys| async move {
            call(
                "cloudwatch",
                "UntagResource",
                client
                    .cloudwatch
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send(),
            )
            .await
            .map(drop)
            .map_err(|e| error(format!("Cannot untag the alarm {arn}"), &e))
        },
    )
    .await
}

/// The alarms of `names` that exist: one DescribeAlarms for all of them.
pub async fn describe_status_alarms(
    client: &SwarmClient,
    names: &[String],
) -> Result<Vec<StatusAlarm>, Diagnostic> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let out = call(
        "cloudwatch",
        "DescribeAlarms",
        client
            .cloudwatch
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send(),
    )
    .await
    .map_err(|e| error("Cannot describe the status-check alarms", &e))?;
    Ok(out
        .metric_alarms()
        .iter()
        .filter_map(|alarm| {
            Some(StatusAlarm {
                name: alarm.alarm_name()?.to_owned(),
                arn: alarm.alarm_arn().map(str::to_owned),
                instance_id: alarm
                    .dimensions()
                    .iter()
                    .find(|d| d.name() == Some("InstanceId"))
                    .and_then(|d| d.value())
                    .map(str::to_owned),
                periods: alarm.evaluation_periods().unwrap_or(1),
                state: alarm.state_value().map(|s| s.as_str().to_owned()),
            })
        })
        .collect())
}

/// Deletes the alarms of `names` (pass those [`describe_status_alarms`]
/// found). No names, no call.
pub async fn delete_status_alarms(
    client: &SwarmClient,
    names: &[String],
) -> Result<(), Diagnostic> {
    if names.is_empty() {
        return Ok(());
    }
    call(
        "cloudwatch",
        "DeleteAlarms",
        client
            .cloudwatch
            .delete_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send(),
    )
    .await
    .map_err(|e| error("Cannot delete the status-check alarms", &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_are_the_markers_and_the_nodes() {
        let m = Marker::from_stored("0123456789abcdef0123");
        assert_eq!(
            alarm_name(&m, "primary"),
            "swarm-0123456789abcdef0123-primary-status"
        );
        assert_ne!(alarm_name(&m, "primary"), alarm_name(&m, "secondary"));
        // Within CloudWatch's 255 characters.
        assert!(alarm_name(&m, "secondary").len() < 255);
    }

    #[test]
    fn one_or_two_periods() {
        assert_eq!(periods_problem(1), None);
        assert_eq!(periods_problem(2), None);
        assert!(periods_problem(0).is_some());
        assert!(periods_problem(3).is_some());
    }

    #[test]
    fn only_alarm_is_in_alarm() {
        let alarm = |state: Option<&str>| StatusAlarm {
            name: "a".into(),
            arn: None,
            instance_id: None,
            periods: 1,
            state: state.map(str::to_owned),
        };
        assert!(alarm(Some("ALARM")).in_alarm());
        assert!(!alarm(Some("OK")).in_alarm());
        assert!(!alarm(Some("INSUFFICIENT_DATA")).in_alarm());
        assert!(!alarm(None).in_alarm());
    }
}
