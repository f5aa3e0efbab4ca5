//! Tags of AWS Backup objects (vaults, backup plans, restore testing
//! plans): given at creation as a map, read by ListTags, changed by
//! TagResource and UntagResource, one object (ARN) per call.

use std::collections::{BTreeMap, HashMap};

use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;

/// The tags as AWS Backup takes them.
pub fn to_sdk(tags: &BTreeMap<String, String>) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// ListTags: the tags of the object `arn` (every page).
pub async fn list(client: &SwarmClient, arn: &str) -> Result<BTreeMap<String, String>, Diagnostic> {
    let pages = aws::all_pages(|token| async move {
        let out = aws::call(
            "backup",
            "ListTags",
            client
                .backup
                .list_tags()
                .resource_arn(arn)
                .set_next_token(token)
                .send(),
        )
        .await
        .map_err(|e| aws::error(format!("Cannot read the tags of {arn}"), &e))?;
        let tags: BTreeMap<String, String> = out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        Ok((vec![tags], out.next_token().map(str::to_owned)))
    })
    .await?;
    Ok(pages.into_iter().flatten().collect())
}

/// Brings an object's tags from `current` to `desired`: TagResource for
/// what is new or changed, then UntagResource for what is gone.
pub async fn sync(
    client: &SwarmClient,
    arn: &str,
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    super::apply(
        current,
        desired,
        |set| async move {
            let request = client
                .backup
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(to_sdk(&set)))
                .send();
            aws::call("backup", "TagResource", request)
                .await
                .map(drop)
                .map_err(|e| aws::error(format!("Cannot tag {arn}"), &e))
        },
        |keys| async move {
            let request = client
                .backup
                .untag_resource()
                .resource_arn(arn)
                .set_tag_key_list(Some(keys))
                .send();
            aws::call("backup", "UntagResource", request)
                .await
                .map(drop)
                .map_err(|e| aws::error(format!("Cannot untag {arn}"), &e))
        },
    )
    .await
}
