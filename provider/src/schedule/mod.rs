//! A backup schedule: when `swarm_backup_schedule` takes its backups, as
//! the user writes it, checked, and its run times.
//!
//! Two forms are accepted (a string that starts with `cron(` is AWS's):
//!
//! - a five-field cron in UTC, `minute hour day-of-month month
//!   day-of-week`, with `*`, numbers, ranges `a-b`, lists `a,b`, steps
//!   `*/n`, `a-b/n` and `a/n` (from `a` to the field's end), month names
//!   `JAN`..`DEC` and weekday names `SUN`..`SAT`; weekdays are 0 to 7,
//!   0 and 7 both Sunday;
//! - AWS's six-field `cron(minutes hours day-of-month month day-of-week
//!   year)`, as AWS Backup takes it (the EventBridge cron syntax): weekdays
//!   1 (Sunday) to 7, years 1970 to 2199, exactly one of the day fields `?`,
//!   no step in day-of-week, and AWS's day forms, each alone in its field:
//!   `L` (the last day of the month), `LW` (its last weekday), `nW` (the
//!   weekday nearest the nth, within the month) in day-of-month; `L`
//!   (Saturday, the last day of the week), `nL` (the month's last weekday
//!   n) and `n#k` (its kth weekday n, k 1 to 5) in day-of-week.
//!
//! A schedule is refused, with a message naming the field and why, when it
//! is not a valid expression, when it runs more than once a day (the minute
//! and the hour must be one value each: the tiers are "the run of the
//! day"), when a five-field cron restricts both day of month and day of
//! week (cron then runs on either, which AWS's cron cannot express: one of
//! its day fields must be `?`), and when it never runs (30 February): so
//! the run times are never an endless search.
//!
//! Run times ([`Schedule::runs_from`]) are found by field, not by minute:
//! year by year and month by month over the allowed ones, each month's
//! days tested once, at the schedule's one time of day. How the schedule
//! becomes AWS Backup's rules: [`tiers`].

pub mod tiers;

use std::fmt;

use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::schema::validators::Validator;
use tfplugin::value::Value;

use crate::calendar;

/// The last year a run time can be in: RFC 3339 has four-digit years.
const LAST_YEAR: i64 = 9999;

/// AWS's year field: 1970 to 2199.
const AWS_YEARS: (u16, u16) = (1970, 2199);

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// Why a schedule is refused: a sentence that follows the attribute and
/// its value (`schedule "0 25 * * *" has an invalid hour field ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError(String);

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScheduleError {}

/// A checked schedule: one time of day, the days, months and years it
/// runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// As written, for messages.
    text: String,
    minute: u32,
    hour: u32,
    days: Days,
    /// Months 1 to 12.
    months: Bits,
    /// Years (offset from 1970), or every year.
    years: Option<Bits>,
}

/// Which days of a month a schedule runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Days {
    Every,
    /// Days of the month, 1 to 31 (not all of them).
    Dates(Bits),
    /// The last day of the month (`L`).
    Last,
    /// The last Monday to Friday of the month (`LW`).
    LastWeekday,
    /// The Monday to Friday nearest this date, within the month (`nW`).
    NearestWeekday(u32),
    /// Weekdays, 0 (Sunday) to 6 (not all of them).
    Weekdays(Bits),
    /// The last of this weekday in the month (`nL`).
    LastOf(u32),
    /// The kth of this weekday in the month (`n#k`).
    Nth(u32, u32),
}

/// A set of small numbers: the values one cron field allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Bits([u64; 4]);

impl Bits {
    fn insert(&mut self, v: u32) {
        // Fields hold at most 0 to 229 (years are offsets from 1970).
        if v < 256 {
            self.0[(v / 64) as usize] |= 1 << (v % 64);
        }
    }

    fn contains(&self, v: u32) -> bool {
        v < 256 && self.0[(v / 64) as usize] & (1 << (v % 64)) != 0
    }

    fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..256).filter(|v| self.contains(*v))
    }

    /// Whether it holds every value from `min` to `max`.
    fn is_full(&self, min: u32, max: u32) -> bool {
        (min..=max).all(|v| self.contains(v))
    }
}

/// One cron field: its name in messages, its range and its names.
struct Field {
    name: &'static str,
    /// Its values in a sentence: "hours are 0 to 23".
    plural: &'static str,
    min: u32,
    max: u32,
    /// Names of the values from `min` on (months, weekdays).
    names: &'static [&'static str],
    /// Whether `/` is allowed (not in AWS's day-of-week).
    steps: bool,
    /// What the field's sets hold is the value less this (years are
    /// kept as offsets from 1970).
    base: u32,
}

const MINUTE: Field = Field {
    name: "minute",
    plural: "minutes",
    min: 0,
    max: 59,
    names: &[],
    steps: true,
    base: 0,
};
const HOUR: Field = Field {
    name: "hour",
    plural: "hours",
    min: 0,
    max: 23,
    names: &[],
    steps: true,
    base: 0,
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    plural: "days of the month",
    min: 1,
    max: 31,
    names: &[],
    steps: true,
    base: 0,
};
const MONTH: Field = Field {
    name: "month",
    plural: "months",
    min: 1,
    max: 12,
    names: &MONTHS,
    steps: true,
    base: 0,
};
/// Five-field cron's weekdays: 0 to 7, both ends Sunday.
const WEEKDAY: Field = Field {
    name: "day-of-week",
    plural: "days of the week",
    min: 0,
    max: 7,
    names: &WEEKDAYS,
    steps: true,
    base: 0,
};
/// AWS's weekdays: 1 (Sunday) to 7.
const AWS_WEEKDAY: Field = Field {
    name: "day-of-week",
    plural: "days of the week",
    min: 1,
    max: 7,
    names: &WEEKDAYS,
    steps: false,
    base: 0,
};
const YEAR: Field = Field {
    name: "year",
    plural: "years",
    min: AWS_YEARS.0 as u32,
    max: AWS_YEARS.1 as u32,
    names: &[],
    steps: true,
    base: AWS_YEARS.0 as u32,
};

impl Field {
    fn error(&self, text: &str, why: impl fmt::Display) -> ScheduleError {
        ScheduleError(format!(
            "has an invalid {} field {text:?}: {why}.",
            self.name
        ))
    }

    /// One value: a number or a name.
    fn value(&self, text: &str, item: &str) -> Result<u32, ScheduleError> {
        if let Some(i) = self.names.iter().position(|n| n.eq_ignore_ascii_case(item)) {
            return Ok(self.min + i as u32);
        }
        let n: u32 = match item.parse() {
            Ok(n) if item.bytes().all(|b| b.is_ascii_digit()) => n,
            _ if item.is_empty() => return Err(self.error(text, "a value is missing")),
            _ => {
                let names = match self.names.first() {
                    Some(first) => format!(
                        " or names ({first} to {})",
                        self.names.last().unwrap_or(first)
                    ),
                    None => String::new(),
                };
                return Err(self.error(
                    text,
                    format!(
                        "{item:?} is not a value: {} are numbers ({} to {}){names}",
                        self.plural, self.min, self.max
                    ),
                ));
            }
        };
        if n < self.min || n > self.max {
            return Err(self.error(
                text,
                format!(
                    "{n} is out of range ({} are {} to {})",
                    self.plural, self.min, self.max
                ),
            ));
        }
        Ok(n)
    }

    /// The values of a field of `*`, values, ranges, steps and lists.
    fn set(&self, text: &str) -> Result<Bits, ScheduleError> {
        let mut bits = Bits::default();
        for item in text.split(',') {
            if item.is_empty() {
                return Err(self.error(text, "a list item is empty"));
            }
            let (range, step) = match item.split_once('/') {
                Some(_) if !self.steps => {
                    return Err(self.error(text, "AWS's cron allows no step (/) here"));
                }
                Some((range, step)) => {
                    let step = match step.parse::<u32>() {
                        Ok(n) if n >= 1 && step.bytes().all(|b| b.is_ascii_digit()) => n,
                        _ => {
                            return Err(self.error(
                                text,
                                format!("the step {step:?} is not a whole number from 1"),
                            ));
                        }
                    };
                    (range, Some(step))
                }
                None => (item, None),
            };
            let (from, to) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (a, mut b) = (self.value(text, a)?, self.value(text, b)?);
                if self.max == 7 && self.min == 0 && b == 0 && a > 0 {
                    // Five-field weekdays: a range ending on Sunday
                    // (`FRI-SUN`, `5-0`) ends on its 7.
                    b = 7;
                }
                if a > b {
                    return Err(self.error(
                        text,
                        format!("the range {range} runs backwards (write it as two ranges)"),
                    ));
                }
                (a, b)
            } else {
                let a = self.value(text, range)?;
                // `a/n` runs from a to the field's end.
                (a, if step.is_some() { self.max } else { a })
            };
            let step = step.unwrap_or(1) as usize;
            for v in (from..=to).step_by(step) {
                bits.insert(v - self.base);
            }
        }
        Ok(bits)
    }
}

impl Schedule {
    /// Parses and checks a schedule.
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let trimmed = text.trim();
        let aws = match trimmed.strip_prefix("cron(") {
            Some(rest) => match rest.strip_suffix(')') {
                Some(inner) => Some(inner),
                None => {
                    return Err(ScheduleError(
                        "starts with cron( but does not end with ): AWS's form is \
                         cron(minutes hours day-of-month month day-of-week year)."
                            .into(),
                    ));
                }
            },
            None if trimmed.starts_with("rate(") => {
                return Err(ScheduleError(
                    "is a rate expression: the tiers need a time of day, so write a cron, \
                     e.g. \"0 2 * * *\" (every day at 02:00 UTC)."
                        .into(),
                ));
            }
            None => None,
        };
        let fields: Vec<&str> = aws.unwrap_or(trimmed).split_whitespace().collect();
        let schedule = match (aws, fields.as_slice()) {
            (None, &[minute, hour, dom, month, dow]) => {
                Self::five_field(trimmed, [minute, hour, dom, month, dow])?
            }
            (Some(_), &[minute, hour, dom, month, dow, year]) => {
                Self::aws_form(trimmed, [minute, hour, dom, month, dow, year])?
            }
            (None, _) => {
                return Err(ScheduleError(format!(
                    "has {} fields: a schedule is a five-field cron in UTC, \"minute hour \
                     day-of-month month day-of-week\" (e.g. \"0 2 * * *\"), or AWS's six-field \
                     cron(minutes hours day-of-month month day-of-week year).",
                    fields.len()
                )));
            }
            (Some(_), _) => {
                return Err(ScheduleError(format!(
                    "has {} fields inside cron(...): AWS's form has six, cron(minutes hours \
                     day-of-month month day-of-week year), e.g. cron(0 2 * * ? *).",
                    fields.len()
                )));
            }
        };
        if !schedule.ever_runs() {
            return Err(ScheduleError(
                "never runs: no date has the day it asks for in the months (and years) it \
                 allows, e.g. 30 February."
                    .into(),
            ));
        }
        Ok(schedule)
    }

    /// `minute hour day-of-month month day-of-week`.
    fn five_field(text: &str, fields: [&str; 5]) -> Result<Schedule, ScheduleError> {
        let [minute, hour, dom, month, dow] = fields;
        for (field, value) in [
            (&MINUTE, minute),
            (&HOUR, hour),
            (&DAY_OF_MONTH, dom),
            (&MONTH, month),
            (&WEEKDAY, dow),
        ] {
            if value.contains(['?', 'L', 'W', '#']) && !is_name_field(field, value) {
                return Err(field.error(
                    value,
                    "?, L, W and # are AWS's cron syntax: write the whole schedule in AWS's \
                     form, cron(minutes hours day-of-month month day-of-week year)",
                ));
            }
        }
        let (minutes, hours) = (MINUTE.set(minute)?, HOUR.set(hour)?);
        let dates = DAY_OF_MONTH.set(dom)?;
        let months = MONTH.set(month)?;
        let mut weekdays = Bits::default();
        for v in WEEKDAY.set(dow)?.iter() {
            weekdays.insert(v % 7);
        }
        let days = match (dom == "*", dow == "*") {
            (true, true) => Days::Every,
            (true, false) => Days::weekdays(weekdays),
            (false, true) => Days::dates(dates),
            (false, false) => {
                return Err(ScheduleError(format!(
                    "sets both the day of month ({dom:?}) and the day of week ({dow:?}): cron \
                     runs such a schedule on either day, which AWS's cron cannot express. \
                     Restrict one and write * in the other, e.g. \"{minute} {hour} {dom} \
                     {month} *\" or \"{minute} {hour} * {month} {dow}\"."
                )));
            }
        };
        Self::once_a_day(text, minute, hour, minutes, hours, days, months, None)
    }

    /// `minutes hours day-of-month month day-of-week year`.
    fn aws_form(text: &str, fields: [&str; 6]) -> Result<Schedule, ScheduleError> {
        let [minute, hour, dom, month, dow, year] = fields;
        let (minutes, hours) = (MINUTE.set(minute)?, HOUR.set(hour)?);
        let days = match (dom, dow) {
            ("?", "?") => {
                return Err(ScheduleError(
                    "has ? in both day fields: AWS's cron needs exactly one of day-of-month and \
                     day-of-week to be ?, e.g. cron(0 2 * * ? *)."
                        .into(),
                ));
            }
            (_, "?") => aws_dates(dom)?,
            ("?", _) => aws_weekdays(dow)?,
            _ => {
                return Err(ScheduleError(format!(
                    "sets both day-of-month ({dom:?}) and day-of-week ({dow:?}): AWS's cron \
                     needs one of them to be ?, e.g. cron({minute} {hour} {dom} {month} ? \
                     {year}) or cron({minute} {hour} ? {month} {dow} {year})."
                )));
            }
        };
        let months = MONTH.set(month)?;
        let years = if year == "*" {
            None
        } else {
            Some(YEAR.set(year)?)
        };
        Self::once_a_day(text, minute, hour, minutes, hours, days, months, years)
    }

    #[allow(clippy::too_many_arguments)]
    fn once_a_day(
        text: &str,
        minute: &str,
        hour: &str,
        minutes: Bits,
        hours: Bits,
        days: Days,
        months: Bits,
        years: Option<Bits>,
    ) -> Result<Schedule, ScheduleError> {
        let per_day = minutes.len() * hours.len();
        let (Some(m), Some(h), 1) = (minutes.iter().next(), hours.iter().next(), per_day) else {
            return Err(ScheduleError(format!(
                "runs {per_day} times a day (minute {minute:?}, hour {hour:?}): a backup \
                 schedule runs at most once a day, so give the minute and the hour one value \
                 each, e.g. \"0 2 * * *\" (02:00 UTC)."
            )));
        };
        Ok(Schedule {
            text: text.to_owned(),
            minute: m,
            hour: h,
            days,
            months,
            years,
        })
    }

    /// Whether any date matches: over the allowed years, or, for every
    /// year, over a whole 400-year cycle of the calendar (after which
    /// dates and weekdays repeat).
    fn ever_runs(&self) -> bool {
        let years: Vec<i64> = match &self.years {
            Some(offsets) => offsets.iter().map(|o| i64::from(o + YEAR.min)).collect(),
            None => (2000..2400).collect(),
        };
        years.into_iter().any(|year| {
            self.months
                .iter()
                .any(|month| self.days_of(year, month).next().is_some())
        })
    }

    /// The schedule's days in a month, in order.
    fn days_of(&self, year: i64, month: u32) -> impl Iterator<Item = u32> + '_ {
        let length = calendar::days_in_month(year, month);
        let first = calendar::days_from_civil(year, month, 1);
        (1..=length).filter(move |&day| {
            let weekday = calendar::weekday(first + i64::from(day) - 1);
            self.days
                .matches(day, weekday, length, calendar::weekday(first))
        })
    }

    fn runs_in_year(&self, year: i64) -> bool {
        match &self.years {
            None => true,
            Some(offsets) => {
                (i64::from(YEAR.min)..=i64::from(YEAR.max)).contains(&year)
                    && offsets.contains((year - i64::from(YEAR.min)) as u32)
            }
        }
    }

    /// The last year the schedule may run in.
    fn last_year(&self) -> i64 {
        match &self.years {
            None => LAST_YEAR,
            Some(offsets) => offsets.iter().last().map_or(0, |o| i64::from(o + YEAR.min)),
        }
    }

    /// The first `count` run times at or after `from` (Unix seconds, UTC),
    /// earliest first, as Unix seconds. Fewer when the schedule ends first
    /// (its year field) or a run would fall after 9999-12-31.
    pub fn runs_from(&self, from: i64, count: usize) -> Vec<i64> {
        let mut runs = Vec::with_capacity(count.min(1000));
        if count == 0 {
            return runs;
        }
        // The first whole minute at or after `from`.
        let minute = from.div_euclid(60) + i64::from(from.rem_euclid(60) != 0);
        let time_of_day = i64::from(self.hour * 60 + self.minute);
        let mut first_day = minute.div_euclid(1440);
        if minute.rem_euclid(1440) > time_of_day {
            first_day += 1;
        }
        let (start_year, start_month, start_day) = calendar::civil_from_days(first_day);
        for year in start_year..=self.last_year() {
            if !self.runs_in_year(year) {
                continue;
            }
            for month in self.months.iter() {
                if year == start_year && month < start_month {
                    continue;
                }
                let from_day = if (year, month) == (start_year, start_month) {
                    start_day
                } else {
                    1
                };
                for day in self.days_of(year, month).filter(|d| *d >= from_day) {
                    let days = calendar::days_from_civil(year, month, day);
                    runs.push(days * 86_400 + time_of_day * 60);
                    if runs.len() == count {
                        return runs;
                    }
                }
            }
        }
        runs
    }

    /// The schedule in AWS's form, `cron(m h dom month dow year)`, on
    /// these days and months (the years are the schedule's own).
    fn aws_expression(&self, days: Days, months: &Bits) -> String {
        let (dom, dow) = match days {
            Days::Every => ("*".to_owned(), "?".to_owned()),
            Days::Dates(dates) => (render(&dates, 1, 31, &[]), "?".to_owned()),
            Days::Last => ("L".to_owned(), "?".to_owned()),
            Days::LastWeekday => ("LW".to_owned(), "?".to_owned()),
            Days::NearestWeekday(n) => (format!("{n}W"), "?".to_owned()),
            Days::Weekdays(weekdays) => ("?".to_owned(), render(&weekdays, 0, 6, &WEEKDAYS)),
            Days::LastOf(weekday) => ("?".to_owned(), format!("{}L", weekday + 1)),
            Days::Nth(weekday, k) => ("?".to_owned(), format!("{}#{k}", weekday + 1)),
        };
        let years = match &self.years {
            None => "*".to_owned(),
            Some(offsets) => render_years(offsets),
        };
        format!(
            "cron({} {} {dom} {} {dow} {years})",
            self.minute,
            self.hour,
            render(months, 1, 12, &MONTHS)
        )
    }
}

/// Whether a five-field value with `L`, `W` or `#` is a name that has
/// them (JUL, WED), not AWS's day syntax.
fn is_name_field(field: &Field, value: &str) -> bool {
    !field.names.is_empty()
        && !value.contains(['?', '#'])
        && value.split([',', '-', '/']).all(|part| {
            part.bytes().all(|b| b.is_ascii_digit()) || field.value(value, part).is_ok()
        })
}

/// AWS's day-of-month field (day-of-week is `?`).
fn aws_dates(dom: &str) -> Result<Days, ScheduleError> {
    let alone = |what: &str| {
        DAY_OF_MONTH.error(
            dom,
            format!("{what} stands alone in its field (no lists, ranges or steps with it)"),
        )
    };
    if dom.contains(['L', 'W', 'l', 'w']) {
        if dom.contains([',', '-', '/']) {
            return Err(alone("L or W"));
        }
        let upper = dom.to_ascii_uppercase();
        return match upper.as_str() {
            "L" => Ok(Days::Last),
            "LW" => Ok(Days::LastWeekday),
            _ => match upper.strip_suffix('W') {
                Some(n) => Ok(Days::NearestWeekday(DAY_OF_MONTH.value(dom, n)?)),
                None => Err(DAY_OF_MONTH.error(
                    dom,
                    "AWS's day-of-month takes L (the last day), LW (the last weekday) or nW \
                     (the weekday nearest the nth)",
                )),
            },
        };
    }
    if dom.contains('#') {
        return Err(DAY_OF_MONTH.error(dom, "# belongs in day-of-week"));
    }
    Ok(Days::dates(DAY_OF_MONTH.set(dom)?))
}

/// AWS's day-of-week field (day-of-month is `?`).
fn aws_weekdays(dow: &str) -> Result<Days, ScheduleError> {
    let upper = dow.to_ascii_uppercase();
    if upper.contains('#') || upper.ends_with('L') {
        if dow.contains([',', '-', '/']) {
            return Err(AWS_WEEKDAY.error(
                dow,
                "L and # stand alone in their field (no lists, ranges or steps with them)",
            ));
        }
        if upper == "L" {
            // AWS: L alone in day-of-week is the last day of the week.
            let mut saturday = Bits::default();
            saturday.insert(6);
            return Ok(Days::Weekdays(saturday));
        }
        if let Some((weekday, k)) = upper.split_once('#') {
            let weekday = AWS_WEEKDAY.value(dow, weekday)? - 1;
            return match k.as_bytes() {
                [b @ b'1'..=b'5'] => Ok(Days::Nth(weekday, u32::from(b - b'0'))),
                _ => Err(AWS_WEEKDAY.error(
                    dow,
                    format!("in n#k, k is which of the month's weekdays n, 1 to 5, not {k:?}"),
                )),
            };
        }
        let weekday = upper.strip_suffix('L').unwrap_or(&upper);
        return Ok(Days::LastOf(AWS_WEEKDAY.value(dow, weekday)? - 1));
    }
    if dow.contains(['W', 'w']) && !is_name_field(&AWS_WEEKDAY, dow) {
        return Err(AWS_WEEKDAY.error(dow, "W belongs in day-of-month"));
    }
    let mut weekdays = Bits::default();
    for v in AWS_WEEKDAY.set(dow)?.iter() {
        weekdays.insert(v - 1);
    }
    Ok(Days::weekdays(weekdays))
}

impl Days {
    /// Dates, or every day when they are all the dates (so that the tiers
    /// see `1-31` as every day).
    fn dates(dates: Bits) -> Days {
        if dates.is_full(1, 31) {
            Days::Every
        } else {
            Days::Dates(dates)
        }
    }

    /// Weekdays (0 for Sunday), or every day when they are all seven.
    fn weekdays(weekdays: Bits) -> Days {
        if weekdays.is_full(0, 6) {
            Days::Every
        } else {
            Days::Weekdays(weekdays)
        }
    }

    /// Whether `day` (of a month of `length` days whose 1st is on
    /// `first_weekday`; `weekday` the day's own, 0 for Sunday) is a run day.
    fn matches(&self, day: u32, weekday: u32, length: u32, first_weekday: u32) -> bool {
        match *self {
            Days::Every => true,
            Days::Dates(dates) => dates.contains(day),
            Days::Last => day == length,
            Days::LastWeekday => {
                let last = (first_weekday + length - 1) % 7;
                let back = match last {
                    6 => 1,
                    0 => 2,
                    _ => 0,
                };
                day == length - back
            }
            Days::NearestWeekday(n) => {
                if n > length {
                    // No such date this month: no run (as Quartz, whose
                    // syntax AWS's is).
                    return false;
                }
                let target = match (first_weekday + n - 1) % 7 {
                    // Saturday: the Friday before, or the Monday after
                    // when the 1st is a Saturday.
                    6 if n > 1 => n - 1,
                    6 => n + 2,
                    // Sunday: the Monday after, or the Friday before when
                    // it is the month's last day.
                    0 if n < length => n + 1,
                    0 => n - 2,
                    _ => n,
                };
                day == target
            }
            Days::Weekdays(weekdays) => weekdays.contains(weekday),
            Days::LastOf(w) => weekday == w && day + 7 > length,
            Days::Nth(w, k) => weekday == w && (day - 1) / 7 + 1 == k,
        }
    }
}

/// A set as AWS's cron writes it: `*`, or a list of values and ranges
/// (of three or more), with names where the field has them.
fn render(bits: &Bits, min: u32, max: u32, names: &[&str]) -> String {
    render_with(bits, bits.is_full(min, max), |v| {
        names
            .get((v - min) as usize)
            .map_or_else(|| v.to_string(), |n| (*n).to_owned())
    })
}

/// Years (offsets from 1970) as AWS's cron writes them.
fn render_years(offsets: &Bits) -> String {
    render_with(offsets, offsets.is_full(0, YEAR.max - YEAR.min), |o| {
        (o + YEAR.min).to_string()
    })
}

fn render_with(bits: &Bits, full: bool, name: impl Fn(u32) -> String) -> String {
    if full {
        return "*".to_owned();
    }
    runs_of(bits)
        .into_iter()
        .map(|(a, b)| match b - a {
            0 => name(a),
            1 => format!("{},{}", name(a), name(b)),
            _ => format!("{}-{}", name(a), name(b)),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The runs of consecutive values of a set, as `(first, last)`.
fn runs_of(bits: &Bits) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for v in bits.iter() {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == v => *last = v,
            _ => runs.push((v, v)),
        }
    }
    runs
}

/// A Unix time (whole minutes) as RFC 3339 in UTC: `2026-11-29T02:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    let (year, month, day) = calendar::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// An RFC 3339 timestamp (any offset) as Unix seconds, a fraction of a
/// second rounded up (so that a run is never listed before it).
pub fn parse_instant(text: &str) -> Result<i64, String> {
    use aws_sdk_rds::primitives::{DateTime, DateTimeFormat};
    let instant = DateTime::from_str(text, DateTimeFormat::DateTimeWithOffset)
        .map_err(|e| format!("{text:?} is not one ({e})"))?;
    Ok(instant.secs() + i64::from(instant.subsec_nanos() > 0))
}

/// What `schedule` attributes check, at validate.
pub fn validator() -> ScheduleCheck {
    ScheduleCheck
}

/// The validator returned by [`validator`].
pub struct ScheduleCheck;

impl Validator for ScheduleCheck {
    fn description(&self) -> String {
        "a five-field cron in UTC (`minute hour day-of-month month day-of-week`) or AWS's \
         `cron(minutes hours day-of-month month day-of-week year)`, running at most once a day"
            .to_owned()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if let Err(why) = Schedule::parse(text) {
            diags.attribute_error(
                path.clone(),
                "Invalid schedule",
                format!("{path} {text:?} {why}"),
            );
        }
    }
}

#[cfg(test)]
mod agrees_with_croner;
#[cfg(test)]
mod tests;
