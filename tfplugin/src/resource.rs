//! Managed resources: what `terraform apply` creates, reads, updates and
//! deletes.
//!
//! The server layer handles the protocol's generic parts: decoding values,
//! schema defaults, marking computed attributes "known after apply", plan
//! modifiers, write-only attributes, replacement paths. A resource only
//! says what differs.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::schema::Schema;
use crate::value::{self, Value};

/// Decodes one of a request's values into a typed model.
pub(crate) fn decode_model<T: DeserializeOwned>(value: &Value) -> Result<T, Diagnostics> {
    value::from_value(value).map_err(Diagnostics::from)
}

/// What a resource sees when Terraform plans a change.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The configuration; values not known until apply are `Unknown`.
    pub config: Value,
    /// `Null` when the resource is being created.
    pub prior_state: Value,
    /// Private state saved with the prior state.
    pub prior_private: Vec<u8>,
}

impl PlanRequest {
    /// Whether the plan creates the resource (there is no prior state).
    pub fn creating(&self) -> bool {
        self.prior_state.is_null()
    }

    /// Decodes the configuration into a typed model.
    pub fn config_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        decode_model(&self.config)
    }

    /// Decodes the prior state into a typed model.
    pub fn prior_state_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        decode_model(&self.prior_state)
    }
}

/// The plan a resource may refine.
#[derive(Debug, Clone)]
pub struct PlanResponse {
    /// The planned state after defaults, computed attributes and plan
    /// modifiers; `Null` when the resource is being destroyed.
    pub plan: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Private state to pass on to apply; starts as the prior private state.
    pub private: Vec<u8>,
    /// Errors and warnings to report; starts with those of the generic
    /// planning steps.
    pub diagnostics: Diagnostics,
}

impl PlanResponse {
    /// Whether the plan destroys the resource (the planned state is `Null`).
    pub fn destroying(&self) -> bool {
        self.plan.is_null()
    }

    /// Decodes the planned state into a typed model.
    pub fn plan_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        decode_model(&self.plan)
    }

    /// Replaces the planned value of a top-level attribute.
    pub fn set(&mut self, attribute: &str, value: Value) {
        if let Value::Object(attrs) = &mut self.plan {
            attrs.insert(attribute.to_owned(), value);
        }
    }

    /// Marks an attribute as forcing replacement when it changes.
    pub fn require_replace(&mut self, path: AttributePath) {
        if !self.requires_replace.contains(&path) {
            self.requires_replace.push(path);
        }
    }
}

/// What `create`, `update` and `delete` see.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    /// The configuration, including write-only attributes.
    pub config: Value,
    /// The planned state; `Null` on delete.
    pub plan: Value,
    /// The prior state; `Null` on create.
    pub prior_state: Value,
    /// Private state saved with the plan.
    pub private: Vec<u8>,
    /// Cancelled when Terraform asks the provider to stop (Ctrl-C).
    pub cancel: CancellationToken,
}

impl ChangeRequest {
    /// Decodes the configuration into a typed model.
    pub fn config_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        decode_model(&self.config)
    }

    /// Decodes the planned state into a typed model.
    pub fn plan_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        decode_model(&self.plan)
    }

    /// Decodes the prior state into a typed model.
    pub fn prior_state_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        decode_model(&self.prior_state)
    }
}

/// The outcome of `create`, `update` or `delete`.
///
/// `new_state` starts as what exists before the call (`Null` for create,
/// the prior state otherwise). When an operation fails half way, leave in
/// it the state of what does exist: Terraform saves it, so nothing is lost.
#[derive(Debug, Clone)]
pub struct ChangeResponse {
    /// The state Terraform saves. It must contain no unknown values.
    pub new_state: Value,
    /// Private state saved with the new state; starts as the plan's.
    pub private: Vec<u8>,
    /// Errors and warnings to report.
    pub diagnostics: Diagnostics,
}

/// What `read` sees.
#[derive(Debug, Clone)]
pub struct ReadRequest {
    /// The state Terraform last saved.
    pub state: Value,
    /// Private state saved with it.
    pub private: Vec<u8>,
    /// Cancelled when Terraform asks the provider to stop (Ctrl-C).
    pub cancel: CancellationToken,
}

impl ReadRequest {
    /// Decodes the state into a typed model.
    pub fn state_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        decode_model(&self.state)
    }
}

/// The outcome of `read`: `new_state` starts as the prior state; set it to
/// `Null` when the object is gone, so that Terraform plans to create it.
#[derive(Debug, Clone)]
pub struct ReadResponse {
    /// The refreshed state; `Null` when the object no longer exists.
    pub new_state: Value,
    /// Private state saved with the new state; starts as the prior one.
    pub private: Vec<u8>,
    /// Errors and warnings to report.
    pub diagnostics: Diagnostics,
}

/// The outcome of `import`: a state for Terraform to complete with `read`.
#[derive(Debug, Clone)]
pub struct ImportResponse {
    /// The imported state; starts as `Null`.
    pub state: Value,
    /// Private state to save with it; starts empty.
    pub private: Vec<u8>,
    /// Errors and warnings to report; any error aborts the import.
    pub diagnostics: Diagnostics,
}

/// A state stored by a provider, to be upgraded or moved.
#[derive(Debug, Clone)]
pub struct RawState {
    /// The state as JSON; empty when only a legacy flatmap was stored.
    pub json: Vec<u8>,
    /// The schema version it was written with.
    pub version: i64,
}

/// A `moved {}` block's source, for [`Resource::move_state`].
#[derive(Debug, Clone)]
pub struct MoveStateRequest {
    /// The source resource's provider address, e.g.
    /// `registry.terraform.io/hashicorp/null`.
    pub source_provider_address: String,
    /// The source resource's type name.
    pub source_type_name: String,
    /// The source resource's stored state, in its own provider's schema.
    pub source_state: RawState,
    /// The source resource's private state; carried over to the target
    /// when the move succeeds.
    pub source_private: Vec<u8>,
}

/// A managed resource type, with the provider's client type `C`.
#[async_trait]
pub trait Resource<C>: Send + Sync {
    /// The full type name, e.g. `swarm_node`.
    fn type_name(&self) -> &'static str;

    /// The resource's schema, as reported to Terraform by GetProviderSchema
    /// and used to decode and plan its values.
    fn schema(&self) -> Schema;

    /// Checks of the configuration beyond the schema's validators.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refines a plan. Called for creates, updates and (with a `Null` plan)
    /// destroys, after the schema's defaults and plan modifiers.
    async fn modify_plan(&self, _client: &C, _req: &PlanRequest, _resp: &mut PlanResponse) {}

    /// Creates the object (ApplyResourceChange with no prior state) and sets
    /// `resp.new_state` to its state, with every computed value filled in.
    async fn create(&self, client: &C, req: &ChangeRequest, resp: &mut ChangeResponse);

    /// Refreshes the state from the real object (ReadResource), e.g. during
    /// `terraform plan` and after import.
    async fn read(&self, client: &C, req: &ReadRequest, resp: &mut ReadResponse);

    /// Applies an in-place change (ApplyResourceChange with both a prior and
    /// a planned state) and sets `resp.new_state` to the result.
    async fn update(&self, client: &C, req: &ChangeRequest, resp: &mut ChangeResponse);

    /// Deletes the object (ApplyResourceChange with a `Null` plan). Without
    /// errors the new state becomes `Null`; with errors it stays as left.
    async fn delete(&self, client: &C, req: &ChangeRequest, resp: &mut ChangeResponse);

    /// Turns `terraform import`'s id into a state for `read` to complete.
    /// The default sets the `id` attribute and leaves the rest null.
    async fn import(&self, _client: &C, id: &str, resp: &mut ImportResponse) {
        let ty = self.schema().value_type();
        let mut object = std::collections::BTreeMap::new();
        object.insert("id".to_owned(), Value::String(id.to_owned()));
        match Value::Object(object).conform(&ty) {
            Ok(state) => resp.state = state,
            Err(_) => resp.diagnostics.error(
                "Import not supported",
                format!("{} cannot be imported by id.", self.type_name()),
            ),
        }
    }

    /// Upgrades a state stored with an older schema version. The default
    /// reads states of the current version (dropping attributes the schema
    /// no longer has) and refuses others.
    async fn upgrade_state(&self, raw: &RawState, diags: &mut Diagnostics) -> Option<Value> {
        let schema = self.schema();
        default_upgrade_state(self.type_name(), &schema, raw, diags)
    }

    /// Takes over a resource of another type (a `moved {}` block). `None`:
    /// not supported for that source.
    async fn move_state(&self, req: &MoveStateRequest, diags: &mut Diagnostics) -> Option<Value> {
        diags.error(
            "Move not supported",
            format!(
                "{} cannot take over a {} resource.",
                self.type_name(),
                req.source_type_name
            ),
        );
        None
    }
}

/// Reads a stored state of the schema's current version.
pub fn default_upgrade_state(
    type_name: &str,
    schema: &Schema,
    raw: &RawState,
    diags: &mut Diagnostics,
) -> Option<Value> {
    if raw.version > schema.version {
        diags.error(
            "State from a newer provider",
            format!(
                "This {type_name} state was written with schema version {}, newer than this provider's {}. Upgrade the provider.",
                raw.version, schema.version
            ),
        );
        return None;
    }
    if raw.version < schema.version {
        diags.error(
            "State upgrade missing",
            format!(
                "No upgrade from schema version {} to {} for {type_name}; this is a bug in the provider.",
                raw.version, schema.version
            ),
        );
        return None;
    }
    if raw.json.is_empty() {
        diags.error(
            "Legacy state not supported",
            format!("The stored {type_name} state is in the pre-0.12 flatmap format."),
        );
        return None;
    }
    match value::json::decode(&raw.json, &schema.value_type()) {
        Ok(state) => Some(state),
        Err(err) => {
            diags.error(
                "Unreadable stored state",
                format!("The stored {type_name} state does not match the schema: {err}"),
            );
            None
        }
    }
}
