//! Validators: checks on configured values, run at `terraform validate`.
//! They see only known, non-null values.

use std::fmt;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::value::Value;

/// A check on one attribute's value.
pub trait Validator: Send + Sync {
    /// What the validator accepts, in words, for documentation.
    fn description(&self) -> String;

    /// Adds a diagnostic at `path` when `value` is not acceptable.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

impl fmt::Debug for dyn Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// A string that is one of `allowed`.
pub fn one_of<I, S>(allowed: I) -> OneOf
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    OneOf(allowed.into_iter().map(Into::into).collect())
}

/// The validator returned by [`one_of`].
pub struct OneOf(Vec<String>);

impl Validator for OneOf {
    fn description(&self) -> String {
        format!("one of {}", quoted_list(&self.0))
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !self.0.iter().any(|a| a == s) {
            diags.attribute_error(
                path.clone(),
                "Invalid value",
                format!("{path} must be {}, got {s:?}.", self.description()),
            );
        }
    }
}

/// An absolute `http` or `https` URL with a host.
pub fn http_url() -> HttpUrl {
    HttpUrl
}

/// The validator returned by [`http_url`].
pub struct HttpUrl;

impl Validator for HttpUrl {
    fn description(&self) -> String {
        "an absolute http(s) URL".to_owned()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let problem = match url::Url::parse(s) {
            Err(err) => Some(err.to_string()),
            Ok(u) if !matches!(u.scheme(), "http" | "https") => Some(format!(
                "the scheme must be http or https, not {:?}",
                u.scheme()
            )),
            Ok(u) if u.host_str().is_none_or(str::is_empty) => {
                Some("the URL has no host".to_owned())
            }
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            diags.attribute_error(
                path.clone(),
                "Invalid URL",
                format!(
                    "{path} must be {}; {s:?} is not: {problem}.",
                    self.description()
                ),
            );
        }
    }
}

/// A whole number between `min` and `max`, inclusive.
pub fn int_between(min: i64, max: i64) -> IntBetween {
    IntBetween { min, max }
}

/// The validator returned by [`int_between`].
pub struct IntBetween {
    min: i64,
    max: i64,
}

impl Validator for IntBetween {
    fn description(&self) -> String {
        format!("a whole number from {} to {}", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(n) = value.as_number() else { return };
        let ok = n
            .as_i64()
            .is_some_and(|i| (self.min..=self.max).contains(&i));
        if !ok {
            diags.attribute_error(
                path.clone(),
                "Value out of range",
                format!("{path} must be {}, got {n}.", self.description()),
            );
        }
    }
}

/// A string of `min` to `max` characters.
pub fn string_length_between(min: usize, max: usize) -> StringLength {
    StringLength { min, max }
}

/// The validator returned by [`string_length_between`].
pub struct StringLength {
    min: usize,
    max: usize,
}

impl Validator for StringLength {
    fn description(&self) -> String {
        format!("a string of {} to {} characters", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        let len = s.chars().count();
        if len < self.min || len > self.max {
            diags.attribute_error(
                path.clone(),
                "Invalid length",
                format!("{path} must be {}, got {len}.", self.description()),
            );
        }
    }
}

/// A string accepted by `check`, which returns why not otherwise.
pub fn string_check<F>(description: impl Into<String>, check: F) -> StringCheck<F>
where
    F: Fn(&str) -> Result<(), String> + Send + Sync,
{
    StringCheck {
        description: description.into(),
        check,
    }
}

/// The validator returned by [`string_check`].
pub struct StringCheck<F> {
    description: String,
    check: F,
}

impl<F> Validator for StringCheck<F>
where
    F: Fn(&str) -> Result<(), String> + Send + Sync,
{
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if let Err(why) = (self.check)(s) {
            diags.attribute_error(
                path.clone(),
                "Invalid value",
                format!("{path} must be {}: {why}", self.description),
            );
        }
    }
}

/// A list, set or map of `min` to `max` elements.
pub fn size_between(min: usize, max: usize) -> SizeBetween {
    SizeBetween { min, max }
}

/// The validator returned by [`size_between`].
pub struct SizeBetween {
    min: usize,
    max: usize,
}

impl Validator for SizeBetween {
    fn description(&self) -> String {
        format!("{} to {} elements", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let len = match value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => items.len(),
            Value::Map(items) => items.len(),
            _ => return,
        };
        if len < self.min || len > self.max {
            diags.attribute_error(
                path.clone(),
                "Wrong number of elements",
                format!("{path} must have {}, got {len}.", self.description()),
            );
        }
    }
}

/// Elements of a list that are all different.
pub fn unique_elements() -> UniqueElements {
    UniqueElements
}

/// The validator returned by [`unique_elements`].
pub struct UniqueElements;

impl Validator for UniqueElements {
    fn description(&self) -> String {
        "no duplicates".to_owned()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Value::List(items) = value else { return };
        for (i, item) in items.iter().enumerate() {
            if item.is_known() && items[..i].contains(item) {
                diags.attribute_error(
                    path.push_index(i as i64),
                    "Duplicate element",
                    format!("{path} must have no duplicates."),
                );
            }
        }
    }
}

/// Applies `inner` to each element of a list, set or map.
pub fn each<V: Validator>(inner: V) -> Each<V> {
    Each(inner)
}

/// The validator returned by [`each`].
pub struct Each<V>(V);

impl<V: Validator> Validator for Each<V> {
    fn description(&self) -> String {
        format!("each element {}", self.0.description())
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let skip = |v: &Value| v.is_null() || !v.is_known();
        match value {
            Value::List(items) | Value::Tuple(items) => {
                for (i, item) in items.iter().enumerate().filter(|(_, v)| !skip(v)) {
                    self.0.validate(item, &path.push_index(i as i64), diags);
                }
            }
            Value::Set(items) => {
                for item in items.iter().filter(|v| !skip(v)) {
                    self.0.validate(item, path, diags);
                }
            }
            Value::Map(items) => {
                for (key, item) in items.iter().filter(|(_, v)| !skip(v)) {
                    self.0.validate(item, &path.push_key(key), diags);
                }
            }
            _ => {}
        }
    }
}

fn quoted_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: &dyn Validator, value: Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        v.validate(&value, &AttributePath::attr("x"), &mut diags);
        diags
    }

    #[test]
    fn one_of_names_the_choices() {
        let v = one_of(["development", "staging", "production"]);
        assert!(check(&v, Value::String("staging".into())).is_empty());
        let diags = check(&v, Value::String("prod".into()));
        assert!(diags.has_errors());
        let d = diags.iter().next().unwrap();
        assert_eq!(d.attribute, Some(AttributePath::attr("x")));
        assert!(
            d.detail
                .contains(r#""development", "staging" or "production""#),
            "{}",
            d.detail
        );
    }

    #[test]
    fn http_url_rejects_garbage() {
        let v = http_url();
        assert!(check(&v, Value::String("http://127.0.0.1:5000".into())).is_empty());
        assert!(check(&v, Value::String("not a url".into())).has_errors());
        assert!(check(&v, Value::String("ftp://host".into())).has_errors());
    }

    #[test]
    fn int_between_checks_bounds_and_wholeness() {
        let v = int_between(0, 5);
        assert!(check(&v, Value::Number(5.into())).is_empty());
        assert!(check(&v, Value::Number(6.into())).has_errors());
        assert!(check(&v, Value::Number("1.5".parse().unwrap())).has_errors());
    }
}
