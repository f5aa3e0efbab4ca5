//! The expected run times here were worked out from a calendar by hand
//! (and checked with another language's date library), not by this code.

use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::schema::validators::Validator;
use tfplugin::value::Value;

use super::tiers::{self, Retention, Tier};
use super::*;

/// Unix seconds of a UTC time.
fn at(year: i64, month: u32, day: u32, hour: i64, minute: i64) -> i64 {
    calendar::days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60
}

fn runs(schedule: &str, from: i64, count: usize) -> Vec<String> {
    let schedule = Schedule::parse(schedule).unwrap_or_else(|e| panic!("{schedule}: {e}"));
    schedule
        .runs_from(from, count)
        .into_iter()
        .map(rfc3339)
        .collect()
}

/// 2026-11-29 (a Sunday) at 18:00 UTC.
fn sunday_evening() -> i64 {
    at(2026, 11, 29, 18, 0)
}

/// What a user sees for a bad schedule: the diagnostic's detail.
fn refused(schedule: &str) -> String {
    let mut diags = Diagnostics::new();
    validator().validate(
        &Value::from(schedule),
        &AttributePath::attr("schedule"),
        &mut diags,
    );
    assert!(diags.has_errors(), "{schedule:?} was accepted");
    let diag = diags.iter().next().expect("one diagnostic");
    assert_eq!(diag.summary, "Invalid schedule");
    assert_eq!(
        diag.attribute.as_ref().map(ToString::to_string).as_deref(),
        Some("schedule")
    );
    diag.detail.clone()
}

#[test]
fn every_day_at_two() {
    assert_eq!(
        runs("0 2 * * *", sunday_evening(), 3),
        [
            "2026-11-30T02:00:00Z",
            "2026-12-01T02:00:00Z",
            "2026-12-02T02:00:00Z"
        ]
    );
    // The same in AWS's form, with names, and with every date listed.
    for same in [
        "cron(0 2 * * ? *)",
        "cron(0 2 ? * * *)",
        "cron(0 2 ? * SUN-SAT *)",
        "0 2 1-31 * *",
        "0 2 * * 0-6",
        "0 2 * JAN-DEC *",
    ] {
        assert_eq!(
            runs(same, sunday_evening(), 3),
            runs("0 2 * * *", sunday_evening(), 3),
            "{same}"
        );
    }
}

#[test]
fn a_run_at_the_start_instant_counts_and_seconds_round_up() {
    let two = at(2026, 11, 30, 2, 0);
    assert_eq!(runs("0 2 * * *", two, 1), ["2026-11-30T02:00:00Z"]);
    assert_eq!(runs("0 2 * * *", two + 1, 1), ["2026-12-01T02:00:00Z"]);
    assert_eq!(runs("0 2 * * *", two - 59, 1), ["2026-11-30T02:00:00Z"]);
}

#[test]
fn weekdays_and_sunday_as_zero_and_seven() {
    let weekdays = [
        "2026-11-30T02:00:00Z",
        "2026-12-01T02:00:00Z",
        "2026-12-02T02:00:00Z",
        "2026-12-03T02:00:00Z",
        "2026-12-04T02:00:00Z",
        "2026-12-07T02:00:00Z",
    ];
    for same in [
        "0 2 * * 1-5",
        "0 2 * * MON-FRI",
        "0 2 * * mon,tue,wed,thu,fri",
        "cron(0 2 ? * MON-FRI *)",
        "cron(0 2 ? * 2-6 *)",
    ] {
        assert_eq!(runs(same, sunday_evening(), 6), weekdays, "{same}");
    }
    let sundays = [
        "2026-12-06T02:00:00Z",
        "2026-12-13T02:00:00Z",
        "2026-12-20T02:00:00Z",
    ];
    for same in [
        "0 2 * * 0",
        "0 2 * * 7",
        "0 2 * * SUN",
        "0 2 * * 0,7",
        "cron(0 2 ? * 1 *)",
        "cron(0 2 ? * SUN *)",
    ] {
        assert_eq!(runs(same, sunday_evening(), 3), sundays, "{same}");
    }
    // 5-7 is Friday to Sunday, as are FRI-SUN and 5-0; */3 is Sunday,
    // Wednesday, Saturday.
    for same in ["30 1 * * FRI-SUN", "30 1 * * 5-0"] {
        assert_eq!(
            runs(same, sunday_evening(), 3),
            runs("30 1 * * 5-7", sunday_evening(), 3),
            "{same}"
        );
    }
    assert_eq!(
        runs("30 1 * * 5-7", sunday_evening(), 3),
        [
            "2026-12-04T01:30:00Z",
            "2026-12-05T01:30:00Z",
            "2026-12-06T01:30:00Z"
        ]
    );
    assert_eq!(
        runs("0 0 * * */3", sunday_evening(), 3),
        [
            "2026-12-02T00:00:00Z",
            "2026-12-05T00:00:00Z",
            "2026-12-06T00:00:00Z"
        ]
    );
}

#[test]
fn dates_steps_and_months() {
    // The 31st: only months that have one.
    assert_eq!(
        runs("59 23 31 * *", sunday_evening(), 4),
        [
            "2026-12-31T23:59:00Z",
            "2027-01-31T23:59:00Z",
            "2027-03-31T23:59:00Z",
            "2027-05-31T23:59:00Z"
        ]
    );
    // */10 in day-of-month is 1, 11, 21, 31.
    assert_eq!(
        runs("0 2 */10 * *", sunday_evening(), 5),
        [
            "2026-12-01T02:00:00Z",
            "2026-12-11T02:00:00Z",
            "2026-12-21T02:00:00Z",
            "2026-12-31T02:00:00Z",
            "2027-01-01T02:00:00Z"
        ]
    );
    let stepped = [
        "2027-01-10T02:00:00Z",
        "2027-01-15T02:00:00Z",
        "2027-01-20T02:00:00Z",
        "2027-02-10T02:00:00Z",
        "2027-02-15T02:00:00Z",
    ];
    for same in [
        "0 2 10-20/5 JAN-MAR *",
        "0 2 10,15,20 1-3 *",
        "cron(0 2 10-20/5 1,2,3 ? *)",
    ] {
        assert_eq!(runs(same, sunday_evening(), 5), stepped, "{same}");
    }
    // a/n runs from a to the end of the field: 25/3 is 25, 28, 31.
    assert_eq!(
        runs("0 2 25/3 12 *", sunday_evening(), 3),
        [
            "2026-12-25T02:00:00Z",
            "2026-12-28T02:00:00Z",
            "2026-12-31T02:00:00Z"
        ]
    );
}

#[test]
fn leap_day_skips_2100_and_is_fast() {
    assert_eq!(
        runs("0 2 29 2 *", sunday_evening(), 4),
        [
            "2028-02-29T02:00:00Z",
            "2032-02-29T02:00:00Z",
            "2036-02-29T02:00:00Z",
            "2040-02-29T02:00:00Z"
        ]
    );
    assert_eq!(
        runs("0 2 29 FEB *", at(2096, 3, 1, 0, 0), 2),
        ["2104-02-29T02:00:00Z", "2108-02-29T02:00:00Z"]
    );
    // A thousand leap days reach past the year 6000: found by field,
    // month by month, not minute by minute.
    let started = std::time::Instant::now();
    let all = runs("0 2 29 2 *", sunday_evening(), 1000);
    assert_eq!(all.len(), 1000);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert!(all.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn runs_end_with_the_year_field_and_at_9999() {
    assert_eq!(
        runs("cron(0 2 1 1 ? 2027-2028)", sunday_evening(), 5),
        ["2027-01-01T02:00:00Z", "2028-01-01T02:00:00Z"]
    );
    assert!(runs("cron(0 2 1 1 ? 2020)", sunday_evening(), 5).is_empty());
    assert_eq!(
        runs("0 2 31 12 *", at(9998, 1, 1, 0, 0), 5),
        ["9998-12-31T02:00:00Z", "9999-12-31T02:00:00Z"]
    );
}

#[test]
fn aws_day_forms() {
    let from = sunday_evening();
    assert_eq!(
        runs("cron(0 2 L * ? *)", from, 3),
        [
            "2026-11-30T02:00:00Z",
            "2026-12-31T02:00:00Z",
            "2027-01-31T02:00:00Z"
        ]
    );
    // The last weekday: 2027-01-31 is a Sunday, 2027-02-28 too.
    assert_eq!(
        runs("cron(0 2 LW * ? *)", from, 4),
        [
            "2026-11-30T02:00:00Z",
            "2026-12-31T02:00:00Z",
            "2027-01-29T02:00:00Z",
            "2027-02-26T02:00:00Z"
        ]
    );
    // The weekday nearest the 1st: 2027-05-01 is a Saturday, so Monday
    // the 3rd (never the month before).
    assert_eq!(
        runs("cron(0 2 1W * ? *)", from, 6)[5],
        "2027-05-03T02:00:00Z"
    );
    // Nearest the 15th: 2027-05-15 is a Saturday, so Friday the 14th.
    assert_eq!(
        runs("cron(0 2 15W * ? 2027)", from, 5)[4],
        "2027-05-14T02:00:00Z"
    );
    // Nearest the 31st: 2027-01-31 is a Sunday, so Friday the 29th; no
    // run in months without a 31st.
    assert_eq!(
        runs("cron(0 2 31W * ? *)", at(2027, 1, 1, 0, 0), 2),
        ["2027-01-29T02:00:00Z", "2027-03-31T02:00:00Z"]
    );
    // The last Friday, the first Monday.
    assert_eq!(
        runs("cron(0 2 ? * 6L *)", from, 3),
        [
            "2026-12-25T02:00:00Z",
            "2027-01-29T02:00:00Z",
            "2027-02-26T02:00:00Z"
        ]
    );
    for same in ["cron(0 9 ? * 2#1 *)", "cron(0 9 ? * MON#1 *)"] {
        assert_eq!(
            runs(same, from, 3),
            [
                "2026-12-07T09:00:00Z",
                "2027-01-04T09:00:00Z",
                "2027-02-01T09:00:00Z"
            ],
            "{same}"
        );
    }
    // L alone in day-of-week is the last day of the week, Saturday.
    assert_eq!(runs("cron(0 2 ? * L *)", from, 1), ["2026-12-05T02:00:00Z"]);
}

#[test]
fn invalid_fields_name_the_field_and_why() {
    assert_eq!(
        refused("0 25 * * *"),
        "schedule \"0 25 * * *\" has an invalid hour field \"25\": 25 is out of range (hours \
         are 0 to 23)."
    );
    assert_eq!(
        refused("0 2 * FOO *"),
        "schedule \"0 2 * FOO *\" has an invalid month field \"FOO\": \"FOO\" is not a value: \
         months are numbers (1 to 12) or names (JAN to DEC)."
    );
    assert_eq!(
        refused("0 2 20-10 * *"),
        "schedule \"0 2 20-10 * *\" has an invalid day-of-month field \"20-10\": the range \
         20-10 runs backwards (write it as two ranges)."
    );
    assert_eq!(
        refused("0 2 */0 * *"),
        "schedule \"0 2 */0 * *\" has an invalid day-of-month field \"*/0\": the step \"0\" is \
         not a whole number from 1."
    );
    assert_eq!(
        refused("0 2 1,,2 * *"),
        "schedule \"0 2 1,,2 * *\" has an invalid day-of-month field \"1,,2\": a list item is \
         empty."
    );
    assert!(refused("0 2 * * 8").contains("8 is out of range (days of the week are 0 to 7)"));
    assert!(
        refused("cron(0 2 ? * 0 *)").contains("0 is out of range (days of the week are 1 to 7)")
    );
    assert!(refused("cron(0 2 * * ? 1969)").contains("invalid year field \"1969\""));
    assert!(refused("0 2 0 * *").contains("invalid day-of-month field \"0\""));
    assert!(refused("0 2 * 13 *").contains("invalid month field \"13\""));
    assert!(refused("60 2 * * *").contains("invalid minute field \"60\""));
    assert!(refused("0 2 * * MON-").contains("a value is missing"));
}

#[test]
fn the_wrong_number_of_fields() {
    assert_eq!(
        refused("0 2 * *"),
        "schedule \"0 2 * *\" has 4 fields: a schedule is a five-field cron in UTC, \"minute \
         hour day-of-month month day-of-week\" (e.g. \"0 2 * * *\"), or AWS's six-field \
         cron(minutes hours day-of-month month day-of-week year)."
    );
    assert!(refused("0 2 * * ? *").starts_with("schedule \"0 2 * * ? *\" has 6 fields"));
    assert!(refused("").contains("has 0 fields"));
    assert!(refused("cron(0 2 * * ?)").contains("has 5 fields inside cron(...)"));
    assert!(refused("cron(0 2 * * ? *").contains("does not end with )"));
    assert!(refused("rate(1 day)").contains("is a rate expression"));
}

#[test]
fn aws_syntax_in_five_fields_and_aws_rules() {
    assert_eq!(
        refused("0 2 L * *"),
        "schedule \"0 2 L * *\" has an invalid day-of-month field \"L\": ?, L, W and # are \
         AWS's cron syntax: write the whole schedule in AWS's form, cron(minutes hours \
         day-of-month month day-of-week year)."
    );
    assert!(refused("0 2 ? * MON").contains("are AWS's cron syntax"));
    assert!(refused("0 2 * * 2#1").contains("are AWS's cron syntax"));
    // Names with L and W are names.
    assert!(Schedule::parse("0 2 * JUL WED").is_ok());
    assert!(Schedule::parse("0 2 * JUL *").is_ok());
    assert!(Schedule::parse("0 2 * * WED").is_ok());
    assert_eq!(
        refused("cron(0 2 * * MON *)"),
        "schedule \"cron(0 2 * * MON *)\" sets both day-of-month (\"*\") and day-of-week \
         (\"MON\"): AWS's cron needs one of them to be ?, e.g. cron(0 2 * * ? *) or cron(0 2 ? \
         * MON *)."
    );
    assert!(refused("cron(0 2 ? * ? *)").contains("has ? in both day fields"));
    assert!(refused("cron(0 2 ? * */2 *)").contains("AWS's cron allows no step (/) here"));
    assert!(refused("cron(0 2 L,15 * ? *)").contains("stands alone in its field"));
    assert!(refused("cron(0 2 ? * 2#1,3#1 *)").contains("stand alone in their field"));
    assert!(refused("cron(0 2 ? * 2#6 *)").contains("1 to 5, not \"6\""));
    assert!(refused("cron(0 2 3X * ? *)").contains("invalid day-of-month field"));
    assert!(refused("cron(0 2 ? * 1W *)").contains("W belongs in day-of-month"));
}

#[test]
fn both_day_fields_in_five_fields() {
    assert_eq!(
        refused("0 2 1 * MON"),
        "schedule \"0 2 1 * MON\" sets both the day of month (\"1\") and the day of week \
         (\"MON\"): cron runs such a schedule on either day, which AWS's cron cannot express. \
         Restrict one and write * in the other, e.g. \"0 2 1 * *\" or \"0 2 * * MON\"."
    );
    // Restricting is by what is written: all the dates and a weekday
    // would run every day in cron, which is still both.
    assert!(refused("0 2 1-31 * 1").contains("sets both"));
}

#[test]
fn more_than_once_a_day() {
    assert_eq!(
        refused("0 */2 * * *"),
        "schedule \"0 */2 * * *\" runs 12 times a day (minute \"0\", hour \"*/2\"): a backup \
         schedule runs at most once a day, so give the minute and the hour one value each, \
         e.g. \"0 2 * * *\" (02:00 UTC)."
    );
    assert!(refused("0,30 2 * * *").contains("runs 2 times a day"));
    assert!(refused("* * * * *").contains("runs 1440 times a day"));
    assert!(refused("cron(0/15 2 * * ? *)").contains("runs 4 times a day"));
    // One value written twice is one value.
    assert!(Schedule::parse("0,0 2,2 * * *").is_ok());
}

#[test]
fn schedules_that_never_run() {
    let never = "never runs: no date has the day it asks for in the months (and years) it \
                 allows, e.g. 30 February.";
    assert_eq!(
        refused("0 2 30 2 *"),
        format!("schedule \"0 2 30 2 *\" {never}")
    );
    assert!(refused("0 2 31 APR,JUN,SEP,NOV *").ends_with(never));
    assert!(refused("cron(0 2 29 2 ? 2027)").ends_with(never));
    assert!(refused("cron(0 2 31W 2 ? *)").ends_with(never));
    // Leap years do have a 29 February; 2028 is one.
    assert!(Schedule::parse("cron(0 2 29 2 ? 2027-2028)").is_ok());
}

#[test]
fn tiers_of_the_default_schedule() {
    let schedule = Schedule::parse("0 2 * * *").expect("valid");
    let expressions: Vec<String> = Tier::ALL
        .iter()
        .map(|t| tiers::expression(&schedule, *t).expect("every tier"))
        .collect();
    assert_eq!(
        expressions,
        [
            "cron(0 2 * * ? *)",
            "cron(0 2 ? * SUN *)",
            "cron(0 2 1 * ? *)",
            "cron(0 2 1 JAN ? *)"
        ]
    );
    let retention = Retention {
        daily: 7,
        weekly: 4,
        monthly: 12,
        yearly: 0,
    };
    let rules = tiers::rules(&schedule, &retention).expect("rules");
    let summary: Vec<(&str, &str, u64)> = rules
        .iter()
        .map(|r| {
            (
                r.tier.name(),
                r.schedule_expression.as_str(),
                r.delete_after_days,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("daily", "cron(0 2 * * ? *)", 7),
            ("weekly", "cron(0 2 ? * SUN *)", 28),
            ("monthly", "cron(0 2 1 * ? *)", 372)
        ]
    );
    assert_eq!(Tier::Yearly.lifecycle_days(3), 1098);
}

#[test]
fn tiers_keep_the_schedules_time_months_and_years() {
    let schedule = Schedule::parse("cron(45 23 ? JAN-JUN,DEC * 2027-2030)").expect("valid");
    let expressions: Vec<String> = Tier::ALL
        .iter()
        .map(|t| tiers::expression(&schedule, *t).expect("every tier"))
        .collect();
    assert_eq!(
        expressions,
        [
            "cron(45 23 * JAN-JUN,DEC ? 2027-2030)",
            "cron(45 23 ? JAN-JUN,DEC SUN 2027-2030)",
            "cron(45 23 1 JAN-JUN,DEC ? 2027-2030)",
            "cron(45 23 1 JAN ? 2027-2030)"
        ]
    );
    // The daily rule is the schedule itself, written out for AWS.
    for (schedule, daily) in [
        ("0 2 * * 0,6", "cron(0 2 ? * SUN,SAT *)"),
        ("0 2 * * 1-5", "cron(0 2 ? * MON-FRI *)"),
        ("0 2 */10 * *", "cron(0 2 1,11,21,31 * ? *)"),
        ("0 2 1-15 3-5 *", "cron(0 2 1-15 MAR-MAY ? *)"),
        ("cron(0 2 LW * ? *)", "cron(0 2 LW * ? *)"),
        ("cron(0 2 15W * ? *)", "cron(0 2 15W * ? *)"),
        ("cron(0 2 ? * 6L *)", "cron(0 2 ? * 6L *)"),
        ("cron(0 2 ? * MON#2 *)", "cron(0 2 ? * 2#2 *)"),
        (
            "cron(0 2 1 1 ? 2030,2031,2040)",
            "cron(0 2 1 JAN ? 2030,2031,2040)",
        ),
    ] {
        let parsed = Schedule::parse(schedule).expect("valid");
        assert_eq!(
            tiers::expression(&parsed, Tier::Daily).as_deref(),
            Ok(daily),
            "{schedule}"
        );
    }
}

#[test]
fn a_tier_whose_day_the_schedule_skips_is_refused() {
    let weekdays = Schedule::parse("0 2 * * 1-5").expect("valid");
    let retention = Retention {
        daily: 7,
        weekly: 4,
        monthly: 0,
        yearly: 0,
    };
    let error = tiers::rules(&weekdays, &retention).expect_err("no Sundays");
    assert_eq!(error.tier, Tier::Weekly);
    assert_eq!(
        error.message,
        "retention.weekly is 4, but the weekly tier keeps the run on Sunday, and the schedule \
         \"0 2 * * 1-5\" does not run on every Sunday: run the schedule on that day too, or set \
         retention.weekly = 0."
    );
    // Without the weekly tier it is fine.
    let rules = tiers::rules(
        &weekdays,
        &Retention {
            weekly: 0,
            ..retention
        },
    )
    .expect("daily only");
    assert_eq!(rules.len(), 1);

    // The 1st of the month, and January.
    let mid_month = Schedule::parse("0 2 15 * *").expect("valid");
    assert!(
        tiers::expression(&mid_month, Tier::Monthly)
            .is_err_and(|e| e.ends_with("does not run on every 1st of the month"))
    );
    let summer = Schedule::parse("0 2 * 6-8 *").expect("valid");
    assert!(
        tiers::expression(&summer, Tier::Yearly)
            .is_err_and(|e| e.ends_with("does not run in January"))
    );
    assert!(tiers::expression(&summer, Tier::Monthly).is_ok());
    let last_friday = Schedule::parse("cron(0 2 ? * 6L *)").expect("valid");
    for tier in [Tier::Weekly, Tier::Monthly, Tier::Yearly] {
        assert!(tiers::expression(&last_friday, tier).is_err(), "{tier:?}");
    }
    // Every date, or every weekday, written out is every day.
    for every_day in [
        "0 2 1-31 * *",
        "0 2 * * 0-6",
        "0 2 * * 1-7",
        "cron(0 2 ? * 1-7 *)",
    ] {
        let parsed = Schedule::parse(every_day).expect("valid");
        let expressions: Vec<String> = Tier::ALL
            .iter()
            .map(|t| tiers::expression(&parsed, *t).expect("every tier"))
            .collect();
        assert_eq!(expressions[0], "cron(0 2 * * ? *)", "{every_day}");
        assert_eq!(expressions[1], "cron(0 2 ? * SUN *)", "{every_day}");
    }
    // Sundays among the weekdays, the 1st among the dates: fine.
    let sundays = Schedule::parse("0 2 * * 0,3").expect("valid");
    assert_eq!(
        tiers::expression(&sundays, Tier::Weekly).as_deref(),
        Ok("cron(0 2 ? * SUN *)")
    );
    let firsts = Schedule::parse("0 2 1,15 * *").expect("valid");
    assert_eq!(
        tiers::expression(&firsts, Tier::Yearly).as_deref(),
        Ok("cron(0 2 1 JAN ? *)")
    );
}
