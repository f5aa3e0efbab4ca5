//! Documentation in the Terraform Registry's layout, generated from the
//! same schema declarations that serve the protocol: `docs/index.md`,
//! `docs/resources/<name>.md`, `docs/data-sources/<name>.md`, with examples
//! taken from `examples/` as `tfplugindocs` lays them out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::provider::Provider;
use crate::schema::{
    Attribute, AttributeKind, Block, BlockNesting, NestedBlock, ObjectNesting, Schema,
};
use crate::value::Type;

/// One generated page: where it goes under `docs/`, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The path relative to `docs/`, e.g. `resources/node.md`.
    pub path: PathBuf,
    /// The Markdown text, with the Registry's front matter.
    pub content: String,
}

/// Renders every page of a provider's documentation.
///
/// `name` is the provider's short name (`swarm`); `examples` the folder
/// holding `provider/provider.tf`, `resources/<type>/resource.tf`,
/// `resources/<type>/import.sh` and `data-sources/<type>/data-source.tf`.
/// A resource's `resources/<type>/guide.md`, if there is one, is prose
/// (Markdown, e.g. a runbook) put on its page after the examples and
/// before the schema: what a description of attributes has no place for.
pub fn render<P: Provider>(provider: &P, name: &str, examples: &Path) -> Vec<Page> {
    let binary = format!("terraform-provider-{name}");
    let mut pages = vec![Page {
        path: PathBuf::from("index.md"),
        content: page(
            &format!("{name} Provider"),
            &format!("{name} Provider"),
            &provider.schema(),
            &[(
                "Example Usage",
                read(examples, "provider/provider.tf"),
                "terraform",
            )],
            None,
            "Schema",
        ),
    }];
    for resource in provider.resources() {
        let type_name = resource.type_name();
        let short = type_name
            .strip_prefix(&format!("{name}_"))
            .unwrap_or(type_name);
        let dir = format!("resources/{type_name}");
        pages.push(Page {
            path: PathBuf::from(format!("resources/{short}.md")),
            content: page(
                &format!("{type_name} Resource - {binary}"),
                &format!("{type_name} (Resource)"),
                &resource.schema(),
                &[
                    (
                        "Example Usage",
                        read(examples, &format!("{dir}/resource.tf")),
                        "terraform",
                    ),
                    (
                        "Import",
                        read(examples, &format!("{dir}/import.sh")),
                        "shell",
                    ),
                ],
                read(examples, &format!("{dir}/guide.md")).as_deref(),
                "Schema",
            ),
        });
    }
    for data_source in provider.data_sources() {
        let type_name = data_source.type_name();
        let short = type_name
            .strip_prefix(&format!("{name}_"))
            .unwrap_or(type_name);
        pages.push(Page {
            path: PathBuf::from(format!("data-sources/{short}.md")),
            content: page(
                &format!("{type_name} Data Source - {binary}"),
                &format!("{type_name} (Data Source)"),
                &data_source.schema(),
                &[(
                    "Example Usage",
                    read(
                        examples,
                        &format!("data-sources/{type_name}/data-source.tf"),
                    ),
                    "terraform",
                )],
                None,
                "Schema",
            ),
        });
    }
    pages
}

fn read(examples: &Path, relative: &str) -> Option<String> {
    std::fs::read_to_string(examples.join(relative)).ok()
}

fn page(
    title: &str,
    heading: &str,
    schema: &Schema,
    sections: &[(&str, Option<String>, &str)],
    prose: Option<&str>,
    schema_heading: &str,
) -> String {
    let description = schema.block.description.trim();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-"
    );
    for line in description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "---\n\n# {heading}\n\n{description}\n");
    for (name, body, language) in sections {
        if let Some(body) = body {
            let _ = writeln!(
                out,
                "## {name}\n\n```{language}\n{}\n```\n",
                body.trim_end()
            );
        }
    }
    if let Some(prose) = prose {
        let _ = writeln!(out, "{}\n", prose.trim());
    }
    let _ = writeln!(
        out,
        "<!-- generated from the provider's schema: do not edit -->\n## {schema_heading}\n"
    );
    let mut nested = Vec::new();
    render_block(&mut out, &schema.block, "", &mut nested);
    while !nested.is_empty() {
        let batch = std::mem::take(&mut nested);
        for (anchor, item) in batch {
            let _ = writeln!(
                out,
                "<a id=\"nestedblock--{anchor}\"></a>\n### Nested Schema for `{}`\n",
                anchor.replace("--", ".")
            );
            match item {
                Nested::Block(block) => render_block(&mut out, &block, &anchor, &mut nested),
                Nested::Attributes(attributes) => {
                    render_attributes(&mut out, &attributes, &anchor, &mut nested)
                }
            }
        }
    }
    let trimmed = out.trim_end().to_owned();
    trimmed + "\n"
}

enum Nested {
    Block(Block),
    Attributes(Vec<Attribute>),
}

fn render_block(out: &mut String, block: &Block, prefix: &str, nested: &mut Vec<(String, Nested)>) {
    let mut all: Vec<Entry> = block.attributes.iter().map(Entry::Attribute).collect();
    all.extend(block.blocks.iter().map(Entry::Block));
    render_entries(out, all, prefix, nested);
}

fn render_attributes(
    out: &mut String,
    attributes: &[Attribute],
    prefix: &str,
    nested: &mut Vec<(String, Nested)>,
) {
    render_entries(
        out,
        attributes.iter().map(Entry::Attribute).collect(),
        prefix,
        nested,
    );
}

enum Entry<'a> {
    Attribute(&'a Attribute),
    Block(&'a NestedBlock),
}

impl Entry<'_> {
    fn name(&self) -> &str {
        match self {
            Entry::Attribute(a) => &a.name,
            Entry::Block(b) => &b.type_name,
        }
    }

    /// Required, Optional or Read-Only, as the Registry groups them.
    fn group(&self) -> usize {
        match self {
            Entry::Attribute(a) if a.required => 0,
            Entry::Attribute(a) if a.optional => 1,
            Entry::Attribute(_) => 2,
            Entry::Block(b) if b.min_items > 0 => 0,
            Entry::Block(_) => 1,
        }
    }
}

fn render_entries(
    out: &mut String,
    mut entries: Vec<Entry<'_>>,
    prefix: &str,
    nested: &mut Vec<(String, Nested)>,
) {
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    for (group, title) in ["Required", "Optional", "Read-Only"].iter().enumerate() {
        let members: Vec<&Entry<'_>> = entries.iter().filter(|e| e.group() == group).collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for entry in members {
            let anchor = if prefix.is_empty() {
                entry.name().to_owned()
            } else {
                format!("{prefix}--{}", entry.name())
            };
            let line = match entry {
                Entry::Attribute(a) => {
                    let mut kind = match &a.kind {
                        AttributeKind::Typed(ty) => type_name(ty),
                        AttributeKind::Nested(n) => {
                            nested.push((anchor.clone(), Nested::Attributes(n.attributes.clone())));
                            let shape = match n.nesting {
                                ObjectNesting::Single => "Attributes",
                                ObjectNesting::List => "Attributes List",
                                ObjectNesting::Set => "Attributes Set",
                                ObjectNesting::Map => "Attributes Map",
                            };
                            format!(
                                "{shape}, see [below for nested schema](#nestedblock--{anchor})"
                            )
                        }
                    };
                    for (flag, word) in [
                        (a.sensitive, "Sensitive"),
                        (a.write_only, "Write-only"),
                        (a.deprecation.is_some(), "Deprecated"),
                    ] {
                        if flag {
                            kind.push_str(", ");
                            kind.push_str(word);
                        }
                    }
                    let mut text = format!("- `{}` ({kind}) {}", a.name, a.description.trim());
                    if let Some(why) = &a.deprecation {
                        let _ = write!(text, " **Deprecated:** {why}");
                    }
                    text
                }
                Entry::Block(b) => {
                    nested.push((anchor.clone(), Nested::Block(b.block.clone())));
                    let shape = match (b.nesting, b.max_items) {
                        (BlockNesting::Single | BlockNesting::Group, _) => "Block".to_owned(),
                        (BlockNesting::List, 0) => "Block List".to_owned(),
                        (BlockNesting::List, max) => format!("Block List, Max: {max}"),
                        (BlockNesting::Set, _) => "Block Set".to_owned(),
                        (BlockNesting::Map, _) => "Block Map".to_owned(),
                    };
                    format!(
                        "- `{}` ({shape}) {} (see [below for nested schema](#nestedblock--{anchor}))",
                        b.type_name,
                        b.block.description.trim()
                    )
                }
            };
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
}

/// A type as the Registry docs name it: `String`, `List of String`, ...
fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_the_registry() {
        assert_eq!(
            type_name(&Type::Map(Box::new(Type::String))),
            "Map of String"
        );
        assert_eq!(
            type_name(&Type::List(Box::new(Type::Bool))),
            "List of Boolean"
        );
    }

    #[test]
    fn schema_groups_required_optional_read_only_and_nests_blocks() {
        let schema = Schema::new("A thing.")
            .attribute(
                Attribute::string("name")
                    .required()
                    .description("The name."),
            )
            .attribute(Attribute::string("secret").optional().sensitive())
            .attribute(Attribute::string("id").computed())
            .block(NestedBlock::single(
                "timeouts",
                Block::new("Timeouts.").attribute(Attribute::string("create").optional()),
            ));
        let text = page("t", "h", &schema, &[], None, "Schema");
        let required = text.find("### Required").unwrap();
        let optional = text.find("### Optional").unwrap();
        let read_only = text.find("### Read-Only").unwrap();
        assert!(required < optional && optional < read_only);
        assert!(text.contains("- `name` (String) The name."));
        assert!(text.contains("- `secret` (String, Sensitive)"));
        assert!(text.contains("### Nested Schema for `timeouts`"));
        assert!(text.contains("- `create` (String)"));
    }

    #[test]
    fn prose_comes_after_the_examples_and_before_the_schema() {
        let schema = Schema::new("A thing.");
        let example = Some("resource \"x\" \"y\" {}".to_owned());
        let text = page(
            "t",
            "h",
            &schema,
            &[("Example Usage", example, "terraform")],
            Some("## Runbook\n\nWhat to do.\n"),
            "Schema",
        );
        let example = text.find("## Example Usage").unwrap();
        let runbook = text.find("## Runbook\n\nWhat to do.").unwrap();
        let schema = text.find("## Schema").unwrap();
        assert!(example < runbook && runbook < schema, "{text}");
    }
}
