//! The `swarm_node` data source finds a node by name, as the resource
//! does, and says so when there is none.

use std::sync::Arc;

use acceptance_tests::checks::{err, sdk_check};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::filter;
use acceptance_tests::{config, run, test_case};
use serde_json::Value as Json;
use tfplugin::testing::{Check, Step};

const LOOKUP: &str = "data.swarm_node.lookup";

fn node_and_lookup(emulator: &Emulator) -> String {
    config(&format!(
        r#"{}
resource "swarm_node" "pool" {{
  name           = "pool"
  instance_count = 3
}}

data "swarm_node" "lookup" {{
  name       = "pool"
  depends_on = [swarm_node.pool]
}}
"#,
        emulator.provider_block("  environment = \"development\"")
    ))
}

#[tokio::test]
async fn finds_a_node_by_name() {
    let emulator = Arc::new(Emulator::start());
    let case = test_case().step(
        Step::apply(node_and_lookup(&emulator))
            .check(Check::attr_equals(LOOKUP, "id", "pool"))
            .check(Check::attr_equals(LOOKUP, "instance_type", "t3.small"))
            .check(Check::sync(|state| {
                // The data source and the resource agree, list by list.
                for attribute in [
                    "instance_ids",
                    "private_ips",
                    "availability_zones",
                    "arns",
                    "security_group_id",
                ] {
                    let found = state.attr(LOOKUP, attribute)?;
                    let managed = state.attr("swarm_node.pool", attribute)?;
                    if found != managed || *found == Json::Null {
                        return Err(format!(
                            "{attribute}: data source {found}, resource {managed}"
                        ));
                    }
                }
                Ok(())
            }))
            .check(sdk_check(&emulator, |e, state| async move {
                let listed = state.attr(LOOKUP, "instance_ids")?;
                let out = e
                    .ec2()
                    .await
                    .describe_instances()
                    .filters(filter("tag:swarm:node", &["pool"]))
                    .filters(filter("instance-state-name", &["running"]))
                    .send()
                    .await
                    .map_err(err)?;
                let running = out
                    .reservations()
                    .iter()
                    .map(|r| r.instances().len())
                    .sum::<usize>();
                match listed.as_array() {
                    Some(ids) if ids.len() == 3 && running == 3 => Ok(()),
                    _ => Err(format!("listed {listed}, EC2 runs {running}")),
                }
            })),
    );
    run("node_data_source::finds_a_node_by_name", case).await;
}

#[tokio::test]
async fn a_missing_node_is_an_error_on_name() {
    let emulator = Emulator::start();
    let hcl = config(&format!(
        "{}\ndata \"swarm_node\" \"lookup\" {{\n  name = \"nobody\"\n}}\n",
        emulator.provider_block("")
    ));
    let case = test_case()
        .step(Step::plan(hcl).expect_error(r#"No swarm_node named "nobody" exists in us-east-1"#))
        .step(
            Step::validate(config(&format!(
                "{}\ndata \"swarm_node\" \"lookup\" {{\n  name = \"no_such!\"\n}}\n",
                emulator.provider_block("")
            )))
            .expect_error("name must be 1 to 64 letters, digits or hyphens"),
        );
    run("node_data_source::a_missing_node_is_an_error_on_name", case).await;
}
