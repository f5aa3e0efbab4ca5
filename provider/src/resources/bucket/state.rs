//! The bucket's models: its purpose, the state as Terraform stores it
//! (which is also the basis that carries what S3 does not have: the name
//! prefix, `force_destroy`, the region, `timeouts`, `tags` as written), the plan
//! resolved for apply, and the state built from what S3 has.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;
use tfplugin::resource::ChangeRequest;
use tfplugin::value::{self, MaybeUnknown};

use super::checks;
use super::cloud::{self, Desired, Encryption, Observed, Retention};
use crate::config::{Environment, SwarmClient};
use crate::ownership::{self, Marker};
use crate::resources::lifecycle::TimeoutsModel;
use crate::tags;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Incomplete multipart uploads are aborted after this many days: their
/// parts are billed but invisible in listings.
pub const ABORT_MULTIPART_DAYS: i64 = 7;
/// The longest retention S3 takes is far beyond this; a century is enough.
pub const MAX_DAYS: i64 = 36_500;
pub const SSE_S3: &str = "AES256";
pub const SSE_KMS: &str = "aws:kms";

/// What a bucket is for; it picks the retention and versioning defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Logs,
    Artifacts,
    Backups,
    Config,
}

impl Purpose {
    pub const NAMES: [&'static str; 4] = ["logs", "artifacts", "backups", "config"];
    const ALL: [Self; 4] = [
        Purpose::Logs,
        Purpose::Artifacts,
        Purpose::Backups,
        Purpose::Config,
    ];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "logs" => Some(Purpose::Logs),
            "artifacts" => Some(Purpose::Artifacts),
            "backups" => Some(Purpose::Backups),
            "config" => Some(Purpose::Config),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Purpose::Logs => "logs",
            Purpose::Artifacts => "artifacts",
            Purpose::Backups => "backups",
            Purpose::Config => "config",
        }
    }

    /// How long current objects are kept; `None`: for good.
    pub fn expiration_days(self) -> Option<i64> {
        match self {
            Purpose::Logs => Some(7),
            Purpose::Backups => Some(30),
            Purpose::Artifacts | Purpose::Config => None,
        }
    }

    /// How long an object's older versions are kept once replaced or
    /// deleted (versioned buckets).
    pub fn noncurrent_days(self) -> Option<i64> {
        match self {
            Purpose::Logs => Some(7),
            Purpose::Artifacts | Purpose::Backups => Some(30),
            Purpose::Config => Some(90),
        }
    }

    /// The purpose whose defaults are nearest a bucket's settings: what an
    /// import of a bucket this provider did not make (no `swarm:purpose`
    /// tag) takes, so that the configuration generated from it changes
    /// as little as it can. Ties go to the earlier of [`Self::NAMES`].
    pub fn nearest(
        versioning: bool,
        expiration_days: Option<i64>,
        noncurrent_days: Option<i64>,
        environment: Environment,
    ) -> Self {
        let differences = |p: Self| {
            usize::from(p.versioning(environment) != versioning)
                + usize::from(p.expiration_days() != expiration_days)
                + usize::from(p.noncurrent_days() != noncurrent_days)
        };
        Self::ALL
            .into_iter()
            .min_by_key(|p| differences(*p))
            .unwrap_or(Purpose::Artifacts)
    }

    /// Backups and config must survive overwrites and deletions; so must
    /// release artifacts in production. Logs are append-only.
    pub fn versioning(self, environment: Environment) -> bool {
        match self {
            Purpose::Backups | Purpose::Config => true,
            Purpose::Artifacts => environment == Environment::Production,
            Purpose::Logs => false,
        }
    }
}

/// The AWS partition of a region, for ARNs and domain names.
fn partition(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    }
}

pub fn bucket_arn(name: &str, region: &str) -> String {
    format!("arn:{}:s3:::{name}", partition(region).0)
}

pub fn bucket_domain_name(name: &str, region: &str) -> String {
    format!("{name}.s3.{}", partition(region).1)
}

/// The bucket's state as Terraform stores it, one field per attribute
/// (`None` for null). Also the basis the state is built on (see
/// `lifecycle`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketState {
    pub id: Option<String>,
    pub name: Option<String>,
    pub name_prefix: Option<String>,
    pub purpose: Option<String>,
    pub versioning: Option<bool>,
    pub expiration_days: Option<i64>,
    pub noncurrent_version_expiration_days: Option<i64>,
    pub kms_key_id: Option<String>,
    pub force_destroy: Option<bool>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: Option<BTreeMap<String, String>>,
    pub arn: Option<String>,
    pub region: Option<String>,
    pub bucket_domain_name: Option<String>,
    pub sse_algorithm: Option<String>,
    pub bucket_key_enabled: Option<bool>,
    pub public_access_blocked: Option<bool>,
    pub tls_required: Option<bool>,
    pub abort_incomplete_multipart_upload_days: Option<i64>,
    pub ownership_marker: Option<String>,
    pub timeouts: Option<TimeoutsModel>,
}

/// The plan, at apply time.
#[derive(Debug, Deserialize)]
struct PlanModel {
    name: MaybeUnknown<Option<String>>,
    name_prefix: Option<String>,
    purpose: String,
    versioning: bool,
    expiration_days: Option<i64>,
    noncurrent_version_expiration_days: Option<i64>,
    kms_key_id: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    region: MaybeUnknown<Option<String>>,
    ownership_marker: Option<String>,
}

/// The plan resolved for apply: the bucket's name (made from the prefix
/// on create) and what S3 is to have.
pub fn desired_of(client: &SwarmClient, req: &ChangeRequest) -> Result<Desired, Diagnostic> {
    let plan: PlanModel = value::from_value(&req.plan).map_err(|e| {
        Diagnostic::error(
            "Unreadable swarm_bucket plan",
            format!("{e}. This is a bug in the provider."),
        )
    })?;
    let name = match (&plan.name, &plan.name_prefix) {
        (MaybeUnknown::Known(Some(name)), _) => name.clone(),
        (_, Some(prefix)) => checks::unique_name(prefix),
        _ => {
            return Err(
                Diagnostic::error("No bucket name", "Set name or name_prefix.")
                    .at(AttributePath::attr("name")),
            );
        }
    };
    let region = match &plan.region {
        MaybeUnknown::Known(Some(region)) => region.clone(),
        _ => client.region.clone(),
    };
    Ok(desired(client, &plan, &name, &region))
}

impl BucketState {
    /// The state of a bucket as S3 has it, on `basis`.
    pub fn observed(client: &SwarmClient, name: &str, seen: &Observed, basis: &Self) -> Self {
        let region = basis
            .region
            .clone()
            .unwrap_or_else(|| client.region.clone());
        let retention = seen.retention();
        let read = checks::TAGGING.read_back(&seen.tags, &client.default_tags, basis.tags.as_ref());
        let arn = bucket_arn(name, &region);
        Self {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            name_prefix: basis.name_prefix.clone(),
            // The `swarm:purpose` tag; a bucket without it (imported, not
            // yet applied) keeps the basis's, or at import takes the
            // nearest purpose.
            purpose: seen
                .purpose()
                .map(str::to_owned)
                .or_else(|| basis.purpose.clone())
                .or_else(|| {
                    let nearest = Purpose::nearest(
                        seen.versioning_enabled(),
                        retention.expiration_days,
                        retention.noncurrent_days,
                        client.environment,
                    );
                    Some(nearest.name().to_owned())
                }),
            versioning: Some(seen.versioning_enabled()),
            expiration_days: retention.expiration_days,
            noncurrent_version_expiration_days: retention.noncurrent_days,
            kms_key_id: seen
                .encryption
                .as_ref()
                .filter(|e| e.algorithm != SSE_S3)
                .and_then(|e| e.kms_key_id.clone()),
            force_destroy: Some(basis.force_destroy.unwrap_or(false)),
            tags: read.tags,
            tags_all: Some(read.tags_all),
            bucket_domain_name: Some(bucket_domain_name(name, &region)),
            tls_required: Some(seen.tls_required(&arn)),
            arn: Some(arn),
            region: Some(region),
            sse_algorithm: seen.encryption.as_ref().map(|e| e.algorithm.clone()),
            bucket_key_enabled: Some(seen.encryption.as_ref().is_some_and(|e| e.bucket_key)),
            public_access_blocked: Some(seen.public_access_blocked),
            abort_incomplete_multipart_upload_days: retention.abort_multipart_days,
            // The lifecycle's to set: the marker of the identity it read by.
            ownership_marker: None,
            timeouts: basis.timeouts.clone(),
        }
    }
}

/// The bucket's tags: the provider's defaults, the user's (which win),
/// and the identity tags, the marker among them.
fn desired_tags(
    client: &SwarmClient,
    name: &str,
    purpose: &str,
    user: Option<&BTreeMap<String, String>>,
    marker: Option<&Marker>,
) -> BTreeMap<String, String> {
    let mut out = tags::resource_tags(client, user, cloud::KIND, name);
    out.insert(cloud::PURPOSE_KEY.to_owned(), purpose.to_owned());
    ownership::mark(&mut out, marker);
    out
}

fn desired(client: &SwarmClient, spec: &PlanModel, name: &str, region: &str) -> Desired {
    let kms = spec.kms_key_id.clone();
    Desired {
        name: name.to_owned(),
        arn: bucket_arn(name, region),
        region: region.to_owned(),
        versioning: spec.versioning,
        encryption: Encryption {
            algorithm: if kms.is_some() { SSE_KMS } else { SSE_S3 }.to_owned(),
            bucket_key: kms.is_some(),
            kms_key_id: kms,
        },
        retention: Retention {
            expiration_days: spec.expiration_days,
            noncurrent_days: spec.noncurrent_version_expiration_days,
            abort_multipart_days: Some(ABORT_MULTIPART_DAYS),
        },
        tags: desired_tags(
            client,
            name,
            &spec.purpose,
            spec.tags.as_ref(),
            spec.ownership_marker
                .clone()
                .map(Marker::from_stored)
                .as_ref(),
        ),
    }
}

#[cfg(test)]
mod tests {

    /// `TAGGING.own_tags` is what the provider puts on the bucket.
    #[tokio::test]
    async fn own_tags_are_those_of_the_bucket() {
        let client = tags::test_client().await;
        let marker = Marker::from_stored("m");
        let tags = desired_tags(&client, "b", "logs", None, Some(&marker));
        assert_eq!(tags.len(), checks::TAGGING.own_tags, "{tags:?}");
    }

    use super::*;

    #[test]
    fn an_imported_bucket_takes_the_nearest_purpose() {
        let staging = Environment::Staging;
        // Made by hand: nothing expires, no versioning.
        assert_eq!(
            Purpose::nearest(false, None, None, staging),
            Purpose::Artifacts
        );
        assert_eq!(Purpose::nearest(true, None, None, staging), Purpose::Config);
        assert_eq!(
            Purpose::nearest(false, Some(7), Some(7), staging),
            Purpose::Logs
        );
        assert_eq!(
            Purpose::nearest(true, Some(30), Some(30), staging),
            Purpose::Backups
        );
        assert_eq!(
            Purpose::nearest(true, None, Some(30), Environment::Production),
            Purpose::Artifacts
        );
    }

    #[test]
    fn defaults_by_purpose() {
        let dev = Environment::Development;
        let prod = Environment::Production;
        assert_eq!(Purpose::Logs.expiration_days(), Some(7));
        assert_eq!(Purpose::Backups.expiration_days(), Some(30));
        assert_eq!(Purpose::Config.expiration_days(), None);
        assert_eq!(Purpose::Config.noncurrent_days(), Some(90));
        assert_eq!(Purpose::Artifacts.expiration_days(), None);
        assert!(Purpose::Backups.versioning(dev));
        assert!(!Purpose::Logs.versioning(prod));
        assert!(!Purpose::Artifacts.versioning(dev));
        assert!(Purpose::Artifacts.versioning(prod));
        for name in Purpose::NAMES {
            assert!(Purpose::parse(name).is_some(), "{name}");
        }
    }

    #[test]
    fn arns_and_domains_follow_the_partition() {
        assert_eq!(bucket_arn("b", "us-east-1"), "arn:aws:s3:::b");
        assert_eq!(bucket_arn("b", "cn-north-1"), "arn:aws-cn:s3:::b");
        assert_eq!(bucket_domain_name("b", "eu-west-1"), "b.s3.amazonaws.com");
        assert_eq!(
            bucket_domain_name("b", "cn-north-1"),
            "b.s3.amazonaws.com.cn"
        );
    }

    #[test]
    fn the_state_model_fits_the_schema() {
        let model = BucketState {
            id: Some("b".into()),
            name: Some("b".into()),
            name_prefix: None,
            purpose: Some("logs".into()),
            versioning: Some(false),
            expiration_days: Some(7),
            noncurrent_version_expiration_days: None,
            kms_key_id: None,
            force_destroy: Some(false),
            tags: Some(BTreeMap::new()),
            tags_all: Some(BTreeMap::new()),
            arn: Some(bucket_arn("b", "us-east-1")),
            region: Some("us-east-1".into()),
            bucket_domain_name: Some(bucket_domain_name("b", "us-east-1")),
            sse_algorithm: Some(SSE_S3.into()),
            bucket_key_enabled: Some(false),
            public_access_blocked: Some(true),
            tls_required: Some(true),
            abort_incomplete_multipart_upload_days: Some(7),
            ownership_marker: None,
            timeouts: None,
        };
        let state = tfplugin::value::to_value(&model)
            .and_then(|v| v.conform(&super::super::schema::schema().value_type()))
            .unwrap();
        assert_eq!(
            state.get_attr("expiration_days"),
            Some(&tfplugin::value::Value::from(7))
        );
        assert_eq!(
            state.get_attr("tags"),
            Some(&tfplugin::value::Value::Map(BTreeMap::new()))
        );
        assert_eq!(
            state.get_attr("timeouts"),
            Some(&tfplugin::value::Value::Null)
        );
        assert!(state.is_wholly_known());
    }
}
