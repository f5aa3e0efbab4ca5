//! The schedule's checks that need no AWS call: the value checks its
//! schema's validators use, and those across attributes, at validate.

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::path::AttributePath;
use tfplugin::value::Value;

use crate::schedule::tiers::TierError;
use crate::tags::{Reserved, Service, Tagging};

/// The objects are named by the provider (`Name` is reserved); the most
/// tagged is the plan: `Name`, `swarm:managed-by`, `swarm:backup-schedule`,
/// `swarm:role`, `swarm:owner` and `swarm:schedule`. AWS Backup and IAM
/// both allow 50 tags per object.
pub const TAGGING: Tagging = Tagging {
    reserved: Reserved::NAMED,
    service: Service::Backup,
    own_tags: 6,
};

/// The longest name: the role `swarm-backup-<name>-<region>` must fit
/// IAM's 64 characters with the longest region names (14).
pub const MAX_NAME_LEN: usize = 32;

/// The most a tier may keep (days, weeks, months or years).
pub const MAX_COUNT: i64 = 1000;

/// A schedule's name: letters, digits, hyphens and underscores (what
/// vault, plan and role names all take), 1 to [`MAX_NAME_LEN`].
pub fn name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!(
            "{name:?} has {} characters; a name has 1 to {MAX_NAME_LEN}",
            name.len()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "{name:?} may hold only letters, digits, hyphens and underscores"
        ));
    }
    Ok(())
}

/// What AWS Backup covers, by the service part of an ARN.
const COVERED: [&str; 12] = [
    "ec2",
    "rds",
    "s3",
    "dynamodb",
    "elasticfilesystem",
    "fsx",
    "storagegateway",
    "redshift",
    "timestream",
    "cloudformation",
    "docdb",
    "neptune-db",
];

/// Whether an ARN in `resources` is one AWS Backup can back up.
pub fn resource_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6
        || parts[0] != "arn"
        || parts[1].is_empty()
        || parts[2].is_empty()
        || parts[5].is_empty()
    {
        return Err(format!(
            "{arn:?} is not an ARN (arn:<partition>:<service>:<region>:<account>:<resource>)"
        ));
    }
    let service = parts[2];
    if service == "elasticache" {
        return Err(format!(
            "{arn:?} is an ElastiCache ARN, and AWS Backup does not back up ElastiCache: keep \
             its snapshots with swarm_cache's snapshot_retention_days instead"
        ));
    }
    if !COVERED.contains(&service) {
        return Err(format!(
            "{arn:?} is of the service {service:?}, which AWS Backup does not back up (it \
             covers {})",
            COVERED.join(", ")
        ));
    }
    Ok(())
}

/// The bucket an S3 ARN names.
pub fn bucket_of(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let _partition = parts.next()?;
    (parts.next()? == "s3").then_some(())?;
    let resource = parts.nth(2)?;
    (!resource.is_empty() && !resource.contains('/')).then_some(resource)
}

/// The error of `resources[i]`.
pub fn resource_error(i: usize, why: &str) -> Diagnostic {
    Diagnostic::error(
        "Resource AWS Backup cannot back up",
        format!("resources[{i}]: {why}."),
    )
    .at(AttributePath::attr("resources").push_index(i as i64))
}

pub fn nothing_selected() -> Diagnostic {
    Diagnostic::error(
        "Nothing to back up",
        "Set resources (ARNs), resources_tagged (tags), or both.",
    )
    .at(AttributePath::attr("resources"))
}

fn same_region(region: &str) -> Diagnostic {
    Diagnostic::error(
        "Copy to the same region",
        format!(
            "copy_to_region is {region:?}, the provider's own region: the copy is for losing a \
             region, so it goes to another one (e.g. us-west-2 for us-east-1)."
        ),
    )
    .at(AttributePath::attr("copy_to_region"))
}

/// `copy_to_region` must be a region AWS has (unless the provider block
/// sets `skip_region_validation`) other than the provider's own.
pub fn copy_region(client: &crate::config::SwarmClient, region: &str) -> Result<(), Diagnostic> {
    if region == client.region {
        return Err(same_region(&client.region));
    }
    crate::regions::check_known(region, client.skip_region_validation)
        .map_err(|why| crate::regions::unknown("copy_to_region", &why))
}

/// A vault lock's least retention must not exceed the shortest tier's
/// lifecycle: AWS Backup fails every job whose retention the lock refuses.
pub fn lock_fits(days: i64, rules: &[crate::schedule::tiers::Rule]) -> Result<(), Diagnostic> {
    let Some(shortest) = rules.iter().min_by_key(|r| r.delete_after_days) else {
        return Ok(());
    };
    let kept = i64::try_from(shortest.delete_after_days).unwrap_or(i64::MAX);
    if days <= kept {
        return Ok(());
    }
    Err(Diagnostic::error(
        "Vault lock longer than a tier",
        format!(
            "vault_lock.min_retention_days is {days}, but the {} tier keeps its points {kept} \
             days: AWS Backup would fail every such backup. Lower min_retention_days to at \
             most {kept}, or keep that tier longer.",
            shortest.tier.name()
        ),
    )
    .at(AttributePath::attr("vault_lock").push_attr("min_retention_days")))
}

/// The restore testing a spec asks for: its schedule (at most once a day,
/// as AWS's cron), the hours, and the resources of types restore testing
/// covers (at least one).
pub fn restore_testing(
    text: &str,
    validation_hours: Option<i64>,
    resources: &[String],
) -> Result<super::restore_testing::Wanted, Diagnostic> {
    use crate::schedule::tiers::{self, Tier};
    let at = || AttributePath::attr("restore_testing");
    let invalid = |why: String| {
        Diagnostic::error(
            "Invalid schedule",
            format!("restore_testing.schedule {text:?} {why}"),
        )
        .at(at().push_attr("schedule"))
    };
    let schedule =
        crate::schedule::Schedule::parse(text).map_err(|why| invalid(why.to_string()))?;
    let expression = tiers::expression(&schedule, Tier::Daily).map_err(invalid)?;
    let by_type = super::restore_testing::by_type(resources);
    if by_type.is_empty() {
        return Err(Diagnostic::error(
            "Nothing restore testing can restore",
            "restore_testing restores the resources named in resources (ARNs of databases, \
             instances, volumes, buckets, file systems or tables); set resources, or leave \
             restore_testing out (a selection by tag alone names no resource to test).",
        )
        .at(at()));
    }
    let hours = validation_hours.unwrap_or(DEFAULT_VALIDATION_HOURS);
    Ok(super::restore_testing::Wanted {
        schedule: text.to_owned(),
        expression,
        validation_hours: i32::try_from(hours).unwrap_or(0),
        by_type,
    })
}

/// How long a restored copy is kept for checks by default.
pub const DEFAULT_VALIDATION_HOURS: i64 = 24;

/// A tier the schedule cannot take, on `retention.<tier>`.
pub fn tier_error(e: &TierError) -> Diagnostic {
    Diagnostic::error("Tier the schedule cannot keep", e.message.clone())
        .at(AttributePath::attr("retention").push_attr(e.tier.name()))
}

/// Checks across attributes, at validate: something is selected, the
/// daily tier keeps at least one point, the resources are ARNs AWS Backup
/// covers.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let resources = config.get_attr("resources").unwrap_or(&Value::Null);
    let tagged = config.get_attr("resources_tagged").unwrap_or(&Value::Null);
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::List(items) => items.is_empty(),
        Value::Map(items) => items.is_empty(),
        _ => false,
    };
    if empty(resources) && empty(tagged) {
        diags.push(nothing_selected());
    }
    if let Value::List(items) = resources {
        for (i, item) in items.iter().enumerate() {
            if let Some(arn) = item.as_str()
                && let Err(why) = resource_arn(arn)
            {
                diags.push(resource_error(i, &why));
            }
        }
    }
    if let Some(retention) = config.get_attr("retention")
        && let Some(Value::Number(n)) = retention.get_attr("daily")
        && n.as_i64().is_some_and(|d| d < 1)
    {
        diags.attribute_error(
            AttributePath::attr("retention").push_attr("daily"),
            "Invalid retention",
            "retention.daily must be at least 1: every run is a daily point (the other tiers \
             may be 0, which turns them off).",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_arns() {
        assert!(resource_arn("arn:aws:rds:us-east-1:123456789012:db:main").is_ok());
        assert!(resource_arn("arn:aws:s3:::config-bucket").is_ok());
        assert!(resource_arn("arn:aws:ec2:us-east-1:123456789012:instance/i-1").is_ok());
        let cache = resource_arn("arn:aws:elasticache:us-east-1:123456789012:replicationgroup:r")
            .unwrap_err();
        assert!(cache.contains("snapshot_retention_days"), "{cache}");
        assert!(
            resource_arn("arn:aws:sqs:us-east-1:123456789012:q")
                .unwrap_err()
                .contains("sqs")
        );
        assert!(resource_arn("main").unwrap_err().contains("not an ARN"));
        assert!(resource_arn("arn:aws:s3:::").is_err());
    }

    #[test]
    fn buckets_of_arns() {
        assert_eq!(
            bucket_of("arn:aws:s3:::config-bucket"),
            Some("config-bucket")
        );
        assert_eq!(bucket_of("arn:aws:s3:::b/key"), None);
        assert_eq!(bucket_of("arn:aws:rds:us-east-1:1:db:main"), None);
    }

    #[tokio::test]
    async fn the_copy_region_is_another_region_aws_has() {
        let mut client = crate::tags::test_client().await;
        assert!(copy_region(&client, "us-west-2").is_ok());
        assert!(copy_region(&client, "eusc-de-east-1").is_ok());
        let same = copy_region(&client, "us-east-1").unwrap_err();
        assert!(
            same.detail.contains("the provider's own region"),
            "{}",
            same.detail
        );
        let unknown = copy_region(&client, "us-moon-1").unwrap_err();
        assert_eq!(unknown.summary, "Unknown AWS region");
        assert_eq!(
            unknown.attribute,
            Some(AttributePath::attr("copy_to_region"))
        );
        assert!(
            unknown
                .detail
                .contains("\"us-moon-1\" is not an AWS region")
                && unknown.detail.contains("skip_region_validation = true"),
            "{}",
            unknown.detail
        );
        client.skip_region_validation = true;
        assert!(copy_region(&client, "us-moon-1").is_ok());
        assert!(copy_region(&client, "us-east-1").is_err());
    }

    #[test]
    fn names() {
        assert!(name("nightly").is_ok());
        assert!(name("a_b-1").is_ok());
        assert!(name("").is_err());
        assert!(name("no spaces").is_err());
        assert!(name(&"x".repeat(33)).is_err());
    }
}
