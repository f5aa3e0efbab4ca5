//! Attribute shapes that several resources' schemas share.

use tfplugin::schema::{Attribute, plan_modifiers};
use tfplugin::value::Type;

use crate::tags::Tagging;

/// A string AWS gives once the object exists (an id, an ARN, an endpoint)
/// and that does not change afterwards: known in every plan after the
/// first, so that plans stay quiet.
pub fn computed_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .computed()
        .description(description)
        .plan_modifier(plan_modifiers::use_state_for_unknown())
}

/// A resource's `tags`: `what` the tags go on. Kept exactly as written
/// (null and `{}` alike), with the keys `tagging` reserves refused.
pub fn tags(what: &str, tagging: &Tagging) -> Attribute {
    let reserved = if tagging.reserved.name {
        "`Name`, and keys starting with `aws:` or `swarm:` in any case, are reserved"
    } else {
        "Keys starting with `aws:` or `swarm:` in any case are reserved (`Name` is yours: the \
         provider does not name buckets)"
    };
    Attribute::map_of("tags", Type::String)
        .optional()
        .description(format!(
            "Tags for {what}, over the provider's `default_tags` (a key here wins). {reserved}. \
             With `default_tags`, at most {} tags: {} allows {} per object, and the provider \
             sets up to {} of its own.",
            tagging.room(),
            tagging.service.name(),
            tagging.service.max_tags(),
            tagging.own_tags,
        ))
        .validator(tagging.validator())
}

/// A resource's `tags_all`, planned by `crate::tags::plan`.
pub fn tags_all() -> Attribute {
    Attribute::map_of("tags_all", Type::String)
        .computed()
        .description(
            "The provider's `default_tags` with `tags` over them: the tags the objects carry \
             besides the provider's own (`swarm:*`, and the `Name` it gives) and AWS's (`aws:*`). \
             A change of `default_tags` alone shows here, as an update in place.",
        )
}
