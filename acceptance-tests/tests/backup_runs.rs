//! `swarm_backup_runs` lists a schedule's next runs and its tiers' AWS
//! rules, computed by the provider with no AWS call, and refuses bad
//! input on the attribute at plan.
//!
//! The provider points at a loopback port nothing listens on, with no
//! retries: any AWS call would fail the step. The expected run times were
//! worked out from a calendar (2026-11-29 is a Sunday), not by the
//! provider's code.

use acceptance_tests::{config, run, test_case};
use serde_json::json;
use tfplugin::testing::{Check, Step};

/// A provider block whose AWS endpoint answers nothing.
fn unreachable_provider() -> String {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    format!(
        "provider \"swarm\" {{\n  region      = \"us-east-1\"\n  endpoint    = \"http://127.0.0.1:{port}\"\n  access_key  = \"test\"\n  secret_key  = \"test\"\n  max_retries = 0\n}}\n"
    )
}

fn runs_config(body: &str) -> String {
    config(&format!("{}\n{body}", unreachable_provider()))
}

#[tokio::test]
async fn lists_the_next_runs_and_the_tier_rules() {
    let hcl = runs_config(
        r#"
data "swarm_backup_runs" "nightly" {
  schedule = "0 2 * * *"
  from     = "2026-11-29T18:00:00Z"
}

data "swarm_backup_runs" "first_monday" {
  schedule = "cron(0 9 ? * MON#1 *)"
  from     = "2026-12-07T10:00:00+01:00"
  run_count = 3
}

data "swarm_backup_runs" "leap_day" {
  schedule = "30 23 29 FEB *"
  from     = "2026-11-29T00:00:00Z"
  run_count = 3
}

data "swarm_backup_runs" "weekdays" {
  schedule = "0 2 * * 1-5"
  from     = "2026-11-29T02:00:00Z"
  run_count = 6
}

data "swarm_backup_runs" "now" {
  schedule = "15 4 * * *"
  from     = plantimestamp()
  run_count = 1000
}
"#,
    );
    let nightly = "data.swarm_backup_runs.nightly";
    let weekdays = "data.swarm_backup_runs.weekdays";
    let case = test_case().step(
        Step::apply(hcl)
            // Ten by default, from the next day at 02:00.
            .check(Check::attr_equals(
                nightly,
                "runs",
                json!([
                    "2026-11-30T02:00:00Z",
                    "2026-12-01T02:00:00Z",
                    "2026-12-02T02:00:00Z",
                    "2026-12-03T02:00:00Z",
                    "2026-12-04T02:00:00Z",
                    "2026-12-05T02:00:00Z",
                    "2026-12-06T02:00:00Z",
                    "2026-12-07T02:00:00Z",
                    "2026-12-08T02:00:00Z",
                    "2026-12-09T02:00:00Z"
                ]),
            ))
            .check(Check::attr_equals(nightly, "run_count", 10))
            .check(Check::attr_equals(
                nightly,
                "rules",
                json!({
                    "daily": "cron(0 2 * * ? *)",
                    "weekly": "cron(0 2 ? * SUN *)",
                    "monthly": "cron(0 2 1 * ? *)",
                    "yearly": "cron(0 2 1 JAN ? *)"
                }),
            ))
            // 10:00+01:00 is 09:00 UTC: the run at that instant counts.
            .check(Check::attr_equals(
                "data.swarm_backup_runs.first_monday",
                "runs",
                json!([
                    "2026-12-07T09:00:00Z",
                    "2027-01-04T09:00:00Z",
                    "2027-02-01T09:00:00Z"
                ]),
            ))
            // 2100 is no leap year.
            .check(Check::attr_equals(
                "data.swarm_backup_runs.leap_day",
                "runs",
                json!([
                    "2028-02-29T23:30:00Z",
                    "2032-02-29T23:30:00Z",
                    "2036-02-29T23:30:00Z"
                ]),
            ))
            // From Sunday 02:00: Monday to Friday, then Monday again.
            .check(Check::attr_equals(
                weekdays,
                "runs",
                json!([
                    "2026-11-30T02:00:00Z",
                    "2026-12-01T02:00:00Z",
                    "2026-12-02T02:00:00Z",
                    "2026-12-03T02:00:00Z",
                    "2026-12-04T02:00:00Z",
                    "2026-12-07T02:00:00Z"
                ]),
            ))
            // No run on Sundays or on every 1st: only the daily tier.
            .check(Check::attr_equals(
                weekdays,
                "rules",
                json!({ "daily": "cron(0 2 ? * MON-FRI *)" }),
            ))
            .check(Check::sync(|state| {
                let runs = state.attr("data.swarm_backup_runs.now", "runs")?;
                let runs = runs.as_array().ok_or("runs is not a list")?;
                let all_at_04_15 = runs.iter().all(|r| {
                    r.as_str()
                        .is_some_and(|r| r.len() == 20 && r.ends_with("T04:15:00Z"))
                });
                if runs.len() != 1000 || !all_at_04_15 {
                    return Err(format!("1000 runs at 04:15 expected, got {runs:?}"));
                }
                Ok(())
            })),
    );
    run("backup_runs::lists_the_next_runs_and_the_tier_rules", case).await;
}

/// One data source with one argument changed.
fn with(schedule: &str, from: &str, run_count: &str) -> String {
    runs_config(&format!(
        "data \"swarm_backup_runs\" \"bad\" {{\n  schedule  = \"{schedule}\"\n  from      = {from}\n  run_count = {run_count}\n}}\n"
    ))
}

#[tokio::test]
async fn bad_input_fails_plan_on_the_attribute() {
    let ok_from = "\"2026-11-29T00:00:00Z\"";
    let cases = [
        (
            with("0 */2 * * *", ok_from, "5"),
            "schedule \"0 */2 * * *\" runs 12 times a day (minute \"0\", hour \"*/2\"): a \
             backup schedule runs at most once a day",
            "schedule  = \"0 */2 * * *\"",
        ),
        (
            with("0 2 1 * MON", ok_from, "5"),
            "schedule \"0 2 1 * MON\" sets both the day of month (\"1\") and the day of week \
             (\"MON\"): cron runs such a schedule on either day, which AWS's cron cannot \
             express.",
            "schedule  = \"0 2 1 * MON\"",
        ),
        (
            with("0 2 30 2 *", ok_from, "5"),
            "schedule \"0 2 30 2 *\" never runs",
            "schedule  = \"0 2 30 2 *\"",
        ),
        (
            with("0 24 * * *", ok_from, "5"),
            "schedule \"0 24 * * *\" has an invalid hour field \"24\": 24 is out of range \
             (hours are 0 to 23).",
            "schedule  = \"0 24 * * *\"",
        ),
        (
            with("0 2 * * *", "\"yesterday\"", "5"),
            "from must be an RFC 3339 timestamp",
            "from      = \"yesterday\"",
        ),
        (
            with("0 2 * * *", ok_from, "0"),
            "run_count must be a whole number from 1 to 1000, got 0.",
            "run_count = 0",
        ),
        (
            with("0 2 * * *", ok_from, "1001"),
            "run_count must be a whole number from 1 to 1000, got 1001.",
            "run_count = 1001",
        ),
    ];
    let mut case = test_case();
    for (hcl, error, line) in cases {
        // Terraform quotes the attribute's own line when the error is on
        // it (on the block it would quote the block's first line).
        let line = line.to_owned();
        case = case.step(
            Step::plan(hcl)
                .expect_error(error)
                .check_output(move |output| {
                    if output.contains(&line) {
                        Ok(())
                    } else {
                        Err(format!("the error does not point at `{line}`"))
                    }
                }),
        );
    }
    // A schedule known only at apply is checked there, the same way.
    let value = r#"
resource "terraform_data" "schedule" {
  input = "0 */2 * * *"
}
"#;
    let late = runs_config(&format!(
        r#"{value}
data "swarm_backup_runs" "late" {{
  schedule = terraform_data.schedule.output
  from     = "2026-11-29T00:00:00Z"
}}
"#
    ));
    case = case
        .step(Step::apply(late).expect_error("schedule \"0 */2 * * *\" runs 12 times a day"))
        // Without the data source, so that the destroy at the end does
        // not read it again.
        .step(Step::apply(runs_config(value)));
    run("backup_runs::bad_input_fails_plan_on_the_attribute", case).await;
}
