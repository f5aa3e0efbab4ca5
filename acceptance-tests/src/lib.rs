//! Shared pieces of the acceptance tests: the AWS emulator, the provider
//! under test and the HCL they write.

pub mod emulator;

use tfplugin::testing::TestCase;

/// A test case for the swarm provider, served in-process.
pub fn test_case() -> TestCase {
    TestCase::new(swarm_provider::ADDRESS)
}

/// The `terraform` block every test configuration starts with.
pub const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    swarm = { source = "agentswarm/swarm" }
  }
}
"#;

/// A configuration: the `terraform` block and `body`.
pub fn config(body: &str) -> String {
    format!("{REQUIRED_PROVIDERS}\n{body}\n")
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
