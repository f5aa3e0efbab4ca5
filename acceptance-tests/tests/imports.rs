//! Imports that apply: for each resource, objects made outside Terraform
//! (through the SDK) are imported with an `import {}` block and a
//! configuration Terraform writes itself (`terraform plan
//! -generate-config-out`); that configuration's plan imports them and
//! changes nothing or changes them in place (never a replacement: an
//! imported object may hold data), its apply succeeds, the plan after it
//! is empty, and the objects read back through the SDK are the same ones.

use std::sync::Arc;

use acceptance_tests::checks::{err, same, sdk_check};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, run, test_case};
use tfplugin::testing::Step;

/// A configuration with only the provider and an `import {}` block.
fn import_only(emulator: &Emulator, address: &str, id: &str) -> String {
    config(&format!(
        "{}\nimport {{\n  to = {address}\n  id = \"{id}\"\n}}\n",
        emulator.provider_block("  environment = \"staging\"\n")
    ))
}

/// A bucket made by hand (no lifecycle, no tags, no `swarm:purpose`):
/// the generated configuration applies, hardening it in place.
#[tokio::test]
async fn bucket_made_by_hand() {
    let emulator = Arc::new(Emulator::start());
    let name = "made-by-hand-imports";
    let s3 = emulator.s3().await;
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the bucket: {}", err(e)));
    let address = "swarm_bucket.found";
    let step = Step::import_generated(import_only(&emulator, address, name))
        .expect_changes()
        .check(sdk_check(&emulator, move |e, state| async move {
            same(
                "the imported bucket",
                state
                    .attr(address, "id")?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                name.to_owned(),
            )?;
            let s3 = e.s3().await;
            let block = s3
                .get_public_access_block()
                .bucket(name)
                .send()
                .await
                .map_err(err)?;
            let blocked = block
                .public_access_block_configuration()
                .and_then(|c| c.block_public_acls());
            same("the public access block", blocked, Some(true))
        }));
    run("imports::bucket_made_by_hand", test_case().step(step)).await;
}
