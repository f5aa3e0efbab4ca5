//! The tiers of a backup schedule, and the AWS Backup rule each becomes.
//!
//! Each tier with a positive count is one rule of the backup plan, at the
//! schedule's time of day, in the schedule's months and years:
//!
//! | tier | runs | kept |
//! |---|---|---|
//! | `daily` | every run of the schedule | N days |
//! | `weekly` | the run on Sunday | N weeks: 7 N days |
//! | `monthly` | the run on the 1st | N months, counted as 31 days: 31 N days |
//! | `yearly` | the run on 1 January | N years, counted as 366 days: 366 N days |
//!
//! AWS Backup's lifecycle is in days. A month counts 31 days and a year
//! 366, the longest they can be, so that a point is never deleted before
//! the N months or years the tier promises (12 monthly points are kept
//! 372 days, a week longer than a year at most).
//!
//! **Rules that fire together.** On a Sunday the daily and weekly rules
//! fire at the same time, on the 1st the daily and monthly ones (and the
//! weekly one when it is a Sunday), on 1 January all of them. AWS Backup
//! documents that when rules of one plan overlap (their start windows,
//! not only their start times) it takes one backup, for the rule with the
//! longest retention ("Backup plan options and configuration", AWS Backup
//! Developer Guide). So that day's recovery point carries the longest
//! lifecycle of the tiers that fire, and every tier still keeps what it
//! promises: the run on that day exists and is kept at least as long as
//! each of those tiers says (whatever order the counts are in, since the
//! longest wins). What differs from four independent rules is the label:
//! a Sunday's point is the weekly rule's, so the daily rule shows six
//! points in a week and the weekly point stands for the seventh day.
//! Rules of different days never overlap as long as each rule's start
//! window is shorter than a day, which the resource keeps it.
//!
//! **A schedule that does not run on a tier's day.** The weekly tier keeps
//! the run on Sunday; a schedule that does not run on every Sunday (say
//! weekdays only, `0 2 * * 1-5`) has no such run in some or all weeks, and
//! taking a backup that day anyway would be a run the schedule does not
//! have. So a tier whose day the schedule does not always run on is
//! refused while its count is positive ([`rules`]), naming the tier, the
//! schedule and the two ways out (run on that day too, or a count of 0);
//! [`expression`] says why. Likewise monthly needs a run on every 1st, and
//! yearly one on every 1 January (and January among the months).

use super::{Bits, Days, Schedule};

/// A tier of recovery points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Tier {
    /// Every tier, shortest first.
    pub const ALL: [Tier; 4] = [Tier::Daily, Tier::Weekly, Tier::Monthly, Tier::Yearly];

    /// The tier's name, as in `retention { daily = ... }`.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Daily => "daily",
            Tier::Weekly => "weekly",
            Tier::Monthly => "monthly",
            Tier::Yearly => "yearly",
        }
    }

    /// How many days a recovery point of this tier is kept for a count of
    /// `count` (days, weeks, months or years).
    pub fn lifecycle_days(self, count: u32) -> u64 {
        let unit: u64 = match self {
            Tier::Daily => 1,
            Tier::Weekly => 7,
            Tier::Monthly => 31,
            Tier::Yearly => 366,
        };
        unit * u64::from(count)
    }

    /// The days the tier's rule runs on (the schedule's own for daily).
    fn days(self, schedule: &Schedule) -> Days {
        let mut one = Bits::default();
        match self {
            Tier::Daily => return schedule.days,
            Tier::Weekly => one.insert(0),
            Tier::Monthly | Tier::Yearly => one.insert(1),
        }
        if self == Tier::Weekly {
            Days::Weekdays(one)
        } else {
            Days::Dates(one)
        }
    }

    /// Why the schedule cannot take this tier, if it cannot.
    fn gap(self, schedule: &Schedule) -> Option<&'static str> {
        let on_every_first = || match schedule.days {
            Days::Every => true,
            Days::Dates(dates) => dates.contains(1),
            _ => false,
        };
        match self {
            Tier::Daily => None,
            Tier::Weekly => match schedule.days {
                Days::Every => None,
                Days::Weekdays(weekdays) if weekdays.contains(0) => None,
                _ => Some("does not run on every Sunday"),
            },
            Tier::Monthly => {
                (!on_every_first()).then_some("does not run on every 1st of the month")
            }
            Tier::Yearly if !schedule.months.contains(1) => Some("does not run in January"),
            Tier::Yearly => (!on_every_first()).then_some("does not run on every 1st of January"),
        }
    }

    /// Which run of the schedule the tier keeps.
    fn run(self) -> &'static str {
        match self {
            Tier::Daily => "every run",
            Tier::Weekly => "the run on Sunday",
            Tier::Monthly => "the run on the 1st of the month",
            Tier::Yearly => "the run on 1 January",
        }
    }
}

/// The AWS `cron(...)` expression of a tier's rule, or why the schedule
/// cannot take that tier (it does not run on every one of its days).
pub fn expression(schedule: &Schedule, tier: Tier) -> Result<String, String> {
    if let Some(gap) = tier.gap(schedule) {
        return Err(format!(
            "the {} tier keeps {}, and the schedule {:?} {gap}",
            tier.name(),
            tier.run(),
            schedule.text
        ));
    }
    let mut months = schedule.months;
    if tier == Tier::Yearly {
        // January only (the gap check made sure the schedule runs then).
        months = Bits::default();
        months.insert(1);
    }
    let expression = schedule.aws_expression(tier.days(schedule), &months);
    Ok(expression)
}

/// How many recovery points each tier keeps (0: the tier is off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
    pub yearly: u32,
}

impl Retention {
    /// The count of one tier.
    pub fn count(&self, tier: Tier) -> u32 {
        match tier {
            Tier::Daily => self.daily,
            Tier::Weekly => self.weekly,
            Tier::Monthly => self.monthly,
            Tier::Yearly => self.yearly,
        }
    }
}

/// One rule of the backup plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub tier: Tier,
    /// AWS's `cron(...)`, in UTC.
    pub schedule_expression: String,
    /// The lifecycle: deleted this many days after the backup.
    pub delete_after_days: u64,
}

/// A tier the schedule cannot take, with the message for
/// `retention.<tier>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierError {
    pub tier: Tier,
    pub message: String,
}

/// The rules of the tiers with a positive count, shortest tier first.
pub fn rules(schedule: &Schedule, retention: &Retention) -> Result<Vec<Rule>, TierError> {
    let mut rules = Vec::new();
    for tier in Tier::ALL {
        let count = retention.count(tier);
        if count == 0 {
            continue;
        }
        let schedule_expression = expression(schedule, tier).map_err(|why| TierError {
            tier,
            message: format!(
                "retention.{name} is {count}, but {why}: run the schedule on that day too, or \
                 set retention.{name} = 0.",
                name = tier.name()
            ),
        })?;
        rules.push(Rule {
            tier,
            schedule_expression,
            delete_after_days: tier.lifecycle_days(count),
        });
    }
    Ok(rules)
}
