//! `swarm_cache`: Redis on ElastiCache for an agent swarm (session state,
//! queues, rate limits): a replication group encrypted at rest and in
//! transit, with replicas across zones and automatic failover, daily
//! snapshots, in its own cache subnet group and behind its own security
//! group, which lets in TCP 6379 only from the security groups named in
//! `allowed_security_group_ids`.
//!
//! The replication group and the subnet group are found by name (the
//! replication group id is the resource's name); the security group by its
//! identity tags. Every one also carries the cache's marker (`swarm:owner`,
//! kept in the state as `ownership_marker`; see `crate::ownership`), and
//! read, drift repair and destroy keep only those with it: a replication
//! group of the name without it is someone else's and is never changed or
//! deleted. Those names are unique in a region, so a create whose name is
//! taken is refused, at plan and again at apply, before anything is made.
//! Create and update share one idempotent "ensure" that makes what is
//! missing and converges what differs, so a half-finished apply is
//! finished by the next one.
//!
//! A replication group made by hand is imported by its id too, and its
//! first apply keeps it usable as it was: its own cache subnet group (not
//! named as the cache) is read, one more describe for such a cache only,
//! but never changed, tagged or deleted; its own security groups stay
//! attached (`additional_security_group_ids`) beside the provider's; an
//! unencrypted one shows `at_rest_encryption_enabled` and
//! `transit_encryption_enabled` false, and only a configuration that asks
//! for encryption replaces it.
//!
//! The files follow the anatomy of `resources/README.md`.

mod checks;
mod cloud;
mod converge;
mod plan;
mod schema;
mod state;

use std::time::Duration;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::resource::{ChangeRequest, PlanRequest, PlanResponse};
use tfplugin::schema::Schema;
use tfplugin::value::Value;

use self::cloud::Observed;
use self::state::{CacheState, Spec};
use super::lifecycle::{Converged, Lifecycle};
use crate::config::SwarmClient;
use crate::ownership::{Identity, Sets};
use crate::waiter::{Timeouts, Wait};

pub struct Cache;

#[tfplugin::async_trait]
impl Lifecycle for Cache {
    const TYPE_NAME: &'static str = "swarm_cache";
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(60 * 60),
        update: Duration::from_secs(60 * 60),
        delete: Duration::from_secs(40 * 60),
    };

    type State = CacheState;
    type Spec = Spec;
    type Observed = Observed;

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        checks::validate(config, diags);
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        plan::modify_plan(client, req, resp).await;
    }

    fn id_of(state: &CacheState) -> Option<String> {
        state.id.clone()
    }

    fn id_of_spec(spec: &Spec) -> String {
        spec.name.clone()
    }

    async fn spec(&self, _client: &SwarmClient, req: &ChangeRequest) -> Result<Spec, Diagnostics> {
        req.plan_as()
    }

    async fn converge(
        &self,
        client: &SwarmClient,
        spec: &Spec,
        _prior: Option<&CacheState>,
        id: &Identity,
        wait: &Wait<'_>,
    ) -> Converged<Observed> {
        converge::ensure(client, spec, id, wait).await.into()
    }

    async fn observe(&self, client: &SwarmClient, id: &Identity) -> Result<Observed, Diagnostic> {
        Observed::of(client, id).await
    }

    fn sets(observed: &Observed) -> Sets {
        observed.sets()
    }

    async fn check_create(&self, client: &SwarmClient, spec: &Spec) -> Result<(), Diagnostic> {
        converge::check_free(client, &spec.name, &[]).await
    }

    /// A cache is its replication group: without it, what is left (a
    /// subnet group, a security group) is not one.
    fn is_gone(observed: &Observed) -> bool {
        observed.live_group().is_none()
    }

    async fn state(
        &self,
        client: &SwarmClient,
        id: &Identity,
        observed: &Observed,
        basis: &CacheState,
    ) -> Result<CacheState, Diagnostic> {
        CacheState::observed(client, &id.id, observed, basis)
            .ok_or_else(|| self.not_found(client, &id.id))
    }

    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        prior: &CacheState,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic> {
        converge::destroy(client, id, prior.final_snapshot.unwrap_or(true), wait).await
    }

    /// A cache is imported by its name alone: what AWS does not store
    /// takes its defaults.
    fn imported(&self, id: &str) -> Result<Value, Diagnostic> {
        Ok(Value::Object([("id".to_owned(), Value::from(id))].into()))
    }

    fn not_found(&self, _client: &SwarmClient, id: &str) -> Diagnostic {
        Diagnostic::error(
            "Cache not found",
            format!(
                "No ElastiCache replication group {id:?} exists; import takes the cache's name."
            ),
        )
    }
}
