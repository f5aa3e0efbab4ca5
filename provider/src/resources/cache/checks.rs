//! Checks of `swarm_cache` values that need no AWS call: ElastiCache's
//! rules for ids, node types, versions and snapshot windows, and the checks
//! across attributes, so that a bad value is reported by `terraform
//! validate` on its line.

use serde::Deserialize;
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::value::{self, Value};

use crate::checks;
use crate::resources::planned::Maybe;
use crate::tags::{Reserved, Service, Tagging};

/// How the cache tags its objects: it names them, and each carries five
/// tags of the provider's (`Name`, `swarm:managed-by`, `swarm:cache`,
/// `swarm:owner`, `swarm:role`).
pub const TAGGING: Tagging = Tagging {
    reserved: Reserved::NAMED,
    service: Service::ElastiCache,
    own_tags: 5,
};

pub const MAX_REPLICAS: i64 = 5;
pub const MAX_SHARDS: i64 = 500;
pub const MAX_RETENTION_DAYS: i64 = 35;
/// ElastiCache's shortest snapshot window.
const MIN_WINDOW_MINUTES: u32 = 60;

/// Replication group ids: 1 to 40 lowercase letters, digits and hyphens,
/// starting with a letter, without two hyphens in a row or a trailing one.
/// (ElastiCache lowercases ids; asking for lowercase avoids a perpetual
/// diff.)
pub fn name_check(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() || name.len() > 40 {
        Some("it must be 1 to 40 characters long")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("only lowercase letters, digits and hyphens are allowed")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it must start with a letter")
    } else if name.contains("--") {
        Some("it must not contain two hyphens in a row")
    } else if name.ends_with('-') {
        Some("it must not end with a hyphen")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(format!("{name:?}: {why}.")),
    }
}

/// `cache.<family>.<size>`, e.g. `cache.t3.micro` or `cache.r7g.large`.
pub fn node_type_check(node_type: &str) -> Result<(), String> {
    checks::instance_class(node_type, Some("cache"), "cache.t3.micro")
}

/// A Redis version as ElastiCache takes it: `MAJOR.MINOR` from 6 on
/// (e.g. `7.1`), the full `MAJOR.MINOR.PATCH` before (e.g. `5.0.6`).
pub fn parse_version(text: &str) -> Result<(u32, u32, u32), String> {
    let parts: Vec<&str> = text.split('.').collect();
    // Digits only: `u32`'s parser alone would take `+7`.
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let invalid = || {
        format!("{text:?} is not a Redis version such as 7.1 (from Redis 6 on) or 5.0.6 (before).")
    };
    let numbers = numbers.ok_or_else(invalid)?;
    match numbers.as_slice() {
        [major, minor] if *major >= 6 => Ok((*major, *minor, 0)),
        [major, minor, patch] if *major < 6 => Ok((*major, *minor, *patch)),
        _ => Err(invalid()),
    }
}

pub fn engine_version_check(text: &str) -> Result<(), String> {
    parse_version(text).map(|_| ())
}

/// `HH:MM-HH:MM` in UTC, at least an hour long (it may span midnight).
pub fn snapshot_window_check(text: &str) -> Result<(), String> {
    checks::daily_window(text, MIN_WINDOW_MINUTES).map(|_| ())
}

pub fn aws_id_check(prefix: &'static str) -> impl Fn(&str) -> Result<(), String> + Send + Sync {
    move |id: &str| checks::aws_id(id, prefix)
}

/// The attributes checked against each other, as configured.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Configured {
    shards: Maybe<i64>,
    replicas: Maybe<i64>,
}

/// Checks across attributes, at validate.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let config: Configured = match value::from_value(config) {
        Ok(config) => config,
        Err(e) => return diags.error("Unreadable swarm_cache configuration", e.to_string()),
    };
    // Cluster mode needs automatic failover, which needs a replica.
    if let (Some(shards), Some(0)) = (
        config.shards.known().copied().flatten(),
        config.replicas.known().copied().flatten(),
    ) && shards > 1
    {
        diags.attribute_error(
            AttributePath::attr("replicas"),
            "Cluster mode needs replicas",
            format!(
                "shards = {shards} runs the cache in cluster mode, which ElastiCache only \
                 allows with automatic failover: set replicas to at least 1."
            ),
        );
    }
}

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
            super::super::cloud::ROLE_SUBNETS,
            "agents-subnets",
        );
        let marker = crate::ownership::Marker::from_stored("m");
        crate::ownership::mark(&mut tags, Some(&marker));
        assert_eq!(tags.len(), TAGGING.own_tags, "{tags:?}");
    }

    use super::*;

    #[test]
    fn names_follow_elasticache_rules() {
        for ok in ["a", "agents", "agents-1", &"a".repeat(40)] {
            assert!(name_check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "-a",
            "a-",
            "a--b",
            "Agents",
            "a_b",
            "a b",
            &"a".repeat(41),
        ] {
            assert!(name_check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn snapshot_windows_are_an_hour_or_more() {
        assert!(snapshot_window_check("05:00-06:00").is_ok());
        assert!(snapshot_window_check("23:30-00:30").is_ok());
        assert!(snapshot_window_check("01:00-05:00").is_ok());
        let short = snapshot_window_check("05:00-05:30").unwrap_err();
        assert!(short.contains("30 minutes"), "{short}");
        for bad in [
            "5:00-6:00",
            "05:00",
            "25:00-26:00",
            "05:60-07:00",
            "noon-one",
        ] {
            assert!(snapshot_window_check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_are_major_minor_from_six_on() {
        assert_eq!(parse_version("7.1"), Ok((7, 1, 0)));
        assert_eq!(parse_version("5.0.6"), Ok((5, 0, 6)));
        for bad in [
            "7", "7.1.0", "5.0", "seven", "7.x", "+7.1", "7.+1", "7.", " 7.1", "5.9",
        ] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
        assert!(parse_version("6.2") < parse_version("7.0"));
    }

    #[test]
    fn node_types_and_ids() {
        assert!(node_type_check("cache.t3.micro").is_ok());
        assert!(node_type_check("cache.r7g.12xlarge").is_ok());
        for bad in ["t3.micro", "cache.t3", "cache..micro", "db.t3.micro"] {
            assert!(node_type_check(bad).is_err(), "{bad}");
        }
        let subnet = aws_id_check("subnet-");
        assert!(subnet("subnet-0abc").is_ok());
        assert!(subnet("sg-0abc").is_err());
        assert!(subnet("subnet-").is_err());
    }
}
