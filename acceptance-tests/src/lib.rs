//! Shared pieces of the acceptance tests: the AWS emulator, the provider
//! under test and the HCL they write.

pub mod emulator;

use tfplugin::testing::TestCase;

/// A test case for the swarm provider, served in-process.
pub fn test_case() -> TestCase {
    TestCase::new(swarm_provider::ADDRESS)
}

/// The `terraform` block every test configuration starts with.
pub const REQUIRED_PROVIDERS: &str = r#"
terraform {
  required_providers {
    swarm = { source = "agentswarm/swarm" }
  }
}
"#;

/// A configuration: the `terraform` block and `body`.
pub fn config(body: &str) -> String {
    format!("{REQUIRED_PROVIDERS}\n{body}\n")
}
