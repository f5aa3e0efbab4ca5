//! `swarm_backup_schedule`'s role policies as drift: a managed policy of
//! the provider's detached out of band shows in the plan, as an update in
//! place of `role_policy_arns`, and the next apply attaches it again; a
//! policy someone else attached to the role is theirs, left alone by plan
//! and apply (and detached only to delete the role on destroy).

use std::sync::Arc;

use acceptance_tests::backup::{
    BACKUP_POLICIES, ROLE, SCHEDULE, attached_policies, database_schedule,
};
use acceptance_tests::checks::{drifted, out_of_band, same, sdk_check, sent, updated_in_place};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::{run, test_case};
use serde_json::json;
use tfplugin::testing::{Check, Step};

/// A policy a platform team may add to the role on purpose.
const EXTRA: &str = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForItemRestores";

#[tokio::test]
async fn a_detached_policy_is_drift_and_an_added_one_is_not() {
    let emulator = Arc::new(Emulator::start());
    let hcl = database_schedule(&emulator, "");
    let ours: Vec<String> = BACKUP_POLICIES.iter().map(|p| (*p).to_owned()).collect();
    let mut with_extra = ours.clone();
    with_extra.push(EXTRA.to_owned());
    with_extra.sort();
    let (attached_at_first, attached_after) = (ours.clone(), with_extra.clone());
    let case = test_case()
        .step(
            Step::apply(hcl.clone())
                .check(Check::attr_equals(
                    SCHEDULE,
                    "role_policy_arns",
                    json!(ours),
                ))
                .check(sdk_check(&emulator, move |e, _| {
                    let want = attached_at_first.clone();
                    async move {
                        same(
                            "the role's policies",
                            attached_policies(&e, ROLE).await?,
                            want,
                        )
                    }
                })),
        )
        // Someone else's policy on the role: not the schedule's, no change.
        .step(
            Step::plan(hcl.clone()).before(out_of_band(&emulator, |e| async move {
                sent(
                    e.iam()
                        .await
                        .attach_role_policy()
                        .role_name(ROLE)
                        .policy_arn(EXTRA)
                        .send()
                        .await,
                )
            })),
        )
        // One of the schedule's policies detached: drift, repaired.
        .step(
            drifted(&emulator, &hcl, |e| async move {
                sent(
                    e.iam()
                        .await
                        .detach_role_policy()
                        .role_name(ROLE)
                        .policy_arn(BACKUP_POLICIES[1])
                        .send()
                        .await,
                )
            })
            .check_output(updated_in_place)
            .check_output(|out| {
                if out.contains("role_policy_arns") && out.contains(BACKUP_POLICIES[1]) {
                    Ok(())
                } else {
                    Err("the plan does not show the detached policy in role_policy_arns".into())
                }
            }),
        )
        .step(
            Step::apply(hcl)
                .check(Check::attr_equals(
                    SCHEDULE,
                    "role_policy_arns",
                    json!(BACKUP_POLICIES),
                ))
                .check(sdk_check(&emulator, move |e, _| {
                    let want = attached_after.clone();
                    async move {
                        same(
                            "the role's policies, ours attached again and the extra kept",
                            attached_policies(&e, ROLE).await?,
                            want,
                        )
                    }
                })),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            same(
                "the role after destroy",
                e.iam()
                    .await
                    .get_role()
                    .role_name(ROLE)
                    .send()
                    .await
                    .is_ok(),
                false,
            )
        }));
    run(
        "backup_schedule_drift::a_detached_policy_is_drift_and_an_added_one_is_not",
        case,
    )
    .await;
}
