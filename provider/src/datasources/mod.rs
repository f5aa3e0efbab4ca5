//! Data sources: one file each.

use tfplugin::datasource::DataSource;

use crate::config::SwarmClient;

pub mod availability_zones;
pub mod backup_runs;
pub mod failover_pair;
pub mod node;
pub mod recovery_points;

/// Every data source the provider offers.
pub fn all() -> Vec<Box<dyn DataSource<SwarmClient>>> {
    vec![
        Box::new(availability_zones::AvailabilityZones),
        Box::new(node::NodeLookup),
        Box::new(failover_pair::FailoverPairLookup),
        Box::new(backup_runs::BackupRuns),
        Box::new(recovery_points::RecoveryPoints),
    ]
}
