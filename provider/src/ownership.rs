//! Which AWS objects are a resource's own.
//!
//! Names are not: two stacks in one account may both call their network
//! "agents", and EC2 lets them (VPCs, instances and security groups have
//! no unique names). So every object a resource creates carries a
//! **marker**, `swarm:owner = <random id>`, made once per resource instance
//! at create and kept in its state as `ownership_marker`. Read, update,
//! drift repair and delete find and touch only objects with that marker;
//! an object that merely answers to the name (`swarm:<kind> = <name>`) is
//! never adopted, changed or deleted.
//!
//! The name tag stays: it is how objects *answer to a name*, for import by
//! name and for the plan's report of other stacks' objects of that name.
//!
//! A state without a marker (written before markers existed, or imported
//! from objects that carry none) finds the objects of its name that carry
//! no marker at all; its plan shows `ownership_marker` as known after
//! apply, and that apply writes the marker on exactly those objects.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_ec2::types::{Filter, Tag};
use tfplugin::diag::Diagnostic;
use tfplugin::schema::{Attribute, plan_modifiers};
use tfplugin::value::Value;

use crate::tags;

/// The tag that marks a resource's own objects.
pub const KEY: &str = "swarm:owner";

/// The state attribute that keeps the marker.
pub const ATTRIBUTE: &str = "ownership_marker";

/// How many random bytes a marker has (20 hex digits: 80 bits, so two
/// resources never draw the same one).
const MARKER_BYTES: usize = 10;

/// The marker of one resource instance's objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Marker(String);

impl Marker {
    /// A new random marker, from the operating system's generator.
    pub fn generate() -> Result<Self, Diagnostic> {
        let mut bytes = [0u8; MARKER_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| {
            Diagnostic::error(
                "Cannot make an ownership marker",
                format!("The operating system gave no random bytes: {e}."),
            )
        })?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// A marker as a state or a tag holds it.
    pub fn from_stored(marker: impl Into<String>) -> Self {
        Self(marker.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which of the objects that answer to a name a look-up takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Those with this marker: the resource's own.
    Marked(Marker),
    /// Those that carry no marker: a state from before markers, or an
    /// import of objects without one, until its first apply marks them.
    Unmarked,
    /// The apply that marks such a state's objects with this new marker:
    /// the unmarked objects of the name, and those it marked already.
    Adopting(Marker),
    /// All of them, whatever their marker: an import's first look and the
    /// plan's report of objects that answer to the name. Never used to
    /// change or delete anything.
    Anyone,
}

/// What finds one resource instance's objects: the id (the name they
/// answer to) and whose they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: String,
    pub owner: Owner,
}

impl Identity {
    /// The identity of a state: its id and its marker (`None`: unmarked).
    pub fn new(id: impl Into<String>, marker: Option<Marker>) -> Self {
        Self {
            id: id.into(),
            owner: marker.map_or(Owner::Unmarked, Owner::Marked),
        }
    }

    /// Everything that answers to `id`, whatever its marker.
    pub fn anyone(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            owner: Owner::Anyone,
        }
    }

    /// The marker the objects are to carry.
    pub fn marker(&self) -> Option<&Marker> {
        match &self.owner {
            Owner::Marked(marker) | Owner::Adopting(marker) => Some(marker),
            Owner::Unmarked | Owner::Anyone => None,
        }
    }

    /// Whether this finds the unmarked objects of a state without a
    /// marker (which the apply then marks).
    pub fn adopts(&self) -> bool {
        matches!(self.owner, Owner::Unmarked | Owner::Adopting(_))
    }

    /// Whether an object with `marker` (its `swarm:owner` tag) is one of
    /// those this identity takes.
    pub fn takes(&self, marker: Option<&str>) -> bool {
        match &self.owner {
            Owner::Marked(mine) => marker == Some(mine.as_str()),
            Owner::Unmarked => marker.is_none(),
            Owner::Adopting(mine) => marker.is_none() || marker == Some(mine.as_str()),
            Owner::Anyone => true,
        }
    }

    /// [`Identity::takes`] of an object with `tags`.
    pub fn owns(&self, tags: &BTreeMap<String, String>) -> bool {
        self.takes(tags.get(KEY).map(String::as_str))
    }

    /// [`Identity::takes`] of an EC2 object with `tags`.
    pub fn owns_ec2(&self, tags: &[Tag]) -> bool {
        self.takes(marker_of_ec2(tags))
    }

    /// The EC2 describe filter of the objects of a resource of `kind`:
    /// by marker when there is one, else by name (the caller then keeps
    /// those it [`owns`](Identity::owns)).
    pub fn ec2_filter(&self, kind: &str) -> Filter {
        match &self.owner {
            Owner::Marked(marker) => Filter::builder()
                .name(format!("tag:{KEY}"))
                .values(marker.as_str())
                .build(),
            Owner::Unmarked | Owner::Adopting(_) | Owner::Anyone => {
                tags::ec2::owner_filter(kind, &self.id)
            }
        }
    }
}

/// The marker an EC2 object carries.
pub fn marker_of_ec2(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(KEY))
        .and_then(|t| t.value())
}

/// Adds the marker to the tags an object is created (or re-tagged) with.
pub fn mark(tags: &mut BTreeMap<String, String>, marker: Option<&Marker>) {
    if let Some(marker) = marker {
        tags.insert(KEY.to_owned(), marker.as_str().to_owned());
    }
}

/// The schema attribute every resource keeps its marker in.
pub fn attribute() -> Attribute {
    Attribute::string(ATTRIBUTE)
        .computed()
        // Made at the create's apply, then kept: "known after apply" only
        // in the plan of a create (and of a state that has none yet).
        .plan_modifier(plan_modifiers::use_state_for_unknown())
        .description(
            "The random id this resource's AWS objects carry as their `swarm:owner` tag, made \
         when it is created. The provider reads, changes and deletes only objects with this \
         marker, so another stack's objects of the same name are never touched.",
        )
}

/// The marker a state value keeps (`None`: null, or no such attribute).
pub fn marker_in(state: &Value) -> Option<Marker> {
    state
        .get_attr(ATTRIBUTE)
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(Marker::from_stored)
}

/// Sets the marker attribute of a state or plan value, where it has one.
pub fn set_in(value: &mut Value, marker: Option<&Marker>) {
    if let Value::Object(attrs) = value
        && let Some(slot) = attrs.get_mut(ATTRIBUTE)
    {
        *slot = marker.map_or(Value::Null, |m| Value::from(m.as_str()));
    }
}

/// The objects that answer to a name, grouped by their marker (`None`:
/// objects without one): each group is one set, one resource's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sets(BTreeMap<Option<Marker>, Vec<String>>);

impl Sets {
    /// Adds the object `id` with `marker`.
    pub fn add(&mut self, marker: Option<&str>, id: impl Into<String>) {
        self.0
            .entry(marker.map(Marker::from_stored))
            .or_default()
            .push(id.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The markers of the sets.
    pub fn markers(&self) -> impl Iterator<Item = Option<&Marker>> {
        self.0.keys().map(Option::as_ref)
    }

    /// One line per set: "marker 0a1b…: vpc-1, subnet-2" ("no marker" for
    /// objects without one).
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(marker, ids)| {
                let owner = match marker {
                    Some(marker) => format!("marker {marker}"),
                    None => "no marker".to_owned(),
                };
                format!("  - {owner}: {}", ids.join(", "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The plan's warning at the create of `type_name` named `name` when
/// other objects answer to that name: they are someone else's and stay
/// as they are.
pub fn others_warning(type_name: &str, name: &str, sets: &Sets, import: &str) -> Diagnostic {
    Diagnostic::warning(
        format!("Other objects already answer to the {type_name} name {name:?}"),
        format!(
            "These AWS objects are tagged with the name {name:?} but are not this resource's; \
             the new {type_name} gets objects of its own and never reads, changes or deletes \
             them:\n{}\nIf they are another stack's, nothing needs doing. If they are left \
             over from a Terraform run that was killed before it saved its state, import them \
             instead ({import}) or delete them.",
            sets.describe()
        ),
    )
}

/// The error of an import by name that more than one set of objects
/// answers to; `narrow` says how to name one of them.
pub fn ambiguous_import(type_name: &str, name: &str, sets: &Sets, narrow: &str) -> Diagnostic {
    Diagnostic::error(
        format!(
            "Cannot import {type_name} {name:?}: {} sets of objects answer to it",
            sets.len()
        ),
        format!(
            "Each set below belongs to a different {type_name} (by its swarm:owner marker), \
             and an import takes exactly one:\n{}\n{narrow}",
            sets.describe()
        ),
    )
}

/// An existing AWS object with a name that a create would give one of its
/// own objects (where AWS names are unique: DB identifiers, replication
/// group ids, subnet groups, buckets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// What it is, as AWS calls it: "DB instance", "bucket".
    pub kind: &'static str,
    pub name: String,
    /// Its `swarm:owner` tag (`None`: it carries none).
    pub marker: Option<String>,
}

impl Taken {
    pub fn new(kind: &'static str, name: impl Into<String>, marker: Option<&str>) -> Self {
        Self {
            kind,
            name: name.into(),
            marker: marker.map(str::to_owned),
        }
    }
}

/// The error of a create of `type_name` named `name` whose names are
/// taken by `taken` (not empty): a create has no marker yet, so whatever
/// already has one of its names is someone else's, or the user's to
/// import. On the `name` attribute; the same text at plan and at apply.
pub fn name_taken(type_name: &str, name: &str, taken: &[Taken]) -> Diagnostic {
    let found = taken
        .iter()
        .map(|t| {
            let owner = match &t.marker {
                Some(marker) => format!("marker {marker}"),
                None => "no marker".to_owned(),
            };
            format!("  - {} {:?} ({owner})", t.kind, t.name)
        })
        .collect::<Vec<_>>()
        .join("\n");
    Diagnostic::error(
        format!("The {type_name} name {name:?} is taken"),
        format!(
            "A new {type_name} named {name:?} would create objects whose names AWS keeps \
             unique, and these already exist:\n{found}\nThey are not this resource's, and it \
             never takes over, changes or deletes them. If they are the ones this \
             configuration means (made by hand, or left by a Terraform run killed before it \
             saved its state), import them instead: `terraform import <address> {name}`, or an \
             `import {{ to = <address>, id = \"{name}\" }}` block; if they are left over and \
             not wanted, delete them. Otherwise choose another name."
        ),
    )
    .at(tfplugin::path::AttributePath::attr("name"))
}

/// The key of the private data (Terraform's, kept beside a state and
/// passed from plan to apply) that holds the marker.
const PRIVATE_KEY: &str = "swarm:owner";

/// The private data that keeps `marker` beside a state, and in the plans
/// made from it. A create that replaces that state's objects (the create
/// half of a replacement, or the create again of a state Terraform
/// tainted after a failed create) is planned with a null prior state but
/// with this as its prior private data: so its name check knows the
/// objects of `marker` are the ones it destroys first, not someone
/// else's.
pub fn private(marker: &Marker) -> Vec<u8> {
    serde_json::json!({ PRIVATE_KEY: marker.as_str() })
        .to_string()
        .into_bytes()
}

/// The marker in private data made by [`private`].
fn marker_in_private(private: &[u8]) -> Option<Marker> {
    serde_json::from_slice::<serde_json::Value>(private)
        .ok()?
        .get(PRIVATE_KEY)?
        .as_str()
        .map(Marker::from_stored)
}

/// The markers of the states read by one configured provider (one
/// Terraform command: Terraform configures the provider for each), by
/// resource type and id (see [`replaced`]).
#[derive(Debug, Clone, Default)]
pub struct Held(Arc<Mutex<HeldMarkers>>);

/// The markers read, by resource type and id.
type HeldMarkers = BTreeMap<(String, String), BTreeSet<Marker>>;

impl Held {
    /// Notes that a state of `type_name` with id `id` and `marker` was read.
    pub fn hold(&self, type_name: &str, id: &str, marker: &Marker) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((type_name.to_owned(), id.to_owned()))
            .or_default()
            .insert(marker.clone());
    }

    fn markers(&self, type_name: &str, id: &str) -> BTreeSet<Marker> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(type_name.to_owned(), id.to_owned()))
            .cloned()
            .unwrap_or_default()
    }
}

/// At the plan of a create of `type_name` named `name`: the markers of
/// the objects it replaces, which its name check lets be (they are deleted
/// first). From its prior private data (the create half of a replacement,
/// see [`private`]), and those of the states of that name `held` has seen
/// read in this command: Terraform refreshes a state it tainted (a create
/// that failed half way), then plans its create again with neither that
/// state nor its private data. (Another resource of the same name in the
/// same configuration is then refused at apply, by `check_create`, rather
/// than at plan.)
pub fn replaced(held: &Held, type_name: &str, name: &str, prior_private: &[u8]) -> Vec<Marker> {
    let mut markers = held.markers(type_name, name);
    markers.extend(marker_in_private(prior_private));
    markers.into_iter().collect()
}

/// The check of a create of `type_name` named `name` that found `taken`:
/// none may exist, but those with one of the `replaced` markers (see
/// [`replaced`]; only known at plan).
pub fn refuse_taken(
    type_name: &str,
    name: &str,
    mut taken: Vec<Taken>,
    replaced: &[Marker],
) -> Result<(), Diagnostic> {
    taken.retain(|t| {
        !replaced
            .iter()
            .any(|m| t.marker.as_deref() == Some(m.as_str()))
    });
    if taken.is_empty() {
        Ok(())
    } else {
        Err(name_taken(type_name, name, &taken))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_random_hex_of_twenty_digits() {
        let (a, b) = (Marker::generate().unwrap(), Marker::generate().unwrap());
        assert_eq!(a.as_str().len(), 2 * MARKER_BYTES);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn an_identity_takes_only_its_own_objects() {
        let mine = Identity::new("agents", Some(Marker::from_stored("m1")));
        assert!(mine.takes(Some("m1")));
        assert!(!mine.takes(Some("m2")));
        assert!(!mine.takes(None));
        let unmarked = Identity::new("agents", None);
        assert!(unmarked.takes(None));
        assert!(!unmarked.takes(Some("m1")));
        let adopting = Identity {
            id: "agents".to_owned(),
            owner: Owner::Adopting(Marker::from_stored("m1")),
        };
        assert!(adopting.takes(None) && adopting.takes(Some("m1")));
        assert!(!adopting.takes(Some("m2")));
        let anyone = Identity::anyone("agents");
        assert!(anyone.takes(None) && anyone.takes(Some("m1")));
        let tags: BTreeMap<String, String> = [(KEY.to_owned(), "m1".to_owned())].into();
        assert!(mine.owns(&tags) && !unmarked.owns(&tags));
    }

    #[test]
    fn the_filter_is_the_marker_when_there_is_one_else_the_name() {
        let mine = Identity::new("agents", Some(Marker::from_stored("m1")));
        let filter = mine.ec2_filter("node");
        assert_eq!(filter.name(), Some("tag:swarm:owner"));
        assert_eq!(filter.values(), ["m1"]);
        let filter = Identity::new("agents", None).ec2_filter("node");
        assert_eq!(filter.name(), Some("tag:swarm:node"));
        assert_eq!(filter.values(), ["agents"]);
    }

    #[test]
    fn sets_group_objects_by_marker_and_describe_each() {
        let mut sets = Sets::default();
        sets.add(Some("m1"), "i-1");
        sets.add(None, "i-3");
        sets.add(Some("m1"), "i-2");
        assert_eq!(sets.len(), 2);
        assert_eq!(
            sets.describe(),
            "  - no marker: i-3\n  - marker m1: i-1, i-2"
        );
    }

    #[test]
    fn the_marker_is_read_from_and_written_to_a_state_value() {
        let mut state = Value::Object(
            [
                ("name".to_owned(), Value::from("agents")),
                (ATTRIBUTE.to_owned(), Value::Null),
            ]
            .into(),
        );
        assert_eq!(marker_in(&state), None);
        set_in(&mut state, Some(&Marker::from_stored("m1")));
        assert_eq!(marker_in(&state), Some(Marker::from_stored("m1")));
        // A value without the attribute is left as it is.
        let mut other = Value::Object([("name".to_owned(), Value::from("x"))].into());
        set_in(&mut other, Some(&Marker::from_stored("m1")));
        assert_eq!(other.get_attr(ATTRIBUTE), None);
    }

    #[test]
    fn a_taken_name_lists_each_object_and_says_how_to_import() {
        let d = name_taken(
            "swarm_database",
            "agents",
            &[
                Taken::new("DB instance", "agents", Some("m1")),
                Taken::new("DB subnet group", "agents-subnets", None),
            ],
        );
        assert_eq!(d.summary, "The swarm_database name \"agents\" is taken");
        assert!(
            d.detail
                .contains("  - DB instance \"agents\" (marker m1)\n")
        );
        assert!(
            d.detail
                .contains("  - DB subnet group \"agents-subnets\" (no marker)\n")
        );
        assert!(d.detail.contains("`terraform import <address> agents`"));
        assert!(d.detail.contains("id = \"agents\" }` block"));
        assert_eq!(
            d.attribute,
            Some(tfplugin::path::AttributePath::attr("name"))
        );
    }

    #[test]
    fn a_replacement_passes_its_own_objects_to_its_create() {
        let mine = Marker::from_stored("m1");
        let held = Held::default();
        assert_eq!(
            replaced(&held, "swarm_bucket", "b", &private(&mine)),
            vec![mine.clone()]
        );
        assert_eq!(
            replaced(&held, "swarm_bucket", "b", b""),
            Vec::<Marker>::new()
        );
        // A tainted state read in this command: its create again lets its
        // objects be.
        held.hold("swarm_bucket", "tainted", &mine);
        assert_eq!(
            replaced(&held, "swarm_bucket", "tainted", b""),
            vec![mine.clone()]
        );
        assert!(replaced(&held, "swarm_cache", "tainted", b"").is_empty());
        assert!(replaced(&Held::default(), "swarm_bucket", "tainted", b"").is_empty());
        let taken = vec![
            Taken::new("bucket", "b", Some("m1")),
            Taken::new("bucket", "b", None),
        ];
        let mine = [mine];
        assert!(refuse_taken("swarm_bucket", "b", taken[..1].to_vec(), &mine).is_ok());
        let refused = refuse_taken("swarm_bucket", "b", taken, &mine);
        assert!(refused.is_err_and(
            |d| d.detail.contains("bucket \"b\" (no marker)") && !d.detail.contains("m1")
        ));
    }
}
