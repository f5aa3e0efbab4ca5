//! Imports with a generated configuration of resources whose `user_data`
//! is set. `user_data` is sensitive, so `terraform plan
//! -generate-config-out` writes it as null: the plan of that configuration
//! as written warns, on `user_data`, that the pair's nodes would be rolled
//! and the node's instances replaced; with the user data written back it
//! imports both and changes nothing (the same instances, read back through
//! the SDK), and the plan after its apply is empty.

use std::collections::BTreeSet;
use std::sync::Arc;

use acceptance_tests::checks::{Memo, sdk_check};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::default_subnets;
use acceptance_tests::{config, pairs, run, test_case};
use serde_json::Value as Json;
use tfplugin::testing::{Check, State, Step};

const PAIR: &str = "swarm_failover_pair.mcp";
const NODE: &str = "swarm_node.agents";
/// The user data of both, as the configuration writes it.
const USER_DATA: &str = "echo ready > /tmp/ready";

fn provider(emulator: &Emulator) -> String {
    emulator.provider_block("  environment = \"production\"")
}

/// The instance ids of the pair and the node in the state.
fn instance_ids(state: &State) -> Result<BTreeSet<String>, String> {
    let mut ids = BTreeSet::new();
    for (address, attribute) in [
        (PAIR, "primary_instance_id"),
        (PAIR, "secondary_instance_id"),
    ] {
        match state.attr(address, attribute)? {
            Json::String(id) => ids.insert(id.clone()),
            other => return Err(format!("{address}.{attribute} is {other}")),
        };
    }
    match state.attr(NODE, "instance_ids")? {
        Json::Array(list) => ids.extend(list.iter().filter_map(Json::as_str).map(str::to_owned)),
        other => return Err(format!("{NODE}.instance_ids is {other}")),
    }
    Ok(ids)
}

#[tokio::test]
async fn import_keeps_user_data_when_written_back() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let subnets: Vec<String> = default_subnets(&ec2)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .take(2)
        .collect();
    let hcl = config(&format!(
        r#"{}
resource "swarm_failover_pair" "mcp" {{
  name          = "mcp"
  subnet_ids    = ["{a}", "{b}"]
  ami           = "ami-785db401"
  instance_type = "t3.small"
  user_data     = "{USER_DATA}"
}}

resource "swarm_node" "agents" {{
  name           = "agents"
  subnet_ids     = ["{a}", "{b}"]
  instance_count = 1
  instance_type  = "t3.small"
  user_data      = "{USER_DATA}"
}}
"#,
        provider(&emulator),
        a = subnets[0],
        b = subnets[1],
    ));
    let only_import = format!(
        "{}\nimport {{\n  to = {PAIR}\n  id = \"mcp\"\n}}\nimport {{\n  to = {NODE}\n  id = \"agents\"\n}}\n",
        config(&provider(&emulator))
    );
    let ids = Memo::<BTreeSet<String>>::default();
    let saved = ids.clone();
    let case = test_case()
        .step(Step::apply(hcl.clone()).check(Check::sync(move |state| {
            let found = instance_ids(state)?;
            if found.len() != 3 {
                return Err(format!("instances {found:?}"));
            }
            saved.set(found)
        })))
        .step(Step::command(
            hcl.clone(),
            &["state", "rm", "-no-color", PAIR, NODE],
        ))
        .step(
            Step::import_generated(only_import)
                // What a user reading the warning does: the user data
                // written back in, for both resources.
                .edit_generated(|generated| {
                    let mut written_back = 0;
                    let lines: Vec<String> = generated
                        .lines()
                        .map(|line| {
                            let words: Vec<&str> = line.split_whitespace().collect();
                            if words == ["user_data", "=", "null", "#", "sensitive"] {
                                written_back += 1;
                                format!("  user_data = \"{USER_DATA}\"")
                            } else {
                                line.to_owned()
                            }
                        })
                        .collect();
                    match written_back {
                        2 => Ok(lines.join("\n")),
                        n => Err(format!("{n} user_data = null # sensitive, not 2")),
                    }
                })
                // The generating plan (of the configuration as written)
                // warns for each, on user_data; the edited one does not.
                .check_output(|out| {
                    for said in [
                        "user_data is being removed, so the pair's nodes will be rolled",
                        "user_data is being removed, so the node's instances will be replaced",
                    ] {
                        match out.matches(said).count() {
                            1 => {}
                            n => return Err(format!("{n} times {said:?}, not once")),
                        }
                    }
                    for said in ["-generate-config-out", "file(\"bootstrap.sh\")"] {
                        if !out.contains(said) {
                            return Err(format!("the warning does not say {said:?}"));
                        }
                    }
                    Ok(())
                })
                .check(sdk_check(&emulator, move |e, state| {
                    let ids = ids.clone();
                    async move {
                        let before = ids.get()?;
                        let imported = instance_ids(&state)?;
                        if imported != before {
                            return Err(format!("instances {before:?} then {imported:?}"));
                        }
                        // Read back through the SDK: the same instances
                        // still run, none replaced.
                        let ec2 = e.ec2().await;
                        let mut live: BTreeSet<String> = pairs::instances(&ec2, "mcp", None)
                            .await?
                            .iter()
                            .filter_map(|i| i.instance_id().map(str::to_owned))
                            .collect();
                        let node = ec2
                            .describe_instances()
                            .filters(acceptance_tests::fixtures::filter(
                                "tag:swarm:node",
                                &["agents"],
                            ))
                            .filters(acceptance_tests::fixtures::filter(
                                "instance-state-name",
                                &pairs::LIVE,
                            ))
                            .send()
                            .await
                            .map_err(acceptance_tests::checks::err)?;
                        live.extend(
                            node.reservations()
                                .iter()
                                .flat_map(|r| r.instances())
                                .filter_map(|i| i.instance_id().map(str::to_owned)),
                        );
                        if live != before {
                            return Err(format!("live instances {live:?}, not {before:?}"));
                        }
                        match state.attr(PAIR, "user_data")? {
                            Json::String(s) if s == USER_DATA => Ok(()),
                            other => Err(format!("the pair's user_data is {other}")),
                        }
                    }
                })),
        );
    run(
        "generated_user_data::import_keeps_user_data_when_written_back",
        case,
    )
    .await;
}
