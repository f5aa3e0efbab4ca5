//! Final snapshots, as `swarm_database` and `swarm_cache` take them when
//! destroyed: listing them, and making a destroy find its first name taken.

use std::sync::Arc;

use tfplugin::testing::{Check, Step};

use crate::checks::{Memo, err, out_of_band, sdk_check, sent};
use crate::emulator::Emulator;

/// The service whose final snapshots a test looks at.
#[derive(Debug, Clone, Copy)]
pub enum Snapshots {
    /// RDS manual DB snapshots.
    Rds,
    /// ElastiCache snapshots.
    ElastiCache,
}

/// Every item of a paginated SDK listing (`$request`, a fluent builder),
/// or the error as a check's message.
macro_rules! every_item {
    ($request:expr) => {
        $request
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err)
    };
}

impl Snapshots {
    /// The final snapshots of `name` (`<name>-final-…`), by name.
    pub async fn finals(self, emulator: &Emulator, name: &str) -> Result<Vec<String>, String> {
        // Every page: a test takes more snapshots than one page holds.
        let names: Vec<String> = match self {
            Self::Rds => every_item!(
                emulator
                    .rds()
                    .await
                    .describe_db_snapshots()
                    .snapshot_type("manual")
            )?
            .iter()
            .filter_map(|s| s.db_snapshot_identifier().map(str::to_owned))
            .collect(),
            Self::ElastiCache => every_item!(emulator.elasticache().await.describe_snapshots())?
                .iter()
                .filter_map(|s| s.snapshot_name().map(str::to_owned))
                .collect(),
        };
        let prefix = format!("{name}-final-");
        Ok(names
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect())
    }

    /// Takes a snapshot `snapshot` of `name`, out of band.
    async fn take(self, emulator: &Emulator, name: &str, snapshot: &str) -> Result<(), String> {
        match self {
            Self::Rds => sent(
                emulator
                    .rds()
                    .await
                    .create_db_snapshot()
                    .db_instance_identifier(name)
                    .db_snapshot_identifier(snapshot)
                    .send()
                    .await,
            ),
            Self::ElastiCache => sent(
                emulator
                    .elasticache()
                    .await
                    .create_snapshot()
                    .replication_group_id(name)
                    .snapshot_name(snapshot)
                    .send()
                    .await,
            ),
        }
    }
}

/// An apply of `without` (a configuration without the resource `name`)
/// that destroys it while its final snapshot's name is taken: between the
/// plan and the apply, a snapshot is made under that name for every second
/// of the coming minute. Checks `gone` (nothing of the resource is left),
/// then that the final snapshot went under the next free name and every
/// snapshot made beforehand is still there.
pub fn destroy_onto_taken_names(
    emulator: &Arc<Emulator>,
    without: String,
    service: Snapshots,
    name: &'static str,
    gone: Check,
) -> Step {
    let taken: Memo<Vec<String>> = Memo::default();
    let made = taken.clone();
    Step::apply(without)
        .after_plan(out_of_band(emulator, move |e| {
            let made = made.clone();
            async move {
                let names = final_snapshot_names_ahead(name, 60);
                for snapshot in &names {
                    service.take(&e, name, snapshot).await?;
                }
                made.set(names)
            }
        }))
        .check(gone)
        .check(sdk_check(emulator, move |e, _| {
            let taken = taken.clone();
            async move {
                let existing = service.finals(&e, name).await?;
                took_the_next_free_name(name, &taken.get()?, &existing)
            }
        }))
}

/// The names `<name>-final-<UTC time>` the provider gives a final snapshot
/// of `name` taken in any of the coming `seconds` (and the second before,
/// for a clock just turning). Snapshots made under these names beforehand
/// make a destroy in that time find its first name taken, as when a
/// resource is replaced and destroyed within one second.
pub fn final_snapshot_names_ahead(name: &str, seconds: u64) -> Vec<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (now.saturating_sub(1)..=now + seconds)
        .map(|second| {
            let at = aws_sdk_rds::primitives::DateTime::from_secs(second as i64)
                .fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
                .unwrap_or_default();
            let stamp: String = at.chars().filter(char::is_ascii_digit).take(14).collect();
            format!("{name}-final-{stamp}")
        })
        .collect()
}

/// Checks that a destroy took its final snapshot of `name` under the next
/// free name, leaving every snapshot that had its first name (`taken`) in
/// place: `existing` are the final snapshot names read back after it.
pub fn took_the_next_free_name(
    name: &str,
    taken: &[String],
    existing: &[String],
) -> Result<(), String> {
    let missing: Vec<&String> = taken.iter().filter(|t| !existing.contains(t)).collect();
    if !missing.is_empty() {
        return Err(format!("snapshots {missing:?} are gone"));
    }
    let new: Vec<&String> = existing.iter().filter(|e| !taken.contains(e)).collect();
    match new.as_slice() {
        [one]
            if one
                .strip_suffix("-2")
                .is_some_and(|base| taken.iter().any(|t| t == base)) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "the final snapshot of {name:?} should be one taken name plus \"-2\"; new: {new:?}"
        )),
    }
}
