//! Managed resources: a folder each, in the anatomy of `README.md` beside
//! this file, served through the one lifecycle of `lifecycle.rs`; each
//! one's acceptance tests are in `acceptance-tests/tests/<resource>.rs`.

use tfplugin::resource::Resource;

use self::lifecycle::Managed;
use crate::config::SwarmClient;

mod attributes;
pub mod backup_schedule;
pub mod bucket;
pub mod cache;
pub mod database;
pub mod failover_pair;
mod lifecycle;
pub mod network;
pub mod node;
mod planned;

/// Every resource type the provider offers.
pub fn all() -> Vec<Box<dyn Resource<SwarmClient>>> {
    vec![
        Box::new(Managed(network::Network)),
        Box::new(Managed(database::Database)),
        Box::new(Managed(cache::Cache)),
        Box::new(Managed(bucket::Bucket)),
        Box::new(Managed(node::Node)),
        Box::new(Managed(failover_pair::FailoverPair)),
        Box::new(Managed(backup_schedule::BackupSchedule)),
    ]
}
