//! `swarm_node`: a pool of hardened EC2 hosts running agent processes,
//! spread over availability zones, behind a security group that opens
//! only the MCP port.
//!
//! Every AWS object carries the node's marker (`swarm:owner`, kept in the
//! state as `ownership_marker`; see `crate::ownership`): read, drift
//! detection and destroy find the node's objects by it, so that another
//! stack's node of the same name is never touched (the plan of a create
//! reports it). Every object also answers to `swarm:node = <name>`, which
//! import and the data source look up; the settings `terraform import`
//! needs are tags too (see `cloud`).
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

pub use self::schema::name_attribute;
use self::state::{NodeState, Progress, Seen, Spec};
use super::lifecycle::{self, Converged, Lifecycle};
use crate::config::SwarmClient;
use crate::ownership::{Identity, Marker, Sets};
use crate::waiter::{Timeouts, Wait};

/// The resource.
pub struct Node;

/// What a data source shows of a node.
#[derive(Debug, Clone)]
pub struct Found {
    pub instance_ids: Vec<String>,
    pub private_ips: Vec<String>,
    pub availability_zones: Vec<String>,
    pub arns: Vec<String>,
    pub security_group_id: Option<String>,
    pub instance_type: Option<String>,
    /// The node's marker (`None`: its objects carry none).
    pub marker: Option<String>,
}

use crate::instances::lookup::Narrowing;

/// Looks a node up by name, among the nodes `narrowing` leaves; `None` if
/// nothing of it exists. Several nodes (by marker) left is an error that
/// lists them and says how to narrow the look-up.
pub async fn find(
    client: &SwarmClient,
    name: &str,
    narrowing: &Narrowing,
) -> Result<Option<Found>, Diagnostic> {
    let mut observed = cloud::observe(client, &Identity::anyone(name)).await?;
    if let Some(marker) = &narrowing.marker {
        observed = observed.only(Some(&Marker::from_stored(marker.as_str())));
    }
    if let Some(vpc_id) = &narrowing.vpc_id {
        observed.instances.retain(|i| &i.vpc_id == vpc_id);
        observed.groups.retain(|g| &g.vpc_id == vpc_id);
    }
    if observed.is_empty() {
        return Ok(None);
    }
    let sets = observed.sets();
    if sets.len() > 1 {
        return Err(Diagnostic::error(
            format!("Several swarm_node answer to the name {name:?}"),
            format!(
                "These sets of objects each belong to a different swarm_node (by their \
                 swarm:owner marker):\n{}\nSet ownership_marker to the one to look up (the \
                 ownership_marker of that swarm_node), or vpc_id to its VPC.",
                sets.describe()
            ),
        ));
    }
    let marker = sets
        .markers()
        .next()
        .flatten()
        .map(|m| m.as_str().to_owned());
    let state = state::refreshed(client, &NodeState::default(), &observed);
    Ok(Some(Found {
        marker,
        instance_ids: state.instance_ids.unwrap_or_default(),
        private_ips: state.private_ips.unwrap_or_default(),
        availability_zones: state.availability_zones.unwrap_or_default(),
        arns: state.arns.unwrap_or_default(),
        security_group_id: state.security_group_id,
        instance_type: state.instance_type,
    }))
}

#[tfplugin::async_trait]
impl Lifecycle for Node {
    const TYPE_NAME: &'static str = "swarm_node";
    const TIMEOUTS: Timeouts = Timeouts {
        create: Duration::from_secs(15 * 60),
        update: Duration::from_secs(30 * 60),
        delete: Duration::from_secs(15 * 60),
    };

    type State = NodeState;
    type Spec = Spec;
    type Observed = Seen;

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        plan::modify_plan(client, req, resp).await;
    }

    fn id_of(state: &NodeState) -> Option<String> {
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

    /// The state comes from what the walk made and saw (a node's instances
    /// are many, and the walk knows each one's fate), not from a new read.
    async fn converge(
        &self,
        client: &SwarmClient,
        spec: &Spec,
        prior: Option<&NodeState>,
        id: &Identity,
        wait: &Wait<'_>,
    ) -> Converged<Seen> {
        let mut progress = Progress::default();
        let prior_tags = prior.and_then(|p| p.tags_all.as_ref());
        let result = converge::converge(client, spec, id, prior_tags, &mut progress, wait).await;
        let anything = progress.group.is_some() || !progress.instances.is_empty();
        let applied = if result.is_ok() || anything {
            spec.state(client, &progress, prior)
        } else {
            // Nothing was made or seen: the state stays as it was.
            prior.cloned().unwrap_or_default()
        };
        Converged {
            observed: Some(Seen::Applied(Box::new(applied))),
            result,
        }
    }

    async fn observe(&self, client: &SwarmClient, id: &Identity) -> Result<Seen, Diagnostic> {
        cloud::observe(client, id).await.map(Seen::Found)
    }

    fn is_gone(observed: &Seen) -> bool {
        match observed {
            Seen::Found(found) => found.is_empty(),
            Seen::Applied(state) => {
                state.security_group_id.is_none()
                    && state.instance_ids.as_ref().is_none_or(Vec::is_empty)
            }
        }
    }

    async fn state(
        &self,
        client: &SwarmClient,
        id: &Identity,
        observed: &Seen,
        basis: &NodeState,
    ) -> Result<NodeState, Diagnostic> {
        let mut state = match observed {
            Seen::Applied(state) => state.as_ref().clone(),
            // An import leaves only the name: everything else comes from AWS.
            Seen::Found(found) if basis.instance_count.is_none() => {
                state::imported(client, &id.id, found).await?
            }
            Seen::Found(found) => state::refreshed(client, basis, found),
        };
        state.timeouts = basis.timeouts.clone();
        Ok(state)
    }

    async fn destroy(
        &self,
        client: &SwarmClient,
        id: &Identity,
        _prior: &NodeState,
        wait: &Wait<'_>,
    ) -> Result<(), Diagnostic> {
        converge::destroy(client, id, wait).await
    }

    fn sets(observed: &Seen) -> Sets {
        match observed {
            Seen::Found(found) => found.sets(),
            Seen::Applied(_) => Sets::default(),
        }
    }

    fn narrow_import(&self) -> &'static str {
        "A node has no other id to import it by. If the other sets are left over from a \
         Terraform run that was killed, delete them (their instances and security group); if \
         they are another stack's, import this one in a stack where the name is its own, or \
         remove the swarm:owner tag from all but the set to import."
    }

    fn imported(&self, id: &str) -> Result<Value, Diagnostic> {
        checks::name(id).map_err(|why| {
            Diagnostic::error(
                "Invalid import id",
                format!(
                    "Import a swarm_node by its name (1 to 64 letters, digits or hyphens): {why}."
                ),
            )
        })?;
        Ok(lifecycle::id_and_name(id))
    }
}
