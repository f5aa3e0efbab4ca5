//! Tags of S3 buckets: one tag set per bucket, read by GetBucketTagging
//! and replaced whole by PutBucketTagging (S3 has no call that adds or
//! removes single tags).

use std::collections::BTreeMap;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingError;
use aws_sdk_s3::types::{Tag, Tagging};
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;

/// A bucket's tags as a map.
pub fn from_sdk(tags: &[Tag]) -> BTreeMap<String, String> {
    super::from_pairs(tags.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

/// The tags as PutBucketTagging takes them.
pub fn tagging(tags: &BTreeMap<String, String>) -> Result<Tagging, Diagnostic> {
    let build_error = |e: aws_sdk_s3::error::BuildError| {
        Diagnostic::error("Cannot build the tagging request", e.to_string())
    };
    let tag_set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(build_error)?;
    Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(build_error)
}

/// GetBucketTagging: the bucket's tags; none when it has no tag set
/// (`NoSuchTagSet`). Other errors are the caller's to word (a bucket
/// that is gone is no error when the whole bucket is read).
pub async fn read(
    client: &SwarmClient,
    bucket: &str,
) -> Result<BTreeMap<String, String>, SdkError<GetBucketTaggingError>> {
    let request = client.s3.get_bucket_tagging().bucket(bucket).send();
    match aws::call("s3", "GetBucketTagging", request).await {
        Ok(out) => Ok(from_sdk(out.tag_set())),
        Err(err) if err.code() == Some("NoSuchTagSet") => Ok(BTreeMap::new()),
        Err(err) => Err(err),
    }
}

/// PutBucketTagging: replaces the bucket's tag set with `tags`.
pub async fn put(
    client: &SwarmClient,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    let request = client
        .s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging(tags)?)
        .send();
    aws::call("s3", "PutBucketTagging", request)
        .await
        .map(|_| ())
        .map_err(|e| aws::error(format!("Cannot set the tags of bucket {bucket:?}"), &e))
}
