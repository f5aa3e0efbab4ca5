//! `swarm_backup_schedule`: tiered backups on AWS Backup. A vault
//! `swarm-<name>` (and one of the same name in `copy_to_region`), a backup
//! plan `swarm-<name>` with one rule per tier (`crate::schedule::tiers`),
//! its selection `swarm-<name>`, and the IAM role AWS Backup assumes,
//! `swarm-backup-<name>-<region>` (IAM names are global to the account).
//!
//! Vault and role names are unique, so objects are found by name and kept
//! only if they carry the schedule's marker (`swarm:owner`, kept in the
//! state as `ownership_marker`; see `crate::ownership`); a create whose
//! names are taken is refused at plan and again at apply, before anything
//! is made. Plan names are not unique in AWS Backup: the plan is the one
//! of the name with the marker. AWS Backup reads a plan and a selection by
//! id only, so the role keeps their ids, and whether there is restore
//! testing, in its tag `swarm:backup-objects` (`cloud::Pointers`): a
//! refresh reads each object by id, and lists only when an id is missing
//! or wrong. The copy vault is found in the region the plan's copy
//! actions name. The schedule as written is kept in the plan's
//! tag `swarm:schedule`, so that a read and an import give it back in the
//! user's form.
//!
//! The files follow the anatomy of `resources/README.md`.

mod checks;
mod cloud;
mod converge;
mod plan;
mod restore_testing;
mod schema;
mod state;

use std::time::Duration;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::resource::{ChangeRequest, PlanRequest, PlanResponse};
use tfplugin::schema::Schema;
use tfplugin::value::Value;

use self::state::{ScheduleState, Spec};
use super::lifecycle::{self, Converged, Lifecycle};
use crate::config::SwarmClient;
use crate::ownership::{Identity, Sets};
use crate::waiter::{Timeouts, Wait};

pub use self::cloud::{object_name, recovery_points};

/// The resource.
pub struct BackupSchedule;

#[tfplugin::async_trait]
impl Lifecycle for BackupSchedule {
    const TYPE_NAME: &'static str = "swarm_backup_schedule";
    /// Deleting recovery points (`force_destroy`) can take AWS a while.
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(10 * 60),
        update: Duration::from_secs(10 * 60),
        delete: Duration::from_secs(60 * 60),
    };

    type State = ScheduleState;
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

    fn id_of(state: &ScheduleState) -> Option<String> {
        state.name.clone().or_else(|| state.id.clone())
    }

    fn id_of_spec(spec: &Spec) -> String {
        spec.name.clone()
    }

    async fn spec(&self, client: &SwarmClient, req: &ChangeRequest) -> Result<Spec, Diagnostics> {
        Spec::resolve(client, req).await
    }

    async fn check_create(&self, client: &SwarmClient, spec: &Spec) -> Result<(), Diagnostic> {
        converge::check_free(client, spec, &[]).await
    }

    async fn converge(
        &self,
        client: &SwarmClient,
        spec: &Spec,
        prior: Option<&ScheduleState>,
        id: &Identity,
        wait: &Wait<'_>,
    ) -> Converged<cloud::Observed> {
        let prior_copy = prior.and_then(|p| p.copy_to_region.as_deref());
        converge::converge(client, spec, prior_copy, id, wait)
            .await
            .into()
    }

    async fn observe(
        &self,
        client: &SwarmClient,
        id: &Identity,
    ) -> Result<cloud::Observed, Diagnostic> {
        cloud::observe(client, id, None).await
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
        basis: &ScheduleState,
    ) -> Result<ScheduleState, Diagnostic> {
        Ok(ScheduleState::observed(client, &id.id, observed, basis))
    }

    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        prior: &ScheduleState,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic> {
        converge::destroy(
            client,
            id,
            prior.copy_to_region.as_deref(),
            prior.force_destroy.unwrap_or(false),
            wait,
        )
        .await
    }

    fn imported(&self, id: &str) -> Result<Value, Diagnostic> {
        checks::name(id).map_err(|why| {
            Diagnostic::error(
                "Invalid import id",
                format!("Import a swarm_backup_schedule by its name: {why}."),
            )
        })?;
        Ok(lifecycle::id_and_name(id))
    }

    /// Only a schedule whose plan exists can be imported: a vault alone
    /// says nothing of the schedule or the tiers.
    fn can_import(observed: &cloud::Observed) -> bool {
        observed.plan.is_some()
    }

    fn not_found(&self, client: &SwarmClient, id: &str) -> Diagnostic {
        Diagnostic::error(
            "Backup schedule not found",
            format!(
                "No backup plan {:?} exists in {}; import takes the schedule's name.",
                object_name(id),
                client.region
            ),
        )
    }
}
