//! `swarm_network`: a VPC with three subnet tiers in each availability
//! zone (public, private, database: the DMZ, application and data zones of
//! an agent swarm), an internet gateway for the public tier, NAT for the
//! private tier (one per AZ in production, one shared otherwise) and route
//! tables. The database tier has no route out.
//!
//! Every object carries the network's marker (`swarm:owner`, kept in the
//! state as `ownership_marker`; see `crate::ownership`) and identity tags
//! (`swarm:network = <name>`, `swarm:role`, `swarm:az`), so one describe
//! per object kind finds the whole network: that is how read, drift and
//! destroy work, and why create is idempotent (it only makes what is
//! missing). Another network of the same name (another stack's) has
//! another marker and is never touched; the plan of a create reports it.
//! Import takes a name, or a VPC id when several networks answer to the
//! name.
//!
//! The files follow the anatomy of `resources/README.md`. The network has
//! no checks across attributes, so no `validate` of its own: its values'
//! checks are the schema's validators (`checks.rs`).

mod checks;
mod cloud;
mod converge;
mod plan;
mod schema;
mod state;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::resource::{ChangeRequest, PlanRequest, PlanResponse};
use tfplugin::schema::Schema;

use self::state::{NetworkState, Spec};
use super::lifecycle::{Converged, Lifecycle};
use crate::config::SwarmClient;
use crate::ownership::{Identity, Sets};
use crate::waiter::{Timeouts, Wait};

pub struct Network;

#[tfplugin::async_trait]
impl Lifecycle for Network {
    const TYPE_NAME: &'static str = "swarm_network";
    const TIMEOUTS: Timeouts = Timeouts::all(state::DEFAULT_TIMEOUT);

    type State = NetworkState;
    type Spec = Spec;
    type Observed = cloud::Observed;

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        plan::modify_plan(client, req, resp).await;
    }

    fn id_of(state: &NetworkState) -> Option<String> {
        state.id.clone().or_else(|| state.name.clone())
    }

    fn id_of_spec(spec: &Spec) -> String {
        spec.name.clone()
    }

    async fn spec(&self, _client: &SwarmClient, req: &ChangeRequest) -> Result<Spec, Diagnostics> {
        Spec::from_request(req).map_err(Diagnostics::from)
    }

    /// Converge reads the network once at its start and works from the
    /// create calls' answers; the state is read once more at the end.
    async fn converge(
        &self,
        client: &SwarmClient,
        spec: &Spec,
        _prior: Option<&NetworkState>,
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

    /// The VPC is the network: without it, the objects left (of a failed
    /// create or destroy) are made again or taken down by the next apply.
    fn is_gone(observed: &cloud::Observed) -> bool {
        observed.vpc.is_none()
    }

    async fn state(
        &self,
        client: &SwarmClient,
        id: &Identity,
        observed: &cloud::Observed,
        basis: &NetworkState,
    ) -> Result<NetworkState, Diagnostic> {
        // The name the VPC answers to: an import by VPC id has no other.
        let name = observed.name().unwrap_or(&id.id);
        Ok(NetworkState::observed(client, name, observed, basis))
    }

    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        _prior: &NetworkState,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic> {
        converge::destroy(client, id, wait).await
    }

    fn sets(observed: &cloud::Observed) -> Sets {
        observed.sets()
    }

    fn narrow_import(&self) -> &'static str {
        "Import one of them by its VPC id instead of the name (`terraform import \
         swarm_network.<name> vpc-...`, or `id = \"vpc-...\"` in an import block)."
    }

    fn not_found(&self, _client: &SwarmClient, id: &str) -> Diagnostic {
        let what = if cloud::is_vpc_id(id) {
            format!("No VPC {id} exists")
        } else {
            format!("No VPC tagged swarm:network = {id:?} exists")
        };
        Diagnostic::error(
            "Network not found",
            format!("{what}; import takes the network's name or its VPC's id."),
        )
    }
}
