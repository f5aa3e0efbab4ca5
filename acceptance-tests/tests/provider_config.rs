//! The provider block, through the real terraform CLI: valid settings
//! configure the provider against the emulator; each kind of bad value is a
//! diagnostic naming its attribute at `terraform validate`.
//!
//! Terraform validates and configures a provider only when something uses
//! it, so each configuration reads `swarm_availability_zones`.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, run, test_case};
use tfplugin::testing::{Check, Step};

const USES_PROVIDER: &str = "data \"swarm_availability_zones\" \"all\" {}\n";

fn with_provider(provider_block: &str) -> String {
    config(&format!("{provider_block}\n{USES_PROVIDER}"))
}

#[tokio::test]
async fn valid_provider_block_validates_plans_and_applies() {
    let emulator = Emulator::start();
    let block = emulator.provider_block(
        "  environment  = \"staging\"\n  max_retries  = 2\n  default_tags = { team = \"agents\" }\n",
    );
    let case = test_case()
        .step(Step::validate(with_provider(&block)))
        .step(
            Step::apply(with_provider(&block)).check(Check::sync(|state| {
                let names = state.attr("data.swarm_availability_zones.all", "names")?;
                match names.as_array() {
                    Some(names) if !names.is_empty() => Ok(()),
                    _ => Err(format!("no zones: {names}")),
                }
            })),
        );
    run(
        "provider_config::valid_provider_block_validates_plans_and_applies",
        case,
    )
    .await;
}

#[tokio::test]
async fn per_service_endpoint_overrides_the_global_one() {
    let emulator = Emulator::start();
    let endpoint = emulator
        .endpoint()
        .unwrap_or("https://ec2.us-east-1.amazonaws.com");
    // The global endpoint leads nowhere; only the ec2 override works.
    let block = format!(
        "provider \"swarm\" {{\n  region     = \"us-east-1\"\n  endpoint   = \"http://127.0.0.1:9\"\n  access_key = \"test\"\n  secret_key = \"test\"\n  max_retries = 0\n  endpoints {{\n    ec2 = \"{endpoint}\"\n  }}\n}}\n"
    );
    let case = test_case().step(Step::apply(with_provider(&block)).check(Check::attr_set(
        "data.swarm_availability_zones.all",
        "names",
    )));
    run(
        "provider_config::per_service_endpoint_overrides_the_global_one",
        case,
    )
    .await;
}

fn provider_with(attribute: &str) -> String {
    with_provider(&format!("provider \"swarm\" {{\n  {attribute}\n}}\n"))
}

#[tokio::test]
async fn unknown_environment_is_an_error_on_environment() {
    let case = test_case().step(
        Step::validate(provider_with(r#"environment = "prod""#)).expect_error(
            r#"environment must be one of "development", "staging" or "production", got "prod""#,
        ),
    );
    run(
        "provider_config::unknown_environment_is_an_error_on_environment",
        case,
    )
    .await;
}

#[tokio::test]
async fn malformed_endpoints_are_errors_on_their_attribute() {
    let case = test_case()
        .step(
            Step::validate(provider_with(r#"endpoint = "localhost:4566""#))
                .expect_error("endpoint must be an absolute http(s) URL"),
        )
        .step(
            Step::validate(provider_with("endpoints {\n    rds = \"not a url\"\n  }"))
                .expect_error("endpoints.rds must be an absolute http(s) URL"),
        );
    run(
        "provider_config::malformed_endpoints_are_errors_on_their_attribute",
        case,
    )
    .await;
}

#[tokio::test]
async fn other_bad_values_name_their_attribute() {
    let case = test_case()
        .step(
            Step::validate(provider_with(r#"region = "useast1""#))
                .expect_error("region must be an AWS region name"),
        )
        .step(
            Step::validate(provider_with(r#"region = "us-moon-1""#))
                .expect_error(r#"region: "us-moon-1" is not an AWS region this provider knows"#),
        )
        // A region newer than the provider's list, with the check skipped.
        .step(Step::validate(provider_with(
            "region                 = \"us-moon-1\"\n  skip_region_validation = true",
        )))
        .step(
            Step::validate(provider_with("max_retries = 1000"))
                .expect_error("max_retries must be a whole number from 0 to 100"),
        )
        .step(
            Step::validate(provider_with(r#"access_key = "AKIA""#))
                .expect_error("access_key is set, so secret_key must be set too"),
        );
    run(
        "provider_config::other_bad_values_name_their_attribute",
        case,
    )
    .await;
}
