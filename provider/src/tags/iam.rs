//! Tags of IAM roles: given at creation, read with the role (GetRole),
//! changed by TagRole and UntagRole.

use std::collections::BTreeMap;

use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;

/// The tags as the SDK takes them (its `Tag` builder checks that key and
/// value are set, which they always are here).
pub fn to_sdk(tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_iam::types::Tag>, Diagnostic> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| {
                    Diagnostic::error(
                        "Cannot build an IAM tag",
                        format!("{e}. This is a bug in the provider."),
                    )
                })
        })
        .collect()
}

/// A role's tags as a map.
pub fn from_sdk(tags: &[aws_sdk_iam::types::Tag]) -> BTreeMap<String, String> {
    super::from_pairs(tags.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

/// Brings the role `name`'s tags from `current` to `desired`.
pub async fn sync_role(
    client: &SwarmClient,
    name: &str,
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    super::apply(
        current,
        desired,
        |set| async move {
            let request = client
                .iam
                .tag_role()
                .role_name(name)
                .set_tags(Some(to_sdk(&set)?))
                .send();
            aws::call("iam", "TagRole", request)
                .await
                .map(drop)
                .map_err(|e| aws::error(format!("Cannot tag IAM role {name:?}"), &e))
        },
        |keys| async move {
            let request = client
                .iam
                .untag_role()
                .role_name(name)
                .set_tag_keys(Some(keys))
                .send();
            aws::call("iam", "UntagRole", request)
                .await
                .map(drop)
                .map_err(|e| aws::error(format!("Cannot untag IAM role {name:?}"), &e))
        },
    )
    .await
}
