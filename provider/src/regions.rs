//! The AWS regions the provider knows, in every partition. A name that is
//! well formed (`config::check_region`) but not in [`KNOWN`] is refused
//! unless the provider block sets `skip_region_validation` (as
//! hashicorp/aws does), for a region launched after this list was made.

use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;

/// When [`KNOWN`] was last compared with AWS's partitions (the endpoint
/// rules' `partitions` of aws-sdk-backup 1.132.0, endpoints version 1.1).
pub const KNOWN_AS_OF: &str = "2026-11-29";

/// Every region of every partition as of [`KNOWN_AS_OF`], sorted by
/// partition, then by name.
pub const KNOWN: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-eusc: the AWS European Sovereign Cloud
    "eusc-de-east-1",
    // aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

/// Whether `region` is one of [`KNOWN`].
pub fn is_known(region: &str) -> bool {
    KNOWN.contains(&region)
}

/// `Err` with why, when `region` is unknown and the provider block does
/// not skip the check.
pub fn check_known(region: &str, skip_validation: bool) -> Result<(), String> {
    if skip_validation || is_known(region) {
        return Ok(());
    }
    Err(format!(
        "{region:?} is not an AWS region this provider knows (its list is of {KNOWN_AS_OF}). \
         Check the spelling (e.g. us-west-2, eu-central-1); for a region launched since, set \
         skip_region_validation = true in the provider block"
    ))
}

/// The error of an unknown region on `attribute`.
pub fn unknown(attribute: &str, why: &str) -> Diagnostic {
    Diagnostic::error("Unknown AWS region", format!("{attribute}: {why}."))
        .at(AttributePath::attr(attribute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_each_partition_and_the_recent_launches_once_each() {
        for region in [
            "us-east-1",
            "cn-north-1",
            "us-gov-west-1",
            "eusc-de-east-1",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "mx-central-1",
            "ap-east-2",
            "ca-west-1",
        ] {
            assert!(is_known(region), "{region}");
        }
        let mut sorted = KNOWN.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), KNOWN.len(), "a region listed twice");
        for region in KNOWN {
            assert!(crate::config::check_region(region).is_ok(), "{region}");
        }
    }

    #[test]
    fn an_unknown_region_is_refused_unless_the_check_is_skipped() {
        assert!(check_known("us-west-2", false).is_ok());
        let why = check_known("us-moon-1", false).unwrap_err();
        assert!(why.contains("\"us-moon-1\" is not an AWS region"), "{why}");
        assert!(why.contains("skip_region_validation = true"), "{why}");
        assert!(why.contains(KNOWN_AS_OF), "{why}");
        assert!(check_known("us-moon-1", true).is_ok());
        let d = unknown("copy_to_region", &why);
        assert_eq!(d.summary, "Unknown AWS region");
        assert!(
            d.detail.starts_with("copy_to_region: \"us-moon-1\""),
            "{}",
            d.detail
        );
        assert_eq!(d.attribute, Some(AttributePath::attr("copy_to_region")));
    }
}
