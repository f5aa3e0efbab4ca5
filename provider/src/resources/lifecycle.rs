//! The one shape of every resource's apply, read, delete and import, so
//! that each resource only says what is its own: how its plan becomes a
//! spec, how AWS is made to match it, what exists, and the state of that.
//!
//! - **Apply** (create and update alike): the spec from the plan; one
//!   budget from the `timeouts` block; converge (make AWS match the spec,
//!   from whatever exists: nothing, a half-made resource, one with other
//!   settings, drift); then the state of what exists. Whatever happened,
//!   the state is what exists, and the error comes after it: a failed
//!   apply loses nothing, and the next one finishes the job.
//! - **Read**: the state of what exists; `Null` when nothing does, so that
//!   Terraform plans to create it.
//! - **Delete**: takes everything down within the delete budget; on
//!   failure, the state keeps what is left for the next try.
//! - **Import**: reads what answers to the id (an import from an `import {}`
//!   block runs during plan, so it only reads) and returns its state, built
//!   on a basis of the id alone; an id nothing answers to is an error.
//! - **Create** first asks the resource whether it may go ahead
//!   (`check_create`): objects that have the spec's names but are someone
//!   else's are refused before anything is made or recorded.
//!
//! Ownership (`crate::ownership`): every hook that finds objects gets an
//! [`Identity`], the id and whose objects to take, never the name alone.
//! The marker is made here, at the apply of a create (never at plan, which
//! Terraform runs twice), put in the plan the resource's spec is read from
//! (so that its objects are tagged with it) and in every state returned.
//! A state without one (from before markers, or imported from unmarked
//! objects) finds the unmarked objects of its name, and its next apply
//! marks them. Import by name takes the one set of objects that answers to
//! the name, and refuses a name that several sets answer to.
//!
//! Settings AWS does not store (`final_snapshot`, `force_destroy`, a
//! write-only value's version, `timeouts`, a name prefix) are carried one
//! way: the state is built on a *basis*, the resource's own state model
//! decoded from what the user wrote. At apply that is the plan, with the
//! configuration for what the plan left unknown (at apply the
//! configuration is wholly known) and anything else unknown null; at read
//! and delete the prior state; at import the id alone. The basis also
//! decides between spellings AWS treats as the same (an engine's major
//! version for the minor one it runs, a window's case), so that a value
//! reads back as it was written.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::resource::{
    ChangeRequest, ChangeResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use tfplugin::schema::Schema;
use tfplugin::value::{self, Value};

use crate::config::SwarmClient;
use crate::ownership::{self, Identity, Marker, Owner, Sets};
use crate::waiter::{Operation, Timeouts, Wait};

/// The `timeouts` block as the state stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TimeoutsModel {
    pub create: Option<String>,
    pub update: Option<String>,
    pub delete: Option<String>,
}

/// What a converge did: the error that stopped it, if any, and what exists
/// when it knows that from its calls' answers (so that the apply need not
/// read it again; `None` has it read).
pub struct Converged<O> {
    pub observed: Option<O>,
    pub result: Result<(), Diagnostic>,
}

impl<O> From<Result<(), Diagnostic>> for Converged<O> {
    fn from(result: Result<(), Diagnostic>) -> Self {
        Self {
            observed: None,
            result,
        }
    }
}

/// What a resource provides to the shared apply, read, delete and import.
#[tfplugin::async_trait]
pub trait Lifecycle: Send + Sync {
    /// The resource's type name, for messages.
    const TYPE_NAME: &'static str;
    /// How long each operation may take unless its `timeouts` block says.
    const TIMEOUTS: Timeouts;

    /// The state as Terraform stores it, every attribute typed (`None` for
    /// null). Also the model of the basis (see the module's doc).
    type State: Serialize + DeserializeOwned + Default + Send + Sync;
    /// The plan resolved for apply: what AWS is to look like.
    type Spec: Send + Sync;
    /// What exists of one resource in AWS, read in one go.
    type Observed: Send + Sync;

    /// The resource's schema (`schema.rs`).
    fn schema(&self) -> Schema;

    /// Checks across attributes at validate (`checks.rs`); each
    /// attribute's own checks are its validators in the schema.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refines a plan (`plan.rs`): tier defaults, checks that need AWS or
    /// the prior state, what replaces the resource, outputs known at plan.
    async fn modify_plan(
        &self,
        _client: &SwarmClient,
        _req: &PlanRequest,
        _resp: &mut PlanResponse,
    ) {
    }

    /// The id that finds the resource's objects, from a state or a basis.
    fn id_of(state: &Self::State) -> Option<String>;

    /// The id that finds the objects a spec describes.
    fn id_of_spec(spec: &Self::Spec) -> String;

    /// Resolves an apply's request into a spec: the plan, the
    /// configuration's write-only values, the prior state where the change
    /// depends on it, and AWS look-ups the plan could not make.
    async fn spec(
        &self,
        client: &SwarmClient,
        req: &ChangeRequest,
    ) -> Result<Self::Spec, Diagnostics>;

    /// Before a create, whether it may go ahead: objects that answer to the
    /// spec's names but are not this resource's (someone else's database
    /// of that name) must not be taken over. On an error nothing is
    /// recorded in the state, so a destroy never touches them.
    async fn check_create(
        &self,
        _client: &SwarmClient,
        _spec: &Self::Spec,
    ) -> Result<(), Diagnostic> {
        Ok(())
    }

    /// Makes AWS match `spec` from whatever exists; changes nothing when
    /// it already does. `prior` is the prior state (`None` on create);
    /// `id` finds what exists (by the marker, or, for a state without one,
    /// the unmarked objects of its name), and the spec carries the marker
    /// every object is to have.
    async fn converge(
        &self,
        client: &SwarmClient,
        spec: &Self::Spec,
        prior: Option<&Self::State>,
        id: &Identity,
        wait: &Wait<'_>,
    ) -> Converged<Self::Observed>;

    /// Reads what exists of the resource `id` (only the objects its owner
    /// takes): one describe per object kind.
    async fn observe(
        &self,
        client: &SwarmClient,
        id: &Identity,
    ) -> Result<Self::Observed, Diagnostic>;

    /// The objects observed, by marker: what an import by name found.
    /// A resource that does not mark its objects yet reports none.
    fn sets(_observed: &Self::Observed) -> Sets {
        Sets::default()
    }

    /// How to import one of several sets of objects that answer to one
    /// name (the end of the error that lists them).
    fn narrow_import(&self) -> &'static str {
        "Delete the objects that are not to be imported, or remove their swarm:owner tag \
         from all but one set."
    }

    /// Whether nothing of the resource exists.
    fn is_gone(observed: &Self::Observed) -> bool;

    /// The state of what exists, on `basis`.
    async fn state(
        &self,
        client: &SwarmClient,
        id: &Identity,
        observed: &Self::Observed,
        basis: &Self::State,
    ) -> Result<Self::State, Diagnostic>;

    /// Takes everything of the resource down; `prior` is its state.
    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        prior: &Self::State,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic>;

    /// The basis of an import: the id (as `id` and `name`, which is what
    /// every swarm resource is imported by), or why it cannot be one.
    fn imported(&self, id: &str) -> Result<Value, Diagnostic> {
        Ok(id_and_name(id))
    }

    /// Whether what answers to an import's id is one of these resources
    /// (by default: anything does).
    fn can_import(observed: &Self::Observed) -> bool {
        !Self::is_gone(observed)
    }

    /// The error of an import whose id nothing answers to.
    fn not_found(&self, client: &SwarmClient, id: &str) -> Diagnostic {
        Diagnostic::error(
            format!("Cannot import {}", Self::TYPE_NAME),
            format!(
                "Nothing of a {} named {id:?} exists in {}.",
                Self::TYPE_NAME,
                client.region
            ),
        )
    }
}

fn unreadable(type_name: &str, what: &str, err: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        format!("Unreadable {type_name} {what}"),
        format!("{err}. This is a bug in the provider."),
    )
}

/// Decodes a state model from a value (null attributes become `None`).
fn decode<L: Lifecycle>(value: &Value, what: &str) -> Result<L::State, Diagnostic> {
    value::from_value(value).map_err(|e| unreadable(L::TYPE_NAME, what, e))
}

/// The basis of an import by name: the id as `id` and `name`.
pub fn id_and_name(id: &str) -> Value {
    Value::Object(
        [
            ("id".to_owned(), Value::from(id)),
            ("name".to_owned(), Value::from(id)),
        ]
        .into(),
    )
}

/// A state model as a value of the schema's type.
fn encode<L: Lifecycle>(lifecycle: &L, state: &L::State) -> Result<Value, Diagnostic> {
    value::to_value(state)
        .and_then(|v| v.conform(&lifecycle.schema().value_type()))
        .map_err(|e| unreadable(L::TYPE_NAME, "state", e))
}

/// The basis at apply: the plan, with the configuration for what the
/// plan left unknown, and null for what neither knows (computed values
/// AWS has yet to give).
pub fn apply_basis(req: &ChangeRequest) -> Value {
    let (Value::Object(plan), config) = (&req.plan, &req.config) else {
        return req.plan.clone();
    };
    let attrs = plan
        .iter()
        .map(|(name, planned)| {
            let value = if planned.is_wholly_known() {
                planned.clone()
            } else {
                match config.get_attr(name) {
                    Some(configured) if configured.is_wholly_known() && !configured.is_null() => {
                        configured.clone()
                    }
                    _ => Value::Null,
                }
            };
            (name.clone(), value)
        })
        .collect();
    Value::Object(attrs)
}

/// The state of what exists, or `None` when nothing does; its
/// `ownership_marker` is `id`'s.
async fn state_of<L: Lifecycle>(
    lifecycle: &L,
    client: &SwarmClient,
    id: &Identity,
    observed: Option<L::Observed>,
    basis: &L::State,
) -> Result<Option<Value>, Diagnostic> {
    state_marked(lifecycle, client, id, observed, basis, id.marker()).await
}

/// [`state_of`], with `marker` as its `ownership_marker`.
async fn state_marked<L: Lifecycle>(
    lifecycle: &L,
    client: &SwarmClient,
    id: &Identity,
    observed: Option<L::Observed>,
    basis: &L::State,
    marker: Option<&Marker>,
) -> Result<Option<Value>, Diagnostic> {
    let observed = match observed {
        Some(observed) => observed,
        None => lifecycle.observe(client, id).await?,
    };
    if L::is_gone(&observed) {
        return Ok(None);
    }
    let state = lifecycle.state(client, id, &observed, basis).await?;
    let mut value = encode(lifecycle, &state)?;
    ownership::set_in(&mut value, marker);
    Ok(Some(value))
}

/// Whether the resource keeps an ownership marker (every resource will;
/// until then, one without finds its objects by name as before).
fn marks<L: Lifecycle>(lifecycle: &L) -> bool {
    lifecycle
        .schema()
        .get_attribute(ownership::ATTRIBUTE)
        .is_some()
}

/// The marker of an apply: the prior state's, or a new one for a create
/// and for a state that has none yet (whose objects it marks).
fn apply_marker<L: Lifecycle>(
    lifecycle: &L,
    prior_state: &Value,
) -> Result<Option<Marker>, Diagnostic> {
    if !marks(lifecycle) {
        return Ok(None);
    }
    match ownership::marker_in(prior_state) {
        Some(marker) => Ok(Some(marker)),
        None => Marker::generate().map(Some),
    }
}

/// Create (`operation` is `TIMEOUTS.create()`) and update.
async fn apply<L: Lifecycle>(
    lifecycle: &L,
    client: &SwarmClient,
    req: &ChangeRequest,
    resp: &mut ChangeResponse,
    operation: Operation,
) {
    let wait = match Wait::from_timeouts(&req.plan, operation, &req.cancel) {
        Ok(wait) => wait,
        Err(d) => return resp.diagnostics.push(d),
    };
    let marker = match apply_marker(lifecycle, &req.prior_state) {
        Ok(marker) => marker,
        Err(d) => return resp.diagnostics.push(d),
    };
    // The spec and the basis read the marker from the plan, like any
    // other attribute.
    let mut marked = req.clone();
    ownership::set_in(&mut marked.plan, marker.as_ref());
    let req = &marked;
    let (basis, prior) = match (
        decode::<L>(&apply_basis(req), "plan"),
        (!req.prior_state.is_null())
            .then(|| decode::<L>(&req.prior_state, "prior state"))
            .transpose(),
    ) {
        (Ok(basis), Ok(prior)) => (basis, prior),
        (Err(d), _) | (_, Err(d)) => return resp.diagnostics.push(d),
    };
    let spec = match lifecycle.spec(client, req).await {
        Ok(spec) => spec,
        Err(d) => return resp.diagnostics.extend(d),
    };
    if prior.is_none()
        && let Err(d) = lifecycle.check_create(client, &spec).await
    {
        return resp.diagnostics.push(d);
    }
    let name = L::id_of_spec(&spec);
    let mine = Identity::new(name.clone(), marker.clone());
    // What exists is found by the prior state's marker; a state without
    // one has its unmarked objects found by name, and marked now.
    let adopting = match (&prior, &marker) {
        (Some(_), Some(marker)) if ownership::marker_in(&req.prior_state).is_none() => {
            Some(Identity {
                id: name,
                owner: Owner::Adopting(marker.clone()),
            })
        }
        _ => None,
    };
    let found = adopting.as_ref().unwrap_or(&mine);
    let Converged {
        observed: known,
        result: outcome,
    } = lifecycle
        .converge(client, &spec, prior.as_ref(), found, &wait)
        .await;
    // After a failure, what the converge saw may not be all: a create call
    // whose answer was lost (Ctrl-C, a broken connection) made an object
    // with the marker that it never saw. Read again.
    let mut known = known.filter(|seen| outcome.is_ok() || !L::is_gone(seen));
    let mut recorded = marker.as_ref();
    let mut id = &mine;
    if let (Some(adopting), Err(_)) = (&adopting, &outcome) {
        // The marking failed, or what came after it: the state is what the
        // name's unmarked objects and the marked ones are, and keeps the
        // marker only if the (one-call) marking was made, so that the next
        // apply finds the objects again either way.
        known = None;
        id = adopting;
        if let Ok(seen) = lifecycle.observe(client, adopting).await {
            let marked = L::sets(&seen).markers().any(|m| m == marker.as_ref());
            recorded = recorded.filter(|_| marked);
            known = Some(seen);
        }
    }
    // The marker beside the state too: a failed create's state is tainted,
    // and the create that replaces it is planned with a null prior state
    // but this private data, by which its name check knows its objects.
    if let Some(marker) = recorded {
        resp.private = ownership::private(marker);
    }
    // Whatever happened, the state is what exists: a half-made resource
    // is recorded, with its marker, and the next apply finishes it.
    match state_marked(lifecycle, client, id, known, &basis, recorded).await {
        Ok(Some(state)) => resp.new_state = state,
        Ok(None) => resp.new_state = Value::Null,
        Err(d) => resp.diagnostics.push(d),
    }
    if let Err(d) = outcome {
        resp.diagnostics.push(d);
    }
}

/// Refresh: the state of what exists, `Null` when nothing does.
async fn read<L: Lifecycle>(
    lifecycle: &L,
    client: &SwarmClient,
    req: &ReadRequest,
    resp: &mut ReadResponse,
) {
    let prior = match decode::<L>(&req.state, "state") {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.push(d),
    };
    let Some(id) = L::id_of(&prior) else {
        return resp.diagnostics.error(
            format!("No id in the {} state", L::TYPE_NAME),
            "The state names no object; remove it with `terraform state rm` and import the \
             resource again.",
        );
    };
    let id = Identity::new(id, ownership::marker_in(&req.state));
    // A create of this name planned next may be this state's again (see
    // `ownership::replaced`).
    if let Some(marker) = id.marker() {
        client.held.hold(L::TYPE_NAME, &id.id, marker);
    }
    match state_of(lifecycle, client, &id, None, &prior).await {
        Ok(state) => resp.new_state = state.unwrap_or(Value::Null),
        Err(d) => resp.diagnostics.push(d),
    }
}

/// Destroy: on failure the state keeps what is left, for the next try.
async fn delete<L: Lifecycle>(
    lifecycle: &L,
    client: &SwarmClient,
    req: &ChangeRequest,
    resp: &mut ChangeResponse,
) {
    let prior = match decode::<L>(&req.prior_state, "prior state") {
        Ok(prior) => prior,
        Err(d) => return resp.diagnostics.push(d),
    };
    let Some(id) = L::id_of(&prior) else {
        // Nothing was ever made.
        return;
    };
    let id = Identity::new(id, ownership::marker_in(&req.prior_state));
    let wait = match Wait::from_timeouts(&req.prior_state, L::TIMEOUTS.delete(), &req.cancel) {
        Ok(wait) => wait,
        Err(d) => return resp.diagnostics.push(d),
    };
    if let Err(d) = lifecycle.destroy(client, &id, &prior, &wait).await {
        resp.diagnostics.push(d);
        match state_of(lifecycle, client, &id, None, &prior).await {
            Ok(Some(state)) => resp.new_state = state,
            Ok(None) => resp.new_state = Value::Null,
            // What is left cannot be read: the prior state stays.
            Err(_) => {}
        }
    }
}

/// Import by id: checks that one set of objects answers to it, takes its
/// marker (none if it has none: the first apply marks it), and leaves the
/// rest to the read Terraform makes next.
async fn import<L: Lifecycle>(
    lifecycle: &L,
    client: &SwarmClient,
    id: &str,
    resp: &mut ImportResponse,
) {
    let basis = match lifecycle
        .imported(id)
        .and_then(|start| decode::<L>(&start, "import"))
    {
        Ok(basis) => basis,
        Err(d) => return resp.diagnostics.push(d),
    };
    let observed = match lifecycle.observe(client, &Identity::anyone(id)).await {
        Ok(observed) if L::can_import(&observed) => observed,
        Ok(_) => return resp.diagnostics.push(lifecycle.not_found(client, id)),
        Err(d) => return resp.diagnostics.push(d),
    };
    let sets = L::sets(&observed);
    if sets.len() > 1 {
        return resp.diagnostics.push(ownership::ambiguous_import(
            L::TYPE_NAME,
            id,
            &sets,
            lifecycle.narrow_import(),
        ));
    }
    let marker = sets.markers().next().flatten().cloned();
    let id = &Identity::new(id, marker);
    match state_of(lifecycle, client, id, Some(observed), &basis).await {
        Ok(Some(state)) => resp.state = state,
        Ok(None) => resp.diagnostics.push(lifecycle.not_found(client, &id.id)),
        Err(d) => resp.diagnostics.push(d),
    }
}

/// A resource served through the lifecycle: the one `Resource` impl of
/// every swarm resource, handing each call to the resource's `Lifecycle`.
pub struct Managed<L>(pub L);

#[tfplugin::async_trait]
impl<L: Lifecycle> Resource<SwarmClient> for Managed<L> {
    fn type_name(&self) -> &'static str {
        L::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        self.0.schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        self.0.validate(config, diags).await;
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        self.0.modify_plan(client, req, resp).await;
        // A state without a marker (from before markers, or imported from
        // unmarked objects): the next apply makes one and marks the
        // objects, an update in place the plan must show.
        if !req.creating()
            && !resp.destroying()
            && marks(&self.0)
            && ownership::marker_in(&req.prior_state).is_none()
        {
            resp.set(ownership::ATTRIBUTE, Value::Unknown);
        }
        // The prior state's marker, in the private data of its plans (a
        // state applied before it was kept there): the create half of a
        // replacement gets it as its prior private data, and must not take
        // the objects it replaces for someone else's.
        if let Some(marker) = ownership::marker_in(&req.prior_state) {
            resp.private = ownership::private(&marker);
        }
    }

    async fn create(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        apply(&self.0, client, req, resp, L::TIMEOUTS.create()).await;
    }

    async fn read(&self, client: &SwarmClient, req: &ReadRequest, resp: &mut ReadResponse) {
        read(&self.0, client, req, resp).await;
    }

    async fn update(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        apply(&self.0, client, req, resp, L::TIMEOUTS.update()).await;
    }

    async fn delete(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        delete(&self.0, client, req, resp).await;
    }

    async fn import(&self, client: &SwarmClient, id: &str, resp: &mut ImportResponse) {
        import(&self.0, client, id, resp).await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::config::{Endpoints, Environment, Settings};

    /// A resource of one kind of object, kept in memory: (id, the name it
    /// answers to, its marker).
    #[derive(Default)]
    struct Fake {
        cloud: Mutex<Vec<(String, String, Option<String>)>>,
        /// Converge makes an object, then fails without having seen it
        /// (an answer lost to Ctrl-C).
        lose_the_answer: bool,
    }

    #[derive(Debug, Default, Serialize, serde::Deserialize)]
    struct FakeState {
        id: Option<String>,
        name: Option<String>,
        objects: Option<Vec<String>>,
        ownership_marker: Option<String>,
    }

    impl Fake {
        fn with(objects: &[(&str, Option<&str>)]) -> Self {
            let cloud = objects
                .iter()
                .map(|(id, marker)| {
                    (
                        (*id).to_owned(),
                        "agents".to_owned(),
                        marker.map(str::to_owned),
                    )
                })
                .collect();
            Self {
                cloud: Mutex::new(cloud),
                lose_the_answer: false,
            }
        }

        fn objects(&self) -> Vec<(String, String, Option<String>)> {
            self.cloud.lock().map(|c| c.clone()).unwrap_or_default()
        }
    }

    #[tfplugin::async_trait]
    impl Lifecycle for Fake {
        const TYPE_NAME: &'static str = "swarm_fake";
        const TIMEOUTS: Timeouts = Timeouts::all(std::time::Duration::from_secs(60));
        type State = FakeState;
        type Spec = (String, Option<Marker>);
        type Observed = Vec<(String, Option<String>)>;

        fn schema(&self) -> Schema {
            use tfplugin::schema::Attribute;
            use tfplugin::value::Type;
            Schema::new("A fake.")
                .attribute(Attribute::string("id").computed())
                .attribute(Attribute::string("name").required())
                .attribute(Attribute::list_of("objects", Type::String).computed())
                .attribute(ownership::attribute())
        }

        fn id_of(state: &FakeState) -> Option<String> {
            state.name.clone()
        }

        fn id_of_spec(spec: &Self::Spec) -> String {
            spec.0.clone()
        }

        async fn spec(
            &self,
            _: &SwarmClient,
            req: &ChangeRequest,
        ) -> Result<Self::Spec, Diagnostics> {
            let name = req
                .plan
                .get_attr("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Ok((name.to_owned(), ownership::marker_in(&req.plan)))
        }

        async fn converge(
            &self,
            client: &SwarmClient,
            spec: &Self::Spec,
            _prior: Option<&FakeState>,
            id: &Identity,
            _wait: &Wait<'_>,
        ) -> Converged<Self::Observed> {
            let mut seen = self.observe(client, id).await.unwrap_or_default();
            let marker = spec.1.as_ref().map(|m| m.as_str().to_owned());
            if let Ok(mut cloud) = self.cloud.lock() {
                // Marks what it found; makes the object if there is none.
                for object in cloud.iter_mut().filter(|o| seen.iter().any(|s| s.0 == o.0)) {
                    object.2.clone_from(&marker);
                }
                if seen.is_empty() {
                    let id = format!("obj-{}", cloud.len());
                    cloud.push((id.clone(), spec.0.clone(), marker.clone()));
                    seen.push((id, marker));
                }
            }
            if self.lose_the_answer {
                return Converged {
                    observed: Some(Vec::new()),
                    result: Err(Diagnostic::error("Stopped", "Ctrl-C")),
                };
            }
            Converged {
                observed: None,
                result: Ok(()),
            }
        }

        async fn observe(
            &self,
            _: &SwarmClient,
            id: &Identity,
        ) -> Result<Self::Observed, Diagnostic> {
            Ok(self
                .objects()
                .into_iter()
                .filter(|(_, name, marker)| *name == id.id && id.takes(marker.as_deref()))
                .map(|(object, _, marker)| (object, marker))
                .collect())
        }

        fn is_gone(observed: &Self::Observed) -> bool {
            observed.is_empty()
        }

        fn sets(observed: &Self::Observed) -> Sets {
            let mut sets = Sets::default();
            for (object, marker) in observed {
                sets.add(marker.as_deref(), object);
            }
            sets
        }

        async fn state(
            &self,
            _: &SwarmClient,
            id: &Identity,
            observed: &Self::Observed,
            _basis: &FakeState,
        ) -> Result<FakeState, Diagnostic> {
            Ok(FakeState {
                id: Some(id.id.clone()),
                name: Some(id.id.clone()),
                objects: Some(observed.iter().map(|o| o.0.clone()).collect()),
                ownership_marker: None,
            })
        }

        async fn destroy(
            &self,
            client: &SwarmClient,
            id: &Identity,
            _prior: &FakeState,
            _wait: &Wait<'_>,
        ) -> Result<(), Diagnostic> {
            let mine = self.observe(client, id).await?;
            if let Ok(mut cloud) = self.cloud.lock() {
                cloud.retain(|o| !mine.iter().any(|m| m.0 == o.0));
            }
            Ok(())
        }
    }

    async fn client() -> SwarmClient {
        let settings = Settings {
            region: Some("us-east-1".to_owned()),
            endpoint: Some("http://127.0.0.1:1".to_owned()),
            endpoints: Endpoints::from_map(BTreeMap::new()),
            access_key: Some("key".to_owned()),
            secret_key: Some("secret".to_owned()),
            profile: None,
            environment: Environment::Development,
            default_tags: BTreeMap::new(),
            max_retries: 0,
            skip_region_validation: false,
        };
        SwarmClient::new(settings, &mut Diagnostics::new())
            .await
            .expect("a client of a test")
    }

    fn planned(marker: Value) -> Value {
        object(&[
            ("id", Value::Unknown),
            ("name", Value::from("agents")),
            ("objects", Value::Unknown),
            (ownership::ATTRIBUTE, marker),
        ])
    }

    async fn create(fake: &Managed<Fake>) -> ChangeResponse {
        let mut resp = ChangeResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        let req = change(planned(Value::Unknown), planned(Value::Null));
        fake.create(&client().await, &req, &mut resp).await;
        resp
    }

    #[tokio::test]
    async fn a_create_makes_its_own_objects_beside_another_of_the_name() {
        let fake = Managed(Fake::with(&[("other", Some("m-other"))]));
        let resp = create(&fake).await;
        assert!(!resp.diagnostics.has_errors(), "{:?}", resp.diagnostics);
        let marker = ownership::marker_in(&resp.new_state).expect("a marker in the state");
        assert_ne!(marker.as_str(), "m-other");
        assert_eq!(
            resp.new_state.get_attr("objects"),
            Some(&Value::List(vec![Value::from("obj-1")]))
        );
        // The other stack's object is as it was, and a destroy leaves it.
        let mut deleted = ChangeResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        let mut req = change(Value::Null, Value::Null);
        req.prior_state = resp.new_state.clone();
        fake.delete(&client().await, &req, &mut deleted).await;
        assert_eq!(
            fake.0.objects(),
            vec![(
                "other".to_owned(),
                "agents".to_owned(),
                Some("m-other".to_owned())
            )]
        );
    }

    #[tokio::test]
    async fn a_create_stopped_before_it_saw_what_it_made_records_it_with_its_marker() {
        let fake = Managed(Fake {
            lose_the_answer: true,
            ..Fake::default()
        });
        let resp = create(&fake).await;
        assert!(resp.diagnostics.has_errors());
        let marker = ownership::marker_in(&resp.new_state).expect("a marker in the state");
        let made = fake.0.objects();
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].2.as_deref(), Some(marker.as_str()));
        assert_eq!(
            resp.new_state.get_attr("objects"),
            Some(&Value::List(vec![Value::from(made[0].0.as_str())]))
        );
    }

    #[tokio::test]
    async fn an_update_of_a_state_without_a_marker_marks_only_the_unmarked_objects() {
        let fake = Managed(Fake::with(&[("old", None), ("other", Some("m-other"))]));
        let prior = object(&[
            ("id", Value::from("agents")),
            ("name", Value::from("agents")),
            ("objects", Value::List(vec![Value::from("old")])),
            (ownership::ATTRIBUTE, Value::Null),
        ]);
        let mut req = change(planned(Value::Unknown), planned(Value::Null));
        req.prior_state = prior;
        let mut resp = ChangeResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        fake.update(&client().await, &req, &mut resp).await;
        assert!(!resp.diagnostics.has_errors(), "{:?}", resp.diagnostics);
        let marker = ownership::marker_in(&resp.new_state).expect("a marker in the state");
        assert_eq!(
            fake.0.objects(),
            vec![
                (
                    "old".to_owned(),
                    "agents".to_owned(),
                    Some(marker.as_str().to_owned())
                ),
                (
                    "other".to_owned(),
                    "agents".to_owned(),
                    Some("m-other".to_owned())
                ),
            ]
        );
    }

    #[tokio::test]
    async fn an_import_by_name_takes_one_set_and_refuses_two() {
        let import = |fake: Fake| async move {
            let mut resp = ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            };
            Managed(fake)
                .import(&client().await, "agents", &mut resp)
                .await;
            resp
        };
        let one = import(Fake::with(&[("a", Some("m1")), ("b", Some("m1"))])).await;
        assert_eq!(
            ownership::marker_in(&one.state),
            Some(Marker::from_stored("m1"))
        );
        let unmarked = import(Fake::with(&[("a", None)])).await;
        assert!(!unmarked.diagnostics.has_errors());
        assert_eq!(ownership::marker_in(&unmarked.state), None);
        let two = import(Fake::with(&[("a", Some("m1")), ("b", None)])).await;
        assert!(two.diagnostics.has_errors());
        assert_eq!(two.state, Value::Null);
    }

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn change(plan: Value, config: Value) -> ChangeRequest {
        ChangeRequest {
            config,
            plan,
            prior_state: Value::Null,
            private: Vec::new(),
            cancel: tokio_util::sync::CancellationToken::new(),
        }
    }

    #[test]
    fn the_apply_basis_is_the_plan_then_the_configuration_then_null() {
        let plan = object(&[
            ("name", Value::from("db")),
            ("final_snapshot", Value::Unknown),
            ("arn", Value::Unknown),
            (
                "subnet_ids",
                Value::Set(vec![Value::from("a"), Value::Unknown]),
            ),
        ]);
        let config = object(&[
            ("name", Value::from("db")),
            ("final_snapshot", Value::Bool(false)),
            ("arn", Value::Null),
            (
                "subnet_ids",
                Value::Set(vec![Value::from("a"), Value::from("b")]),
            ),
        ]);
        let basis = apply_basis(&change(plan, config));
        assert_eq!(basis.get_attr("name"), Some(&Value::from("db")));
        // Unknown in the plan, known in the configuration at apply.
        assert_eq!(basis.get_attr("final_snapshot"), Some(&Value::Bool(false)));
        // A computed value neither knows yet.
        assert_eq!(basis.get_attr("arn"), Some(&Value::Null));
        // Partly unknown in the plan: the configuration's.
        assert_eq!(
            basis.get_attr("subnet_ids"),
            Some(&Value::Set(vec![Value::from("a"), Value::from("b")]))
        );
    }
}
