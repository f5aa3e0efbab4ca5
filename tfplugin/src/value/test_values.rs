//! Shorthands for the values the unit tests of this crate build.

use super::Value;

/// An object from `(attribute, value)` pairs.
pub(crate) fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// A number from its decimal text.
pub(crate) fn num(s: &str) -> Value {
    Value::Number(s.parse().expect("a test number"))
}
