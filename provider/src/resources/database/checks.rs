//! Checks of configured values that need no AWS call: the rules RDS
//! applies to names, windows, versions and passwords, so that a bad value
//! is reported by `terraform validate` on its line instead of by RDS half
//! way through an apply.

use serde::Deserialize;
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::value::{self, MaybeUnknown, Value};

use super::state::DEFAULT_ALLOCATED_STORAGE;

use crate::checks::{self, MINUTES_PER_DAY};
use crate::resources::planned::Maybe;
use crate::tags::{Reserved, Service, Tagging};

const MINUTES_PER_WEEK: u32 = 7 * MINUTES_PER_DAY;
/// RDS's shortest backup and maintenance window.
const MIN_WINDOW: u32 = 30;
/// Replicas are named `<name>-replica-<n>` and RDS identifiers have at
/// most 63 characters.
pub const MAX_NAME: usize = 63 - "-replica-5".len();
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The attributes checked against each other, as configured (a value
/// from another resource is unknown until apply, and checked then by AWS).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Configured {
    allocated_storage: Maybe<i64>,
    max_allocated_storage: Maybe<i64>,
    read_replicas: Maybe<i64>,
    backup_retention_days: Maybe<i64>,
    master_password_wo: Maybe<String>,
    master_password_wo_version: Maybe<i64>,
    backup_window: Maybe<String>,
    maintenance_window: Maybe<String>,
}

/// Checks across attributes, at validate (each attribute's own checks are
/// its validators in the schema).
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let at = AttributePath::attr;
    let config: Configured = match value::from_value(config) {
        Ok(config) => config,
        Err(e) => return diags.error("Unreadable swarm_database configuration", e.to_string()),
    };
    let known = |v: &Maybe<i64>| v.known().copied().flatten();
    let allocated = match config.allocated_storage {
        MaybeUnknown::Known(None) => Some(DEFAULT_ALLOCATED_STORAGE),
        ref v => known(v),
    };
    if let (Some(max), Some(allocated)) = (known(&config.max_allocated_storage), allocated)
        && max < allocated
    {
        diags.attribute_error(
            at("max_allocated_storage"),
            "Invalid value",
            format!(
                "max_allocated_storage ({max}) must be at least allocated_storage ({allocated})."
            ),
        );
    }
    if let (Some(replicas), Some(0)) = (
        known(&config.read_replicas),
        known(&config.backup_retention_days),
    ) && replicas > 0
    {
        diags.attribute_error(
            at("backup_retention_days"),
            "Backups needed for replicas",
            "backup_retention_days must be at least 1 when read_replicas is set: RDS builds \
             replicas from the primary's backups.",
        );
    }
    // Unknown counts as given: it will be a value at apply.
    let password_given = !matches!(config.master_password_wo, MaybeUnknown::Known(None));
    let version_given = !matches!(config.master_password_wo_version, MaybeUnknown::Known(None));
    if password_given && !version_given {
        diags.attribute_error(
            at("master_password_wo_version"),
            "Missing master_password_wo_version",
            "Set master_password_wo_version with master_password_wo, and change it to apply \
             a new password: write-only values are not stored, so a changed password is not \
             seen otherwise.",
        );
    }
    if version_given && !password_given {
        diags.attribute_error(
            at("master_password_wo"),
            "Missing master_password_wo",
            "master_password_wo_version is set without master_password_wo.",
        );
    }
    if let (MaybeUnknown::Known(Some(backup)), MaybeUnknown::Known(Some(maintenance))) =
        (&config.backup_window, &config.maintenance_window)
        && let (Ok(b), Ok(m)) = (
            parse_backup_window(backup),
            parse_maintenance_window(maintenance),
        )
        && windows_overlap(b, m)
    {
        diags.attribute_error(
            at("maintenance_window"),
            "Windows overlap",
            format!(
                "maintenance_window {maintenance:?} overlaps the daily backup_window \
                 {backup:?}; RDS requires them not to overlap (they may meet: one may \
                 start when the other ends)."
            ),
        );
    }
}

/// Names of the database: RDS identifier rules (lower case, as RDS stores
/// them), short enough for the replicas' `-replica-<n>` suffix.
pub fn name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not 1 to {MAX_NAME} lower-case letters, digits and hyphens starting \
             with a letter (no trailing or double hyphen)"
        ))
    }
}

/// Words PostgreSQL or RDS keep for themselves.
const RESERVED_USERNAMES: [&str; 24] = [
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "as",
    "asc",
    "current_user",
    "default",
    "desc",
    "from",
    "grant",
    "group",
    "none",
    "null",
    "public",
    "rdsadmin",
    "rdsrepladmin",
    "select",
    "session_user",
    "table",
    "to",
    "user",
    "where",
];

/// The master user's name: 1 to 63 letters, digits or underscores,
/// starting with a letter; not a reserved word or role prefix.
pub fn username(user: &str) -> Result<(), String> {
    let well_formed = !user.is_empty()
        && user.len() <= 63
        && user.starts_with(|c: char| c.is_ascii_alphabetic())
        && user.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err(format!(
            "{user:?} is not 1 to 63 letters, digits or underscores starting with a letter"
        ));
    }
    let lower = user.to_ascii_lowercase();
    if RESERVED_USERNAMES.contains(&lower.as_str()) {
        return Err(format!("{user:?} is reserved by PostgreSQL or RDS"));
    }
    if lower.starts_with("pg_") || lower.starts_with("rds_") {
        return Err(format!(
            "{user:?} starts with pg_ or rds_, which PostgreSQL and RDS reserve for their roles"
        ));
    }
    Ok(())
}

/// A master password RDS accepts: 8 to 128 printable ASCII characters
/// other than `/`, `"`, `@` and space.
pub fn password(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if !(8..=128).contains(&len) {
        // The value itself is secret: only its length is shown.
        return Err(format!("it has {len} characters"));
    }
    match password
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '/' | '"' | '@'))
    {
        Some(c) if c.is_ascii_graphic() => Err(format!("it contains {c:?}")),
        Some(_) => Err("it contains a space or a character that is not printable ASCII".into()),
        None => Ok(()),
    }
}

/// `15`, `15.7` or `16.4`: a PostgreSQL major version, with the minor
/// one optionally.
pub fn engine_version(version: &str) -> Result<(), String> {
    parse_version(version).map(|_| ())
}

/// (major, minor) of an engine version; the minor is `None` when only
/// the major is given.
pub fn parse_version(version: &str) -> Result<(u32, Option<u32>), String> {
    let invalid = || format!("{version:?} is not a version such as 16 or 16.4");
    let (major, minor) = match version.split_once('.') {
        Some((major, minor)) => (major, Some(minor)),
        None => (version, None),
    };
    let number = |s: &str| -> Result<u32, String> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        s.parse().map_err(|_| invalid())
    };
    let major = number(major)?;
    if !(9..=99).contains(&major) {
        return Err(invalid());
    }
    Ok((major, minor.map(number).transpose()?))
}

/// Whether the running `actual` version is what `wanted` asks for:
/// equal, or `wanted` is its major version (`15` for `15.7`).
pub fn version_matches(wanted: &str, actual: &str) -> bool {
    actual == wanted
        || actual
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// `db.t3.medium`, `db.r6g.2xlarge`: an RDS instance class.
pub fn instance_class(class: &str) -> Result<(), String> {
    checks::instance_class(class, Some("db"), "db.t3.medium")
}

pub fn subnet_id(id: &str) -> Result<(), String> {
    checks::aws_id(id, "subnet-")
}

pub fn security_group_id(id: &str) -> Result<(), String> {
    checks::aws_id(id, "sg-")
}

/// A daily window `hh:mm-hh:mm` (UTC) as (start, length) in minutes; it
/// may run past midnight.
pub fn parse_backup_window(text: &str) -> Result<(u32, u32), String> {
    checks::daily_window(text, MIN_WINDOW)
}

fn weekly(text: &str) -> Option<u32> {
    let (day, time) = text.split_once(':')?;
    let day = DAYS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(day))
        .and_then(|d| u32::try_from(d).ok())?;
    Some(day * MINUTES_PER_DAY + checks::clock(time)?)
}

/// A weekly window `ddd:hh:mm-ddd:hh:mm` (UTC) as (start, length) in
/// minutes of the week; it may run past Sunday night.
pub fn parse_maintenance_window(text: &str) -> Result<(u32, u32), String> {
    let invalid = || {
        format!(
            "{text:?} is not a weekly window such as sun:05:00-sun:06:00 (UTC; days mon to sun)"
        )
    };
    let (start, end) = text.split_once('-').ok_or_else(invalid)?;
    let (start, end) = (
        weekly(start).ok_or_else(invalid)?,
        weekly(end).ok_or_else(invalid)?,
    );
    let length = (end + MINUTES_PER_WEEK - start) % MINUTES_PER_WEEK;
    if length < MIN_WINDOW {
        return Err(format!("{text:?} is shorter than {MIN_WINDOW} minutes"));
    }
    if length > MINUTES_PER_DAY {
        return Err(format!("{text:?} is longer than 24 hours"));
    }
    Ok((start, length))
}

pub fn backup_window(text: &str) -> Result<(), String> {
    parse_backup_window(text).map(|_| ())
}

pub fn maintenance_window(text: &str) -> Result<(), String> {
    parse_maintenance_window(text).map(|_| ())
}

/// Whether the daily backup window and the weekly maintenance window
/// overlap on any day. Windows that only meet (one ends when the other
/// starts) do not: RDS takes them (terraform-aws-modules/rds's own example
/// has maintenance `Mon:00:00-Mon:03:00` with backup `03:00-06:00`).
pub fn windows_overlap(backup: (u32, u32), maintenance: (u32, u32)) -> bool {
    let week = i64::from(MINUTES_PER_WEEK);
    let (m_start, m_len) = (i64::from(maintenance.0), i64::from(maintenance.1));
    (0..7).any(|day| {
        let b_start = day * i64::from(MINUTES_PER_DAY) + i64::from(backup.0);
        let b_end = b_start + i64::from(backup.1);
        // Either window may run past the end of the week: compare with
        // the maintenance window of the weeks before and after too.
        [-week, 0, week].iter().any(|shift| {
            let (start, end) = (m_start + shift, m_start + shift + m_len);
            b_start < end && start < b_end
        })
    })
}

/// How the database tags its objects: it names them, and each carries
/// five tags of the provider's (`Name`, `swarm:managed-by`,
/// `swarm:database`, `swarm:owner`, `swarm:role`).
pub const TAGGING: Tagging = Tagging {
    reserved: Reserved::NAMED,
    service: Service::Rds,
    own_tags: 5,
};

#[cfg(test)]
mod tests {

    /// `TAGGING.own_tags` is what the provider puts on each object.
    #[tokio::test]
    async fn own_tags_are_those_of_each_object() {
        let client = crate::tags::test_client().await;
        let mut tags = crate::tags::object_tags(
            &client,
            &std::collections::BTreeMap::new(),
            super::super::cloud::KIND,
            "agents",
            "primary",
            "agents",
        );
        let marker = crate::ownership::Marker::from_stored("m");
        crate::ownership::mark(&mut tags, Some(&marker));
        assert_eq!(tags.len(), TAGGING.own_tags, "{tags:?}");
    }

    use super::*;

    #[test]
    fn names() {
        assert!(name("agents").is_ok());
        assert!(name("a1-b2").is_ok());
        assert!(name(&"a".repeat(MAX_NAME)).is_ok());
        for bad in [
            "",
            "1abc",
            "Agents",
            "a_b",
            "a-",
            "a--b",
            &"a".repeat(MAX_NAME + 1),
        ] {
            assert!(name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames() {
        assert!(username("swarm").is_ok());
        assert!(username("app_user1").is_ok());
        for bad in ["", "1x", "a-b", "user", "rdsadmin", "pg_monitor", "RDS_x"] {
            assert!(username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(password("correct-horse-9").is_ok());
        for bad in ["short", "has space ok", "with/slash", "q\"uote", "at@sign1"] {
            assert!(password(bad).is_err(), "{bad}");
        }
        assert!(!password("no/slash!").unwrap_err().contains("no/slash"));
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("16"), Ok((16, None)));
        assert_eq!(parse_version("15.7"), Ok((15, Some(7))));
        for bad in ["", "x", "15.", ".7", "15.7.1", "3", "15a"] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
        assert!(version_matches("15", "15.7"));
        assert!(version_matches("15.7", "15.7"));
        assert!(!version_matches("15", "150.1"));
        assert!(!version_matches("15.7", "15.8"));
    }

    #[test]
    fn instance_classes() {
        assert!(instance_class("db.t3.micro").is_ok());
        assert!(instance_class("db.r6g.2xlarge").is_ok());
        for bad in [
            "t3.micro",
            "db.t3",
            "db..micro",
            "db.T3.micro",
            "db.3t.micro",
        ] {
            assert!(instance_class(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids() {
        assert!(subnet_id("subnet-0123abcd").is_ok());
        assert!(security_group_id("sg-0123456789abcdef0").is_ok());
        assert!(subnet_id("sg-0123abcd").is_err());
        assert!(security_group_id("sg-xyz").is_err());
    }

    #[test]
    fn windows() {
        assert_eq!(parse_backup_window("03:00-04:00"), Ok((180, 60)));
        assert_eq!(parse_backup_window("23:45-00:15"), Ok((1425, 30)));
        for bad in [
            "3:00-4:00",
            "03:00-03:20",
            "24:00-01:00",
            "03:60-05:00",
            "03:00",
        ] {
            assert!(parse_backup_window(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_maintenance_window("Mon:00:00-Mon:03:00"),
            Ok((0, 180))
        );
        assert_eq!(
            parse_maintenance_window("sun:23:45-mon:00:15"),
            Ok((6 * 1440 + 1425, 30))
        );
        for bad in [
            "mon:00:00-mon:00:10",
            "mon:00:00-wed:00:00",
            "xyz:00:00-mon:01:00",
            "mon:00:00",
        ] {
            assert!(parse_maintenance_window(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overlapping_windows() {
        let b = |s| parse_backup_window(s).unwrap();
        let m = |s| parse_maintenance_window(s).unwrap();
        assert!(windows_overlap(b("03:00-04:00"), m("wed:03:30-wed:04:30")));
        // Windows that meet do not overlap, on either side, as RDS takes them.
        assert!(!windows_overlap(b("03:00-06:00"), m("Mon:00:00-Mon:03:00")));
        assert!(!windows_overlap(b("03:00-04:00"), m("tue:04:00-tue:05:00")));
        assert!(windows_overlap(b("03:00-04:01"), m("tue:04:00-tue:05:00")));
        assert!(windows_overlap(b("02:59-06:00"), m("mon:00:00-mon:03:00")));
        assert!(!windows_overlap(b("03:00-04:00"), m("mon:04:30-mon:05:30")));
        // Across midnight and across the end of the week.
        assert!(windows_overlap(b("23:30-00:30"), m("tue:00:00-tue:01:00")));
        assert!(windows_overlap(b("00:00-00:30"), m("sun:23:00-mon:00:15")));
        assert!(!windows_overlap(b("00:15-00:45"), m("sun:23:00-mon:00:15")));
        assert!(!windows_overlap(b("01:00-02:00"), m("sun:23:00-mon:00:30")));
    }
}
