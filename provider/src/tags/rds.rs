//! Tags of RDS objects (DB instances, DB subnet groups): given at
//! creation, read from the instance's description or by
//! ListTagsForResource, changed by AddTagsToResource and
//! RemoveTagsFromResource, one object (ARN) per call.

use std::collections::BTreeMap;

use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;

tag_conversions!(aws_sdk_rds);
sync_by_arn!(rds, "rds");

/// ListTagsForResource: the tags of the object `arn`.
pub async fn list(client: &SwarmClient, arn: &str) -> Result<BTreeMap<String, String>, Diagnostic> {
    let out = aws::call(
        "rds",
        "ListTagsForResource",
        client
            .rds
            .list_tags_for_resource()
            .resource_name(arn)
            .send(),
    )
    .await
    .map_err(|e| aws::error(format!("Cannot read the tags of {arn}"), &e))?;
    Ok(from_sdk(out.tag_list()))
}
