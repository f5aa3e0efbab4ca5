//! `swarm_availability_zones` lists what EC2 says is usable, in name order.

use std::sync::Arc;

use acceptance_tests::checks::{err, sdk_check};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, test_case};
use swarm_provider::SwarmProvider;
use tfplugin::testing::{Check, Step};

#[tokio::test]
async fn lists_the_regions_available_zones() {
    let emulator = Arc::new(Emulator::start());
    let hcl = config(&format!(
        "{}\ndata \"swarm_availability_zones\" \"all\" {{}}\n",
        emulator.provider_block("")
    ));
    test_case()
        .step(
            Step::apply(hcl)
                .check(Check::attr_equals(
                    "data.swarm_availability_zones.all",
                    "id",
                    "us-east-1",
                ))
                .check(sdk_check(&emulator, |e, state| async move {
                    let listed = state.attr("data.swarm_availability_zones.all", "names")?;
                    let ids = state.attr("data.swarm_availability_zones.all", "zone_ids")?;
                    let out = e
                        .ec2()
                        .await
                        .describe_availability_zones()
                        .send()
                        .await
                        .map_err(err)?;
                    let mut zones: Vec<(String, String)> = out
                        .availability_zones()
                        .iter()
                        .filter(|z| z.state().is_none_or(|s| s.as_str() == "available"))
                        .map(|z| {
                            (
                                z.zone_name().unwrap_or_default().to_owned(),
                                z.zone_id().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect();
                    zones.sort();
                    let names: Vec<&str> = zones.iter().map(|z| z.0.as_str()).collect();
                    let zone_ids: Vec<&str> = zones.iter().map(|z| z.1.as_str()).collect();
                    if names.len() < 2 {
                        return Err(format!("EC2 lists too few zones to compare: {names:?}"));
                    }
                    if *listed != serde_json::json!(names) {
                        return Err(format!("names {listed}, EC2 says {names:?}"));
                    }
                    if *ids != serde_json::json!(zone_ids) {
                        return Err(format!("zone_ids {ids}, EC2 says {zone_ids:?}"));
                    }
                    Ok(())
                })),
        )
        .run(SwarmProvider::new())
        .await
        .expect("the availability zones test failed");
}
