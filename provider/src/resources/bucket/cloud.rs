//! The bucket in S3: what it has (one read of each configuration, all at
//! once), bringing it to what the plan asks for (only what differs, so the
//! same code creates, updates and repairs drift), emptying and deleting.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CreateBucketConfiguration, Delete, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
    ObjectIdentifier, ObjectOwnership, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;

use super::policy;
use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::{self, Identity, Marker, Sets, Taken};
use crate::tags;
use crate::waiter::{self, Poll, Wait};

/// The id of the one lifecycle rule the provider writes.
pub const RULE_ID: &str = "swarm-retention";
/// The tag holding the bucket's purpose, so that import can restore it.
pub const PURPOSE_KEY: &str = "swarm:purpose";
/// The resource kind in identity tags (`swarm:bucket = <name>`).
pub const KIND: &str = "bucket";

/// Default encryption: the algorithm S3 reports (`AES256`, `aws:kms`), the
/// key for SSE-KMS, and whether S3 Bucket Keys cut KMS requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key: bool,
}

/// What the provider's lifecycle rule does, in days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    pub expiration_days: Option<i64>,
    pub noncurrent_days: Option<i64>,
    pub abort_multipart_days: Option<i64>,
}

/// The lifecycle configuration, as far as the provider is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Lifecycle {
    #[default]
    None,
    /// Exactly the provider's rule, for the whole bucket.
    Ours(Retention),
    /// Anything else: other rules, ours disabled, narrowed or extended.
    Other,
}

/// What the bucket should be.
#[derive(Debug, Clone)]
pub struct Desired {
    pub name: String,
    pub arn: String,
    pub region: String,
    pub versioning: bool,
    pub encryption: Encryption,
    pub retention: Retention,
    pub tags: BTreeMap<String, String>,
}

/// One part of a bucket's configuration, in the order they are applied:
/// identity tags first (so that an interrupted create is recognized as the
/// provider's), then the access restrictions, then the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    Tags,
    PublicAccessBlock,
    Encryption,
    Policy,
    Versioning,
    Lifecycle,
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aspect::Tags => "tags",
            Aspect::PublicAccessBlock => "public access block",
            Aspect::Encryption => "default encryption",
            Aspect::Policy => "TLS-only bucket policy",
            Aspect::Versioning => "versioning",
            Aspect::Lifecycle => "lifecycle rule",
        })
    }
}

/// What S3 has of a bucket.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub versioning: Option<BucketVersioningStatus>,
    pub encryption: Option<Encryption>,
    pub lifecycle: Lifecycle,
    pub public_access_blocked: bool,
    pub policy: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// Why a read found nothing to describe.
enum Unread {
    /// The bucket does not exist.
    Gone,
    Failed(Diagnostic),
}

/// A read's result: `None` where S3 answers that the configuration is not
/// set (`absent` error codes), `Gone` when the bucket does not exist.
fn optional<T, E, R>(
    what: &str,
    name: &str,
    result: Result<T, SdkError<E, R>>,
    absent: &[&str],
) -> Result<Option<T>, Unread>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(err) => match err.code() {
            Some("NoSuchBucket") => Err(Unread::Gone),
            Some(code) if absent.contains(&code) => Ok(None),
            _ => Err(Unread::Failed(aws::error(
                format!("Cannot read the {what} of bucket {name:?}"),
                &err,
            ))),
        },
    }
}

/// Whether a rule applies to every object. The rule-level `Prefix` is
/// deprecated, but rules written with it (older tools) still narrow a rule.
#[allow(deprecated)]
fn whole_bucket(rule: &LifecycleRule) -> bool {
    let no_prefix = |p: Option<&str>| p.is_none_or(str::is_empty);
    no_prefix(rule.prefix())
        && rule.filter().is_none_or(|f| {
            no_prefix(f.prefix())
                && f.tag().is_none()
                && f.and().is_none()
                && f.object_size_greater_than().is_none()
                && f.object_size_less_than().is_none()
        })
}

fn lifecycle_of(rules: &[LifecycleRule]) -> Lifecycle {
    let [rule] = rules else {
        return if rules.is_empty() {
            Lifecycle::None
        } else {
            Lifecycle::Other
        };
    };
    let expiration_plain = rule
        .expiration()
        .is_none_or(|e| e.date().is_none() && e.expired_object_delete_marker().is_none());
    let noncurrent_plain = rule
        .noncurrent_version_expiration()
        .is_none_or(|e| e.newer_noncurrent_versions().is_none());
    let ours = rule.id() == Some(RULE_ID)
        && *rule.status() == ExpirationStatus::Enabled
        && whole_bucket(rule)
        && rule.transitions().is_empty()
        && rule.noncurrent_version_transitions().is_empty()
        && expiration_plain
        && noncurrent_plain;
    if !ours {
        return Lifecycle::Other;
    }
    Lifecycle::Ours(Retention {
        expiration_days: rule
            .expiration()
            .and_then(LifecycleExpiration::days)
            .map(i64::from),
        noncurrent_days: rule
            .noncurrent_version_expiration()
            .and_then(NoncurrentVersionExpiration::noncurrent_days)
            .map(i64::from),
        abort_multipart_days: rule
            .abort_incomplete_multipart_upload()
            .and_then(AbortIncompleteMultipartUpload::days_after_initiation)
            .map(i64::from),
    })
}

impl Observed {
    /// Reads every configuration of the bucket at once; `None` when the
    /// bucket does not exist.
    pub async fn load(client: &SwarmClient, name: &str) -> Result<Option<Self>, Diagnostic> {
        let s3 = &client.s3;
        let (versioning, encryption, lifecycle, access, policy, tags) = tokio::join!(
            aws::call(
                "s3",
                "GetBucketVersioning",
                s3.get_bucket_versioning().bucket(name).send()
            ),
            aws::call(
                "s3",
                "GetBucketEncryption",
                s3.get_bucket_encryption().bucket(name).send()
            ),
            aws::call(
                "s3",
                "GetBucketLifecycleConfiguration",
                s3.get_bucket_lifecycle_configuration().bucket(name).send()
            ),
            aws::call(
                "s3",
                "GetPublicAccessBlock",
                s3.get_public_access_block().bucket(name).send()
            ),
            aws::call(
                "s3",
                "GetBucketPolicy",
                s3.get_bucket_policy().bucket(name).send()
            ),
            tags::s3::read(client, name),
        );
        let read = || -> Result<Self, Unread> {
            let versioning = optional("versioning", name, versioning, &[])?;
            let encryption = optional(
                "default encryption",
                name,
                encryption,
                &["ServerSideEncryptionConfigurationNotFoundError"],
            )?;
            let lifecycle = optional(
                "lifecycle configuration",
                name,
                lifecycle,
                &["NoSuchLifecycleConfiguration"],
            )?;
            let access = optional(
                "public access block",
                name,
                access,
                &["NoSuchPublicAccessBlockConfiguration"],
            )?;
            let policy = optional("bucket policy", name, policy, &["NoSuchBucketPolicy"])?;
            let tags = optional("tags", name, tags, &[])?;
            Ok(Self {
                versioning: versioning.and_then(|v| v.status().cloned()),
                encryption: encryption
                    .as_ref()
                    .and_then(|e| e.server_side_encryption_configuration())
                    .and_then(|c| c.rules().first())
                    .and_then(|rule| {
                        let default = rule.apply_server_side_encryption_by_default()?;
                        Some(Encryption {
                            algorithm: default.sse_algorithm().as_str().to_owned(),
                            kms_key_id: default.kms_master_key_id().map(str::to_owned),
                            bucket_key: rule.bucket_key_enabled().unwrap_or(false),
                        })
                    }),
                lifecycle: lifecycle.map_or(Lifecycle::None, |l| lifecycle_of(l.rules())),
                public_access_blocked: access
                    .as_ref()
                    .and_then(|a| a.public_access_block_configuration())
                    .is_some_and(|c| {
                        c.block_public_acls() == Some(true)
                            && c.ignore_public_acls() == Some(true)
                            && c.block_public_policy() == Some(true)
                            && c.restrict_public_buckets() == Some(true)
                    }),
                policy: policy.and_then(|p| p.policy().map(str::to_owned)),
                tags: tags.unwrap_or_default(),
            })
        };
        match read() {
            Ok(seen) => Ok(Some(seen)),
            Err(Unread::Gone) => Ok(None),
            Err(Unread::Failed(d)) => Err(d),
        }
    }

    pub fn versioning_enabled(&self) -> bool {
        self.versioning == Some(BucketVersioningStatus::Enabled)
    }

    /// The provider's rule, when the lifecycle configuration is just that.
    pub fn retention(&self) -> Retention {
        match &self.lifecycle {
            Lifecycle::Ours(retention) => retention.clone(),
            _ => Retention::default(),
        }
    }

    pub fn tls_required(&self, arn: &str) -> bool {
        policy::requires_tls(self.policy.as_deref(), arn)
    }

    /// What differs from `desired`, in the order to apply it.
    pub fn differences(&self, desired: &Desired) -> Vec<Aspect> {
        let mut out = Vec::new();
        // Tags AWS sets itself (`aws:*`) are read-only, and not compared.
        if tags::without_aws(&self.tags) != desired.tags {
            out.push(Aspect::Tags);
        }
        if !self.public_access_blocked {
            out.push(Aspect::PublicAccessBlock);
        }
        if self.encryption.as_ref() != Some(&desired.encryption) {
            out.push(Aspect::Encryption);
        }
        if !self.tls_required(&desired.arn) {
            out.push(Aspect::Policy);
        }
        // Never-versioned and suspended both mean "off"; a bucket once
        // versioned can only be suspended.
        if self.versioning_enabled() != desired.versioning {
            out.push(Aspect::Versioning);
        }
        if self.lifecycle != Lifecycle::Ours(desired.retention.clone()) {
            out.push(Aspect::Lifecycle);
        }
        out
    }

    pub fn purpose(&self) -> Option<&str> {
        self.tags.get(PURPOSE_KEY).map(String::as_str)
    }

    /// The bucket's marker (its `swarm:owner` tag).
    pub fn marker(&self) -> Option<&str> {
        self.tags.get(ownership::KEY).map(String::as_str)
    }

    /// What `id` finds: the bucket of its name, if it carries `id`'s
    /// marker; `None` otherwise.
    pub async fn of(client: &SwarmClient, id: &Identity) -> Result<Option<Self>, Diagnostic> {
        Ok(Self::load(client, &id.id)
            .await?
            .filter(|seen| id.owns(&seen.tags)))
    }

    /// The bucket, by marker: what an import by name finds (one bucket,
    /// so one set).
    pub fn sets(&self) -> Sets {
        let mut sets = Sets::default();
        sets.add(self.marker(), "the bucket");
        sets
    }
}

/// Before a create (at plan, and again at apply): whether the bucket name
/// is free. Bucket names are global: a name can be another account's, or a
/// bucket of this account's that is not this resource's (a create has no
/// marker yet, so any bucket of the name is someone else's, or the user's
/// to import; but, at plan, the one it replaces, with one of the
/// `replaced` markers: see `ownership::replaced`).
pub async fn check_free(
    client: &SwarmClient,
    name: &str,
    replaced: &[Marker],
) -> Result<(), Diagnostic> {
    let head = aws::call(
        "s3",
        "HeadBucket",
        client.s3.head_bucket().bucket(name).send(),
    )
    .await;
    match head {
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(()),
        Err(err)
            if matches!(
                err.raw_response().map(|r| r.status().as_u16()),
                Some(403 | 301)
            ) =>
        {
            Err(Diagnostic::error(
                "Bucket name taken",
                format!(
                    "A bucket named {name:?} already exists in another account or region (bucket \
                     names are global). Choose another name, or use name_prefix."
                ),
            )
            .at(AttributePath::attr("name")))
        }
        Err(err) => Err(aws::error(
            format!("Cannot check bucket name {name:?}"),
            &err,
        )),
        Ok(_) => {
            let tags = tags::s3::read(client, name).await.map_err(|err| {
                aws::error(format!("Cannot read the tags of bucket {name:?}"), &err)
            })?;
            let marker = tags.get(ownership::KEY).map(String::as_str);
            let found = vec![Taken::new("bucket", name, marker)];
            ownership::refuse_taken("swarm_bucket", name, found, replaced)
        }
    }
}

/// The error of a bucket of `name`, with `tags`, that is not this
/// resource's.
pub fn taken(name: &str, tags: &BTreeMap<String, String>) -> Diagnostic {
    let marker = tags.get(ownership::KEY).map(String::as_str);
    ownership::name_taken("swarm_bucket", name, &[Taken::new("bucket", name, marker)])
}

fn build_error(what: &str, err: &aws_sdk_s3::error::BuildError) -> Diagnostic {
    Diagnostic::error(format!("Cannot build the {what} request"), err.to_string())
}

/// HeadBucket: whether the bucket answers (S3 is eventually consistent
/// about buckets just created or deleted, so the waits ask this).
async fn exists(client: &SwarmClient, name: &str) -> Result<bool, Diagnostic> {
    let request = client.s3.head_bucket().bucket(name).send();
    match aws::call("s3", "HeadBucket", request).await {
        Ok(_) => Ok(true),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
        Err(err) => Err(aws::error(format!("Cannot read bucket {name:?}"), &err)),
    }
}

pub async fn create(
    client: &SwarmClient,
    desired: &Desired,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let name = &desired.name;
    {
        let mut call = client
            .s3
            .create_bucket()
            .bucket(name)
            // ACLs off: the bucket owner owns every object, and access is
            // only what policies grant.
            .object_ownership(ObjectOwnership::BucketOwnerEnforced);
        // us-east-1 is the default location and may not be named.
        if desired.region != "us-east-1" {
            call = call.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(desired.region.as_str()))
                    .build(),
            );
        }
        match aws::call("s3", "CreateBucket", call.send()).await {
            Ok(_) => {}
            // A retried request whose first attempt went through (the
            // caller found no bucket of the name just before).
            Err(err) if err.code() == Some("BucketAlreadyOwnedByYou") => {}
            Err(err) if err.code() == Some("BucketAlreadyExists") => {
                return Err(Diagnostic::error(
                    "Bucket name taken",
                    format!(
                        "A bucket named {name:?} was just created by another account (bucket names \
                         are global). Choose another name, or use name_prefix."
                    ),
                )
                .at(AttributePath::attr("name")));
            }
            Err(err) => return Err(aws::error(format!("Cannot create bucket {name:?}"), &err)),
        }
    }
    // S3 is eventually consistent: the bucket may not answer at once.
    waiter::wait_for(
        "the bucket to exist",
        wait.remaining(),
        wait.cancel,
        || async {
            Ok(if exists(client, name).await? {
                Poll::Ready(())
            } else {
                Poll::Pending("not found".to_owned())
            })
        },
    )
    .await
    .map_err(|e| match e {
        waiter::WaitError::Failed(d) => d,
        other => Diagnostic::error(format!("Bucket {name:?} not ready"), other.to_string()),
    })
}

fn encryption_configuration(
    encryption: &Encryption,
) -> Result<ServerSideEncryptionConfiguration, Diagnostic> {
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::from(encryption.algorithm.as_str()))
        .set_kms_master_key_id(encryption.kms_key_id.clone())
        .build()
        .map_err(|e| build_error("encryption", &e))?;
    ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .bucket_key_enabled(encryption.bucket_key)
                .build(),
        )
        .build()
        .map_err(|e| build_error("encryption", &e))
}

fn days(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn lifecycle_configuration(
    retention: &Retention,
) -> Result<BucketLifecycleConfiguration, Diagnostic> {
    let mut rule = LifecycleRule::builder()
        .id(RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build());
    if let Some(d) = retention.expiration_days {
        rule = rule.expiration(LifecycleExpiration::builder().days(days(d)).build());
    }
    if let Some(d) = retention.noncurrent_days {
        rule = rule.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days(d))
                .build(),
        );
    }
    if let Some(d) = retention.abort_multipart_days {
        rule = rule.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days(d))
                .build(),
        );
    }
    let rule = rule.build().map_err(|e| build_error("lifecycle", &e))?;
    BucketLifecycleConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| build_error("lifecycle", &e))
}

pub async fn apply_aspect(
    client: &SwarmClient,
    desired: &Desired,
    seen: &Observed,
    aspect: Aspect,
) -> Result<(), Diagnostic> {
    let s3 = &client.s3;
    let name = &desired.name;
    let fail = |err: &(dyn std::error::Error + 'static)| {
        Diagnostic::error(
            format!("Cannot set the {aspect} of bucket {name:?}"),
            aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
        )
    };
    match aspect {
        Aspect::Tags => tags::s3::put(client, name, &desired.tags).await,
        Aspect::PublicAccessBlock => aws::call(
            "s3",
            "PutPublicAccessBlock",
            s3.put_public_access_block()
                .bucket(name)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| fail(&e)),
        Aspect::Encryption => aws::call(
            "s3",
            "PutBucketEncryption",
            s3.put_bucket_encryption()
                .bucket(name)
                .server_side_encryption_configuration(encryption_configuration(
                    &desired.encryption,
                )?)
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| fail(&e)),
        Aspect::Policy => aws::call(
            "s3",
            "PutBucketPolicy",
            s3.put_bucket_policy()
                .bucket(name)
                .policy(policy::with_tls_statement(
                    seen.policy.as_deref(),
                    &desired.arn,
                ))
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| fail(&e)),
        Aspect::Versioning => {
            let status = if desired.versioning {
                BucketVersioningStatus::Enabled
            } else {
                BucketVersioningStatus::Suspended
            };
            aws::call(
                "s3",
                "PutBucketVersioning",
                s3.put_bucket_versioning()
                    .bucket(name)
                    .versioning_configuration(
                        VersioningConfiguration::builder().status(status).build(),
                    )
                    .send(),
            )
            .await
            .map(|_| ())
            .map_err(|e| fail(&e))
        }
        Aspect::Lifecycle => aws::call(
            "s3",
            "PutBucketLifecycleConfiguration",
            s3.put_bucket_lifecycle_configuration()
                .bucket(name)
                .lifecycle_configuration(lifecycle_configuration(&desired.retention)?)
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(|e| fail(&e)),
    }
}

/// Up to the first 1000 object versions and delete markers: how many, and
/// whether there are more. `None` when the bucket does not exist.
pub async fn contents(
    client: &SwarmClient,
    name: &str,
) -> Result<Option<(usize, bool)>, Diagnostic> {
    let listed = aws::call(
        "s3",
        "ListObjectVersions",
        client.s3.list_object_versions().bucket(name).send(),
    )
    .await;
    match listed {
        Ok(page) => Ok(Some((
            page.versions().len() + page.delete_markers().len(),
            page.is_truncated().unwrap_or(false),
        ))),
        Err(err) if err.code() == Some("NoSuchBucket") => Ok(None),
        Err(err) => Err(aws::error(
            format!("Cannot list the objects of bucket {name:?}"),
            &err,
        )),
    }
}

/// The diagnostic for destroying a bucket that holds objects.
pub fn not_empty(name: &str, count: usize, more: bool) -> Diagnostic {
    let count = if more {
        format!("more than {count}")
    } else {
        count.to_string()
    };
    Diagnostic::error(
        format!("Bucket {name:?} is not empty"),
        format!(
            "Bucket {name:?} holds {count} objects, object versions or delete markers, and \
             destroying it would delete them. Nothing was deleted. Empty the bucket first, or \
             set force_destroy = true and apply before destroying it."
        ),
    )
    .at(AttributePath::attr("force_destroy"))
}

/// Deletes every object version and delete marker, a page (up to 1000) at
/// a time with one DeleteObjects call each. Returns how many it deleted.
///
/// Each page is listed from the start of what is left rather than from
/// the previous page's markers: the entries those markers name have just
/// been deleted, and what was written meanwhile is picked up too.
pub async fn empty(client: &SwarmClient, name: &str, wait: &Wait<'_>) -> Result<usize, Diagnostic> {
    let s3 = &client.s3;
    let mut deleted = 0;
    loop {
        if wait.cancel.is_cancelled() {
            return Err(Diagnostic::error(
                format!("Emptying bucket {name:?} cancelled"),
                format!("{deleted} object versions were deleted before the cancellation."),
            ));
        }
        if wait.remaining().is_zero() {
            return Err(Diagnostic::error(
                format!("Timed out emptying bucket {name:?}"),
                format!(
                    "{deleted} object versions were deleted; raise timeouts.delete and destroy \
                     again."
                ),
            ));
        }
        let page = match aws::call(
            "s3",
            "ListObjectVersions",
            s3.list_object_versions().bucket(name).send(),
        )
        .await
        {
            Ok(page) => page,
            Err(err) if err.code() == Some("NoSuchBucket") => return Ok(deleted),
            Err(err) => {
                return Err(aws::error(
                    format!("Cannot list the objects of bucket {name:?}"),
                    &err,
                ));
            }
        };
        let entries = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        let objects = entries
            .filter_map(|(key, version)| {
                Some(
                    ObjectIdentifier::builder()
                        .key(key?)
                        .set_version_id(version.map(str::to_owned))
                        .build(),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| build_error("delete", &e))?;
        // A page holds at most 1000 entries, as many as DeleteObjects takes.
        for batch in objects.chunks(1000) {
            let delete = Delete::builder()
                .set_objects(Some(batch.to_vec()))
                .quiet(true)
                .build()
                .map_err(|e| build_error("delete", &e))?;
            let out = aws::call(
                "s3",
                "DeleteObjects",
                s3.delete_objects().bucket(name).delete(delete).send(),
            )
            .await
            .map_err(|e| aws::error(format!("Cannot delete the objects of bucket {name:?}"), &e))?;
            if let Some(first) = out.errors().first() {
                return Err(Diagnostic::error(
                    format!("Cannot delete the objects of bucket {name:?}"),
                    format!(
                        "{} of {} deletions failed, e.g. {:?} version {:?}: {} {}",
                        out.errors().len(),
                        batch.len(),
                        first.key().unwrap_or_default(),
                        first.version_id().unwrap_or_default(),
                        first.code().unwrap_or_default(),
                        first.message().unwrap_or_default()
                    ),
                ));
            }
            deleted += batch.len();
        }
        if objects.is_empty() || !page.is_truncated().unwrap_or(false) {
            return Ok(deleted);
        }
    }
}

/// Deletes the (empty) bucket and waits until it is gone.
pub async fn delete(client: &SwarmClient, name: &str, wait: &Wait<'_>) -> Result<(), Diagnostic> {
    match aws::call(
        "s3",
        "DeleteBucket",
        client.s3.delete_bucket().bucket(name).send(),
    )
    .await
    {
        Ok(_) => {}
        Err(err) if err.code() == Some("NoSuchBucket") => return Ok(()),
        // Objects written since the check (or while emptying).
        Err(err) if err.code() == Some("BucketNotEmpty") => {
            let (count, more) = contents(client, name).await?.unwrap_or((0, false));
            return Err(not_empty(name, count, more));
        }
        Err(err) => return Err(aws::error(format!("Cannot delete bucket {name:?}"), &err)),
    }
    waiter::wait_for(
        "the bucket to be deleted",
        wait.remaining(),
        wait.cancel,
        || async {
            Ok(if exists(client, name).await? {
                Poll::Pending("still exists".to_owned())
            } else {
                Poll::Ready(())
            })
        },
    )
    .await
    .map_err(|e| match e {
        waiter::WaitError::Failed(d) => d,
        other => Diagnostic::error(format!("Bucket {name:?} not deleted"), other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
        LifecycleRule::builder()
            .id(id)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .expiration(LifecycleExpiration::builder().days(30).build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(7)
                    .build(),
            )
    }

    #[test]
    fn only_our_rule_alone_counts() {
        let ours = rule(RULE_ID).build().unwrap();
        assert_eq!(
            lifecycle_of(std::slice::from_ref(&ours)),
            Lifecycle::Ours(Retention {
                expiration_days: Some(30),
                noncurrent_days: None,
                abort_multipart_days: Some(7),
            })
        );
        assert_eq!(lifecycle_of(&[]), Lifecycle::None);
        let other = rule("someone-else").build().unwrap();
        assert_eq!(
            lifecycle_of(&[ours.clone(), other.clone()]),
            Lifecycle::Other
        );
        assert_eq!(lifecycle_of(&[other]), Lifecycle::Other);
        let disabled = rule(RULE_ID)
            .status(ExpirationStatus::Disabled)
            .build()
            .unwrap();
        assert_eq!(lifecycle_of(&[disabled]), Lifecycle::Other);
        let narrowed = rule(RULE_ID)
            .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
            .build()
            .unwrap();
        assert_eq!(lifecycle_of(&[narrowed]), Lifecycle::Other);
    }

    #[test]
    fn written_rules_read_back_as_ours() {
        let retention = Retention {
            expiration_days: None,
            noncurrent_days: Some(90),
            abort_multipart_days: Some(7),
        };
        let config = lifecycle_configuration(&retention).unwrap();
        assert_eq!(lifecycle_of(config.rules()), Lifecycle::Ours(retention));
    }
}
