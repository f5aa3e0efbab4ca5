//! Tags on every AWS object: the provider's `default_tags`, the
//! resource's `tags` (which win), a `Name`, and identity tags by which the
//! provider finds its objects again (for read, import and drift).
//!
//! This module is what does not depend on the service: the provider's own
//! keys, the tags an object should have, which keys are reserved, the
//! user's tags read back from an object, the validator of the user's
//! `tags`, and what brings an object's tags to the wanted ones. Each
//! service's submodule turns tags into its SDK's types and makes its tag
//! calls: [`ec2`], [`rds`], [`elasticache`], [`s3`].

// Before the service modules, which use its macros.
#[macro_use]
mod macros;

pub mod ec2;
pub mod elasticache;
pub mod rds;
pub mod s3;

use std::collections::BTreeMap;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::path::AttributePath;
use tfplugin::schema::Validator;
use tfplugin::value::Value;

use crate::config::SwarmClient;

/// Marks every object this provider manages.
pub const MANAGED_BY: (&str, &str) = ("swarm:managed-by", "terraform-provider-swarm");

/// The tag naming the resource an object belongs to, e.g. `swarm:network`.
pub fn owner_key(kind: &str) -> String {
    format!("swarm:{kind}")
}

/// The tag saying what part of the resource an object is.
pub const ROLE_KEY: &str = "swarm:role";

/// The provider's `default_tags` with the resource's `tags` over them:
/// what `tags_all` shows, and what every object carries besides the
/// provider's own tags.
pub fn with_defaults(
    client: &SwarmClient,
    resource_tags: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut tags = client.default_tags.clone();
    tags.extend(
        resource_tags
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    tags
}

/// The tags every object of a resource carries: the default and the
/// resource's tags, and the identity tags (`swarm:managed-by`,
/// `swarm:<kind> = <resource name>`).
pub fn resource_tags(
    client: &SwarmClient,
    resource_tags: Option<&BTreeMap<String, String>>,
    kind: &str,
    resource_name: &str,
) -> BTreeMap<String, String> {
    let mut tags = with_defaults(client, resource_tags);
    tags.insert(MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned());
    tags.insert(owner_key(kind), resource_name.to_owned());
    tags
}

/// The tags of one object of a resource: [`resource_tags`], its `Name`
/// and its role (`swarm:role`).
pub fn object_tags(
    client: &SwarmClient,
    resource_tags: &BTreeMap<String, String>,
    kind: &str,
    resource_name: &str,
    role: &str,
    object_name: &str,
) -> BTreeMap<String, String> {
    let mut tags = self::resource_tags(client, Some(resource_tags), kind, resource_name);
    tags.insert("Name".to_owned(), object_name.to_owned());
    tags.insert(ROLE_KEY.to_owned(), role.to_owned());
    tags
}

/// How a reserved prefix is compared with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// As written: AWS keeps tag keys as given, case and all.
    Exact,
    /// In any case (`AWS:x` is an `aws:` key).
    Any,
}

/// Which tag keys are not the user's: `Name` (the provider names the
/// objects it makes), `swarm:*` (its identity tags) and `aws:*` (AWS's
/// own). [`Reserved::reserves`] is the one predicate; the resources do not
/// all reserve the same keys yet, and each constant says who uses it and
/// how it differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved {
    /// Whether `Name` (exactly) is reserved.
    pub name: bool,
    /// How `swarm:` is compared; `None`: not reserved.
    pub swarm: Option<Case>,
    /// How `aws:` is compared; `None`: not reserved.
    pub aws: Option<Case>,
}

impl Reserved {
    /// Every key an object carries that is not the user's: `Name`,
    /// `swarm:*` and `aws:*`. Read back by the node and the database.
    pub const OBJECT: Self = Self {
        name: true,
        swarm: Some(Case::Exact),
        aws: Some(Case::Exact),
    };

    /// The provider's own keys, `Name` and `swarm:*`. Read back by the
    /// network and the cache: they show `aws:*` tags as the user's.
    pub const PROVIDER: Self = Self {
        name: true,
        swarm: Some(Case::Exact),
        aws: None,
    };

    /// `swarm:*` and `aws:*`. Read back by the bucket: it sets no `Name`,
    /// so a `Name` tag on a bucket is the user's.
    pub const PREFIXES: Self = Self {
        name: false,
        swarm: Some(Case::Exact),
        aws: Some(Case::Exact),
    };

    /// `aws:*`: tags AWS sets itself, which cannot be removed.
    pub const AWS: Self = Self {
        name: false,
        swarm: None,
        aws: Some(Case::Exact),
    };

    /// Keys a configuration may not give, by [`tag_key`] (node, bucket):
    /// `swarm:*` as written, and `aws:*` in any case, as AWS refuses them.
    pub const CONFIG: Self = Self {
        name: false,
        swarm: Some(Case::Exact),
        aws: Some(Case::Any),
    };

    /// Keys the database's configuration may not give: `Name`, and both
    /// prefixes in any case.
    pub const CONFIG_ANY_CASE: Self = Self {
        name: true,
        swarm: Some(Case::Any),
        aws: Some(Case::Any),
    };

    /// Whether `key` is reserved.
    pub fn reserves(&self, key: &str) -> bool {
        let prefixed = |prefix: &str, case: Option<Case>| match case {
            None => false,
            Some(Case::Exact) => key.starts_with(prefix),
            Some(Case::Any) => key
                .get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix)),
        };
        (self.name && key == "Name") || prefixed("swarm:", self.swarm) || prefixed("aws:", self.aws)
    }

    /// `tags` without the reserved keys.
    pub fn without(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        tags.iter()
            .filter(|(k, _)| !self.reserves(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// A tag key the user may set: `swarm:` tags are the provider's own (they
/// identify its objects), `aws:` ones (in any case) AWS's.
pub fn tag_key(key: &str) -> Result<(), String> {
    if Reserved::CONFIG.reserves(key) {
        Err(format!(
            "{key:?} is reserved: swarm: tags are set by the provider and aws: tags by AWS"
        ))
    } else if key.is_empty() || key.chars().count() > 128 {
        Err(format!("{key:?} must have 1 to 128 characters"))
    } else {
        Ok(())
    }
}

/// What [`user_tags`] compares a default tag with, to tell whether the
/// user set it too. A default tag that has its default value on the
/// object is the provider's unless the basis says otherwise.
#[derive(Debug, Clone, Copy)]
pub enum Basis<'a> {
    /// Nothing to compare with (network, cache, bucket; and a resource
    /// without configured tags).
    None,
    /// The configured tags (database): a key they name is the user's
    /// whatever its value, so that a value changed out of band shows.
    Named(&'a BTreeMap<String, String>),
    /// The prior state's tags (node): a key is the user's when they have
    /// it with the value found.
    Same(&'a BTreeMap<String, String>),
}

/// The user's tags among an object's `tags` read back from AWS: those
/// without the `reserved` keys, less the provider's `defaults` that have
/// their default value (unless `basis` says the user set them too).
pub fn user_tags(
    tags: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
    reserved: Reserved,
    basis: Basis<'_>,
) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !reserved.reserves(k))
        .filter(|(k, v)| {
            defaults.get(*k) != Some(*v)
                || match basis {
                    Basis::None => false,
                    Basis::Named(basis) => basis.contains_key(*k),
                    Basis::Same(basis) => basis.get(*k) == Some(*v),
                }
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Tags as a map value of a state or plan (`tags_all`).
pub fn map_value(tags: BTreeMap<String, String>) -> Value {
    Value::Map(
        tags.into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
}

/// A limit on the number of the user's tags: AWS's per object, less what
/// the provider sets.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: usize,
    /// Why, in the error after the count ("EC2 allows 50 per object ...").
    pub why: &'static str,
}

/// Checks a resource's `tags` map (validators otherwise see only values):
/// not more than `limit`, and no key that `key` refuses.
#[derive(Debug, Clone, Copy)]
pub struct TagKeys {
    /// `None`: no limit.
    pub limit: Option<Limit>,
    /// What is reserved: why a key may not be set, from
    /// [`Reserved::reserves`] ([`tag_key`] or a resource's own wording).
    pub key: fn(&str) -> Result<(), String>,
    /// The keys `key` accepts, in words, for the documentation.
    pub keys: &'static str,
    /// The summary of the error on a refused key.
    pub summary: &'static str,
}

impl TagKeys {
    /// For a resource that names its objects (`Name` reserved too): at
    /// most `max` tags, for `why`.
    pub const fn named(max: usize, why: &'static str, key: fn(&str) -> Result<(), String>) -> Self {
        Self {
            limit: Some(Limit { max, why }),
            key,
            keys: "keys other than `Name` that do not start with `swarm:` or `aws:`",
            summary: "Invalid tag key",
        }
    }
}

impl Validator for TagKeys {
    fn description(&self) -> String {
        match self.limit {
            Some(limit) => format!("at most {} tags, with {}", limit.max, self.keys),
            None => self.keys.to_owned(),
        }
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Value::Map(tags) = value else { return };
        if let Some(limit) = self.limit
            && tags.len() > limit.max
        {
            diags.attribute_error(
                path.clone(),
                "Too many tags",
                format!(
                    "{path} must have at most {} tags, got {}; {}.",
                    limit.max,
                    tags.len(),
                    limit.why
                ),
            );
        }
        for key in tags.keys() {
            if let Err(why) = (self.key)(key) {
                diags.attribute_error(
                    path.push_key(key),
                    self.summary,
                    format!("{path} keys must not be reserved: {why}."),
                );
            }
        }
    }
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
    /// Only the tests ask: [`apply`] looks at each part on its own.
    #[cfg(test)]
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
            .filter(|k| !desired.contains_key(*k) && !Reserved::AWS.reserves(k))
            .cloned()
            .collect(),
    }
}

/// Brings the tags of an object (or of objects that all have `current`)
/// to `desired` with a service's two calls: `set` for the tags that are
/// new or changed, then `remove` for the keys that are gone; each is made
/// only when it has something to do.
async fn apply<S, R>(
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
    set: impl FnOnce(BTreeMap<String, String>) -> S,
    remove: impl FnOnce(Vec<String>) -> R,
) -> Result<(), Diagnostic>
where
    S: Future<Output = Result<(), Diagnostic>>,
    R: Future<Output = Result<(), Diagnostic>>,
{
    let changes = changes(current, desired);
    if !changes.set.is_empty() {
        set(changes.set).await?;
    }
    if !changes.remove.is_empty() {
        remove(changes.remove).await?;
    }
    Ok(())
}

/// The map of an SDK's tag list, given as (key, value) pairs: entries
/// without a key are skipped, a missing value is empty.
fn from_pairs<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn changes_set_what_differs_and_remove_what_is_gone() {
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

    #[test]
    fn changes_leave_only_exact_aws_keys() {
        let current = map(&[("AWS:x", "1"), ("aws:y", "2")]);
        assert_eq!(changes(&current, &BTreeMap::new()).remove, vec!["AWS:x"]);
    }

    #[test]
    fn tag_keys() {
        assert!(tag_key("team").is_ok());
        assert!(tag_key("Swarm:team").is_ok());
        assert!(tag_key("swarm:node").is_err());
        assert!(tag_key("AWS:cloudformation").is_err());
        assert!(tag_key("").is_err());
        assert!(tag_key(&"k".repeat(129)).is_err());
        assert!(tag_key("Name").is_ok());
    }

    #[test]
    fn reserved_keys_of_each_rule() {
        let cases: [(Reserved, [bool; 7]); 6] = [
            // Name, swarm:x, Swarm:x, aws:x, AWS:x, team, ""
            (
                Reserved::OBJECT,
                [true, true, false, true, false, false, false],
            ),
            (
                Reserved::PROVIDER,
                [true, true, false, false, false, false, false],
            ),
            (
                Reserved::PREFIXES,
                [false, true, false, true, false, false, false],
            ),
            (
                Reserved::AWS,
                [false, false, false, true, false, false, false],
            ),
            (
                Reserved::CONFIG,
                [false, true, false, true, true, false, false],
            ),
            (
                Reserved::CONFIG_ANY_CASE,
                [true, true, true, true, true, false, false],
            ),
        ];
        let keys = ["Name", "swarm:x", "Swarm:x", "aws:x", "AWS:x", "team", ""];
        for (reserved, expected) in cases {
            for (key, want) in keys.iter().zip(expected) {
                assert_eq!(reserved.reserves(key), want, "{reserved:?} {key:?}");
            }
        }
        // Neither `name` nor a prefix cut inside a character matches.
        assert!(!Reserved::CONFIG_ANY_CASE.reserves("name"));
        assert!(!Reserved::CONFIG_ANY_CASE.reserves("aw\u{e9}:x"));
    }

    #[test]
    fn without_drops_the_reserved_keys() {
        let tags = map(&[
            ("Name", "n"),
            ("swarm:node", "a"),
            ("aws:x", "1"),
            ("team", "t"),
        ]);
        assert_eq!(Reserved::OBJECT.without(&tags), map(&[("team", "t")]));
        assert_eq!(
            Reserved::AWS.without(&tags),
            map(&[("Name", "n"), ("swarm:node", "a"), ("team", "t")])
        );
    }

    /// An object's tags as AWS shows them: the provider's, a default tag
    /// with its default value, one with a changed value, the user's.
    fn found() -> BTreeMap<String, String> {
        map(&[
            ("Name", "n-1"),
            ("swarm:node", "n"),
            ("aws:cloudformation:stack", "s"),
            ("env", "prod"),
            ("owner", "changed"),
            ("team", "t"),
        ])
    }

    fn defaults() -> BTreeMap<String, String> {
        map(&[("env", "prod"), ("owner", "ops")])
    }

    #[test]
    fn user_tags_without_basis_drop_defaults_with_their_value() {
        // Network and cache: aws:* tags show as the user's.
        assert_eq!(
            user_tags(&found(), &defaults(), Reserved::PROVIDER, Basis::None),
            map(&[
                ("aws:cloudformation:stack", "s"),
                ("owner", "changed"),
                ("team", "t")
            ])
        );
        // Bucket: Name is the user's.
        assert_eq!(
            user_tags(&found(), &defaults(), Reserved::PREFIXES, Basis::None),
            map(&[("Name", "n-1"), ("owner", "changed"), ("team", "t")])
        );
        assert_eq!(
            user_tags(&found(), &defaults(), Reserved::OBJECT, Basis::None),
            map(&[("owner", "changed"), ("team", "t")])
        );
    }

    #[test]
    fn user_tags_named_keep_a_default_the_configuration_names() {
        // Database: named with another value, the default's value shows.
        let config = map(&[("env", "dev")]);
        assert_eq!(
            user_tags(
                &found(),
                &defaults(),
                Reserved::OBJECT,
                Basis::Named(&config)
            ),
            map(&[("env", "prod"), ("owner", "changed"), ("team", "t")])
        );
    }

    #[test]
    fn user_tags_same_keep_a_default_the_prior_state_has_with_that_value() {
        // Node: only with the same value.
        let other = map(&[("env", "dev")]);
        assert_eq!(
            user_tags(&found(), &defaults(), Reserved::OBJECT, Basis::Same(&other)),
            map(&[("owner", "changed"), ("team", "t")])
        );
        let same = map(&[("env", "prod")]);
        assert_eq!(
            user_tags(&found(), &defaults(), Reserved::OBJECT, Basis::Same(&same)),
            map(&[("env", "prod"), ("owner", "changed"), ("team", "t")])
        );
    }

    #[test]
    fn tag_keys_validator_checks_count_and_keys() {
        fn no_x(key: &str) -> Result<(), String> {
            if key == "x" {
                Err(format!("{key:?} is taken"))
            } else {
                Ok(())
            }
        }
        let check = TagKeys::named(2, "AWS allows 3", no_x);
        let tags = |keys: &[&str]| {
            Value::Map(
                keys.iter()
                    .map(|k| ((*k).to_owned(), Value::String("v".to_owned())))
                    .collect(),
            )
        };
        let path = AttributePath::attr("tags");
        let mut diags = Diagnostics::default();
        check.validate(&tags(&["a", "b"]), &path, &mut diags);
        assert!(diags.is_empty());
        check.validate(&tags(&["a", "b", "x"]), &path, &mut diags);
        let texts: Vec<(&str, &str)> = diags
            .iter()
            .map(|d| (d.summary.as_str(), d.detail.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (
                    "Too many tags",
                    "tags must have at most 2 tags, got 3; AWS allows 3."
                ),
                (
                    "Invalid tag key",
                    "tags keys must not be reserved: \"x\" is taken."
                ),
            ]
        );
        assert_eq!(
            check.description(),
            "at most 2 tags, with keys other than `Name` that do not start with `swarm:` or `aws:`"
        );
        // Unknown maps are checked once known.
        let mut diags = Diagnostics::default();
        check.validate(&Value::Unknown, &path, &mut diags);
        assert!(diags.is_empty());
    }

    #[test]
    fn from_pairs_skips_missing_keys() {
        assert_eq!(
            from_pairs([(Some("a"), Some("1")), (None, Some("2")), (Some("b"), None)]),
            map(&[("a", "1"), ("b", "")])
        );
    }
}
