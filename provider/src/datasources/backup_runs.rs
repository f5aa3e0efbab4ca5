//! `swarm_backup_runs` data source: when a backup schedule runs, and the
//! AWS Backup rule of each tier, computed locally (no AWS call) by the
//! same code `swarm_backup_schedule` plans with (`crate::schedule`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::schema::validators::{self, Validator};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{self, Type, Value};

use crate::config::SwarmClient;
use crate::schedule::tiers::{self, Tier};
use crate::schedule::{self, Schedule};

pub struct BackupRuns;

/// How many runs when `run_count` is not set. (The issue's `count` is
/// Terraform's meta-argument in every block: a data source cannot have
/// an argument of that name.)
const DEFAULT_COUNT: i64 = 10;
const MAX_COUNT: i64 = 1000;

#[derive(Debug, Deserialize)]
struct Config {
    schedule: String,
    from: String,
    run_count: Option<i64>,
}

/// What the data source exports.
#[derive(Debug, Serialize)]
struct Runs {
    id: String,
    schedule: String,
    from: String,
    run_count: i64,
    runs: Vec<String>,
    rules: BTreeMap<String, String>,
}

fn from_check() -> impl Validator {
    validators::string_check(
        "an RFC 3339 timestamp such as 2026-11-29T02:00:00Z (plantimestamp() gives one)",
        |text| schedule::parse_instant(text).map(|_| ()),
    )
}

fn count_check() -> impl Validator {
    validators::int_between(1, MAX_COUNT)
}

#[tfplugin::async_trait]
impl DataSource<SwarmClient> for BackupRuns {
    fn type_name(&self) -> &'static str {
        "swarm_backup_runs"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The next run times of a backup schedule, in UTC, and the AWS Backup rule each \
             tier of a `swarm_backup_schedule` with that schedule would have. Computed by the \
             provider, with no AWS call: the same checks and rules as the resource.",
        )
        .attribute(
            Attribute::string("schedule")
                .required()
                .description(
                    "A five-field cron in UTC (`minute hour day-of-month month day-of-week`, \
                     e.g. `0 2 * * *`; weekdays 0 to 7, 0 and 7 both Sunday, and names \
                     `SUN`..`SAT`, `JAN`..`DEC`), or AWS's six-field `cron(minutes hours \
                     day-of-month month day-of-week year)` (with `?`, `L`, `W` and `#` as AWS \
                     documents them). At most once a day; a five-field cron may not restrict \
                     both day of month and day of week (AWS's cron cannot express it).",
                )
                .validator(schedule::validator()),
        )
        .attribute(
            Attribute::string("from")
                .required()
                .description(
                    "The first run listed is the first at or after this instant: an RFC 3339 \
                     timestamp, e.g. `plantimestamp()`.",
                )
                .validator(from_check()),
        )
        .attribute(
            Attribute::number("run_count")
                .optional()
                .computed()
                .description(
                    "How many runs to list, 1 to 1000. Default: 10. Fewer are listed when the \
                     schedule ends first (a year field of AWS's form).",
                )
                .validator(count_check()),
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .description("The schedule, as written."),
        )
        .attribute(
            Attribute::list_of("runs", Type::String)
                .computed()
                .description(
                    "The run times, earliest first, in RFC 3339 UTC (`2026-11-30T02:00:00Z`).",
                ),
        )
        .attribute(
            Attribute::map_of("rules", Type::String)
                .computed()
                .description(
                    "Each tier's AWS Backup rule, as AWS's `cron(...)` in UTC: `daily` (every \
                     run), `weekly` (the run on Sunday), `monthly` (the run on the 1st) and \
                     `yearly` (the run on 1 January), all at the schedule's time of day. A tier \
                     is missing when the schedule does not run on every one of its days (for \
                     example `weekly` for a weekdays-only schedule): `swarm_backup_schedule` \
                     refuses a positive count for it.",
                ),
        )
    }

    async fn read(
        &self,
        _client: &SwarmClient,
        req: &DataSourceRequest,
        resp: &mut DataSourceResponse,
    ) {
        let config: Config = match req.config_as() {
            Ok(config) => config,
            Err(d) => return resp.diagnostics.extend(d),
        };
        // The checks of validate, again: a value unknown at validate time
        // (from a resource) is checked here, with the same message.
        let mut diags = Diagnostics::new();
        let attr = AttributePath::attr;
        schedule::validator().validate(
            &Value::from(config.schedule.as_str()),
            &attr("schedule"),
            &mut diags,
        );
        from_check().validate(
            &Value::from(config.from.as_str()),
            &attr("from"),
            &mut diags,
        );
        let count = config.run_count.unwrap_or(DEFAULT_COUNT);
        count_check().validate(&Value::from(count), &attr("run_count"), &mut diags);
        let (Ok(parsed), Ok(from), false) = (
            Schedule::parse(&config.schedule),
            schedule::parse_instant(&config.from),
            diags.has_errors(),
        ) else {
            return resp.diagnostics.extend(diags);
        };
        let runs = parsed
            .runs_from(from, usize::try_from(count).unwrap_or_default())
            .into_iter()
            .map(schedule::rfc3339)
            .collect();
        let rules = Tier::ALL
            .into_iter()
            .filter_map(|tier| {
                let expression = tiers::expression(&parsed, tier).ok()?;
                Some((tier.name().to_owned(), expression))
            })
            .collect();
        let state = Runs {
            id: config.schedule.clone(),
            schedule: config.schedule,
            from: config.from,
            run_count: count,
            runs,
            rules,
        };
        match value::to_value(&state).and_then(|v| v.conform(&self.schema().value_type())) {
            Ok(state) => resp.state = state,
            Err(e) => resp.diagnostics.error(
                "Cannot record the swarm_backup_runs data source",
                e.to_string(),
            ),
        }
    }
}
