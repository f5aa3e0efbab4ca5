//! Attribute shapes that several resources' schemas share.

use tfplugin::schema::{Attribute, plan_modifiers};

/// A string AWS gives once the object exists (an id, an ARN, an endpoint)
/// and that does not change afterwards: known in every plan after the
/// first, so that plans stay quiet.
pub fn computed_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .computed()
        .description(description)
        .plan_modifier(plan_modifiers::use_state_for_unknown())
}
