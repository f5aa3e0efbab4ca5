//! `swarm_database`: PostgreSQL on RDS, encrypted, backed up, in private
//! subnets, reachable only from the security groups it names, with a
//! Multi-AZ standby and read replicas spread over the other zones.
//!
//! The primary's DB identifier is the database's name; replicas are
//! `<name>-replica-<n>`, the DB subnet group `<name>-subnets`, and the
//! security group is tagged `swarm:database = <name>`: objects are found
//! by name. Every one also carries the database's marker (`swarm:owner`,
//! kept in the state as `ownership_marker`; see `crate::ownership`), and
//! read, drift repair and destroy keep only those with it: an object of
//! the name without it is someone else's and is never changed or
//! deleted. RDS names are unique, so a create whose names are taken is
//! refused, at plan and again at apply, before anything is made. Import
//! by name takes the objects of the name and their marker. RDS-managed
//! master passwords live in a secret RDS makes and deletes with the
//! instance; the database makes no other objects (no parameter or
//! option groups: it uses RDS's defaults).
//!
//! A database made by hand is imported by its identifier too, and its
//! first apply keeps it usable as it was (an import must not cut access or
//! lose data): its own DB subnet group (the one the primary is in, not
//! `<name>-subnets`) is read but never changed, tagged or deleted, since
//! other instances may share it; its own security groups stay attached
//! (`additional_security_group_ids`) beside the provider's group; its own
//! password stays (`manage_master_password = false`); an unencrypted one
//! shows `storage_encrypted = false`, and only a configuration that asks
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

use self::state::{DatabaseState, Spec};
use super::lifecycle::{self, Converged, Lifecycle};
use crate::config::SwarmClient;
use crate::ownership::{Identity, Sets};
use crate::waiter::{Timeouts, Wait};

/// The resource.
pub struct Database;

#[tfplugin::async_trait]
impl Lifecycle for Database {
    const TYPE_NAME: &'static str = "swarm_database";
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(60 * 60),
        update: Duration::from_secs(80 * 60),
        delete: Duration::from_secs(60 * 60),
    };

    type State = DatabaseState;
    type Spec = Spec;
    type Observed = cloud::Observed;

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        checks::validate(config, diags);
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        plan::modify_plan(client, req, resp).await;
    }

    fn id_of(state: &DatabaseState) -> Option<String> {
        state.name.clone().or_else(|| state.id.clone())
    }

    fn id_of_spec(spec: &Spec) -> String {
        spec.name.clone()
    }

    async fn spec(&self, _client: &SwarmClient, req: &ChangeRequest) -> Result<Spec, Diagnostics> {
        Spec::from_request(req).map_err(Diagnostics::from)
    }

    async fn check_create(&self, client: &SwarmClient, spec: &Spec) -> Result<(), Diagnostic> {
        converge::check_free(client, &spec.name, Some(spec.read_replicas), &[]).await
    }

    async fn converge(
        &self,
        client: &SwarmClient,
        spec: &Spec,
        _prior: Option<&DatabaseState>,
        id: &Identity,
        wait: &Wait<'_>,
    ) -> Converged<cloud::Observed> {
        converge::converge(client, spec, id, wait).await.into()
    }

    async fn observe(
        &self,
        client: &SwarmClient,
        id: &Identity,
    ) -> Result<cloud::Observed, Diagnostic> {
        cloud::observe(client, id).await
    }

    fn sets(observed: &cloud::Observed) -> Sets {
        observed.sets()
    }

    fn is_gone(observed: &cloud::Observed) -> bool {
        observed.is_empty()
    }

    async fn state(
        &self,
        client: &SwarmClient,
        id: &Identity,
        observed: &cloud::Observed,
        basis: &DatabaseState,
    ) -> Result<DatabaseState, Diagnostic> {
        Ok(DatabaseState::observed(client, &id.id, observed, basis))
    }

    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        prior: &DatabaseState,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic> {
        let final_snapshot = prior.final_snapshot.unwrap_or(true);
        converge::destroy(client, id, final_snapshot, wait).await
    }

    fn imported(&self, id: &str) -> Result<Value, Diagnostic> {
        checks::name(id).map_err(|why| {
            Diagnostic::error(
                "Invalid import id",
                format!(
                    "Import a swarm_database by its name (the primary's DB identifier): {why}."
                ),
            )
        })?;
        Ok(lifecycle::id_and_name(id))
    }

    /// Only a database whose primary exists can be imported: a subnet
    /// group or security group alone is not one.
    fn can_import(observed: &cloud::Observed) -> bool {
        observed.primary.is_some()
    }

    fn not_found(&self, _client: &SwarmClient, id: &str) -> Diagnostic {
        Diagnostic::error(
            "Database not found",
            format!("No DB instance {id:?} exists; import takes the database's name."),
        )
    }
}
