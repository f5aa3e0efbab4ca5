//! The acceptance tests, one module per resource or data source, in one
//! test binary (see Cargo.toml).

mod availability_zones;
mod backup_restore;
mod backup_runs;
mod backup_schedule;
mod backup_schedule_drift;
mod backup_schedule_refresh;
mod backup_schedule_retry;
mod bucket;
mod cache;
mod database;
mod failover_pair;
mod failover_pair_dns;
mod generated_user_data;
mod imports;
mod network;
mod node;
mod node_data_source;
mod provider_config;
mod route53;
mod shared_account;
mod tags;
mod unique_names;
