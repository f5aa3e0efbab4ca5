//! The provider block, through the real terraform CLI: valid settings
//! validate and plan; each kind of bad value is a diagnostic naming its
//! attribute, before anything is configured.

use acceptance_tests::{config, test_case};
use swarm_provider::SwarmProvider;
use tfplugin::testing::Step;

const GOOD: &str = r#"
provider "swarm" {
  region      = "us-east-1"
  endpoint    = "http://127.0.0.1:1"
  access_key  = "test"
  secret_key  = "test"
  environment = "staging"
  max_retries = 2
  default_tags = { team = "agents" }
  endpoints {
    s3 = "http://127.0.0.1:2"
  }
}
"#;

#[tokio::test]
async fn valid_provider_block_validates_and_plans() {
    test_case()
        .step(Step::validate(config(GOOD)))
        .step(Step::plan(config(GOOD)))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

fn provider_with(attribute: &str) -> String {
    config(&format!(
        "provider \"swarm\" {{\n  region = \"us-east-1\"\n  {attribute}\n}}\n"
    ))
}

#[tokio::test]
async fn unknown_environment_is_an_error_on_environment() {
    test_case()
        .step(
            Step::validate(provider_with(r#"environment = "prod""#)).expect_error(
                r#"environment must be one of "development", "staging" or "production", got "prod""#,
            ),
        )
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn malformed_endpoint_is_an_error_on_endpoint() {
    test_case()
        .step(Step::validate(provider_with(r#"endpoint = "localhost:4566""#)).expect_error("endpoint must be an absolute http(s) URL"))
        .step(Step::validate(config(
            "provider \"swarm\" {\n  region = \"us-east-1\"\n  endpoints {\n    rds = \"not a url\"\n  }\n}\n",
        ))
        .expect_error("endpoints.rds must be an absolute http(s) URL"))
        .run(SwarmProvider::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn other_bad_values_name_their_attribute() {
    test_case()
        .step(
            Step::validate(provider_with(r#"region = "useast1""#))
                .expect_error("region must be an AWS region name"),
        )
        .step(
            Step::validate(provider_with("max_retries = 1000"))
                .expect_error("max_retries must be a whole number from 0 to 100"),
        )
        .step(
            Step::validate(provider_with(r#"access_key = "AKIA""#))
                .expect_error("access_key is set, so secret_key must be set too"),
        )
        .run(SwarmProvider::new())
        .await
        .unwrap();
}
