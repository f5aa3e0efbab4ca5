//! Acceptance testing: the Rust counterpart of terraform-plugin-testing.
//!
//! A [`TestCase`] serves the provider in-process (reattach mode) and drives
//! the real `terraform` CLI through [`Step`]s in a temporary working
//! directory: each apply step is followed by checks on the state and by a
//! plan that must be empty; the case ends with `terraform destroy` (also
//! when a step fails) and the destroy checks.
//!
//! Steps may run in named Terraform workspaces ([`Step::in_workspace`]):
//! several states of one configuration directory, as two stacks that share
//! an account. The final destroy then runs in every workspace that applied.
//!
//! The binary is `terraform` on `PATH`, or `TF_ACC_TERRAFORM_PATH`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::time::Instant;

use serde_json::Value as Json;

use crate::provider::Provider;
use crate::serve::Reattach;

/// A check's result: `Err` explains what was wrong.
pub type CheckResult = Result<(), String>;

/// A boxed future, as checks and `before` hooks return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The function behind a [`Check`].
type CheckFn = dyn for<'a> Fn(&'a State) -> BoxFuture<'a, CheckResult> + Send + Sync;

/// A check on the state after a step (or after destroy).
pub struct Check(Box<CheckFn>);

impl Check {
    /// A check from an async function of the state.
    pub fn new<F>(f: F) -> Self
    where
        F: for<'a> Fn(&'a State) -> BoxFuture<'a, CheckResult> + Send + Sync + 'static,
    {
        Self(Box::new(f))
    }

    /// A check from a plain function of the state.
    pub fn sync<F>(f: F) -> Self
    where
        F: Fn(&State) -> CheckResult + Send + Sync + 'static,
    {
        Self(Box::new(move |state| {
            let result = f(state);
            Box::pin(async move { result })
        }))
    }

    /// The resource's attribute equals `expected` (compared as JSON).
    pub fn attr_equals(address: &str, attribute: &str, expected: impl Into<Json>) -> Self {
        let (address, attribute, expected) =
            (address.to_owned(), attribute.to_owned(), expected.into());
        Self::sync(move |state| {
            let actual = state.attr(&address, &attribute)?;
            if *actual == expected {
                Ok(())
            } else {
                Err(format!(
                    "{address}.{attribute} is {actual}, expected {expected}"
                ))
            }
        })
    }

    /// The resource's attribute is set (not null).
    pub fn attr_set(address: &str, attribute: &str) -> Self {
        let (address, attribute) = (address.to_owned(), attribute.to_owned());
        Self::sync(move |state| match state.attr(&address, &attribute)? {
            Json::Null => Err(format!("{address}.{attribute} is null")),
            _ => Ok(()),
        })
    }

    async fn run(&self, state: &State) -> CheckResult {
        (self.0)(state).await
    }
}

/// Terraform's state, as `terraform show -json` prints it.
#[derive(Debug, Clone)]
pub struct State {
    /// The whole JSON document.
    pub json: Json,
}

impl State {
    /// All resources of the root module and its children, with their addresses.
    pub fn resources(&self) -> Vec<&Json> {
        fn walk<'a>(module: &'a Json, out: &mut Vec<&'a Json>) {
            if let Some(resources) = module.get("resources").and_then(Json::as_array) {
                out.extend(resources);
            }
            if let Some(children) = module.get("child_modules").and_then(Json::as_array) {
                children.iter().for_each(|c| walk(c, out));
            }
        }
        let mut out = Vec::new();
        if let Some(root) = self.json.pointer("/values/root_module") {
            walk(root, &mut out);
        }
        out
    }

    /// The attribute values of the resource at `address` (e.g. `swarm_node.agents`).
    pub fn values(&self, address: &str) -> Result<&Json, String> {
        self.resources()
            .into_iter()
            .find(|r| r.get("address").and_then(Json::as_str) == Some(address))
            .and_then(|r| r.get("values"))
            .ok_or_else(|| format!("no resource {address} in the state"))
    }

    /// One attribute of the resource at `address`.
    pub fn attr(&self, address: &str, attribute: &str) -> Result<&Json, String> {
        self.values(address)?
            .get(attribute)
            .ok_or_else(|| format!("{address} has no attribute {attribute}"))
    }

    /// A root module output's value.
    pub fn output(&self, name: &str) -> Result<&Json, String> {
        self.json
            .pointer(&format!("/values/outputs/{name}/value"))
            .ok_or_else(|| format!("no output {name}"))
    }
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// `terraform apply`, then the checks, then a plan that must be empty.
    Apply,
    /// `terraform plan` only; see [`Step::expect_changes`].
    Plan,
    /// `terraform validate` only.
    Validate,
    /// In a fresh working directory with the step's config:
    /// `terraform import ADDRESS ID`, then a plan that must be empty.
    Import {
        /// The resource address to import into, e.g. `swarm_node.agents`.
        address: String,
        /// The provider's ID of the existing object.
        id: String,
    },
    /// In a fresh working directory: `terraform apply` of a config with
    /// `import {}` blocks, then a plan that must be empty. Nothing is
    /// destroyed from that directory.
    ImportBlock,
    /// `terraform ARGS` in the working directory (of the step's
    /// workspace), e.g. `state rm` to forget a resource as a killed run
    /// would.
    Command(Vec<String>),
    /// In a fresh working directory, a config with `import {}` blocks and
    /// no resource blocks: `terraform plan -generate-config-out`, the
    /// user's edit of the generated configuration if any
    /// ([`Step::edit_generated`]), then a plan of it that must replace
    /// and delete nothing (and change nothing unless
    /// [`Step::expect_changes`]), its apply, the checks and a plan that
    /// must be empty. The step's output is the three commands' (the
    /// generating plan's shows what the configuration as written would
    /// do). What is imported was made outside Terraform, so this
    /// directory's state owns it: it is destroyed when the test ends.
    GeneratedImport,
}

/// One step of a test case.
pub struct Step {
    /// The Terraform configuration of the step, written to `main.tf`.
    pub config: String,
    /// What the step runs.
    pub kind: StepKind,
    /// The step must fail, with output matching this text.
    pub expect_error: Option<String>,
    /// For [`StepKind::Plan`]: whether the plan must show changes.
    pub expect_changes: bool,
    /// Checks on the state after an apply or import step.
    pub checks: Vec<Check>,
    /// Runs before the step: e.g. changes made out of band, to test drift.
    pub before: Option<Hook>,
    /// For [`StepKind::Apply`]: runs between the plan and the apply, which
    /// then applies the saved plan; see [`Step::after_plan`].
    pub after_plan: Option<Hook>,
    /// The Terraform workspace the step runs in (`None`: `default`).
    pub workspace: Option<String>,
    /// Checks on the step's output (stdout and stderr, also of a step
    /// that failed as expected): e.g. a warning it must print.
    pub output_checks: Vec<OutputCheck>,
    /// For [`StepKind::GeneratedImport`]: what the user changes in the
    /// generated configuration before planning it; see
    /// [`Step::edit_generated`].
    pub edit_generated: Option<Edit>,
}

/// An edit of a configuration's text.
pub type Edit = Box<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// A check on a step's output.
pub type OutputCheck = Box<dyn Fn(&str) -> CheckResult + Send + Sync>;

/// A test's own action between Terraform commands.
pub type Hook = Box<dyn Fn() -> BoxFuture<'static, CheckResult> + Send + Sync>;

impl Step {
    /// An apply step: `terraform apply`, the checks, then a plan that must be
    /// empty.
    pub fn apply(config: impl Into<String>) -> Self {
        Self::new(config, StepKind::Apply)
    }

    /// A plan-only step: `terraform plan`, which must show no changes unless
    /// [`expect_changes`](Self::expect_changes()) is set.
    pub fn plan(config: impl Into<String>) -> Self {
        Self::new(config, StepKind::Plan)
    }

    /// A `terraform validate` step.
    pub fn validate(config: impl Into<String>) -> Self {
        Self::new(config, StepKind::Validate)
    }

    /// An import step: `terraform import ADDRESS ID` in a fresh working
    /// directory with `config`, then the checks and a plan that must be empty.
    pub fn import(
        config: impl Into<String>,
        address: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self::new(
            config,
            StepKind::Import {
                address: address.into(),
                id: id.into(),
            },
        )
    }

    /// Applies a config with `import {}` blocks in a fresh state.
    pub fn import_block(config: impl Into<String>) -> Self {
        Self::new(config, StepKind::ImportBlock)
    }

    /// Imports with a configuration Terraform writes itself
    /// (`-generate-config-out`) and applies it; see
    /// [`StepKind::GeneratedImport`].
    pub fn import_generated(config: impl Into<String>) -> Self {
        Self::new(config, StepKind::GeneratedImport)
    }

    /// A step running `terraform ARGS` (with `config` as `main.tf`).
    pub fn command(config: impl Into<String>, args: &[&str]) -> Self {
        Self::new(
            config,
            StepKind::Command(args.iter().map(|a| (*a).to_owned()).collect()),
        )
    }

    fn new(config: impl Into<String>, kind: StepKind) -> Self {
        Self {
            config: config.into(),
            kind,
            expect_error: None,
            expect_changes: false,
            checks: Vec::new(),
            before: None,
            after_plan: None,
            workspace: None,
            output_checks: Vec::new(),
            edit_generated: None,
        }
    }

    /// Runs the step in the Terraform workspace `name` (made if new): its
    /// own state beside the other workspaces'. Import steps, which run in
    /// a fresh directory, ignore it.
    #[must_use]
    pub fn in_workspace(mut self, name: impl Into<String>) -> Self {
        self.workspace = Some(name.into());
        self
    }

    /// Adds a check on the step's output (stdout and stderr).
    #[must_use]
    pub fn check_output<F>(mut self, f: F) -> Self
    where
        F: Fn(&str) -> CheckResult + Send + Sync + 'static,
    {
        self.output_checks.push(Box::new(f));
        self
    }

    /// Runs `f` before the step (e.g. to change or delete an object out of
    /// band, so that the step sees drift).
    #[must_use]
    pub fn before<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        self.before = Some(Box::new(move || Box::pin(f())));
        self
    }

    /// Makes an apply step two commands, `terraform plan -out` and
    /// `terraform apply` of the saved plan, and runs `f` in between: for
    /// what changes while a plan waits for approval (the provider must
    /// check again at apply time).
    #[must_use]
    pub fn after_plan<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CheckResult> + Send + 'static,
    {
        self.after_plan = Some(Box::new(move || Box::pin(f())));
        self
    }

    /// The step must fail with output containing `text` (whitespace
    /// differences ignored, as Terraform wraps long lines).
    #[must_use]
    pub fn expect_error(mut self, text: impl Into<String>) -> Self {
        self.expect_error = Some(text.into());
        self
    }

    /// For a plan step: the plan must show changes (by default it must show
    /// none). For a generated import: the plan may update in place.
    #[must_use]
    pub fn expect_changes(mut self) -> Self {
        self.expect_changes = true;
        self
    }

    /// For a generated import: changes the generated configuration as a
    /// user would before planning it (e.g. writes back a sensitive value,
    /// which Terraform writes as null). `f` gets `generated.tf` and
    /// returns its new text, or why it cannot (what it meant to change is
    /// not there).
    #[must_use]
    pub fn edit_generated<F>(mut self, f: F) -> Self
    where
        F: Fn(&str) -> Result<String, String> + Send + Sync + 'static,
    {
        self.edit_generated = Some(Box::new(f));
        self
    }

    /// Adds a check on the state after the step.
    #[must_use]
    pub fn check(mut self, check: Check) -> Self {
        self.checks.push(check);
        self
    }
}

/// An acceptance test: steps against one provider instance and one state.
pub struct TestCase {
    address: String,
    steps: Vec<Step>,
    env: Vec<(String, String)>,
    destroy_checks: Vec<Check>,
}

/// Why a test case failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TestFailure(pub String);

impl TestCase {
    /// A test of the provider whose source address is `address`
    /// (e.g. `registry.terraform.io/agentswarm/swarm`).
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            steps: Vec::new(),
            env: Vec::new(),
            destroy_checks: Vec::new(),
        }
    }

    /// Adds a step; steps run in the order added.
    #[must_use]
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// An environment variable for every terraform command. The provider
    /// itself runs in the test process and does not see it.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// A check run after the final destroy (e.g. that nothing is left).
    #[must_use]
    pub fn check_destroy(mut self, check: Check) -> Self {
        self.destroy_checks.push(check);
        self
    }

    /// Runs the steps, then destroys whatever was applied.
    pub async fn run<P: Provider>(self, provider: P) -> Result<(), TestFailure> {
        let fail = |m: String| TestFailure(m);
        let server = Reattach::start(provider, &self.address)
            .await
            .map_err(|e| fail(format!("cannot start the provider: {e}")))?;
        let dir = tempfile::Builder::new()
            .prefix("tfplugin-test")
            .tempdir()
            .map_err(|e| fail(format!("cannot create a working directory: {e}")))?;
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(&cli_config, "disable_checkpoint = true\n")
            .map_err(|e| fail(format!("cannot write the CLI config: {e}")))?;
        let mut env = vec![
            ("TF_REATTACH_PROVIDERS".to_owned(), server.config_json()),
            (
                "TF_CLI_CONFIG_FILE".to_owned(),
                cli_config.display().to_string(),
            ),
            ("CHECKPOINT_DISABLE".to_owned(), "1".to_owned()),
            ("TF_IN_AUTOMATION".to_owned(), "1".to_owned()),
            ("TF_INPUT".to_owned(), "0".to_owned()),
        ];
        env.extend(self.env.iter().cloned());
        let cli = Cli { env };

        let main_dir = dir.path().join("main");
        let mut applied = Applied::default();
        let mut outcome = Ok(());
        for (i, step) in self.steps.iter().enumerate() {
            let started = Instant::now();
            let result = run_step(&cli, &main_dir, dir.path(), i, step, &mut applied).await;
            tracing::info!(
                step = i + 1,
                elapsed_ms = started.elapsed().as_millis() as u64,
                ok = result.is_ok(),
                "step done"
            );
            if let Err(message) = result {
                outcome = Err(fail(format!("step {}: {message}", i + 1)));
                break;
            }
        }

        if !applied.is_empty() {
            // Destroy what generated imports took, then each workspace with
            // the last configuration it applied; on failure this is the
            // clean-up, and its error is reported too.
            let mut destroy = Ok(());
            for import_dir in applied.imports.iter().rev() {
                let args = ["destroy", "-auto-approve", "-input=false", "-no-color"];
                if let Err(e) = cli.run(import_dir, &args).await {
                    destroy = Err(format!("in {}: {e}", import_dir.display()));
                }
            }
            for (workspace, config) in &applied.workspaces {
                let result = async {
                    std::fs::write(main_dir.join("main.tf"), config)
                        .map_err(|e| format!("cannot write main.tf: {e}"))?;
                    select_workspace(&cli, &main_dir, workspace).await?;
                    cli.run(
                        &main_dir,
                        &["destroy", "-auto-approve", "-input=false", "-no-color"],
                    )
                    .await
                    .map(drop)
                }
                .await;
                if let Err(e) = result {
                    destroy = Err(format!("in workspace {workspace}: {e}"));
                }
            }
            match (destroy, &outcome) {
                (Err(e), Ok(())) => outcome = Err(fail(format!("destroy: {e}"))),
                (Err(e), Err(first)) => {
                    outcome = Err(fail(format!("{first}\n(and destroy failed too: {e})")))
                }
                (Ok(_), Ok(())) => {
                    let shown = match applied.imports.first() {
                        Some(import_dir) if applied.workspaces.is_empty() => import_dir,
                        _ => &main_dir,
                    };
                    let state = show(&cli, shown).await.map_err(fail)?;
                    for check in &self.destroy_checks {
                        if let Err(e) = check.run(&state).await {
                            outcome = Err(fail(format!("after destroy: {e}")));
                            break;
                        }
                    }
                }
                (Ok(_), Err(_)) => {}
            }
        }
        let _ = server.shutdown().await;
        outcome
    }
}

/// What the steps applied, destroyed when the test ends.
#[derive(Default)]
struct Applied {
    /// The main directory's workspaces that applied, each with the last
    /// configuration a step gave it, in the order they first applied.
    workspaces: Vec<(String, String)>,
    /// The directories of generated imports, which own what they took.
    imports: Vec<PathBuf>,
}

impl Applied {
    fn is_empty(&self) -> bool {
        self.workspaces.is_empty() && self.imports.is_empty()
    }
}

/// Makes `name` the directory's workspace (creating it if new). Nothing
/// to do for `default` in a directory that never left it (Terraform
/// records another workspace in `.terraform/environment`): a test without
/// workspaces runs no more commands.
async fn select_workspace(cli: &Cli, dir: &Path, name: &str) -> CheckResult {
    if name == "default" && !dir.join(".terraform").join("environment").exists() {
        return Ok(());
    }
    cli.run(
        dir,
        &["workspace", "select", "-or-create", "-no-color", name],
    )
    .await
    .map(drop)
}

async fn run_step(
    cli: &Cli,
    main_dir: &Path,
    root: &Path,
    index: usize,
    step: &Step,
    applied: &mut Applied,
) -> CheckResult {
    let work_dir = match step.kind {
        StepKind::Import { .. } | StepKind::ImportBlock | StepKind::GeneratedImport => {
            root.join(format!("import-{index}"))
        }
        _ => main_dir.to_path_buf(),
    };
    if let Some(before) = &step.before {
        before()
            .await
            .map_err(|e| format!("before the step: {e}"))?;
    }
    std::fs::create_dir_all(&work_dir)
        .map_err(|e| format!("cannot create {}: {e}", work_dir.display()))?;
    std::fs::write(work_dir.join("main.tf"), &step.config)
        .map_err(|e| format!("cannot write main.tf: {e}"))?;
    let mut init = cli
        .run(&work_dir, &["init", "-input=false", "-no-color"])
        .await;
    let in_main = work_dir == main_dir;
    let workspace = step.workspace.as_deref().unwrap_or("default");
    if init.is_ok() && in_main {
        // Every step selects its workspace: Terraform remembers the last.
        if let Err(e) = select_workspace(cli, &work_dir, workspace).await {
            init = Err(e);
        }
    }
    if in_main {
        // A workspace is destroyed with the last configuration any step
        // gave it: a test ends on a configuration that plans (a failed
        // apply's may not, and a destroy plans first).
        if let Some((_, config)) = applied.workspaces.iter_mut().find(|(w, _)| w == workspace) {
            config.clone_from(&step.config);
        }
    }

    let result: Result<Output, String> = match (&step.kind, init) {
        (_, Err(e)) => Err(e),
        (StepKind::Validate, Ok(_)) => cli.run(&work_dir, &["validate", "-no-color"]).await,
        (StepKind::Plan, Ok(_)) => cli.plan(&work_dir).await.and_then(|(changes, out)| {
            match (changes, step.expect_changes) {
                (true, false) => Err(format!(
                    "the plan shows changes, none expected:\n{}",
                    out.stdout
                )),
                (false, true) => Err(format!(
                    "the plan shows no changes, some expected:\n{}",
                    out.stdout
                )),
                _ => Ok(out),
            }
        }),
        (StepKind::Apply, Ok(_)) => {
            let out = match &step.after_plan {
                None => {
                    cli.run(
                        &work_dir,
                        &["apply", "-auto-approve", "-input=false", "-no-color"],
                    )
                    .await
                }
                Some(after_plan) => {
                    let plan = ["plan", "-input=false", "-no-color", "-out=step.tfplan"];
                    match cli.run(&work_dir, &plan).await {
                        Ok(_) => {
                            after_plan()
                                .await
                                .map_err(|e| format!("after the plan: {e}"))?;
                            let apply = ["apply", "-input=false", "-no-color", "step.tfplan"];
                            cli.run(&work_dir, &apply).await
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            // Even a failed apply may have created something: destroy at the end.
            match applied.workspaces.iter_mut().find(|(w, _)| w == workspace) {
                Some((_, config)) => config.clone_from(&step.config),
                None => applied
                    .workspaces
                    .push((workspace.to_owned(), step.config.clone())),
            }
            out
        }
        (StepKind::ImportBlock, Ok(_)) => {
            cli.run(
                &work_dir,
                &["apply", "-auto-approve", "-input=false", "-no-color"],
            )
            .await
        }
        (StepKind::Import { address, id }, Ok(_)) => {
            cli.run(
                &work_dir,
                &["import", "-input=false", "-no-color", address, id],
            )
            .await
        }
        (StepKind::GeneratedImport, Ok(_)) => {
            generated_import(
                cli,
                &work_dir,
                step.expect_changes,
                step.edit_generated.as_ref(),
                &mut applied.imports,
            )
            .await
        }
        (StepKind::Command(args), Ok(_)) => {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli.run(&work_dir, &args).await
        }
    };
    let output = match &result {
        Ok(out) => format!("{}\n{}", out.stdout, out.stderr),
        Err(message) => message.clone(),
    };
    for check in &step.output_checks {
        check(&output).map_err(|e| format!("{e}; the output was:\n{output}"))?;
    }

    match (&step.expect_error, result) {
        (Some(pattern), Ok(out)) => {
            return Err(format!(
                "expected an error matching {pattern:?}, but the step succeeded:\n{}",
                out.stdout
            ));
        }
        (Some(pattern), Err(message)) => {
            return if normalized(&message).contains(&normalized(pattern)) {
                Ok(())
            } else {
                Err(format!(
                    "expected an error matching {pattern:?}, got:\n{message}"
                ))
            };
        }
        (None, Err(message)) => return Err(message),
        (None, Ok(_)) => {}
    }

    if matches!(
        step.kind,
        StepKind::Apply
            | StepKind::Import { .. }
            | StepKind::ImportBlock
            | StepKind::GeneratedImport
    ) {
        let state = show(cli, &work_dir).await?;
        for check in &step.checks {
            check.run(&state).await?;
        }
        let (changes, out) = cli.plan(&work_dir).await?;
        if changes {
            return Err(format!(
                "after this step the plan is not empty:\n{}",
                out.stdout
            ));
        }
    }
    Ok(())
}

/// A [`StepKind::GeneratedImport`]: generate the configuration, edit it
/// (`edit`), plan it, check what the plan would do, and apply that plan;
/// the output is the generating plan's, the plan's and the apply's.
async fn generated_import(
    cli: &Cli,
    dir: &Path,
    may_update: bool,
    edit: Option<&Edit>,
    imports: &mut Vec<PathBuf>,
) -> Result<Output, String> {
    let generate = [
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ];
    let generating = cli.run(dir, &generate).await?;
    if let Some(edit) = edit {
        let path = dir.join("generated.tf");
        let edited = edit(&generated(dir))
            .map_err(|e| format!("cannot edit generated.tf: {e}\n{}", generated(dir)))?;
        std::fs::write(&path, edited).map_err(|e| format!("cannot write generated.tf: {e}"))?;
    }
    let plan = ["plan", "-input=false", "-no-color", "-out=step.tfplan"];
    let planned = cli.run(dir, &plan).await?;
    let shown = cli
        .run(dir, &["show", "-json", "-no-color", "step.tfplan"])
        .await?;
    let json: Json = serde_json::from_str(&shown.stdout)
        .map_err(|e| format!("terraform show -json printed no JSON: {e}"))?;
    let changes = json
        .get("resource_changes")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for change in changes {
        let address = change.get("address").and_then(Json::as_str).unwrap_or("?");
        let actions: Vec<&str> = change
            .pointer("/change/actions")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let allowed = match actions.as_slice() {
            ["no-op"] | ["read"] => true,
            ["update"] => may_update,
            _ => false,
        };
        if !allowed {
            return Err(format!(
                "the plan of the generated configuration would {} {address}:\n{}\n\
                 generated.tf:\n{}",
                actions.join(" and "),
                planned.stdout,
                generated(dir)
            ));
        }
    }
    // From here the state may hold what was imported.
    imports.push(dir.to_path_buf());
    let applied = cli
        .run(dir, &["apply", "-input=false", "-no-color", "step.tfplan"])
        .await
        .map_err(|e| format!("{e}\ngenerated.tf:\n{}", generated(dir)))?;
    Ok(Output {
        stdout: [&generating.stdout, &planned.stdout, &applied.stdout]
            .map(String::as_str)
            .join("\n"),
        stderr: [&generating.stderr, &planned.stderr, &applied.stderr]
            .map(String::as_str)
            .join("\n"),
    })
}

/// The configuration `-generate-config-out` wrote, for messages.
fn generated(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("generated.tf"))
        .unwrap_or_else(|e| format!("(cannot read it: {e})"))
}

/// Text with runs of whitespace folded, for matching wrapped output.
fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn show(cli: &Cli, dir: &Path) -> Result<State, String> {
    let out = cli.run(dir, &["show", "-json", "-no-color"]).await?;
    let json = serde_json::from_str(&out.stdout)
        .map_err(|e| format!("terraform show -json printed no JSON: {e}"))?;
    Ok(State { json })
}

struct Output {
    stdout: String,
    stderr: String,
}

struct Cli {
    env: Vec<(String, String)>,
}

impl Cli {
    fn binary() -> PathBuf {
        std::env::var_os("TF_ACC_TERRAFORM_PATH")
            .map_or_else(|| PathBuf::from("terraform"), PathBuf::from)
    }

    /// Runs terraform; `Err` carries the command and its output when it fails.
    async fn run(&self, dir: &Path, args: &[&str]) -> Result<Output, String> {
        let (status, stdout, stderr) = self.exec(dir, args).await?;
        if status == Some(0) {
            Ok(Output { stdout, stderr })
        } else {
            Err(format!(
                "terraform {} failed ({status:?}):\n{stdout}\n{stderr}",
                args.join(" ")
            ))
        }
    }

    /// `terraform plan -detailed-exitcode`: whether it shows changes.
    async fn plan(&self, dir: &Path) -> Result<(bool, Output), String> {
        let args = ["plan", "-input=false", "-no-color", "-detailed-exitcode"];
        let (status, stdout, stderr) = self.exec(dir, &args).await?;
        match status {
            Some(0) => Ok((false, Output { stdout, stderr })),
            Some(2) => Ok((true, Output { stdout, stderr })),
            _ => Err(format!(
                "terraform plan failed ({status:?}):\n{stdout}\n{stderr}"
            )),
        }
    }

    async fn exec(
        &self,
        dir: &Path,
        args: &[&str],
    ) -> Result<(Option<i32>, String, String), String> {
        let mut command = tokio::process::Command::new(Self::binary());
        command
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let output = command.output().await.map_err(|e| {
            format!(
                "cannot run {} (is terraform installed and on PATH?): {e}",
                Self::binary().display()
            )
        })?;
        Ok((
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    }
}
