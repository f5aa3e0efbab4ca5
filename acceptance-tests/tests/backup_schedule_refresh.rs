//! What a refresh of `swarm_backup_schedule` asks AWS, from the
//! emulator's request recorder (`acceptance_tests::recorder`): the
//! requests of a `terraform plan` of an unchanged schedule. Without
//! `restore_testing` no restore-testing request is made; with it, the
//! restore testing plan is read. Either way the plan and its selection
//! are read by id (no listing of every plan of the region, or of the
//! plan's selections) and no request is made twice.
//!
//! The requests are printed (`--nocapture`), which is how
//! `docs/performance.md`'s counts were taken.

use std::sync::Arc;

use acceptance_tests::backup::database_schedule;
use acceptance_tests::checks::ensure;
use acceptance_tests::emulator::Emulator;
use acceptance_tests::recorder::{self, Request};
use acceptance_tests::{run, test_case};
use tfplugin::testing::{BoxFuture, CheckResult, Step};

/// A hook that starts the recorder (before a step).
fn recording(
    emulator: &Arc<Emulator>,
) -> impl Fn() -> BoxFuture<'static, CheckResult> + Send + Sync + use<> {
    let emulator = Arc::clone(emulator);
    move || {
        let emulator = Arc::clone(&emulator);
        Box::pin(async move { recorder::start(&emulator).await })
    }
}

/// A hook that checks the requests recorded since [`recording`]: `what`
/// names them in the printout and in a failure.
fn recorded(
    emulator: &Arc<Emulator>,
    what: &'static str,
    check: fn(&[Request]) -> CheckResult,
) -> impl Fn() -> BoxFuture<'static, CheckResult> + Send + Sync + use<> {
    let emulator = Arc::clone(emulator);
    move || {
        let emulator = Arc::clone(&emulator);
        Box::pin(async move {
            let requests = recorder::requests(&emulator).await?;
            let operations: Vec<String> = requests.iter().map(Request::operation).collect();
            eprintln!(
                "{what}: {} requests\n  {}",
                operations.len(),
                operations.join("\n  ")
            );
            check(&requests).map_err(|e| format!("{what}: {e}; the requests: {operations:#?}"))
        })
    }
}

fn is_restore_testing(r: &Request) -> bool {
    r.path.starts_with("/restore-testing/")
}

/// A GET of `path` (AWS Backup's paths, with or without the trailing `/`).
fn get(r: &Request, path: impl Fn(&str) -> bool) -> bool {
    r.method == "GET" && path(r.path.trim_end_matches('/'))
}

/// No request repeated, and neither the region's plans nor a plan's
/// selections listed: the refresh found them by the ids it keeps.
fn by_id_once(requests: &[Request]) -> CheckResult {
    let mut seen = std::collections::BTreeSet::new();
    for r in requests {
        ensure(
            "each request made once",
            seen.insert(r.operation()),
            &r.operation(),
        )?;
    }
    ensure(
        "no ListBackupPlans (every plan of the region)",
        !requests.iter().any(|r| get(r, |p| p == "/backup/plans")),
        &"",
    )?;
    ensure(
        "no ListBackupSelections",
        !requests.iter().any(|r| {
            get(r, |p| {
                p.starts_with("/backup/plans/") && p.ends_with("/selections")
            })
        }),
        &"",
    )?;
    ensure("some request at all", !requests.is_empty(), &requests.len())
}

fn without_restore_testing(requests: &[Request]) -> CheckResult {
    by_id_once(requests)?;
    ensure(
        "no restore-testing request",
        !requests.iter().any(is_restore_testing),
        &"",
    )
}

fn with_restore_testing(requests: &[Request]) -> CheckResult {
    by_id_once(requests)?;
    ensure(
        "the restore testing plan read",
        requests
            .iter()
            .any(|r| get(r, |p| p == "/restore-testing/plans/swarm_nightly")),
        &"",
    )
}

#[tokio::test]
async fn a_refresh_reads_by_id_and_restore_testing_only_when_there_is_one() {
    let emulator = Arc::new(Emulator::start());
    let plain = database_schedule(&emulator, "");
    let full = database_schedule(
        &emulator,
        "  copy_to_region = \"us-west-2\"\n  restore_testing {\n    schedule = \"0 6 * * 0\"\n  }",
    );
    let case = test_case()
        .step(Step::apply(plain.clone()))
        .step(Step::plan(plain.clone()).before(recording(&emulator)))
        .step(Step::apply(full.clone()).before(recorded(
            &emulator,
            "refresh without copy_to_region and restore_testing",
            without_restore_testing,
        )))
        .step(Step::plan(full.clone()).before(recording(&emulator)))
        .step(Step::plan(full).before(recorded(
            &emulator,
            "refresh with copy_to_region and restore_testing",
            with_restore_testing,
        )));
    run(
        "backup_schedule_refresh::a_refresh_reads_by_id_and_restore_testing_only_when_there_is_one",
        case,
    )
    .await;
}
