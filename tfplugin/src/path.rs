//! Attribute paths: where in a configuration, plan or state a value lives.
//! Diagnostics carry them so that Terraform can point at the user's HCL.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An attribute of an object or a block.
    Attribute(String),
    /// An element of a map, by key.
    Key(String),
    /// An element of a list or tuple, by index.
    Index(i64),
}

/// A path from the root of a value to one of its parts, e.g. `endpoints.s3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The path of the whole value.
    pub fn root() -> Self {
        Self::default()
    }

    /// The path of a top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        Self::root().push_attr(name)
    }

    /// This path, then an attribute.
    #[must_use]
    pub fn push_attr(&self, name: impl Into<String>) -> Self {
        self.push(PathStep::Attribute(name.into()))
    }

    /// This path, then a map key.
    #[must_use]
    pub fn push_key(&self, key: impl Into<String>) -> Self {
        self.push(PathStep::Key(key.into()))
    }

    /// This path, then a list or tuple index.
    #[must_use]
    pub fn push_index(&self, index: i64) -> Self {
        self.push(PathStep::Index(index))
    }

    /// This path, then any step.
    #[must_use]
    pub fn push(&self, step: PathStep) -> Self {
        let mut steps = self.steps.clone();
        steps.push(step);
        Self { steps }
    }

    /// The steps from the root.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// Whether this is the path of the whole value.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    /// The path without its last step; the root is its own parent.
    #[must_use]
    pub fn parent(&self) -> Self {
        let mut steps = self.steps.clone();
        steps.pop();
        Self { steps }
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &AttributePath) -> bool {
        self.steps.starts_with(&other.steps)
    }
}

impl From<Vec<PathStep>> for AttributePath {
    fn from(steps: Vec<PathStep>) -> Self {
        Self { steps }
    }
}

impl fmt::Display for AttributePath {
    /// Terraform's own syntax: `endpoints.s3`, `tags["team"]`, `subnet_ids[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_in_terraform_syntax() {
        let path = AttributePath::attr("endpoints")
            .push_attr("s3")
            .push_key("a b")
            .push_index(2);
        assert_eq!(path.to_string(), r#"endpoints.s3["a b"][2]"#);
        assert_eq!(AttributePath::root().to_string(), "");
        assert!(path.starts_with(&AttributePath::attr("endpoints")));
        assert!(!AttributePath::attr("x").starts_with(&path));
    }
}
