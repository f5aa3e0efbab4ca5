//! Attribute shapes that several resources' schemas share.

use tfplugin::schema::{Attribute, plan_modifiers};
use tfplugin::value::{Type, Value};

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

/// Encryption fixed when the object is made (`name`, e.g.
/// `storage_encrypted`): on by default; an imported object reads as it is
/// (an unencrypted one stays so, and its generated configuration says
/// `false`), and a change replaces the object, which only a configuration
/// that asks for it plans. `what` is what is encrypted.
pub fn encryption(name: &str, what: &str) -> Attribute {
    Attribute::bool(name)
        .default_value(Value::Bool(true))
        .plan_modifier(plan_modifiers::requires_replace_if_known())
        .description(format!(
            "Whether {what} is encrypted (default true; the provider always makes it so). \
             AWS fixes it when the object is made: an imported object shows what it has, and \
             changing this replaces the object (a new one, empty, in place of the old), so an \
             imported unencrypted one stays as it is until this is set to true on purpose."
        ))
}

/// The security groups an instance is behind besides the resource's own
/// (`security_group_id`): `what` is the instance.
pub fn additional_security_group_ids(what: &str) -> Attribute {
    Attribute::set_of("additional_security_group_ids", Type::String)
        .default_value(Value::Set(Vec::new()))
        .description(format!(
            "Security groups {what} is behind besides its own (`security_group_id`). An \
             imported object keeps the groups it was found with (they show here, and in the \
             configuration `terraform plan -generate-config-out` writes), so that an import \
             cuts no access; the provider adds its own group beside them. It never changes \
             these groups themselves; taking one out of this set detaches it. Default none: \
             a group attached out of band is detached again."
        ))
}
