//! `terraform-provider-swarm`: agent-swarm infrastructure on AWS with
//! defaults that are right: multi-AZ, encrypted, backed up, least-privilege.
//!
//! The flow of one `terraform apply`: `tfplugin::serve` accepts Terraform's
//! gRPC call, `tfplugin::server` decodes it and calls the resource's
//! `create`/`update`/`delete`; every resource is served by the one skeleton
//! in `resources/lifecycle.rs`, which asks the resource's `converge.rs` to
//! make AWS match the plan through the calls in its `cloud.rs`, with the
//! clients built in [`config`]. `resources/README.md` is the anatomy of a
//! resource.

mod aws;
mod calendar;
mod catalogue;
mod checks;
pub mod cloudwatch;
pub mod config;
mod datasources;
mod ec2;
mod instances;
mod ownership;
mod provider;
mod regions;
mod resources;
pub mod route53;
mod schedule;
mod security_group;
mod tags;
mod waiter;

pub use provider::SwarmProvider;
// What the public modules' functions take (the acceptance tests call
// `route53` and `cloudwatch` directly).
pub use ownership::Marker;
pub use waiter::Wait;

/// The source address Terraform knows the provider by.
pub const ADDRESS: &str = "registry.terraform.io/agentswarm/swarm";

/// The provider's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
