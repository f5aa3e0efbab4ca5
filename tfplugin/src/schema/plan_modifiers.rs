//! Plan modifiers: per-attribute rules applied while Terraform plans a
//! change to a managed resource.

use std::fmt;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::value::Value;

/// What a plan modifier sees of one attribute.
pub struct PlanModifierRequest<'a> {
    /// Where the attribute is in the resource.
    pub path: &'a AttributePath,
    /// The attribute's value in configuration.
    pub config: &'a Value,
    /// The attribute's value in the prior state; `Null` on create.
    pub state: &'a Value,
    /// Whether the resource is being created (there is no prior state).
    pub creating: bool,
}

/// What a plan modifier may change.
pub struct PlanModifierResponse {
    /// The planned value; starts as the proposed value.
    pub plan: Value,
    /// Set to force replacement of the resource when the value changes.
    pub requires_replace: bool,
    /// Errors and warnings to report with the plan.
    pub diagnostics: Diagnostics,
}

/// A rule applied to one attribute at plan time.
pub trait PlanModifier: Send + Sync {
    /// What the modifier does, in words, for documentation.
    fn description(&self) -> String;

    /// Changes `resp`, which starts with the planned value so far; the
    /// modifiers of one attribute run in order and share the response.
    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse);
}

impl fmt::Debug for dyn PlanModifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

/// Changing the value replaces the resource.
pub fn requires_replace() -> RequiresReplace {
    RequiresReplace
}

/// The plan modifier returned by [`requires_replace`].
pub struct RequiresReplace;

impl PlanModifier for RequiresReplace {
    fn description(&self) -> String {
        "Changing this value replaces the resource.".to_owned()
    }

    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse) {
        // An unknown planned value may or may not differ: Terraform shows
        // "forces replacement" and decides at apply, as hashicorp's SDKs do.
        if !req.creating && resp.plan != *req.state {
            resp.requires_replace = true;
        }
    }
}

/// Changing the value from one the prior state holds replaces the
/// resource; a prior state without one (written before the attribute
/// existed: the next refresh reads it from the object) plans in place.
/// For a setting fixed when the object is made (encryption at rest),
/// whose absence from an old state must not replace an object that holds
/// data.
pub fn requires_replace_if_known() -> RequiresReplaceIfKnown {
    RequiresReplaceIfKnown
}

/// The plan modifier returned by [`requires_replace_if_known`].
pub struct RequiresReplaceIfKnown;

impl PlanModifier for RequiresReplaceIfKnown {
    fn description(&self) -> String {
        "Changing this value replaces the resource.".to_owned()
    }

    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse) {
        if !req.creating && !req.state.is_null() && resp.plan != *req.state {
            resp.requires_replace = true;
        }
    }
}

/// Keeps the prior state's value instead of "known after apply" for a
/// computed attribute that does not change once set (an id, an ARN).
pub fn use_state_for_unknown() -> UseStateForUnknown {
    UseStateForUnknown
}

/// The plan modifier returned by [`use_state_for_unknown`].
pub struct UseStateForUnknown;

impl PlanModifier for UseStateForUnknown {
    fn description(&self) -> String {
        "Once set, the value does not change.".to_owned()
    }

    fn modify(&self, req: &PlanModifierRequest<'_>, resp: &mut PlanModifierResponse) {
        if !req.creating && !req.state.is_null() && resp.plan.is_unknown() && req.config.is_null() {
            resp.plan = req.state.clone();
        }
    }
}
