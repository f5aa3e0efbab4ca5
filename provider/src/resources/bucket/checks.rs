//! What a bucket's configuration may say, checked at `terraform validate`:
//! S3's bucket naming rules, name prefixes, KMS key references; and
//! the unique names `name_prefix` gets.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::calendar;
use crate::tags::{Reserved, Service, Tagging};
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::value::Value;

/// How the bucket is tagged: the provider gives it no `Name` (so a
/// `Name` tag is the user's), and four tags of its own
/// (`swarm:managed-by`, `swarm:bucket`, `swarm:owner`, `swarm:purpose`).
pub const TAGGING: Tagging = Tagging {
    reserved: Reserved::UNNAMED,
    service: Service::S3,
    own_tags: 4,
};

/// The longest `name_prefix`: the unique suffix takes the other 26 of the
/// 63 characters a bucket name may have (as in hashicorp's providers).
pub const MAX_PREFIX_LEN: usize = 37;

/// Prefixes and suffixes S3 reserves for other kinds of buckets and access
/// points; a general-purpose bucket cannot use them.
const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Checks across attributes, at validate.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let set = |name: &str| config.get_attr(name).is_some_and(|v| !v.is_null());
    match (set("name"), set("name_prefix")) {
        (true, true) => diags.attribute_error(
            AttributePath::attr("name_prefix"),
            "Conflicting name settings",
            "Set either name or name_prefix, not both.",
        ),
        (false, false) => diags.attribute_error(
            AttributePath::attr("name"),
            "Missing bucket name",
            "Set name (the bucket's exact name) or name_prefix (a unique name is made from \
             it).",
        ),
        _ => {}
    }
}

fn allowed_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
}

fn alphanumeric(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// The rules a name and a prefix share: characters, first character, no
/// `..`, no reserved prefix.
fn check_start(text: &str) -> Result<(), String> {
    if let Some(bad) = text.chars().find(|c| !allowed_char(*c)) {
        return Err(format!(
            "{text:?} has {bad:?}; only lowercase letters, digits, hyphens and dots are allowed"
        ));
    }
    if !text.starts_with(alphanumeric) {
        return Err(format!(
            "{text:?} must start with a lowercase letter or digit"
        ));
    }
    if text.contains("..") {
        return Err(format!("{text:?} has two adjacent dots"));
    }
    if let Some(reserved) = RESERVED_PREFIXES.iter().find(|p| text.starts_with(*p)) {
        return Err(format!(
            "{text:?} starts with {reserved:?}, which S3 reserves"
        ));
    }
    Ok(())
}

/// S3's rules for general-purpose bucket names.
pub fn bucket_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(3..=63).contains(&len) {
        return Err(format!("{name:?} has {len} characters, not 3 to 63"));
    }
    check_start(name)?;
    if !name.ends_with(alphanumeric) {
        return Err(format!(
            "{name:?} must end with a lowercase letter or digit"
        ));
    }
    if name.parse::<Ipv4Addr>().is_ok() {
        return Err(format!("{name:?} is formatted as an IP address"));
    }
    if let Some(reserved) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        return Err(format!(
            "{name:?} ends with {reserved:?}, which S3 reserves"
        ));
    }
    Ok(())
}

/// A prefix that, with a unique suffix of digits and hex letters, makes a
/// valid bucket name.
pub fn name_prefix(prefix: &str) -> Result<(), String> {
    let len = prefix.chars().count();
    if len == 0 || len > MAX_PREFIX_LEN {
        return Err(format!(
            "{prefix:?} has {len} characters, not 1 to {MAX_PREFIX_LEN}"
        ));
    }
    check_start(prefix)
}

/// A KMS key reference S3 accepts for default encryption: a key ARN or
/// id, an alias ARN or an alias name.
pub fn kms_key_id(text: &str) -> Result<(), String> {
    let why =
        || format!("{text:?} is not a KMS key id, key ARN, alias ARN or alias name (alias/...)");
    if let Some(alias) = text.strip_prefix("alias/") {
        return alias_name(alias).then_some(()).ok_or_else(why);
    }
    if !text.starts_with("arn:") {
        return key_id(text).then_some(()).ok_or_else(why);
    }
    // arn:<partition>:kms:<region>:<account>:key/<id> or .../alias/<name>
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(why());
    };
    let well_formed = partition.starts_with("aws")
        && *service == "kms"
        && !region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && match resource.split_once('/') {
            Some(("key", id)) => key_id(id),
            Some(("alias", name)) => alias_name(name),
            _ => false,
        };
    well_formed.then_some(()).ok_or_else(why)
}

/// A key id: a UUID, or `mrk-` and 32 hex digits for a multi-Region key.
fn key_id(id: &str) -> bool {
    if let Some(hex) = id.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn alias_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 250
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
}

/// A bucket name from a prefix: the prefix, the UTC time to a ten
/// thousandth of a second and a counter in hex, 26 characters in all, as
/// hashicorp's providers make them (so names sort by creation time).
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    format!(
        "{prefix}{}{:04}{count:08x}",
        utc_timestamp(now.as_secs()),
        now.subsec_micros() / 100
    )
}

/// `YYYYMMDDhhmmss` of a Unix time.
fn utc_timestamp(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = calendar::civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in [
            "agents-backups",
            "a1b",
            "logs.agents.example",
            &"a".repeat(63),
        ] {
            assert!(bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Agents",
            "agents_backups",
            "-agents",
            "agents-",
            "agents.",
            "a..b",
            "192.168.1.10",
            "xn--agents",
            "sthree-agents",
            "agents-s3alias",
            "agents--ol-s3",
            "agents.mrap",
            "agents--x-s3",
        ] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_leave_room_for_the_suffix() {
        assert!(name_prefix("agents-logs-").is_ok());
        assert!(name_prefix(&"a".repeat(37)).is_ok());
        assert!(name_prefix(&"a".repeat(38)).is_err());
        assert!(name_prefix("-logs").is_err());
        assert!(name_prefix("Logs").is_err());
        assert!(name_prefix("xn--logs").is_err());
    }

    #[test]
    fn unique_names_are_valid_and_distinct() {
        let prefix = "a".repeat(MAX_PREFIX_LEN);
        let first = unique_name(&prefix);
        let second = unique_name(&prefix);
        assert_eq!(first.len(), 63);
        assert_ne!(first, second);
        assert!(bucket_name(&first).is_ok(), "{first}");
        assert!(bucket_name(&unique_name("logs.")).is_ok());
    }

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(utc_timestamp(0), "19700101000000");
        assert_eq!(utc_timestamp(951_782_400), "20000229000000");
        assert_eq!(utc_timestamp(1_700_000_000), "20231114221320");
    }

    #[test]
    fn kms_keys_are_recognized() {
        for ok in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "alias/agents-backups",
            "alias/aws/s3",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:alias/agents",
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        ] {
            assert!(kms_key_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "my-key",
            "alias/",
            "alias/with space",
            "arn:aws:s3:::bucket",
            "arn:aws:kms:us-east-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:key/nope",
            "1234abcd-12ab-34cd-56ef-1234567890",
        ] {
            assert!(kms_key_id(bad).is_err(), "{bad}");
        }
    }
}
