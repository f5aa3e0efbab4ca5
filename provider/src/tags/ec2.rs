//! Tags of EC2 objects (VPCs and their parts, security groups, instances,
//! volumes, network interfaces): tagged at creation by a
//! TagSpecification, found by tag filters, changed by CreateTags and
//! DeleteTags, which take many objects per call.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;

/// How many objects one CreateTags or DeleteTags may name (EC2's limit
/// is 1000; smaller batches keep error messages readable).
const BATCH: usize = 200;

tag_conversions!(aws_sdk_ec2);

/// The tags as EC2 takes them at creation.
pub fn spec(resource_type: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(to_sdk(tags)))
        .build()
}

/// A describe filter selecting the objects of one resource.
pub fn owner_filter(kind: &str, resource_name: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{}", super::owner_key(kind)))
        .values(resource_name)
        .build()
}

/// CreateTags: sets `tags` on EC2 objects, many per call.
pub async fn create(
    client: &SwarmClient,
    resources: &[String],
    tags: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    if tags.is_empty() {
        return Ok(());
    }
    for chunk in resources.chunks(BATCH) {
        let request = client
            .ec2
            .create_tags()
            .set_resources(Some(chunk.to_vec()))
            .set_tags(Some(to_sdk(tags)))
            .send();
        aws::call("ec2", "CreateTags", request)
            .await
            .map_err(|e| aws::error(format!("Cannot tag {}", chunk.join(", ")), &e))?;
    }
    Ok(())
}

/// DeleteTags: removes tags by key from EC2 objects, many per call.
pub async fn delete(
    client: &SwarmClient,
    resources: &[String],
    keys: &[String],
) -> Result<(), Diagnostic> {
    if keys.is_empty() {
        return Ok(());
    }
    let tags: Vec<Tag> = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
    for chunk in resources.chunks(BATCH) {
        let request = client
            .ec2
            .delete_tags()
            .set_resources(Some(chunk.to_vec()))
            .set_tags(Some(tags.clone()))
            .send();
        aws::call("ec2", "DeleteTags", request)
            .await
            .map_err(|e| aws::error(format!("Cannot untag {}", chunk.join(", ")), &e))?;
    }
    Ok(())
}

/// Brings the tags of EC2 objects that all have `current` to `desired`:
/// CreateTags for what is new or changed, then DeleteTags for what is
/// gone; no call when nothing differs.
pub async fn sync(
    client: &SwarmClient,
    resources: &[String],
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    super::apply(
        current,
        desired,
        |set| async move { create(client, resources, &set).await },
        |keys| async move { delete(client, resources, &keys).await },
    )
    .await
}
