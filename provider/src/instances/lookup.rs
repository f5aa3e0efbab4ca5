//! The look-up by name that the data sources of resources that run hosts
//! (`swarm_node`, `swarm_failover_pair`) make alike: the name, and what
//! narrows it when several resources answer to the name.

use serde::Deserialize;
use tfplugin::datasource::DataSourceRequest;
use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::path::AttributePath;

/// What narrows a look-up by name when several resources answer to it.
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    /// The resource's VPC (of its instances and security group).
    pub vpc_id: Option<String>,
    /// The resource's `ownership_marker`.
    pub marker: Option<String>,
}

/// What the data source's configuration gives.
#[derive(Debug, Deserialize)]
struct Lookup {
    name: Option<String>,
    vpc_id: Option<String>,
    ownership_marker: Option<String>,
}

/// The name to look up and its narrowing, from the data source's
/// configuration. A missing name is an error on `name`, asking for `what`
/// ("the node", "the pair").
pub fn lookup(req: &DataSourceRequest, what: &str) -> Result<(String, Narrowing), Diagnostics> {
    let Lookup {
        name,
        vpc_id,
        ownership_marker,
    } = req.config_as::<Lookup>()?;
    let Some(name) = name else {
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(
            Diagnostic::error("No name", format!("Set name to {what} to look up."))
                .at(AttributePath::attr("name")),
        );
        return Err(diagnostics);
    };
    Ok((
        name,
        Narrowing {
            vpc_id,
            marker: ownership_marker,
        },
    ))
}
