//! `swarm_bucket`: hardened S3 storage. Public access is always blocked, a
//! bucket policy refuses requests without TLS, objects are encrypted at
//! rest (SSE-KMS with a key, SSE-S3 otherwise), ACLs are off, and one
//! lifecycle rule keeps data as long as its purpose needs (logs 7 days,
//! backups 30, old versions of config 90, artifacts for good) and cleans
//! up abandoned multipart uploads.
//!
//! Read fetches every configuration at once, and the hardening settings
//! are computed attributes the plan always asks for: so a setting changed
//! out of band (versioning suspended, public access block or policy
//! removed, lifecycle rule edited, encryption changed) shows in the plan,
//! and apply puts it back. The bucket is tagged `swarm:bucket = <name>` and
//! with its purpose, which is how import restores it, and with the
//! resource's marker (`swarm:owner`, kept in the state as
//! `ownership_marker`; see `crate::ownership`): read, repair and destroy
//! touch the bucket of the name only when it carries that marker. Bucket
//! names are global, so a create whose name is taken (by another account,
//! or by a bucket of this one that is not this resource's) is refused at
//! plan and again at apply, before anything is made.
//!
//! The files follow the anatomy of `resources/README.md`.

mod checks;
mod cloud;
mod converge;
mod plan;
mod policy;
mod schema;
mod state;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::resource::{ChangeRequest, PlanRequest, PlanResponse};
use tfplugin::schema::Schema;
use tfplugin::value::Value;

use self::cloud::{Desired, Observed};
use self::state::BucketState;
use super::lifecycle::{Converged, Lifecycle};
use crate::config::SwarmClient;
use crate::ownership::{Identity, Sets};
use crate::waiter::{Timeouts, Wait};

pub struct Bucket;

#[tfplugin::async_trait]
impl Lifecycle for Bucket {
    const TYPE_NAME: &'static str = "swarm_bucket";
    const TIMEOUTS: Timeouts = Timeouts::all(state::DEFAULT_TIMEOUT);

    type State = BucketState;
    type Spec = Desired;
    /// `None`: no bucket of that name.
    type Observed = Option<Observed>;

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        checks::validate(config, diags);
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        plan::modify_plan(client, req, resp).await;
    }

    fn id_of(state: &BucketState) -> Option<String> {
        state.id.clone()
    }

    fn id_of_spec(desired: &Desired) -> String {
        desired.name.clone()
    }

    async fn spec(
        &self,
        client: &SwarmClient,
        req: &ChangeRequest,
    ) -> Result<Desired, Diagnostics> {
        state::desired_of(client, req).map_err(Diagnostics::from)
    }

    async fn converge(
        &self,
        client: &SwarmClient,
        desired: &Desired,
        _prior: Option<&BucketState>,
        id: &Identity,
        wait: &Wait<'_>,
    ) -> Converged<Option<Observed>> {
        let applied = async {
            converge::ensure(client, desired, id, wait).await?;
            converge::wait_applied(client, desired, wait).await
        };
        match applied.await {
            // What S3 read back once everything took effect.
            Ok(seen) => Converged {
                observed: Some(Some(seen)),
                result: Ok(()),
            },
            Err(d) => Err(d).into(),
        }
    }

    async fn observe(
        &self,
        client: &SwarmClient,
        id: &Identity,
    ) -> Result<Option<Observed>, Diagnostic> {
        Observed::of(client, id).await
    }

    fn sets(observed: &Option<Observed>) -> Sets {
        observed.as_ref().map_or_else(Sets::default, Observed::sets)
    }

    async fn check_create(
        &self,
        client: &SwarmClient,
        desired: &Desired,
    ) -> Result<(), Diagnostic> {
        cloud::check_free(client, &desired.name, &[]).await
    }

    fn is_gone(observed: &Option<Observed>) -> bool {
        observed.is_none()
    }

    async fn state(
        &self,
        client: &SwarmClient,
        id: &Identity,
        observed: &Option<Observed>,
        basis: &BucketState,
    ) -> Result<BucketState, Diagnostic> {
        let seen = observed
            .as_ref()
            .ok_or_else(|| self.not_found(client, &id.id))?;
        Ok(BucketState::observed(client, &id.id, seen, basis))
    }

    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        prior: &BucketState,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic> {
        converge::destroy(client, id, prior.force_destroy.unwrap_or(false), wait).await
    }

    /// A bucket is imported by its name alone.
    fn imported(&self, id: &str) -> Result<Value, Diagnostic> {
        Ok(Value::Object([("id".to_owned(), Value::from(id))].into()))
    }

    fn not_found(&self, client: &SwarmClient, id: &str) -> Diagnostic {
        Diagnostic::error(
            "Bucket not found",
            format!(
                "No bucket named {id:?} exists in {}; import takes the bucket's name.",
                client.region
            ),
        )
    }
}
