//! Terraform's value model: types, values with null and unknown at any depth,
//! the msgpack and JSON codecs, and conversion to and from Rust structs.
//!
//! A [`Value`] does not carry its type: the codecs are driven by a [`Type`]
//! (from the schema), as Terraform's own wire formats are. Where a schema says
//! `dynamic`, the concrete type is inferred from the value when encoding.

pub mod json;
pub mod msgpack;
mod number;
mod serde_impl;
#[cfg(test)]
pub(crate) mod test_values;
mod types;

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::path::{AttributePath, PathStep};

pub use number::{MAX_DECIMAL_EXPONENT, Number, NumberError};
pub use serde_impl::{MaybeUnknown, from_value, to_value};
pub use types::Type;

/// How deeply values (and types) may nest in the codecs' input before it is
/// rejected, so that hostile input cannot overflow the stack.
pub const MAX_DEPTH: usize = 256;

/// A Terraform value.
///
/// `Null` and `Unknown` may appear at any depth. Sets are kept as vectors
/// without duplicates, in the order they were received; equality (and
/// hashing) ignores that order, as Terraform's does.
#[derive(Debug, Clone)]
pub enum Value {
    /// Null: no value (an unset optional attribute, for example).
    Null,
    /// Not known until apply ("known after apply").
    Unknown,
    /// A string.
    String(String),
    /// A number.
    Number(Number),
    /// A bool.
    Bool(bool),
    /// A list.
    List(Vec<Value>),
    /// A set: no two elements are equal.
    Set(Vec<Value>),
    /// A tuple.
    Tuple(Vec<Value>),
    /// A map, by key.
    Map(BTreeMap<String, Value>),
    /// An object, by attribute name.
    Object(BTreeMap<String, Value>),
}

/// Why a value could not be decoded, encoded or converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}{}", if path.is_root() { String::new() } else { format!(" (at {path})") })]
pub struct ValueError {
    /// Where in the value the problem is; the root for the whole value.
    pub path: AttributePath,
    /// What the problem is.
    pub message: String,
}

impl ValueError {
    /// An error at `path`.
    pub fn new(path: AttributePath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }
}

/// An error at the root.
pub(crate) fn error(message: impl Into<String>) -> ValueError {
    ValueError::new(AttributePath::root(), message)
}

/// An error at a path kept as a stack of steps.
pub(crate) fn error_at(path: &[PathStep], message: impl Into<String>) -> ValueError {
    ValueError::new(AttributePath::from(path.to_vec()), message)
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => same_elements(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

/// Whether two sets hold the same elements, in any order. Not a plain
/// inclusion test: elements that are not wholly known are not deduplicated
/// (two unknowns may turn out different), so each element of `a` must
/// match its own element of `b`.
fn same_elements(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut matched = vec![false; b.len()];
    a.iter().all(|x| {
        let found = b
            .iter()
            .enumerate()
            .position(|(i, y)| !matched[i] && x == y);
        found.map(|i| matched[i] = true).is_some()
    })
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Null | Value::Unknown => {}
            Value::String(s) => s.hash(state),
            Value::Number(n) => n.hash(state),
            Value::Bool(b) => b.hash(state),
            Value::List(v) | Value::Tuple(v) => v.hash(state),
            // Order-independent, to agree with equality: the elements'
            // own hashes, summed.
            Value::Set(v) => {
                let sum = v.iter().fold(0u64, |sum, item| {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    item.hash(&mut h);
                    sum.wrapping_add(h.finish())
                });
                v.len().hash(state);
                sum.hash(state);
            }
            Value::Map(m) | Value::Object(m) => m.hash(state),
        }
    }
}

impl Value {
    /// Whether this is null (at the top level).
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is unknown (at the top level).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether this is not unknown at the top level (it may still contain
    /// unknown values).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Whether no unknown value appears at any depth.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Null | Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, if this is a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The entries, if this is a map or an object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// An attribute of an object.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }

    /// The value at `path`: attributes of objects, keys of maps, indexes of
    /// lists, tuples and sets. (Attribute and key steps are interchangeable,
    /// since [`to_value`] makes objects of structs and maps of maps.)
    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        path.steps()
            .iter()
            .try_fold(self, |value, step| value.get_step(step))
    }

    /// The value at `path`, mutably; see [`Value::get_path`].
    pub fn get_path_mut(&mut self, path: &AttributePath) -> Option<&mut Value> {
        path.steps()
            .iter()
            .try_fold(self, |value, step| value.get_step_mut(step))
    }

    fn get_step(&self, step: &PathStep) -> Option<&Value> {
        match (self, step) {
            (Value::Object(m) | Value::Map(m), PathStep::Attribute(k) | PathStep::Key(k)) => {
                m.get(k)
            }
            (Value::List(v) | Value::Set(v) | Value::Tuple(v), PathStep::Index(i)) => {
                v.get(usize::try_from(*i).ok()?)
            }
            _ => None,
        }
    }

    fn get_step_mut(&mut self, step: &PathStep) -> Option<&mut Value> {
        match (self, step) {
            (Value::Object(m) | Value::Map(m), PathStep::Attribute(k) | PathStep::Key(k)) => {
                m.get_mut(k)
            }
            (Value::List(v) | Value::Set(v) | Value::Tuple(v), PathStep::Index(i)) => {
                v.get_mut(usize::try_from(*i).ok()?)
            }
            _ => None,
        }
    }

    /// The null value of a type (a `Value` carries no type, so this is just
    /// [`Value::Null`]).
    pub fn null_of(_ty: &Type) -> Value {
        Value::Null
    }

    /// A short description of what kind of value this is, for messages:
    /// "a string", "an object", "null", ...
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "an unknown value",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a bool",
            Value::List(_) => "a list",
            Value::Set(_) => "a set",
            Value::Tuple(_) => "a tuple",
            Value::Map(_) => "a map",
            Value::Object(_) => "an object",
        }
    }

    /// Converts a loosely shaped value (as made by [`to_value`]: sequences
    /// are lists, maps are maps and structs are objects) into the shape `ty`
    /// demands:
    ///
    /// - lists, sets and tuples become whichever of them the type says
    ///   (tuples must have the right length; set duplicates are removed,
    ///   except for elements that contain unknown values, which are never
    ///   equal in Terraform);
    /// - maps and objects become maps or objects; an object gets exactly the
    ///   type's attributes: missing ones are null, extra ones are an error;
    /// - a string that parses as a number becomes a number where the type
    ///   is `number`, and numbers and bools become strings where the type is
    ///   `string` (as Terraform itself converts); nothing else is converted;
    /// - null and unknown are kept at any depth, and values in `dynamic`
    ///   positions are kept as they are.
    pub fn conform(self, ty: &Type) -> Result<Value, ValueError> {
        let mut path = Vec::new();
        conform_at(self, ty, &mut path)
    }

    /// The type of this value, as used to encode it where the schema says
    /// `dynamic`. Null and unknown are `dynamic`. Lists, sets and maps take
    /// the type of their elements that are neither null nor unknown, which is
    /// the first such element's type, made more precise by the others where
    /// it has `dynamic` parts (`[[null], ["a"]]` is `list(list(string))`);
    /// when there are no such elements, or they disagree (`["a", 1]`), the
    /// element type is `dynamic`, so that each element carries its own type.
    pub fn infer_type(&self) -> Type {
        fn element_type<'a>(elems: impl Iterator<Item = &'a Value>) -> Type {
            let mut unified: Option<Type> = None;
            for elem in elems.filter(|v| !v.is_null() && !v.is_unknown()) {
                let ty = elem.infer_type();
                unified = Some(match unified {
                    None => ty,
                    Some(so_far) => match unify(so_far, &ty) {
                        Some(t) => t,
                        None => return Type::Dynamic,
                    },
                });
            }
            unified.unwrap_or(Type::Dynamic)
        }
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::String(_) => Type::String,
            Value::Number(_) => Type::Number,
            Value::Bool(_) => Type::Bool,
            Value::List(v) => Type::list(element_type(v.iter())),
            Value::Set(v) => Type::set(element_type(v.iter())),
            Value::Map(m) => Type::map(element_type(m.values())),
            Value::Tuple(v) => Type::Tuple(v.iter().map(Value::infer_type).collect()),
            Value::Object(m) => {
                Type::Object(m.iter().map(|(k, v)| (k.clone(), v.infer_type())).collect())
            }
        }
    }
}

/// The most precise type that values of inferred types `a` and `b` both
/// fit, where `dynamic` stands for "anything" (from null, unknown or empty
/// collections); `None` if they disagree.
fn unify(a: Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (a, b) if a == *b => Some(a),
        (Type::Dynamic, b) => Some(b.clone()),
        (a, Type::Dynamic) => Some(a),
        (Type::List(a), Type::List(b)) => Some(Type::List(Box::new(unify(*a, b)?))),
        (Type::Set(a), Type::Set(b)) => Some(Type::Set(Box::new(unify(*a, b)?))),
        (Type::Map(a), Type::Map(b)) => Some(Type::Map(Box::new(unify(*a, b)?))),
        (Type::Object(a), Type::Object(b)) if a.len() == b.len() => a
            .into_iter()
            .map(|(name, ty)| {
                let other = b.get(&name)?;
                Some((name, unify(ty, other)?))
            })
            .collect::<Option<BTreeMap<_, _>>>()
            .map(Type::Object),
        (Type::Tuple(a), Type::Tuple(b)) if a.len() == b.len() => a
            .into_iter()
            .zip(b)
            .map(|(a, b)| unify(a, b))
            .collect::<Option<Vec<_>>>()
            .map(Type::Tuple),
        _ => None,
    }
}

/// Removes duplicate set elements (keeping the first), except for elements
/// containing unknown values.
pub(crate) fn dedupe_set(elems: Vec<Value>) -> Vec<Value> {
    if elems.len() < 2 {
        return elems;
    }
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity(elems.len());
        elems
            .iter()
            .map(|e| !e.is_wholly_known() || seen.insert(e))
            .collect()
    };
    if keep.iter().all(|k| *k) {
        return elems;
    }
    elems
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect()
}

fn index_step(i: usize) -> PathStep {
    PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX))
}

fn conform_at(value: Value, ty: &Type, path: &mut Vec<PathStep>) -> Result<Value, ValueError> {
    let mismatch = |value: &Value, path: &[PathStep]| {
        error_at(
            path,
            format!("expected {}, found {}", describe_type(ty), value.kind()),
        )
    };
    match (value, ty) {
        (value @ (Value::Null | Value::Unknown), _) | (value, Type::Dynamic) => Ok(value),
        (value @ Value::String(_), Type::String)
        | (value @ Value::Number(_), Type::Number)
        | (value @ Value::Bool(_), Type::Bool) => Ok(value),
        (Value::Number(n), Type::String) => Ok(Value::String(n.to_string())),
        (Value::Bool(b), Type::String) => Ok(Value::String(b.to_string())),
        (Value::String(s), Type::Number) => match s.parse::<Number>() {
            Ok(n) => Ok(Value::Number(n)),
            Err(e) => Err(error_at(
                path,
                format!("expected a number, found the string {s:?}: {e}"),
            )),
        },
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::List(elem)) => {
            Ok(Value::List(conform_elements(v, elem, path)?))
        }
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::Set(elem)) => {
            Ok(Value::Set(dedupe_set(conform_elements(v, elem, path)?)))
        }
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::Tuple(types)) => {
            if v.len() != types.len() {
                return Err(error_at(
                    path,
                    format!(
                        "expected a tuple of {} elements, found {}",
                        types.len(),
                        v.len()
                    ),
                ));
            }
            let mut out = Vec::with_capacity(v.len());
            for (i, (elem, ty)) in v.into_iter().zip(types).enumerate() {
                path.push(index_step(i));
                out.push(conform_at(elem, ty, path)?);
                path.pop();
            }
            Ok(Value::Tuple(out))
        }
        (Value::Map(m) | Value::Object(m), Type::Map(elem)) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                path.push(PathStep::Key(k.clone()));
                let v = conform_at(v, elem, path)?;
                path.pop();
                out.insert(k, v);
            }
            Ok(Value::Map(out))
        }
        (Value::Map(m) | Value::Object(m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                path.push(PathStep::Attribute(extra.clone()));
                return Err(error_at(path, format!("unsupported attribute {extra:?}")));
            }
            let mut m = m;
            let mut out = BTreeMap::new();
            for (name, ty) in attrs {
                let v = m.remove(name).unwrap_or(Value::Null);
                path.push(PathStep::Attribute(name.clone()));
                let v = conform_at(v, ty, path)?;
                path.pop();
                out.insert(name.clone(), v);
            }
            Ok(Value::Object(out))
        }
        (value, _) => Err(mismatch(&value, path)),
    }
}

fn conform_elements(
    elems: Vec<Value>,
    ty: &Type,
    path: &mut Vec<PathStep>,
) -> Result<Vec<Value>, ValueError> {
    let mut out = Vec::with_capacity(elems.len());
    for (i, elem) in elems.into_iter().enumerate() {
        path.push(index_step(i));
        out.push(conform_at(elem, ty, path)?);
        path.pop();
    }
    Ok(out)
}

/// "a string", "a list", ... for a type, in messages.
pub(crate) fn describe_type(ty: &Type) -> String {
    match ty {
        Type::String => "a string".into(),
        Type::Number => "a number".into(),
        Type::Bool => "a bool".into(),
        Type::Dynamic => "any value".into(),
        Type::List(_) => format!("a list ({ty})"),
        Type::Set(_) => format!("a set ({ty})"),
        Type::Map(_) => format!("a map ({ty})"),
        Type::Object(_) => "an object".into(),
        Type::Tuple(t) => format!("a tuple of {} elements", t.len()),
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<Number> for Value {
    fn from(value: Number) -> Self {
        Value::Number(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Number(Number::from(value))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is null.
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::test_values::{num, obj};

    #[test]
    fn sets_are_equal_in_any_order_with_equal_hashes() {
        use std::hash::{BuildHasher, RandomState};
        let a = Value::Set(vec![Value::from("x"), Value::from("y"), num("1")]);
        let b = Value::Set(vec![num("1"), Value::from("y"), Value::from("x")]);
        assert_eq!(a, b);
        let hasher = RandomState::new();
        assert_eq!(hasher.hash_one(&a), hasher.hash_one(&b));
        // Lists keep their order.
        assert_ne!(
            Value::List(vec![num("1"), num("2")]),
            Value::List(vec![num("2"), num("1")])
        );
        assert_ne!(a, Value::Set(vec![Value::from("x"), Value::from("y")]));
        // Unknown elements are not deduplicated: each must match its own.
        assert_ne!(
            Value::Set(vec![Value::Unknown, Value::Unknown]),
            Value::Set(vec![Value::Unknown, Value::from("a")])
        );
        assert_eq!(
            Value::Set(vec![Value::Unknown, Value::from("a")]),
            Value::Set(vec![Value::from("a"), Value::Unknown])
        );
    }

    #[test]
    fn knownness() {
        let v = Value::List(vec![Value::Null, Value::Unknown]);
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        assert!(!Value::Unknown.is_known());
        assert!(Value::Null.is_wholly_known());
        assert!(obj([("a", Value::Map(BTreeMap::new()))]).is_wholly_known());
    }

    #[test]
    fn paths() {
        let mut v = obj([
            ("a", Value::List(vec![Value::from("x"), Value::from("y")])),
            (
                "m",
                Value::Map([("k".to_owned(), Value::from(true))].into()),
            ),
        ]);
        let p = AttributePath::attr("a").push_index(1);
        assert_eq!(v.get_path(&p), Some(&Value::from("y")));
        assert_eq!(
            v.get_path(&AttributePath::attr("m").push_key("k")),
            Some(&Value::Bool(true))
        );
        assert_eq!(v.get_path(&AttributePath::attr("a").push_index(2)), None);
        assert_eq!(v.get_path(&AttributePath::attr("a").push_index(-1)), None);
        assert_eq!(v.get_path(&AttributePath::root()), Some(&v.clone()));
        *v.get_path_mut(&p).unwrap() = Value::Unknown;
        assert_eq!(v.get_path(&p), Some(&Value::Unknown));
        assert_eq!(v.get_attr("zz"), None);
        assert!(v.get_attr("a").is_some());
    }

    #[test]
    fn conform_shapes() {
        let ty = Type::object([
            ("name", Type::String),
            ("ids", Type::set(Type::Number)),
            ("pair", Type::tuple([Type::String, Type::Number])),
            ("tags", Type::map(Type::String)),
            (
                "nested",
                Type::object([("x", Type::Bool), ("y", Type::String)]),
            ),
            ("any", Type::Dynamic),
            ("missing", Type::String),
        ]);
        let loose = Value::Map(
            [
                ("name".to_owned(), Value::from("n")),
                (
                    "ids".to_owned(),
                    Value::List(vec![
                        num("1"),
                        num("2"),
                        num("1.0"),
                        Value::Unknown,
                        Value::Unknown,
                    ]),
                ),
                (
                    "pair".to_owned(),
                    Value::List(vec![Value::from("a"), Value::from("5")]),
                ),
                (
                    "tags".to_owned(),
                    obj([("t", num("7")), ("u", Value::Bool(false))]),
                ),
                (
                    "nested".to_owned(),
                    Value::Map([("x".to_owned(), Value::Bool(true))].into()),
                ),
                ("any".to_owned(), Value::List(vec![num("1")])),
            ]
            .into(),
        );
        let got = loose.conform(&ty).unwrap();
        let want = obj([
            ("name", Value::from("n")),
            (
                "ids",
                Value::Set(vec![num("1"), num("2"), Value::Unknown, Value::Unknown]),
            ),
            ("pair", Value::Tuple(vec![Value::from("a"), num("5")])),
            (
                "tags",
                Value::Map(
                    [
                        ("t".to_owned(), Value::from("7")),
                        ("u".to_owned(), Value::from("false")),
                    ]
                    .into(),
                ),
            ),
            (
                "nested",
                obj([("x", Value::Bool(true)), ("y", Value::Null)]),
            ),
            ("any", Value::List(vec![num("1")])),
            ("missing", Value::Null),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn conform_errors_name_paths() {
        let ty = Type::object([("a", Type::list(Type::object([("b", Type::Number)])))]);
        let v = obj([("a", Value::List(vec![obj([("b", Value::from("x"))])]))]);
        let err = v.conform(&ty).unwrap_err();
        assert_eq!(err.path.to_string(), "a[0].b");
        assert!(err.message.contains("expected a number"), "{err}");

        let v = obj([("a", Value::Null), ("zzz", Value::Null)]);
        let err = v.conform(&ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("zzz"));
        assert!(err.message.contains("unsupported attribute"));

        let err = Value::from("5").conform(&Type::Bool).unwrap_err();
        assert_eq!(err.to_string(), "expected a bool, found a string");

        let err = Value::List(vec![Value::Null])
            .conform(&Type::tuple([Type::String, Type::String]))
            .unwrap_err();
        assert!(err.message.contains("tuple of 2 elements"));
        assert!(Value::from(true).conform(&Type::Number).is_err());
        assert!(
            Value::List(vec![])
                .conform(&Type::map(Type::String))
                .is_err()
        );
        assert_eq!(
            Value::from("5").conform(&Type::String).unwrap(),
            Value::from("5")
        );
    }

    #[test]
    fn conform_nested_sets_dedupe() {
        let ty = Type::set(Type::set(Type::String));
        let v = Value::List(vec![
            Value::List(vec![Value::from("a"), Value::from("a")]),
            Value::List(vec![Value::from("a")]),
            Value::List(vec![Value::from("b")]),
        ]);
        assert_eq!(
            v.conform(&ty).unwrap(),
            Value::Set(vec![
                Value::Set(vec![Value::from("a")]),
                Value::Set(vec![Value::from("b")]),
            ])
        );
    }

    #[test]
    fn infers_types() {
        let v = obj([
            ("s", Value::from("x")),
            (
                "l",
                Value::List(vec![Value::Null, Value::Unknown, num("1")]),
            ),
            ("e", Value::Set(vec![])),
            (
                "m",
                Value::Map([("k".to_owned(), Value::Bool(true))].into()),
            ),
            ("t", Value::Tuple(vec![Value::Null, Value::from("y")])),
            ("n", Value::Null),
        ]);
        assert_eq!(
            v.infer_type(),
            Type::object([
                ("s", Type::String),
                ("l", Type::list(Type::Number)),
                ("e", Type::set(Type::Dynamic)),
                ("m", Type::map(Type::Bool)),
                ("t", Type::tuple([Type::Dynamic, Type::String])),
                ("n", Type::Dynamic),
            ])
        );
        let nested = Value::List(vec![
            Value::List(vec![Value::Null]),
            Value::List(vec![Value::from("a")]),
        ]);
        assert_eq!(nested.infer_type(), Type::list(Type::list(Type::String)));
        let objects = Value::Set(vec![
            obj([("a", Value::Null), ("b", Value::List(vec![]))]),
            obj([("a", num("1")), ("b", Value::List(vec![Value::Bool(true)]))]),
        ]);
        assert_eq!(
            objects.infer_type(),
            Type::set(Type::object([
                ("a", Type::Number),
                ("b", Type::list(Type::Bool))
            ]))
        );
        let mixed = Value::List(vec![Value::from("a"), num("1")]);
        assert_eq!(mixed.infer_type(), Type::list(Type::Dynamic));
        let differing = Value::Map(
            [
                ("x".to_owned(), obj([("a", num("1"))])),
                ("y".to_owned(), obj([("b", num("1"))])),
            ]
            .into(),
        );
        assert_eq!(differing.infer_type(), Type::map(Type::Dynamic));
    }
}
