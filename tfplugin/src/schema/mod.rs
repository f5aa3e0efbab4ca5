//! Schemas, declared once in Rust: they serve the protocol (GetProviderSchema),
//! validation and planning, and the generated documentation.
//!
//! ```
//! use tfplugin::schema::{Attribute, Schema, validators};
//!
//! let schema = Schema::new("A pool of hosts.")
//!     .attribute(Attribute::string("name").required().description("The pool's name."))
//!     .attribute(
//!         Attribute::number("count")
//!             .optional()
//!             .computed()
//!             .validator(validators::int_between(1, 10)),
//!     );
//! assert_eq!(schema.block.attributes.len(), 2);
//! ```

mod attribute;
pub mod plan_modifiers;
pub mod timeouts;
pub mod validators;

use std::collections::BTreeMap;

pub use attribute::{Attribute, AttributeKind, NestedAttributes, ObjectNesting};
pub use plan_modifiers::PlanModifier;
pub use validators::Validator;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::value::{Type, Value};

/// The schema of a provider's configuration, a resource or a data source.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// The version of the state layout; bump it and implement state upgrade
    /// when a resource's stored state changes shape.
    pub version: i64,
    /// The top-level block: the attributes and nested blocks.
    pub block: Block,
}

impl Schema {
    /// An empty schema, version 0, with a Markdown description.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            version: 0,
            block: Block::new(description),
        }
    }

    /// Sets the state version (see the `version` field).
    #[must_use]
    pub fn version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// Adds a top-level attribute.
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.block.attributes.push(attribute);
        self
    }

    /// Adds a top-level nested block.
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.block.blocks.push(block);
        self
    }

    /// The Terraform type of values of this schema (an object).
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// Runs every attribute's validators on a configuration value.
    pub fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        self.block
            .validate(config, &AttributePath::root(), &mut diags);
        diags
    }

    /// The attribute at a top-level name.
    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.block.attributes.iter().find(|a| a.name == name)
    }
}

/// A block: attributes and nested blocks.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// The block's attributes.
    pub attributes: Vec<Attribute>,
    /// The nested block types inside this block.
    pub blocks: Vec<NestedBlock>,
    /// Markdown.
    pub description: String,
    /// Marks the whole block deprecated.
    pub deprecated: bool,
}

impl Block {
    /// An empty block with a Markdown description.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block type.
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The Terraform type of the block's value: an object with one entry per
    /// attribute and per nested block type.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()))
            .collect();
        for b in &self.blocks {
            attrs.insert(b.type_name.clone(), b.value_type());
        }
        Type::Object(attrs)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if !value.is_known() || value.is_null() {
            return;
        }
        for attribute in &self.attributes {
            let child = value.get_attr(&attribute.name).unwrap_or(&Value::Null);
            attribute.validate(child, &path.push_attr(&attribute.name), diags);
        }
        for block in &self.blocks {
            let child = value.get_attr(&block.type_name).unwrap_or(&Value::Null);
            block.validate(child, &path.push_attr(&block.type_name), diags);
        }
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockNesting {
    /// At most one block; its value is an object (or null).
    Single,
    /// Exactly one block, always present; its value is an object.
    Group,
    /// Repeated blocks, in order; the value is a list of objects.
    List,
    /// Repeated blocks, unordered; the value is a set of objects.
    Set,
    /// Blocks with a label, e.g. `endpoint "s3" { ... }`.
    Map,
}

/// A nested block type, e.g. `endpoints { ... }` or `timeouts { ... }`.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    /// The block's name in configuration, e.g. `timeouts`.
    pub type_name: String,
    /// The contents of each block.
    pub block: Block,
    /// How the block repeats.
    pub nesting: BlockNesting,
    /// The fewest blocks allowed, for list and set nesting; 0 for no minimum.
    /// Above 0 the block is required, and documented as such.
    pub min_items: i64,
    /// The most blocks allowed, for list and set nesting; 0 for no limit.
    pub max_items: i64,
}

impl NestedBlock {
    /// A nested block type with the given nesting and no limits on the number
    /// of blocks.
    pub fn new(type_name: impl Into<String>, nesting: BlockNesting, block: Block) -> Self {
        Self {
            type_name: type_name.into(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }

    /// A block that appears at most once.
    pub fn single(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, BlockNesting::Single, block)
    }

    /// Sets the fewest and most blocks allowed (0 for no limit), for list and
    /// set nesting.
    #[must_use]
    pub fn items(mut self, min: i64, max: i64) -> Self {
        self.min_items = min;
        self.max_items = max;
        self
    }

    /// The Terraform type of the block's value: an object, or a list, set or
    /// map of objects, as the nesting says.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            BlockNesting::Single | BlockNesting::Group => object,
            BlockNesting::List => Type::List(Box::new(object)),
            BlockNesting::Set => Type::Set(Box::new(object)),
            BlockNesting::Map => Type::Map(Box::new(object)),
        }
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        match value {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.block.validate(item, &path.push_index(i as i64), diags);
                }
            }
            // Set elements have no address of their own: point at the set.
            Value::Set(items) => {
                for item in items {
                    self.block.validate(item, path, diags);
                }
            }
            Value::Map(items) => {
                for (k, item) in items {
                    self.block.validate(item, &path.push_key(k), diags);
                }
            }
            other => self.block.validate(other, path, diags),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn config(name: Value) -> Value {
        Value::Object([("name".to_owned(), name)].into())
    }

    #[test]
    fn a_required_attribute_may_not_be_null() {
        let schema = Schema::new("a pool").attribute(Attribute::string("name").required());
        assert!(schema.validate(&config(Value::from("pool"))).is_empty());
        // Unknown is checked once known.
        assert!(schema.validate(&config(Value::Unknown)).is_empty());
        let diags = schema.validate(&config(Value::Null));
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].attribute, Some(AttributePath::attr("name")));
        assert_eq!(errors[0].summary, "Missing required argument");
    }
}
