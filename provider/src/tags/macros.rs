//! What services whose SDK crates have the same shape (the same
//! builders and accessors, in separate types) share: written once as
//! macros that each service's module expands.

/// `to_sdk` and `from_sdk` of a service whose SDK `Tag` has an optional
/// key and value: EC2, RDS and ElastiCache have the same type in separate
/// crates (`$krate`).
macro_rules! tag_conversions {
    ($krate:ident) => {
        /// The tags as the SDK takes them.
        pub fn to_sdk(
            tags: &std::collections::BTreeMap<String, String>,
        ) -> Vec<$krate::types::Tag> {
            tags.iter()
                .map(|(k, v)| $krate::types::Tag::builder().key(k).value(v).build())
                .collect()
        }

        /// An object's tags as a map.
        pub fn from_sdk(tags: &[$krate::types::Tag]) -> std::collections::BTreeMap<String, String> {
            super::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
        }
    };
}

/// `sync` of a service that tags one object by its ARN with
/// AddTagsToResource and RemoveTagsFromResource: RDS and ElastiCache have
/// the same calls in separate crates. `$client` is the service's field of
/// `SwarmClient`, `$service` its name for [`crate::aws::call`].
macro_rules! sync_by_arn {
    ($client:ident, $service:literal) => {
        /// Brings an object's tags from `current` to `desired`:
        /// AddTagsToResource for what is new or changed, then
        /// RemoveTagsFromResource for what is gone (tags AWS sets itself,
        /// `aws:*`, are left alone).
        pub async fn sync(
            client: &$crate::config::SwarmClient,
            arn: &str,
            current: &std::collections::BTreeMap<String, String>,
            desired: &std::collections::BTreeMap<String, String>,
        ) -> Result<(), tfplugin::diag::Diagnostic> {
            let service = &client.$client;
            super::apply(
                current,
                desired,
                |set| async move {
                    let request = service
                        .add_tags_to_resource()
                        .resource_name(arn)
                        .set_tags(Some(to_sdk(&set)))
                        .send();
                    $crate::aws::call($service, "AddTagsToResource", request)
                        .await
                        .map(drop)
                        .map_err(|e| $crate::aws::error(format!("Cannot tag {arn}"), &e))
                },
                |keys| async move {
                    let request = service
                        .remove_tags_from_resource()
                        .resource_name(arn)
                        .set_tag_keys(Some(keys))
                        .send();
                    $crate::aws::call($service, "RemoveTagsFromResource", request)
                        .await
                        .map(drop)
                        .map_err(|e| $crate::aws::error(format!("Cannot untag {arn}"), &e))
                },
            )
            .await
        }
    };
}
