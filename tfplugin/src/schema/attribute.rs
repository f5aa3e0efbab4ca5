use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::plan_modifiers::PlanModifier;
use super::validators::Validator;
use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::value::{Type, Value};

/// What an attribute holds: a plain typed value, or nested attributes.
#[derive(Debug, Clone)]
pub enum AttributeKind {
    /// A value of one Terraform type, e.g. a string or a list of numbers.
    Typed(Type),
    /// Nested attributes: one object, or a list, set or map of objects.
    Nested(NestedAttributes),
}

/// How nested attributes repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectNesting {
    /// One object, e.g. `endpoints = { s3 = "..." }`.
    Single,
    /// A list of objects, in order, e.g. `rules = [{ ... }, { ... }]`.
    List,
    /// A set of objects: unordered, without duplicates.
    Set,
    /// A map of objects keyed by string, e.g. `hosts = { web = { ... } }`.
    Map,
}

/// The attributes of a nested-attribute object, e.g. `endpoints = { s3 = "..." }`.
#[derive(Debug, Clone)]
pub struct NestedAttributes {
    /// Whether the attribute holds one object or a list, set or map of them.
    pub nesting: ObjectNesting,
    /// The attributes of each object.
    pub attributes: Vec<Attribute>,
}

impl NestedAttributes {
    /// The type of one object: each attribute's name and value type.
    pub fn object_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.value_type()))
                .collect::<BTreeMap<_, _>>(),
        )
    }
}

/// One attribute of a schema.
#[derive(Clone)]
pub struct Attribute {
    /// The attribute's name in configuration and state.
    pub name: String,
    /// A typed value or nested attributes.
    pub kind: AttributeKind,
    /// Markdown.
    pub description: String,
    /// The configuration must set the attribute.
    pub required: bool,
    /// The configuration may leave the attribute unset (null). With `computed`,
    /// the provider supplies the value when the configuration does not.
    pub optional: bool,
    /// The provider sets the value. Without `optional` the attribute is
    /// read-only. While unset in configuration, it is planned as "known after
    /// apply" when the resource is created or changes, unless a default or a
    /// plan modifier says otherwise.
    pub computed: bool,
    /// Hidden in Terraform's output.
    pub sensitive: bool,
    /// Never stored in plan or state (Terraform 1.11+).
    pub write_only: bool,
    /// Why the attribute is deprecated, when it is.
    pub deprecation: Option<String>,
    /// Planned when the configuration leaves the attribute unset.
    pub default: Option<Value>,
    /// Checks run on the configured value when it is known and not null.
    pub validators: Vec<Arc<dyn Validator>>,
    /// Rules applied, in order, to the attribute's planned value in a managed
    /// resource.
    pub plan_modifiers: Vec<Arc<dyn PlanModifier>>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .field("sensitive", &self.sensitive)
            .field("write_only", &self.write_only)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    /// An attribute of the given type. Make it `required`, `optional` or
    /// `computed` (or optional and computed) before use.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self::with_kind(name, AttributeKind::Typed(ty))
    }

    fn with_kind(name: impl Into<String>, kind: AttributeKind) -> Self {
        Self {
            name: name.into(),
            kind,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecation: None,
            default: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    /// A number attribute.
    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    /// A bool attribute.
    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    /// A list attribute whose elements are of type `element`.
    pub fn list_of(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::List(Box::new(element)))
    }

    /// A set attribute whose elements are of type `element`.
    pub fn set_of(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::Set(Box::new(element)))
    }

    /// A map attribute: string keys, values of type `element`.
    pub fn map_of(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::Map(Box::new(element)))
    }

    /// An attribute holding nested attributes.
    pub fn nested(
        name: impl Into<String>,
        nesting: ObjectNesting,
        attributes: Vec<Attribute>,
    ) -> Self {
        Self::with_kind(
            name,
            AttributeKind::Nested(NestedAttributes {
                nesting,
                attributes,
            }),
        )
    }

    /// Sets the description (Markdown), sent to Terraform and used in the
    /// generated documentation.
    #[must_use]
    pub fn description(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    /// The configuration must set the attribute.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The configuration may leave the attribute unset (null). Add
    /// [`computed`](Self::computed()) to let the provider choose the value then.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The provider sets the value. Alone, it makes the attribute read-only;
    /// with [`optional`](Self::optional()), the configuration may set it and the
    /// provider fills it in when it does not.
    #[must_use]
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Hides the value in Terraform's plan and apply output. The value is
    /// still stored in state.
    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Write-only: accepted in configuration, handed to the provider at
    /// apply, never persisted in plan or state. Implies optional unless
    /// required is set.
    #[must_use]
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        if !self.required {
            self.optional = true;
        }
        self
    }

    /// Marks the attribute deprecated; `why` is added to its description and
    /// shown in the generated documentation.
    #[must_use]
    pub fn deprecated(mut self, why: impl Into<String>) -> Self {
        self.deprecation = Some(why.into());
        self
    }

    /// A default planned when the configuration leaves the attribute unset.
    /// Makes the attribute optional and computed, as Terraform requires.
    #[must_use]
    pub fn default_value(mut self, value: Value) -> Self {
        self.default = Some(value);
        self.optional = true;
        self.computed = true;
        self
    }

    /// Adds a validator, run on the configured value when it is known and not
    /// null.
    #[must_use]
    pub fn validator(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// Adds a plan modifier. Modifiers run in the order added when Terraform
    /// plans a change to a managed resource.
    #[must_use]
    pub fn plan_modifier(mut self, modifier: impl PlanModifier + 'static) -> Self {
        self.plan_modifiers.push(Arc::new(modifier));
        self
    }

    /// The Terraform type of this attribute's values.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeKind::Typed(ty) => ty.clone(),
            AttributeKind::Nested(nested) => {
                let object = nested.object_type();
                match nested.nesting {
                    ObjectNesting::Single => object,
                    ObjectNesting::List => Type::List(Box::new(object)),
                    ObjectNesting::Set => Type::Set(Box::new(object)),
                    ObjectNesting::Map => Type::Map(Box::new(object)),
                }
            }
        }
    }

    /// Runs validators on a configured value (skipped while null or unknown),
    /// then on nested attributes. A required attribute may not be null:
    /// Terraform accepts `name = null` as given (a configuration written by
    /// `-generate-config-out` has them), and the provider would otherwise
    /// see a value it never allowed.
    pub(crate) fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if self.required && value.is_null() {
            diags.attribute_error(
                path.clone(),
                "Missing required argument",
                format!("The argument {path} is required: it must have a value other than null."),
            );
            return;
        }
        if value.is_null() || !value.is_known() {
            return;
        }
        for validator in &self.validators {
            validator.validate(value, path, diags);
        }
        let AttributeKind::Nested(nested) = &self.kind else {
            return;
        };
        let validate_object = |object: &Value, path: &AttributePath, diags: &mut Diagnostics| {
            if object.is_null() || !object.is_known() {
                return;
            }
            for attribute in &nested.attributes {
                let child = object.get_attr(&attribute.name).unwrap_or(&Value::Null);
                attribute.validate(child, &path.push_attr(&attribute.name), diags);
            }
        };
        match value {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate_object(item, &path.push_index(i as i64), diags);
                }
            }
            Value::Set(items) => items
                .iter()
                .for_each(|item| validate_object(item, path, diags)),
            Value::Map(items) if nested.nesting == ObjectNesting::Map => {
                for (key, item) in items {
                    validate_object(item, &path.push_key(key), diags);
                }
            }
            object => validate_object(object, path, diags),
        }
    }
}
