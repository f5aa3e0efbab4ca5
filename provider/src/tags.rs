//! Tags on every AWS object: the provider's `default_tags`, the
//! resource's `tags` (which win), a `Name`, and identity tags by which the
//! provider finds its objects again (for read, import and drift).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::SwarmClient;

/// Marks every object this provider manages.
pub const MANAGED_BY: (&str, &str) = ("swarm:managed-by", "terraform-provider-swarm");

/// The tag naming the resource an object belongs to, e.g. `swarm:network`.
pub fn owner_key(kind: &str) -> String {
    format!("swarm:{kind}")
}

/// The tag saying what part of the resource an object is.
pub const ROLE_KEY: &str = "swarm:role";

/// The tags of one object of a resource.
pub fn object_tags(
    client: &SwarmClient,
    resource_tags: &BTreeMap<String, String>,
    kind: &str,
    resource_name: &str,
    role: &str,
    object_name: &str,
) -> BTreeMap<String, String> {
    let mut tags = client.default_tags.clone();
    tags.extend(resource_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags.insert("Name".to_owned(), object_name.to_owned());
    tags.insert(MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned());
    tags.insert(owner_key(kind), resource_name.to_owned());
    tags.insert(ROLE_KEY.to_owned(), role.to_owned());
    tags
}

/// The tags as EC2 takes them at creation.
pub fn ec2_spec(resource_type: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource_type)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

pub fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// A describe filter selecting the objects of one resource.
pub fn owner_filter(kind: &str, resource_name: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{}", owner_key(kind)))
        .values(resource_name)
        .build()
}

/// An EC2 object's tags as a map.
pub fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// The user's tags on an object: what is left without the provider's own
/// and the default tags whose values are unchanged.
pub fn user_tags(
    tags: &BTreeMap<String, String>,
    client: &SwarmClient,
) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !k.starts_with("swarm:") && k.as_str() != "Name")
        .filter(|(k, v)| client.default_tags.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What brings an object's tags from `current` to `desired`: the tags to
/// set (new or changed) and the keys to remove. Tags AWS sets itself
/// (`aws:*`) cannot be removed and are left alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChanges {
    pub set: BTreeMap<String, String>,
    pub remove: Vec<String>,
}

impl TagChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

pub fn changes(
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> TagChanges {
    TagChanges {
        set: desired
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: current
            .keys()
            .filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:"))
            .cloned()
            .collect(),
    }
}

/// CreateTags: sets `tags` on EC2 objects, many per call.
pub async fn ec2_set(
    client: &SwarmClient,
    resources: &[String],
    tags: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    if tags.is_empty() {
        return Ok(());
    }
    for chunk in resources.chunks(EC2_TAG_BATCH) {
        let request = client
            .ec2
            .create_tags()
            .set_resources(Some(chunk.to_vec()))
            .set_tags(Some(ec2_tags(tags)))
            .send();
        aws::call("ec2", "CreateTags", request)
            .await
            .map_err(|e| aws::error(format!("Cannot tag {}", chunk.join(", ")), &e))?;
    }
    Ok(())
}

/// DeleteTags: removes tags by key from EC2 objects, many per call.
pub async fn ec2_remove(
    client: &SwarmClient,
    resources: &[String],
    keys: &[String],
) -> Result<(), Diagnostic> {
    if keys.is_empty() {
        return Ok(());
    }
    let tags: Vec<Tag> = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
    for chunk in resources.chunks(EC2_TAG_BATCH) {
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

/// How many objects one CreateTags or DeleteTags may name (EC2's limit
/// is 1000; smaller batches keep error messages readable).
const EC2_TAG_BATCH: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_set_what_differs_and_remove_what_is_gone() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let current = map(&[("a", "1"), ("b", "2"), ("gone", "x"), ("aws:cfn", "y")]);
        let desired = map(&[("a", "1"), ("b", "3"), ("new", "4")]);
        assert_eq!(
            changes(&current, &desired),
            TagChanges {
                set: map(&[("b", "3"), ("new", "4")]),
                remove: vec!["gone".to_owned()],
            }
        );
        assert!(changes(&desired, &desired).is_empty());
    }
}
