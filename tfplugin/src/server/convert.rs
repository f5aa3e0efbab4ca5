//! Translation between the library's types and the protocol's messages.

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::path::{AttributePath, PathStep};
use crate::proto::tfplugin6 as pb;
use crate::schema::{
    Attribute, AttributeKind, Block, BlockNesting, NestedBlock, ObjectNesting, Schema,
};
use crate::value::{self, Type, Value, ValueError};

pub(crate) fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block)),
    }
}

fn block(block: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block.blocks.iter().map(nested_block).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: block.deprecated,
    }
}

fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    let (ty, nested_type) = match &attribute.kind {
        AttributeKind::Typed(ty) => (ty.to_json_bytes(), None),
        AttributeKind::Nested(nested) => {
            let nesting = match nested.nesting {
                ObjectNesting::Single => pb::schema::object::NestingMode::Single,
                ObjectNesting::List => pb::schema::object::NestingMode::List,
                ObjectNesting::Set => pb::schema::object::NestingMode::Set,
                ObjectNesting::Map => pb::schema::object::NestingMode::Map,
            };
            #[allow(deprecated)]
            let object = pb::schema::Object {
                attributes: nested.attributes.iter().map(self::attribute).collect(),
                nesting: nesting as i32,
                min_items: 0,
                max_items: 0,
            };
            (Vec::new(), Some(object))
        }
    };
    let mut description = attribute.description.clone();
    if let Some(why) = &attribute.deprecation {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str("**Deprecated**: ");
        description.push_str(why);
    }
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: ty,
        nested_type,
        description,
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: attribute.deprecation.is_some(),
        write_only: attribute.write_only,
    }
}

fn nested_block(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nested.nesting {
        BlockNesting::Single => NestingMode::Single,
        BlockNesting::Group => NestingMode::Group,
        BlockNesting::List => NestingMode::List,
        BlockNesting::Set => NestingMode::Set,
        BlockNesting::Map => NestingMode::Map,
    };
    pb::schema::NestedBlock {
        type_name: nested.type_name.clone(),
        block: Some(block(&nested.block)),
        nesting: nesting as i32,
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

pub(crate) fn path(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

pub(crate) fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.attribute.as_ref().filter(|p| !p.is_root()).map(path),
    }
}

pub(crate) fn diagnostics(diags: &Diagnostics) -> Vec<pb::Diagnostic> {
    diags.iter().map(diagnostic).collect()
}

/// Decodes a DynamicValue (msgpack preferred, JSON otherwise; absent is null).
pub(crate) fn decode(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, ValueError> {
    match dv {
        Some(dv) if !dv.msgpack.is_empty() => value::msgpack::decode(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => value::json::decode(&dv.json, ty),
        _ => Ok(Value::Null),
    }
}

/// Decodes a DynamicValue, recording a failure in `diags`.
pub(crate) fn decode_into(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    match decode(dv, ty) {
        Ok(value) => Some(value),
        Err(err) => {
            diags.error(
                format!("Unreadable {what}"),
                format!("Terraform sent a {what} that does not match the schema: {err}"),
            );
            None
        }
    }
}

/// Encodes a value as msgpack, recording a failure in `diags`.
pub(crate) fn encode(
    value: &Value,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match value::msgpack::encode(value, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(err) => {
            diags.error(
                "Provider produced an invalid value",
                format!("A value does not match the schema: {err}. This is a bug in the provider."),
            );
            None
        }
    }
}
