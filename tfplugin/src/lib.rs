//! `tfplugin`: a framework for writing Terraform providers in Rust.
//!
//! - [`provider`], [`resource`], [`datasource`]: the traits a provider implements.
//! - [`schema`]: schemas declared once, with validators and plan modifiers.
//! - [`value`]: Terraform's values and types, the msgpack and JSON codecs,
//!   and conversion to and from Rust structs.
//! - [`diag`], [`path`]: diagnostics tied to attributes.
//! - [`serve`]: the binary's entry point: go-plugin handshake, AutoMTLS,
//!   `--debug` reattach mode.
//! - [`server`]: the thin layer translating protocol 6 messages.
//! - [`logging`]: `tracing` output in the format Terraform reads.
//! - [`testing`]: acceptance tests driving the real `terraform` CLI.
//! - [`docs`]: Registry-layout documentation generated from the schemas.
#![warn(missing_docs)]

pub mod datasource;
pub mod diag;
pub mod docs;
pub mod logging;
pub mod path;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod serve;
pub mod server;
pub mod testing;
pub mod value;

/// Code generated from `proto/`: the plugin protocol and go-plugin's services.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
    pub mod health {
        tonic::include_proto!("grpc.health.v1");
    }
}

pub use async_trait::async_trait;
pub use diag::{Diagnostic, Diagnostics};
pub use path::AttributePath;
pub use provider::Provider;
pub use value::{Type, Value};
