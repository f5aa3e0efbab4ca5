//! Tests of the built provider binary and its generated docs, in one test
//! binary (see Cargo.toml).

mod docs;
mod terraform_cli;
