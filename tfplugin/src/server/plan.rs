//! The schema-driven part of planning a managed resource's change, done
//! for every resource before its own `modify_plan`: defaults, "known after
//! apply" for computed attributes, plan modifiers, write-only attributes.
//!
//! Each pass walks the schema's objects: the resource itself, and every
//! object of its nested attributes and nested blocks, whatever their
//! nesting (single, list, map or set). An object in a list is matched with
//! the configuration's and the prior state's object at the same index, in
//! a map by key. Objects in sets are left as Terraform proposes them
//! (see `each_object`): attributes nested in sets get no defaults, computed
//! unknowns or plan modifiers.

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::schema::plan_modifiers::{PlanModifierRequest, PlanModifierResponse};
use crate::schema::{Attribute, AttributeKind, Block, BlockNesting, NestedBlock, ObjectNesting};
use crate::value::Value;

/// The attributes and nested blocks of one object of a schema.
#[derive(Clone, Copy)]
pub(crate) struct ObjectSchema<'s> {
    pub attributes: &'s [Attribute],
    pub blocks: &'s [NestedBlock],
}

impl<'s> ObjectSchema<'s> {
    pub fn of(block: &'s Block) -> Self {
        Self {
            attributes: &block.attributes,
            blocks: &block.blocks,
        }
    }

    /// The object types nested in this one.
    fn nested(self) -> impl Iterator<Item = Nested<'s>> {
        let attributes = self.attributes.iter().filter_map(|a| match &a.kind {
            AttributeKind::Nested(n) => Some(Nested {
                name: &a.name,
                schema: ObjectSchema {
                    attributes: &n.attributes,
                    blocks: &[],
                },
                nesting: match n.nesting {
                    ObjectNesting::Single => Nesting::Single,
                    ObjectNesting::List => Nesting::List,
                    ObjectNesting::Set => Nesting::Set,
                    ObjectNesting::Map => Nesting::Map,
                },
            }),
            _ => None,
        });
        let blocks = self.blocks.iter().map(|b| Nested {
            name: &b.type_name,
            schema: ObjectSchema::of(&b.block),
            nesting: match b.nesting {
                BlockNesting::Single | BlockNesting::Group => Nesting::Single,
                BlockNesting::List => Nesting::List,
                BlockNesting::Set => Nesting::Set,
                BlockNesting::Map => Nesting::Map,
            },
        });
        attributes.chain(blocks)
    }
}

/// A nested attribute or block: its name in the parent, the schema of
/// its objects and how they repeat.
struct Nested<'s> {
    name: &'s str,
    schema: ObjectSchema<'s>,
    nesting: Nesting,
}

#[derive(Clone, Copy)]
enum Nesting {
    Single,
    List,
    Set,
    Map,
}

/// One object being planned, with its counterparts in the configuration
/// and the prior state (`Null` where there is none).
pub(crate) struct PlanInputs<'a> {
    pub schema: ObjectSchema<'a>,
    pub config: &'a Value,
    pub prior: &'a Value,
    pub creating: bool,
}

fn attr<'v>(object: &'v Value, name: &str) -> &'v Value {
    object.get_attr(name).unwrap_or(&Value::Null)
}

fn attr_mut<'v>(object: &'v mut Value, name: &str) -> Option<&'v mut Value> {
    match object {
        Value::Object(attrs) => attrs.get_mut(name),
        _ => None,
    }
}

fn set_attr(object: &mut Value, name: &str, value: Value) {
    if let Value::Object(attrs) = object {
        attrs.insert(name.to_owned(), value);
    }
}

/// Calls `visit` for every known, non-null object of `nested` in `plan`,
/// with its inputs and path.
fn each_object<'a>(
    nested: &Nested<'a>,
    parent: &PlanInputs<'a>,
    path: &AttributePath,
    plan: &mut Value,
    mut visit: impl FnMut(&PlanInputs<'_>, &AttributePath, &mut Value),
) {
    let config = attr(parent.config, nested.name);
    let prior = attr(parent.prior, nested.name);
    let path = path.push_attr(nested.name);
    let Some(planned) = attr_mut(plan, nested.name) else {
        return;
    };
    let live = |v: &Value| v.is_known() && !v.is_null();
    let inputs = |config, prior| PlanInputs {
        schema: nested.schema,
        config,
        prior,
        creating: parent.creating,
    };
    match (nested.nesting, planned) {
        (Nesting::Single, object) if live(object) => {
            visit(&inputs(config, prior), &path, object);
        }
        (Nesting::List, Value::List(items)) => {
            let element = |v: &'a Value, i: usize| match v {
                Value::List(items) => items.get(i).unwrap_or(&NULL),
                _ => &NULL,
            };
            for (i, item) in items.iter_mut().enumerate().filter(|(_, v)| live(v)) {
                let inputs = inputs(element(config, i), element(prior, i));
                visit(&inputs, &path.push_index(i as i64), item);
            }
        }
        (Nesting::Map, Value::Map(items)) => {
            let element = |v: &'a Value, key: &str| match v {
                Value::Map(items) => items.get(key).unwrap_or(&NULL),
                _ => &NULL,
            };
            for (key, item) in items.iter_mut().filter(|(_, v)| live(v)) {
                let inputs = inputs(element(config, key), element(prior, key));
                visit(&inputs, &path.push_key(key), item);
            }
        }
        // Objects in sets are left as proposed: Terraform matches set
        // elements by value, so a default or an unknown planned inside one
        // would make it another element (and could merge two), and a path
        // cannot point into a set for requires-replace. Write-only values
        // are nulled there all the same (`null_write_only`).
        (Nesting::Set, _) => {}
        _ => {}
    }
}

static NULL: Value = Value::Null;

/// Plans defaults for attributes the configuration leaves unset.
pub(crate) fn apply_defaults(inputs: &PlanInputs<'_>, plan: &mut Value) {
    for attribute in inputs.schema.attributes {
        if let Some(default) = &attribute.default
            && attr(inputs.config, &attribute.name).is_null()
        {
            set_attr(plan, &attribute.name, default.clone());
        }
    }
    for nested in inputs.schema.nested() {
        each_object(&nested, inputs, &AttributePath::root(), plan, |i, _, o| {
            apply_defaults(i, o);
        });
    }
}

/// Marks computed attributes that the configuration leaves unset as
/// "known after apply", as any change may alter them.
pub(crate) fn mark_computed_unknown(inputs: &PlanInputs<'_>, plan: &mut Value) {
    for attribute in inputs.schema.attributes {
        if attribute.computed
            && attribute.default.is_none()
            && attr(inputs.config, &attribute.name).is_null()
        {
            set_attr(plan, &attribute.name, Value::Unknown);
        }
    }
    for nested in inputs.schema.nested() {
        each_object(&nested, inputs, &AttributePath::root(), plan, |i, _, o| {
            mark_computed_unknown(i, o);
        });
    }
}

/// Runs the attributes' plan modifiers; returns the paths that force
/// replacement.
pub(crate) fn run_plan_modifiers(
    inputs: &PlanInputs<'_>,
    path: &AttributePath,
    plan: &mut Value,
    diags: &mut Diagnostics,
) -> Vec<AttributePath> {
    let mut replace = Vec::new();
    for attribute in inputs.schema.attributes {
        if attribute.plan_modifiers.is_empty() {
            continue;
        }
        let attr_path = path.push_attr(&attribute.name);
        let mut resp = PlanModifierResponse {
            plan: attr(plan, &attribute.name).clone(),
            requires_replace: false,
            diagnostics: Diagnostics::new(),
        };
        let req = PlanModifierRequest {
            path: &attr_path,
            config: attr(inputs.config, &attribute.name),
            state: attr(inputs.prior, &attribute.name),
            creating: inputs.creating,
        };
        for modifier in &attribute.plan_modifiers {
            modifier.modify(&req, &mut resp);
        }
        if resp.requires_replace {
            replace.push(attr_path);
        }
        diags.extend(resp.diagnostics);
        set_attr(plan, &attribute.name, resp.plan);
    }
    for nested in inputs.schema.nested() {
        each_object(&nested, inputs, path, plan, |i, p, o| {
            replace.extend(run_plan_modifiers(i, p, o, diags));
        });
    }
    replace
}

/// Write-only attributes are never planned or stored: null them, at any
/// depth.
pub(crate) fn null_write_only(schema: ObjectSchema<'_>, value: &mut Value) {
    for attribute in schema.attributes {
        if attribute.write_only {
            set_attr(value, &attribute.name, Value::Null);
        }
    }
    for nested in schema.nested() {
        let Some(child) = attr_mut(value, nested.name) else {
            continue;
        };
        match child {
            Value::List(items) | Value::Set(items) => {
                for item in items {
                    null_write_only(nested.schema, item);
                }
            }
            Value::Map(items) => {
                for item in items.values_mut() {
                    null_write_only(nested.schema, item);
                }
            }
            object => null_write_only(nested.schema, object),
        }
    }
}

/// The paths of unknown values left in a value that should be wholly known.
pub(crate) fn unknown_paths(value: &Value, path: &AttributePath, found: &mut Vec<AttributePath>) {
    match value {
        Value::Unknown => found.push(path.clone()),
        Value::List(items) | Value::Tuple(items) => {
            for (i, item) in items.iter().enumerate() {
                unknown_paths(item, &path.push_index(i as i64), found);
            }
        }
        Value::Set(items) => {
            for item in items {
                unknown_paths(item, path, found);
            }
        }
        Value::Map(items) => {
            for (key, item) in items {
                unknown_paths(item, &path.push_key(key), found);
            }
        }
        Value::Object(attrs) => {
            for (name, item) in attrs {
                unknown_paths(item, &path.push_attr(name), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::plan_modifiers;
    use crate::value::test_values::obj;

    /// A rule: `port` (required, replaces), `protocol` (default "tcp"),
    /// `id` (computed), `secret` (write-only).
    fn rule_attributes() -> Vec<Attribute> {
        vec![
            Attribute::number("port")
                .required()
                .plan_modifier(plan_modifiers::requires_replace()),
            Attribute::string("protocol")
                .optional()
                .computed()
                .default_value(Value::from("tcp")),
            Attribute::string("id").computed(),
            Attribute::string("secret").optional().write_only(),
        ]
    }

    fn rule(port: i64, protocol: Value, id: Value, secret: Value) -> Value {
        obj([
            ("port", Value::from(port)),
            ("protocol", protocol),
            ("id", id),
            ("secret", secret),
        ])
    }

    fn plan_all(block: &Block, config: &Value, prior: &Value) -> (Value, Vec<AttributePath>) {
        let schema = ObjectSchema::of(block);
        let inputs = PlanInputs {
            schema,
            config,
            prior,
            creating: prior.is_null(),
        };
        let mut plan = config.clone();
        apply_defaults(&inputs, &mut plan);
        null_write_only(schema, &mut plan);
        mark_computed_unknown(&inputs, &mut plan);
        let mut diags = Diagnostics::new();
        let replace = run_plan_modifiers(&inputs, &AttributePath::root(), &mut plan, &mut diags);
        assert!(diags.is_empty());
        (plan, replace)
    }

    #[test]
    fn list_nested_attributes_get_defaults_unknowns_and_no_secrets() {
        let block = Block::new("").attribute(Attribute::nested(
            "rules",
            ObjectNesting::List,
            rule_attributes(),
        ));
        let config = obj([(
            "rules",
            Value::List(vec![rule(
                22,
                Value::Null,
                Value::Null,
                Value::from("hunter2"),
            )]),
        )]);
        let (plan, replace) = plan_all(&block, &config, &Value::Null);
        assert_eq!(
            plan,
            obj([(
                "rules",
                Value::List(vec![rule(
                    22,
                    Value::from("tcp"),
                    Value::Unknown,
                    Value::Null
                )])
            )])
        );
        assert!(replace.is_empty(), "nothing to replace on create");
    }

    #[test]
    fn nested_requires_replace_compares_the_element_at_the_same_index() {
        let block = Block::new("").attribute(Attribute::nested(
            "rules",
            ObjectNesting::List,
            rule_attributes(),
        ));
        let prior = obj([(
            "rules",
            Value::List(vec![
                rule(22, Value::from("tcp"), Value::from("r-1"), Value::Null),
                rule(80, Value::from("tcp"), Value::from("r-2"), Value::Null),
            ]),
        )]);
        let config = obj([(
            "rules",
            Value::List(vec![
                rule(22, Value::Null, Value::Null, Value::Null),
                rule(443, Value::Null, Value::Null, Value::Null),
            ]),
        )]);
        let (_, replace) = plan_all(&block, &config, &prior);
        assert_eq!(
            replace,
            vec![AttributePath::attr("rules").push_index(1).push_attr("port")]
        );
    }

    #[test]
    fn requires_replace_if_known_spares_a_state_without_the_value() {
        let block = Block::new("").attribute(
            Attribute::bool("encrypted")
                .default_value(Value::Bool(true))
                .plan_modifier(plan_modifiers::requires_replace_if_known()),
        );
        let config = obj([("encrypted", Value::Null)]);
        let replaced = |prior: Value| plan_all(&block, &config, &obj([("encrypted", prior)])).1;
        // A state from before the attribute: planned in place.
        assert!(replaced(Value::Null).is_empty());
        assert!(replaced(Value::Bool(true)).is_empty());
        // A value the state holds, changed: replaced.
        assert_eq!(
            replaced(Value::Bool(false)),
            vec![AttributePath::attr("encrypted")]
        );
        // On create, nothing is replaced.
        assert!(plan_all(&block, &config, &Value::Null).1.is_empty());
    }

    #[test]
    fn blocks_and_maps_are_walked_and_sets_only_lose_write_only_values() {
        let block = Block::new("")
            .block(NestedBlock::new(
                "listener",
                BlockNesting::Set,
                Block {
                    attributes: rule_attributes(),
                    ..Block::default()
                },
            ))
            .attribute(Attribute::nested(
                "named",
                ObjectNesting::Map,
                rule_attributes(),
            ));
        let config = obj([
            (
                "listener",
                Value::Set(vec![rule(8080, Value::Null, Value::Null, Value::from("s"))]),
            ),
            (
                "named",
                Value::Map(
                    [(
                        "ssh".to_owned(),
                        rule(22, Value::from("udp"), Value::Null, Value::Null),
                    )]
                    .into(),
                ),
            ),
        ]);
        let (plan, _) = plan_all(&block, &config, &Value::Null);
        assert_eq!(
            plan,
            obj([
                // Left as proposed, but for the write-only value.
                (
                    "listener",
                    Value::Set(vec![rule(8080, Value::Null, Value::Null, Value::Null)])
                ),
                (
                    "named",
                    Value::Map(
                        [(
                            "ssh".to_owned(),
                            rule(22, Value::from("udp"), Value::Unknown, Value::Null),
                        )]
                        .into(),
                    ),
                ),
            ])
        );
    }
}
