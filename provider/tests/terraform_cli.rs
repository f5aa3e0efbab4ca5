//! The provider binary as users get it: installed into a filesystem mirror
//! by `scripts/install`, found by `terraform init` offline, started by
//! Terraform through the go-plugin handshake with AutoMTLS.

use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-swarm");

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(&self, what: &str) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "{what} failed:\n{}\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A terraform working directory using a mirror made by scripts/install.
struct Workspace {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cli_config: String,
}

impl Workspace {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let mirror = tmp.path().join("mirror");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = Command::new(repo.join("scripts/install"))
            .env("SWARM_PROVIDER_BINARY", BINARY)
            .env("SWARM_MIRROR", &mirror)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "scripts/install failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cli_config = stdout
            .lines()
            .find_map(|l| l.strip_prefix("export TF_CLI_CONFIG_FILE="))
            .expect("scripts/install prints the export line")
            .to_owned();
        let dir = tmp.path().join("work");
        std::fs::create_dir(&dir).unwrap();
        Self {
            _tmp: tmp,
            dir,
            cli_config,
        }
    }

    fn write(&self, provider_block: &str) {
        let config = format!(
            "terraform {{\n  required_providers {{\n    swarm = {{ source = \"agentswarm/swarm\" }}\n  }}\n}}\n\n{provider_block}\n"
        );
        std::fs::write(self.dir.join("main.tf"), config).unwrap();
    }

    fn terraform(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new("terraform");
        command
            .args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("AWS_PROFILE");
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().expect("terraform is on PATH");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

const GOOD: &str = r#"
provider "swarm" {
  region      = "us-east-1"
  endpoint    = "http://127.0.0.1:1"
  access_key  = "test"
  secret_key  = "test"
  environment = "development"
}
"#;

#[test]
fn init_validate_plan_and_schema_from_the_mirror() {
    let ws = Workspace::new();
    ws.write(GOOD);
    let init = ws.terraform(&["init", "-input=false", "-no-color"], &[]);
    init.ok("terraform init");
    assert!(
        init.stdout.contains("Installed agentswarm/swarm"),
        "{}",
        init.stdout
    );
    ws.terraform(&["validate", "-no-color"], &[])
        .ok("terraform validate");
    let plan = ws.terraform(
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
        &[],
    );
    plan.ok("terraform plan");
    assert!(plan.stdout.contains("No changes"), "{}", plan.stdout);

    let schema = ws.terraform(&["providers", "schema", "-json"], &[]);
    schema.ok("terraform providers schema -json");
    let json: serde_json::Value = serde_json::from_str(&schema.stdout).unwrap();
    let provider =
        &json["provider_schemas"]["registry.terraform.io/agentswarm/swarm"]["provider"]["block"];
    for attribute in [
        "region",
        "endpoint",
        "access_key",
        "secret_key",
        "profile",
        "environment",
        "default_tags",
        "max_retries",
    ] {
        assert!(
            provider["attributes"][attribute].is_object(),
            "no {attribute} in {provider}"
        );
    }
    assert_eq!(provider["attributes"]["secret_key"]["sensitive"], true);
    assert_eq!(
        provider["attributes"]["default_tags"]["type"],
        serde_json::json!(["map", "string"])
    );
    let endpoints = &provider["block_types"]["endpoints"]["block"]["attributes"];
    for service in [
        "ec2",
        "s3",
        "rds",
        "elasticache",
        "backup",
        "route53",
        "sts",
    ] {
        assert!(endpoints[service].is_object(), "no endpoints.{service}");
    }
}

/// Terraform validates and configures a provider only when something uses it.
const USES_PROVIDER: &str = "data \"swarm_availability_zones\" \"all\" {}\n";

#[test]
fn bad_value_is_a_diagnostic_on_its_line() {
    let ws = Workspace::new();
    ws.write(&format!(
        "provider \"swarm\" {{\n  region      = \"us-east-1\"\n  environment = \"prod\"\n}}\n\n{USES_PROVIDER}"
    ));
    ws.terraform(&["init", "-input=false", "-no-color"], &[])
        .ok("terraform init");
    let validate = ws.terraform(&["validate", "-no-color"], &[]);
    assert_eq!(validate.code, Some(1), "{}", validate.stdout);
    // Terraform wraps long lines: compare with whitespace folded.
    let err = validate
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(err.contains("Invalid value"), "{err}");
    assert!(
        err.contains(
            r#"environment must be one of "development", "staging" or "production", got "prod""#
        ),
        "{err}"
    );
    // Terraform points at the attribute's line of HCL.
    assert!(err.contains("on main.tf line 9"), "{err}");
    assert!(err.contains(r#"9: environment = "prod""#), "{err}");
}

/// No AWS configuration files, so that the machine's own do not interfere.
const NO_AWS_FILES: [(&str, &str); 2] = [
    ("AWS_CONFIG_FILE", "/nonexistent/config"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
];

/// The provider block leaves the region to the environment; the endpoint
/// leads nowhere, so reading the data source fails after configuration.
const REGION_FROM_ENV: &str = r#"
provider "swarm" {
  endpoint    = "http://127.0.0.1:9"
  access_key  = "test"
  secret_key  = "test"
  max_retries = 0
}
"#;

#[test]
fn region_from_the_environment_and_logs_in_terraform() {
    let ws = Workspace::new();
    ws.write(&format!("{REGION_FROM_ENV}\n{USES_PROVIDER}"));
    ws.terraform(&["init", "-input=false", "-no-color"], &[])
        .ok("terraform init");
    let env = [
        NO_AWS_FILES[0],
        NO_AWS_FILES[1],
        ("AWS_REGION", "eu-west-1"),
        ("TF_LOG_PROVIDER", "debug"),
    ];
    let plan = ws.terraform(&["plan", "-input=false", "-no-color"], &env);
    assert_eq!(plan.code, Some(1), "{}", plan.stdout);
    // Terraform re-logs the provider's JSON lines with their level and
    // fields, including the RPC span's.
    let line = plan
        .stderr
        .lines()
        .find(|l| l.contains("provider configured"))
        .unwrap_or_else(|| panic!("no provider log in:\n{}", plan.stderr));
    assert!(line.contains("[DEBUG]"), "{line}");
    assert!(line.contains("region=eu-west-1"), "{line}");
    assert!(line.contains("tf_rpc=ConfigureProvider"), "{line}");
    // The AWS call has its own span, and its failure is a diagnostic.
    assert!(
        plan.stderr
            .contains("aws_operation=DescribeAvailabilityZones"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr
            .contains("Error: Cannot list availability zones"),
        "{}",
        plan.stderr
    );
}

#[test]
fn missing_region_is_an_error_on_region() {
    let ws = Workspace::new();
    ws.write(&format!("{REGION_FROM_ENV}\n{USES_PROVIDER}"));
    ws.terraform(&["init", "-input=false", "-no-color"], &[])
        .ok("terraform init");
    let env = [
        NO_AWS_FILES[0],
        NO_AWS_FILES[1],
        ("AWS_REGION", ""),
        ("AWS_DEFAULT_REGION", ""),
    ];
    let plan = ws.terraform(&["plan", "-input=false", "-no-color"], &env);
    assert_eq!(plan.code, Some(1), "{}", plan.stdout);
    assert!(
        plan.stderr.contains("Error: No AWS region"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains("Set region in the provider block"),
        "{}",
        plan.stderr
    );
}

#[test]
fn running_the_binary_by_hand_explains_itself() {
    let out = Command::new(BINARY)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is a Terraform plugin and is not meant to be run directly"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout without a handshake"
    );
}

#[test]
fn debug_mode_serves_terraform_through_reattach_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let mut provider = Command::new(BINARY)
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = provider.stdout.take().unwrap();
    let reattach = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            let start = line.find("TF_REATTACH_PROVIDERS='")? + "TF_REATTACH_PROVIDERS='".len();
            Some(line[start..].trim_end_matches('\'').to_owned())
        })
        .expect("--debug prints the TF_REATTACH_PROVIDERS line");
    let json: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    let entry = &json["registry.terraform.io/agentswarm/swarm"];
    assert_eq!(entry["ProtocolVersion"], 6);
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().unwrap());
    assert!(socket.exists());

    let ws = Workspace::new();
    ws.write(GOOD);
    let env = [("TF_REATTACH_PROVIDERS", reattach.as_str())];
    ws.terraform(&["init", "-input=false", "-no-color"], &env)
        .ok("terraform init against the debug server");
    let plan = ws.terraform(&["plan", "-input=false", "-no-color"], &env);
    plan.ok("terraform plan against the debug server");

    let term = Command::new("kill")
        .args(["-TERM", &provider.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = provider.wait().unwrap();
    assert!(status.success(), "exited with {status}");
    assert!(!socket.exists(), "the socket directory is removed on exit");
}
