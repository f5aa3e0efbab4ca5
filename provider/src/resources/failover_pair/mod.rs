//! `swarm_failover_pair`: a primary and an identical secondary EC2 node in
//! two availability zones, with an endpoint (an Elastic IP, or the active
//! node's private IP) on the active one; `active` switches it over.
//!
//! Every AWS object (instances, volumes, interfaces, the security group,
//! the Elastic IP) carries the pair's marker (`swarm:owner`, kept as
//! `ownership_marker`) and `swarm:failover-pair = <name>`: read, repair
//! and destroy find them by the marker, import and the plan's report by
//! the name. The nodes are launched by the code `swarm_node` uses
//! (`crate::instances`).
//!
//! With `health_check` or `dns`, each node also has a Route 53 health
//! check (on its own Elastic IP, or on a CloudWatch status-check alarm in
//! private subnets) and, with `dns`, a failover record set: found by the
//! marker (check references, alarm names, record set identifiers) in the
//! place the group's tags name (`health.rs`).
//!
//! The files follow the anatomy of `resources/README.md`.

mod checks;
mod cloud;
mod converge;
mod health;
mod plan;
mod schema;
mod state;

use std::time::Duration;

use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::resource::{ChangeRequest, PlanRequest, PlanResponse};
use tfplugin::schema::Schema;
use tfplugin::value::Value;

use self::cloud::Observed;
pub use self::state::PairState;
use self::state::Spec;
use super::lifecycle::{self, Converged, Lifecycle};
use crate::config::SwarmClient;
use crate::instances;
use crate::ownership::{Identity, Marker, Sets};
use crate::waiter::{Timeouts, Wait};

/// The resource.
pub struct FailoverPair;

/// What the data source shows of a pair.
#[derive(Debug, Clone)]
pub struct Found {
    pub state: PairState,
    /// The pair's VPC (of its security group).
    pub vpc_id: Option<String>,
    /// The pair's marker (`None`: its objects carry none).
    pub marker: Option<String>,
}

use crate::instances::lookup::Narrowing;

/// Looks a pair up by name, among those `narrowing` leaves; `None` if
/// nothing of it exists. Several pairs (by marker) left is an error that
/// lists them and says how to narrow the look-up.
pub async fn find(
    client: &SwarmClient,
    name: &str,
    narrowing: &Narrowing,
) -> Result<Option<Found>, Diagnostic> {
    let mut observed = cloud::observe(client, &Identity::anyone(name)).await?;
    if let Some(marker) = &narrowing.marker {
        let keep = Identity::new(name, Some(Marker::from_stored(marker.as_str())));
        observed.instances.retain(|i| keep.owns(&i.tags));
        observed.groups.retain(|g| keep.owns(&g.tags));
        observed.addresses.retain(|a| keep.owns(&a.tags));
        observed.node_addresses.retain(|a| keep.owns(&a.tags));
    }
    if let Some(vpc_id) = &narrowing.vpc_id {
        observed.instances.retain(|i| &i.vpc_id == vpc_id);
        observed.groups.retain(|g| &g.vpc_id == vpc_id);
        let instances: Vec<String> = observed.instances.iter().map(|i| i.id.clone()).collect();
        observed
            .addresses
            .retain(|a| a.instance_id.as_ref().is_none_or(|i| instances.contains(i)));
        observed
            .node_addresses
            .retain(|a| a.instance_id.as_ref().is_none_or(|i| instances.contains(i)));
    }
    if observed.is_empty() {
        return Ok(None);
    }
    let sets = observed.sets();
    if sets.len() > 1 {
        return Err(Diagnostic::error(
            format!("Several swarm_failover_pair answer to the name {name:?}"),
            format!(
                "These sets of objects each belong to a different swarm_failover_pair (by their \
                 swarm:owner marker):\n{}\nSet ownership_marker to the one to look up (the \
                 ownership_marker of that swarm_failover_pair), or vpc_id to its VPC.",
                sets.describe()
            ),
        ));
    }
    let marker = sets
        .markers()
        .next()
        .flatten()
        .map(|m| m.as_str().to_owned());
    let basis = state::found_basis(&observed);
    Ok(Some(Found {
        state: state::observed_state(client, &basis, &observed),
        vpc_id: observed.groups.first().map(|g| g.vpc_id.clone()),
        marker,
    }))
}

#[tfplugin::async_trait]
impl Lifecycle for FailoverPair {
    const TYPE_NAME: &'static str = "swarm_failover_pair";
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(15 * 60),
        update: Duration::from_secs(30 * 60),
        delete: Duration::from_secs(15 * 60),
    };

    type State = PairState;
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

    fn id_of(state: &PairState) -> Option<String> {
        state.name.clone().or_else(|| state.id.clone())
    }

    fn id_of_spec(spec: &Spec) -> String {
        spec.name.clone()
    }

    async fn spec(&self, client: &SwarmClient, req: &ChangeRequest) -> Result<Spec, Diagnostics> {
        Spec::from_plan(client, &req.plan)
            .await
            .map_err(Diagnostics::from)
    }

    async fn converge(
        &self,
        client: &SwarmClient,
        spec: &Spec,
        _prior: Option<&PairState>,
        id: &Identity,
        wait: &Wait<'_>,
    ) -> Converged<Observed> {
        converge::converge(client, spec, id, wait).await.into()
    }

    async fn observe(&self, client: &SwarmClient, id: &Identity) -> Result<Observed, Diagnostic> {
        cloud::observe(client, id).await
    }

    fn is_gone(observed: &Observed) -> bool {
        observed.is_empty()
    }

    async fn state(
        &self,
        client: &SwarmClient,
        id: &Identity,
        observed: &Observed,
        basis: &PairState,
    ) -> Result<PairState, Diagnostic> {
        let mut state = if basis.subnet_ids.is_none() {
            // An import leaves only the name: everything else comes from AWS.
            state::imported(client, &id.id, observed).await?
        } else {
            state::observed_state(client, basis, observed)
        };
        state.id = basis.name.clone().or_else(|| basis.id.clone());
        state.timeouts = basis.timeouts.clone();
        Ok(state)
    }

    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        _prior: &PairState,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic> {
        converge::destroy(client, id, wait).await
    }

    fn sets(observed: &Observed) -> Sets {
        observed.sets()
    }

    fn narrow_import(&self) -> &'static str {
        "A pair has no other id to import it by. If the other sets are left over from a \
         Terraform run that was killed, delete them (their instances, Elastic IP and security \
         group); if they are another stack's, import this one in a stack where the name is its \
         own, or remove the swarm:owner tag from all but the set to import."
    }

    fn imported(&self, id: &str) -> Result<Value, Diagnostic> {
        instances::checks::name(id).map_err(|why| {
            Diagnostic::error(
                "Invalid import id",
                format!(
                    "Import a swarm_failover_pair by its name (1 to 64 letters, digits or \
                     hyphens): {why}."
                ),
            )
        })?;
        Ok(lifecycle::id_and_name(id))
    }
}
