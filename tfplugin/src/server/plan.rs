//! The schema-driven part of planning a managed resource's change, done
//! for every resource before its own `modify_plan`: defaults, "known after
//! apply" for computed attributes, plan modifiers, write-only attributes.

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::schema::plan_modifiers::{PlanModifierRequest, PlanModifierResponse};
use crate::schema::{Attribute, AttributeKind, ObjectNesting};
use crate::value::Value;

/// Inputs to planning one object (the resource, or a nested object).
pub(crate) struct PlanInputs<'a> {
    pub attributes: &'a [Attribute],
    pub config: &'a Value,
    pub prior: &'a Value,
    pub creating: bool,
}

fn attr<'v>(object: &'v Value, name: &str) -> &'v Value {
    object.get_attr(name).unwrap_or(&Value::Null)
}

fn set_attr(object: &mut Value, name: &str, value: Value) {
    if let Value::Object(attrs) = object {
        attrs.insert(name.to_owned(), value);
    }
}

/// Plans defaults for attributes the configuration leaves unset.
pub(crate) fn apply_defaults(inputs: &PlanInputs<'_>, plan: &mut Value) {
    for attribute in inputs.attributes {
        let config = attr(inputs.config, &attribute.name);
        if let Some(default) = &attribute.default {
            if config.is_null() {
                set_attr(plan, &attribute.name, default.clone());
            }
        } else if let Some(nested) = single_nested(attribute) {
            let mut child = attr(plan, &attribute.name).clone();
            if child.is_known() && !child.is_null() {
                let inputs = PlanInputs {
                    attributes: nested,
                    config,
                    prior: attr(inputs.prior, &attribute.name),
                    creating: inputs.creating,
                };
                apply_defaults(&inputs, &mut child);
                set_attr(plan, &attribute.name, child);
            }
        }
    }
}

/// Marks computed attributes that the configuration leaves unset as
/// "known after apply", as any change may alter them.
pub(crate) fn mark_computed_unknown(inputs: &PlanInputs<'_>, plan: &mut Value) {
    for attribute in inputs.attributes {
        let config = attr(inputs.config, &attribute.name);
        if attribute.computed && attribute.default.is_none() && config.is_null() {
            set_attr(plan, &attribute.name, Value::Unknown);
        } else if let Some(nested) = single_nested(attribute) {
            let mut child = attr(plan, &attribute.name).clone();
            if child.is_known() && !child.is_null() {
                let inputs = PlanInputs {
                    attributes: nested,
                    config,
                    prior: attr(inputs.prior, &attribute.name),
                    creating: inputs.creating,
                };
                mark_computed_unknown(&inputs, &mut child);
                set_attr(plan, &attribute.name, child);
            }
        }
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
    for attribute in inputs.attributes {
        let attr_path = path.push_attr(&attribute.name);
        let config = attr(inputs.config, &attribute.name);
        let prior = attr(inputs.prior, &attribute.name);
        if !attribute.plan_modifiers.is_empty() {
            let mut resp = PlanModifierResponse {
                plan: attr(plan, &attribute.name).clone(),
                requires_replace: false,
                diagnostics: Diagnostics::new(),
            };
            let req = PlanModifierRequest {
                path: &attr_path,
                config,
                state: prior,
                creating: inputs.creating,
            };
            for modifier in &attribute.plan_modifiers {
                modifier.modify(&req, &mut resp);
            }
            if resp.requires_replace {
                replace.push(attr_path.clone());
            }
            diags.extend(resp.diagnostics);
            set_attr(plan, &attribute.name, resp.plan);
        }
        if let Some(nested) = single_nested(attribute) {
            let mut child = attr(plan, &attribute.name).clone();
            if child.is_known() && !child.is_null() {
                let inputs = PlanInputs {
                    attributes: nested,
                    config,
                    prior,
                    creating: inputs.creating,
                };
                replace.extend(run_plan_modifiers(&inputs, &attr_path, &mut child, diags));
                set_attr(plan, &attribute.name, child);
            }
        }
    }
    replace
}

/// Write-only attributes are never planned or stored: null them.
pub(crate) fn null_write_only(attributes: &[Attribute], value: &mut Value) {
    for attribute in attributes {
        if attribute.write_only {
            set_attr(value, &attribute.name, Value::Null);
        } else if let Some(nested) = single_nested(attribute)
            && let Value::Object(attrs) = value
            && let Some(child) = attrs.get_mut(&attribute.name)
        {
            null_write_only(nested, child);
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

fn single_nested(attribute: &Attribute) -> Option<&[Attribute]> {
    match &attribute.kind {
        AttributeKind::Nested(nested) if nested.nesting == ObjectNesting::Single => {
            Some(&nested.attributes)
        }
        _ => None,
    }
}
