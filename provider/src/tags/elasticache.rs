//! Tags of ElastiCache objects (replication groups, cache subnet groups):
//! given at creation, read by ListTagsForResource, changed by
//! AddTagsToResource and RemoveTagsFromResource, one object (ARN) per
//! call.

use std::collections::BTreeMap;

use aws_sdk_elasticache::error::SdkError;
use aws_sdk_elasticache::operation::list_tags_for_resource::ListTagsForResourceError;

use crate::aws;
use crate::config::SwarmClient;

tag_conversions!(aws_sdk_elasticache);
sync_by_arn!(elasticache, "elasticache");

/// ListTagsForResource: the tags of the object `arn`. The error is the
/// caller's to word: the cache reads its group's tags as part of reading
/// the cache, its subnet group's on their own.
pub async fn list(
    client: &SwarmClient,
    arn: &str,
) -> Result<BTreeMap<String, String>, SdkError<ListTagsForResourceError>> {
    let request = client
        .elasticache
        .list_tags_for_resource()
        .resource_name(arn)
        .send();
    let out = aws::call("elasticache", "ListTagsForResource", request).await?;
    Ok(from_sdk(out.tag_list()))
}
