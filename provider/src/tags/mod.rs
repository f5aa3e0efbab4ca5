//! Tags on every AWS object: the provider's `default_tags`, the
//! resource's `tags` (which win), a `Name`, and identity tags by which the
//! provider finds its objects again (for read, import and drift).
//!
//! This module is what does not depend on the service, written once for
//! every resource:
//!
//! - the tags an object should have ([`object_tags`], [`resource_tags`]);
//! - the one rule of reserved keys ([`Reserved`]): `aws:*` and `swarm:*`
//!   in any case, and `Name` where the provider names the objects. The
//!   validator [`TagKeys`] refuses them in a resource's `tags` and in the
//!   provider's `default_tags`;
//! - each service's limits ([`Service`]), checked on the merged tags at
//!   plan by [`plan`], which also plans `tags_all`;
//! - the state's `tags` and `tags_all` read back from an object
//!   ([`Tagging::read_back`]): `tags` as the user wrote it, `tags_all` what
//!   the object carries of the user's and the default tags;
//! - what brings an object's tags to the wanted ones ([`changes`]).
//!
//! Each service's submodule turns tags into its SDK's types and makes its
//! tag calls: [`ec2`], [`rds`], [`elasticache`], [`s3`], [`backup`], [`iam`].

// Before the service modules, which use its macros.
#[macro_use]
mod macros;

pub mod backup;
pub mod ec2;
pub mod elasticache;
pub mod iam;
pub mod rds;
pub mod s3;

use std::collections::BTreeMap;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::path::AttributePath;
use tfplugin::resource::PlanResponse;
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

/// Whether `key` starts with `prefix` in any case (`AWS:x` is an `aws:`
/// key); a prefix cut inside a character does not match.
fn starts_with_any_case(key: &str, prefix: &str) -> bool {
    key.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// A tag AWS set itself (`aws:cloudformation:stack-name`, ...): it cannot
/// be changed or removed, so syncs leave it alone.
pub fn set_by_aws(key: &str) -> bool {
    key.starts_with("aws:")
}

/// `tags` without the ones AWS set itself ([`set_by_aws`]).
pub fn without_aws(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !set_by_aws(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The one rule of which tag keys are not the user's: `aws:*` (AWS's
/// own; AWS refuses them in any case), `swarm:*` in any case (the
/// provider's identity tags), and `Name` where the provider names the
/// objects. The configuration may not set them (in a resource's `tags` or
/// the provider's `default_tags`), and they are not read back as the
/// user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserved {
    /// Whether `Name` (exactly: AWS keys are case-sensitive) is reserved.
    pub name: bool,
}

impl Reserved {
    /// For objects the provider names (network, node, database, cache),
    /// and for `default_tags`, which would otherwise override those names.
    pub const NAMED: Self = Self { name: true };
    /// For objects the provider does not name (a bucket has no `Name` of
    /// its own, so a `Name` tag on it is the user's).
    pub const UNNAMED: Self = Self { name: false };

    /// Why `key` is reserved, or `None` when the user may set it.
    pub fn why(&self, key: &str) -> Option<&'static str> {
        if starts_with_any_case(key, "aws:") {
            Some("aws: keys (in any case) are AWS's own")
        } else if starts_with_any_case(key, "swarm:") {
            Some("swarm: keys (in any case) are the provider's own")
        } else if self.name && key == "Name" {
            Some("the provider sets Name on the objects it makes")
        } else {
            None
        }
    }

    /// Whether `key` is reserved.
    pub fn reserves(&self, key: &str) -> bool {
        self.why(key).is_some()
    }

    /// `tags` without the reserved keys: the tags of an object that are
    /// the user's or the provider's `default_tags`.
    pub fn without(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        tags.iter()
            .filter(|(k, _)| !self.reserves(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The keys the rule leaves, in words, for the documentation.
    fn allowed(&self) -> &'static str {
        if self.name {
            "keys other than `Name` that do not start with `aws:` or `swarm:` (in any case)"
        } else {
            "keys that do not start with `aws:` or `swarm:` (in any case)"
        }
    }
}

/// The most characters of a tag key in every service the provider uses
/// (EC2, RDS, ElastiCache, S3).
pub const MAX_KEY_CHARS: usize = 128;
/// The most characters of a tag value, in the same services.
pub const MAX_VALUE_CHARS: usize = 256;

/// The services whose objects the provider tags, with their limits: one
/// table for every resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ec2,
    Rds,
    ElastiCache,
    S3,
    /// AWS Backup (vaults, plans) and the IAM role beside them: the same
    /// limits.
    Backup,
    /// Route 53 health checks: 10 tags each.
    Route53,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Ec2 => "EC2",
            Service::Rds => "RDS",
            Service::ElastiCache => "ElastiCache",
            Service::S3 => "S3",
            Service::Backup => "AWS Backup",
            Service::Route53 => "Route 53",
        }
    }

    /// Tags per object (`aws:*` tags do not count).
    pub fn max_tags(self) -> usize {
        match self {
            Service::Ec2 | Service::Rds | Service::ElastiCache | Service::S3 | Service::Backup => {
                50
            }
            Service::Route53 => 10,
        }
    }
}

/// How one resource tags its objects: which keys are reserved, the
/// service's limits, and how many tags the provider puts on the most
/// tagged of its objects (what the user's and default tags must leave
/// room for).
#[derive(Debug, Clone, Copy)]
pub struct Tagging {
    pub reserved: Reserved,
    pub service: Service,
    /// The provider's own tags (`Name`, `swarm:*`) on the resource's most
    /// tagged object.
    pub own_tags: usize,
}

/// The state's `tags` and `tags_all`, read back from an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadBack {
    pub tags: Option<BTreeMap<String, String>>,
    pub tags_all: BTreeMap<String, String>,
}

impl Tagging {
    /// The validator of the resource's `tags`.
    pub const fn validator(&self) -> TagKeys {
        TagKeys {
            reserved: self.reserved,
        }
    }

    /// The most tags the user's and the default tags may be together.
    pub fn room(&self) -> usize {
        self.service.max_tags().saturating_sub(self.own_tags)
    }

    /// The state's `tags` and `tags_all` from the tags `found` on an
    /// object, the provider's `defaults`, and the `basis`'s `tags` (at
    /// apply the plan's, at read the prior state's, at import null).
    ///
    /// `tags_all` is what the object carries of the user's and the
    /// default tags (the reserved keys left out). `tags` is what the user
    /// wrote, as the object has it: a key of the basis takes the value
    /// found (and is gone when the object lacks it, so the plan puts it
    /// back); another key is the user's unless it is a default tag with
    /// its default value, so that a tag added out of band, or a default
    /// tag changed out of band, shows in the plan. A null basis with
    /// nothing else stays null, and `{}` stays `{}`.
    pub fn read_back(
        &self,
        found: &BTreeMap<String, String>,
        defaults: &BTreeMap<String, String>,
        basis: Option<&BTreeMap<String, String>>,
    ) -> ReadBack {
        let tags_all = self.reserved.without(found);
        let tags: BTreeMap<String, String> = tags_all
            .iter()
            .filter(|(k, v)| {
                basis.is_some_and(|b| b.contains_key(*k)) || defaults.get(*k) != Some(*v)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        ReadBack {
            tags: (basis.is_some() || !tags.is_empty()).then_some(tags),
            tags_all,
        }
    }
}

/// What is wrong with one tag, or `None`: a reserved key, a key of 0 or
/// more than [`MAX_KEY_CHARS`] characters, a value (when known) of more
/// than [`MAX_VALUE_CHARS`].
fn tag_problem(
    reserved: Reserved,
    key: &str,
    value: Option<&str>,
) -> Option<(&'static str, String)> {
    if let Some(why) = reserved.why(key) {
        return Some(("Reserved tag key", format!("{key:?} is reserved: {why}")));
    }
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS {
        return Some((
            "Invalid tag key",
            format!("a tag key must have 1 to {MAX_KEY_CHARS} characters, {key:?} has {chars}"),
        ));
    }
    let value_chars = value.map_or(0, |v| v.chars().count());
    if value_chars > MAX_VALUE_CHARS {
        return Some((
            "Invalid tag value",
            format!(
                "a tag value must have at most {MAX_VALUE_CHARS} characters, the value of {key:?} has {value_chars}"
            ),
        ));
    }
    None
}

/// A tag whose value is null (`{ team = null }`): AWS has no such tag.
fn null_value(at: &AttributePath, diags: &mut Diagnostics) {
    diags.attribute_error(
        at.clone(),
        "Invalid tag value",
        format!("{at}: a tag value must not be null; use \"\" for an empty one."),
    );
}

/// The validator of a tags map: a resource's `tags` and the provider's
/// `default_tags` (validators otherwise see only values). Each key the
/// [`Reserved`] rule reserves, and each key or known value too long, is an
/// error at its key (`tags["aws:x"]`). How many tags there may be depends
/// on the provider's `default_tags` too, and is checked at plan ([`plan`]).
#[derive(Debug, Clone, Copy)]
pub struct TagKeys {
    pub reserved: Reserved,
}

impl TagKeys {
    /// The provider's `default_tags`: `Name` is reserved too, as a default
    /// `Name` would override the names the provider gives its objects.
    pub const DEFAULT_TAGS: Self = Self {
        reserved: Reserved::NAMED,
    };
}

impl Validator for TagKeys {
    fn description(&self) -> String {
        format!(
            "{}, of 1 to {MAX_KEY_CHARS} characters, with values of at most {MAX_VALUE_CHARS}",
            self.reserved.allowed()
        )
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Value::Map(tags) = value else { return };
        for (key, value) in tags {
            let at = path.push_key(key);
            if value.is_null() {
                null_value(&at, diags);
            }
            let value = match value {
                Value::String(v) => Some(v.as_str()),
                _ => None,
            };
            if let Some((summary, why)) = tag_problem(self.reserved, key, value) {
                diags.attribute_error(at.clone(), summary, format!("{at}: {why}."));
            }
        }
    }
}

/// Plans `tags_all` (the provider's `default_tags` with `tags` over them,
/// as terraform-provider-aws does; unknown while `tags` is), so that a
/// change of `default_tags` alone shows as an update in place, and checks
/// the merged tags against the service's limits. Every resource's
/// `modify_plan` calls it once, unless destroying.
pub fn plan(client: &SwarmClient, tagging: &Tagging, resp: &mut PlanResponse) {
    let tags_all = planned_tags_all(
        &client.default_tags,
        resp.plan.get_attr("tags"),
        tagging,
        &mut resp.diagnostics,
    );
    resp.set("tags_all", tags_all);
}

/// [`plan`], of the planned `tags` and the provider's `defaults`: the
/// planned `tags_all`, and an error for each limit the merge exceeds.
fn planned_tags_all(
    defaults: &BTreeMap<String, String>,
    planned: Option<&Value>,
    tagging: &Tagging,
    diags: &mut Diagnostics,
) -> Value {
    // Each key with its value, `None` while unknown (a map's keys always
    // are known); `None` for the whole map while it is unknown.
    let configured: Option<BTreeMap<String, Option<String>>> = match planned {
        Some(Value::Map(tags)) => Some(
            tags.iter()
                .map(|(k, v)| match v {
                    Value::String(v) => (k.clone(), Some(v.clone())),
                    _ => (k.clone(), None),
                })
                .collect(),
        ),
        Some(Value::Null) | None => Some(BTreeMap::new()),
        Some(_) => None,
    };
    let Some(configured) = configured else {
        return Value::Unknown;
    };
    // A null value known only now (from a variable).
    if let Some(Value::Map(tags)) = planned {
        for (key, value) in tags {
            if value.is_null() {
                null_value(&AttributePath::attr("tags").push_key(key), diags);
            }
        }
    }
    let mut merged: BTreeMap<String, Option<String>> = defaults
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    merged.extend(configured.clone());
    let at = AttributePath::attr("tags");
    too_many(merged.len(), tagging, diags);
    for (key, value) in &merged {
        if let Some((summary, why)) = tag_problem(tagging.reserved, key, value.as_deref()) {
            let (path, whose) = if configured.contains_key(key) {
                (at.push_key(key), "")
            } else {
                (at.clone(), " (in the provider's default_tags)")
            };
            diags.attribute_error(path.clone(), summary, format!("{path}: {why}{whose}."));
        }
    }
    let tags_all: Option<BTreeMap<String, String>> =
        merged.into_iter().map(|(k, v)| v.map(|v| (k, v))).collect();
    tags_all.map_or(Value::Unknown, map_value)
}

/// An error on `tags` when `count` tags (the user's and the defaults)
/// do not fit the objects `tagging` describes.
fn too_many(count: usize, tagging: &Tagging, diags: &mut Diagnostics) {
    if count > tagging.room() {
        diags.attribute_error(
            AttributePath::attr("tags"),
            "Too many tags",
            format!(
                "tags and the provider's default_tags make {count} tags, and at most {} fit: {} \
                 allows {} tags per object, and the provider sets {} of its own.",
                tagging.room(),
                tagging.service.name(),
                tagging.service.max_tags(),
                tagging.own_tags
            ),
        );
    }
}

/// After [`plan`]: checks the planned `tags_all` against the limits of
/// another kind of object the resource also tags with them (a failover
/// pair's Route 53 health checks take 10 tags, where its EC2 objects take
/// 50).
pub fn plan_also_fits(tagging: &Tagging, resp: &mut PlanResponse) {
    if let Some(Value::Map(tags_all)) = resp.plan.get_attr("tags_all") {
        let count = tags_all.len();
        too_many(count, tagging, &mut resp.diagnostics);
    }
}

/// Tags as a map value of a state or plan (`tags_all`).
pub fn map_value(tags: BTreeMap<String, String>) -> Value {
    Value::Map(
        tags.into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
    )
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
            .filter(|k| !desired.contains_key(*k) && !set_by_aws(k))
            .cloned()
            .collect(),
    }
}

/// Brings the tags of an object (or of objects that all have `current`)
/// to `desired` with a service's two calls: `set` for the tags that are
/// new or changed, then `remove` for the keys that are gone; each is made
/// only when it has something to do (also used by `crate::cloudwatch`,
/// whose alarms are tagged by TagResource and UntagResource).
pub(crate) async fn apply<S, R>(
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
pub(crate) fn from_pairs<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .collect()
}

/// A client for unit tests of the tags a resource's objects get: it has no
/// `default_tags`, and makes no AWS call.
#[cfg(test)]
pub async fn test_client() -> SwarmClient {
    let settings = crate::config::Settings {
        region: Some("us-east-1".to_owned()),
        endpoint: Some("http://127.0.0.1:1".to_owned()),
        endpoints: crate::config::Endpoints::from_map(BTreeMap::new()),
        access_key: Some("key".to_owned()),
        secret_key: Some("secret".to_owned()),
        profile: None,
        environment: crate::config::Environment::Production,
        default_tags: BTreeMap::new(),
        max_retries: 0,
        skip_region_validation: false,
    };
    SwarmClient::new(settings, &mut Diagnostics::new())
        .await
        .expect("a client for tests")
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
    fn one_rule_reserves_both_prefixes_in_any_case_and_name_where_named() {
        // Name, swarm:x, Swarm:x, aws:x, AWS:x, team, name, ""
        let keys = [
            "Name", "swarm:x", "Swarm:x", "aws:x", "AWS:x", "team", "name", "",
        ];
        let cases = [
            (
                Reserved::NAMED,
                [true, true, true, true, true, false, false, false],
            ),
            (
                Reserved::UNNAMED,
                [false, true, true, true, true, false, false, false],
            ),
        ];
        for (reserved, expected) in cases {
            for (key, want) in keys.iter().zip(expected) {
                assert_eq!(reserved.reserves(key), want, "{reserved:?} {key:?}");
            }
        }
        // A prefix cut inside a character does not match.
        assert!(!Reserved::NAMED.reserves("aw\u{e9}:x"));
        assert_eq!(
            Reserved::NAMED.without(&map(&[("Name", "n"), ("SWARM:a", "1"), ("team", "t")])),
            map(&[("team", "t")])
        );
        assert_eq!(
            without_aws(&map(&[("aws:x", "1"), ("AWS:y", "2"), ("Name", "n")])),
            map(&[("AWS:y", "2"), ("Name", "n")])
        );
    }

    const NETWORK: Tagging = Tagging {
        reserved: Reserved::NAMED,
        service: Service::Ec2,
        own_tags: 5,
    };

    /// An object's tags as AWS shows them: the provider's, AWS's, a
    /// default tag with its default value, one with a changed value, the
    /// user's.
    fn found() -> BTreeMap<String, String> {
        map(&[
            ("Name", "n-1"),
            ("swarm:network", "n"),
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
    fn tags_all_is_what_the_object_carries_of_the_user_and_the_defaults() {
        let read = NETWORK.read_back(&found(), &defaults(), None);
        assert_eq!(
            read.tags_all,
            map(&[("env", "prod"), ("owner", "changed"), ("team", "t")])
        );
        // The bucket's rule: Name is the user's.
        let bucket = Tagging {
            reserved: Reserved::UNNAMED,
            ..NETWORK
        };
        assert!(
            bucket
                .read_back(&found(), &defaults(), None)
                .tags_all
                .contains_key("Name")
        );
    }

    #[test]
    fn tags_read_back_as_written() {
        let read = |found: &BTreeMap<String, String>, basis: Option<&[(&str, &str)]>| {
            NETWORK
                .read_back(found, &defaults(), basis.map(map).as_ref())
                .tags
        };
        let defaults_only = map(&[("env", "prod"), ("owner", "ops")]);
        // Null stays null, {} stays {}.
        assert_eq!(read(&defaults_only, None), None);
        assert_eq!(read(&defaults_only, Some(&[])), Some(BTreeMap::new()));
        // A key equal to a default, and one overriding a default, stay.
        assert_eq!(
            read(&defaults_only, Some(&[("env", "prod")])),
            Some(map(&[("env", "prod")]))
        );
        let overridden = map(&[("env", "test"), ("owner", "ops"), ("team", "t")]);
        assert_eq!(
            read(&overridden, Some(&[("env", "test"), ("team", "t")])),
            Some(map(&[("env", "test"), ("team", "t")]))
        );
        // Drift shows: a key removed out of band disappears, its value
        // changed takes the value found, a tag added out of band and a
        // default tag changed out of band appear.
        assert_eq!(
            read(&defaults_only, Some(&[("team", "t")])),
            Some(BTreeMap::new())
        );
        assert_eq!(
            read(&found(), Some(&[("team", "x")])),
            Some(map(&[("owner", "changed"), ("team", "t")]))
        );
        assert_eq!(
            read(&found(), None),
            Some(map(&[("owner", "changed"), ("team", "t")]))
        );
    }

    fn tags(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn tag_keys_refuse_reserved_keys_and_lengths_at_their_key() {
        let check = NETWORK.validator();
        let path = AttributePath::attr("tags");
        let v = |s: &str| Value::String(s.to_owned());
        let mut diags = Diagnostics::default();
        check.validate(
            &tags(&[("team", v("t")), ("owner", Value::Unknown)]),
            &path,
            &mut diags,
        );
        assert!(diags.is_empty());
        let long_key = "k".repeat(129);
        check.validate(
            &tags(&[
                ("AWS:x", v("1")),
                ("Name", v("n")),
                (&long_key, v("1")),
                ("long", v(&"v".repeat(257))),
                ("ok", v(&"v".repeat(256))),
            ]),
            &path,
            &mut diags,
        );
        let texts: Vec<(&str, &str)> = diags
            .iter()
            .map(|d| (d.summary.as_str(), d.detail.as_str()))
            .collect();
        assert_eq!(texts.len(), 4, "{texts:?}");
        assert_eq!(
            texts[0],
            (
                "Reserved tag key",
                r#"tags["AWS:x"]: "AWS:x" is reserved: aws: keys (in any case) are AWS's own."#
            )
        );
        assert_eq!(
            texts[1],
            (
                "Reserved tag key",
                r#"tags["Name"]: "Name" is reserved: the provider sets Name on the objects it makes."#
            )
        );
        assert_eq!(texts[2].0, "Invalid tag key");
        assert_eq!(texts[3].0, "Invalid tag value");
        // A null value is no tag.
        let mut nulls = Diagnostics::default();
        check.validate(&tags(&[("team", Value::Null)]), &path, &mut nulls);
        assert_eq!(
            nulls.iter().map(|d| d.detail.as_str()).collect::<Vec<_>>(),
            [r#"tags["team"]: a tag value must not be null; use "" for an empty one."#]
        );
        // Unknown maps are checked once known; the bucket's Name is the user's.
        let mut diags = Diagnostics::default();
        check.validate(&Value::Unknown, &path, &mut diags);
        TagKeys {
            reserved: Reserved::UNNAMED,
        }
        .validate(&tags(&[("Name", v("n"))]), &path, &mut diags);
        assert!(diags.is_empty());
    }

    #[test]
    fn tags_all_is_planned_as_the_merge_or_unknown() {
        let v = |s: &str| Value::String(s.to_owned());
        let plan = |planned: Option<Value>| {
            let mut diags = Diagnostics::default();
            let all = planned_tags_all(&defaults(), planned.as_ref(), &NETWORK, &mut diags);
            assert!(diags.is_empty(), "{diags:?}");
            all
        };
        assert_eq!(plan(None), map_value(defaults()));
        assert_eq!(plan(Some(Value::Null)), map_value(defaults()));
        assert_eq!(
            plan(Some(tags(&[("env", v("test")), ("team", v("t"))]))),
            map_value(map(&[("env", "test"), ("owner", "ops"), ("team", "t")]))
        );
        assert_eq!(plan(Some(Value::Unknown)), Value::Unknown);
        assert_eq!(
            plan(Some(tags(&[("team", Value::Unknown)]))),
            Value::Unknown
        );
    }

    #[test]
    fn merged_tags_are_held_to_the_service_limits() {
        let v = |s: &str| Value::String(s.to_owned());
        // 2 defaults and 43 of the user's fill the 45 an EC2 object leaves.
        let mut own: Vec<(String, Value)> = (0..43).map(|i| (format!("k{i}"), v("x"))).collect();
        let planned = |own: &[(String, Value)]| Value::Map(own.iter().cloned().collect());
        let mut diags = Diagnostics::default();
        planned_tags_all(&defaults(), Some(&planned(&own)), &NETWORK, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        own.push(("one-more".to_owned(), v("x")));
        // A value known only at plan is held to the value's length.
        own.push(("late".to_owned(), v(&"v".repeat(257))));
        planned_tags_all(&defaults(), Some(&planned(&own)), &NETWORK, &mut diags);
        let texts: Vec<String> = diags
            .iter()
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect();
        assert_eq!(
            texts,
            [
                "Too many tags: tags and the provider's default_tags make 47 tags, and at most \
                 45 fit: EC2 allows 50 tags per object, and the provider sets 5 of its own.",
                "Invalid tag value: tags[\"late\"]: a tag value must have at most 256 \
                 characters, the value of \"late\" has 257.",
            ]
        );
    }

    #[test]
    fn from_pairs_skips_missing_keys() {
        assert_eq!(
            from_pairs([(Some("a"), Some("1")), (None, Some("2")), (Some("b"), None)]),
            map(&[("a", "1"), ("b", "")])
        );
    }
}
