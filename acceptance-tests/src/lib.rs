//! Shared pieces of the acceptance tests: the AWS emulator, the provider
//! under test, the HCL they write, and the helpers every resource's tests
//! use (`checks`: reading AWS back and changing it out of band;
//! `fixtures`: objects made through the SDK for a configuration to name;
//! `snapshots`: final snapshots; `recorder`: the order of the requests the
//! emulator served; `backup`: making an AWS Backup rule run now).

pub mod backup;
pub mod checks;
pub mod emulator;
pub mod fixtures;
pub mod pairs;
pub mod recorder;
pub mod snapshots;

use tfplugin::testing::TestCase;

/// A test case for the swarm provider, served in-process.
pub fn test_case() -> TestCase {
    TestCase::new(swarm_provider::ADDRESS)
}

/// Runs `case` against a new provider; a failure panics with the test's
/// name and why it failed (the step, the command and its output).
pub async fn run(test: &str, case: TestCase) {
    if let Err(failure) = case.run(swarm_provider::SwarmProvider::new()).await {
        panic!("{test}: {failure}");
    }
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

/// `config` with an `import {}` block that imports `id` into `address`.
pub fn with_import_block(config: &str, address: &str, id: &str) -> String {
    format!("{config}\nimport {{\n  to = {address}\n  id = \"{id}\"\n}}\n")
}
