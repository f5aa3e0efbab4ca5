//! Managed resources: one file each, its acceptance test in
//! `acceptance-tests/tests/`.

use tfplugin::resource::Resource;

use crate::config::SwarmClient;

pub mod bucket;
pub mod cache;
pub mod database;
mod lifecycle;
pub mod network;
pub mod node;

/// Every resource type the provider offers.
pub fn all() -> Vec<Box<dyn Resource<SwarmClient>>> {
    vec![
        Box::new(network::Network),
        Box::new(database::Database),
        Box::new(cache::Cache),
        Box::new(bucket::Bucket),
        Box::new(node::Node),
    ]
}
