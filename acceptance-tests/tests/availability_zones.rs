//! `swarm_availability_zones` lists what EC2 says is usable, in name order.

use std::sync::Arc;

use acceptance_tests::checks::{sdk_check, usable_zones};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, run, test_case};
use tfplugin::testing::{Check, Step};

const ZONES: &str = "data.swarm_availability_zones.all";

#[tokio::test]
async fn lists_the_regions_available_zones() {
    let emulator = Arc::new(Emulator::start());
    let hcl = config(&format!(
        "{}\ndata \"swarm_availability_zones\" \"all\" {{}}\n",
        emulator.provider_block("")
    ));
    let case = test_case().step(
        Step::apply(hcl)
            .check(Check::attr_equals(ZONES, "id", "us-east-1"))
            .check(sdk_check(&emulator, |e, state| async move {
                let listed = state.attr(ZONES, "names")?;
                let ids = state.attr(ZONES, "zone_ids")?;
                let zones = usable_zones(&e).await?;
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
    );
    run(
        "availability_zones::lists_the_regions_available_zones",
        case,
    )
    .await;
}
