//! The AWS emulator the acceptance tests run against: moto in server mode
//! on a loopback port of its own choosing, one per test, stopped when
//! dropped (also when the test fails).
//!
//! `SWARM_TEST_ENDPOINT` points the tests at another endpoint instead
//! (LocalStack, or a real AWS account with `SWARM_TEST_ENDPOINT=aws`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The region every test uses.
pub const REGION: &str = "us-east-1";

/// How long the emulator may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// An AWS endpoint for one test.
pub struct Emulator {
    /// `None` for real AWS.
    endpoint: Option<String>,
    process: Option<Child>,
    /// Where the emulator wrote its port; removed when dropped.
    port_file: Option<PathBuf>,
}

impl Emulator {
    /// Starts moto on a free port, or uses `SWARM_TEST_ENDPOINT`.
    pub fn start() -> Self {
        match std::env::var("SWARM_TEST_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(v) if v == "aws" => Self {
                endpoint: None,
                process: None,
                port_file: None,
            },
            Some(endpoint) => Self {
                endpoint: Some(endpoint),
                process: None,
                port_file: None,
            },
            None => Self::start_moto(),
        }
    }

    fn start_moto() -> Self {
        let python = python();
        // Unique among the tests of this run; kept after the test for a
        // look at what the emulator saw.
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let run = format!(
            "swarm-moto-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        );
        let log = std::env::temp_dir().join(format!("{run}.log"));
        let port_file = std::env::temp_dir().join(format!("{run}.port"));
        let _ = std::fs::remove_file(&port_file);
        let log_file = std::fs::File::create(&log).expect("cannot create the emulator's log file");
        let stderr = log_file
            .try_clone()
            .expect("cannot share the emulator's log file");
        // moto's server, with this crate's extensions (emulator/swarm_moto.py).
        // Port 0: the port is chosen as the socket is bound, so two tests
        // starting at once can never be given the same one.
        let server = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator/swarm_moto.py");
        let process = Command::new(&python)
            .arg(&server)
            .args(["-H", "127.0.0.1", "-p", "0", "--port-file"])
            .arg(&port_file)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto with {}: {e}. Run scripts/test, which installs it, or set SWARM_EMULATOR_PYTHON",
                    python.display()
                )
            });
        let mut emulator = Self {
            endpoint: None,
            process: Some(process),
            port_file: Some(port_file.clone()),
        };
        let port = emulator.wait_listening(&port_file, &log);
        emulator.endpoint = Some(format!("http://127.0.0.1:{port}"));
        emulator
    }

    /// Polls, with a short backoff, until the emulator has written the
    /// port it listens on.
    fn wait_listening(&mut self, port_file: &Path, log: &Path) -> u16 {
        let started = Instant::now();
        let mut delay = Duration::from_millis(20);
        loop {
            if let Some(port) = std::fs::read_to_string(port_file)
                .ok()
                .and_then(|text| text.trim().parse::<u16>().ok())
            {
                return port;
            }
            if let Some(Ok(Some(status))) = self.process.as_mut().map(Child::try_wait) {
                let output = std::fs::read_to_string(log).unwrap_or_default();
                panic!("moto exited with {status} before listening:\n{output}");
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "moto did not listen within {START_TIMEOUT:?}; see {}",
                log.display()
            );
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(250));
        }
    }

    /// The endpoint URL; `None` for real AWS.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// A `provider "swarm"` block for this endpoint, with `extra` settings.
    pub fn provider_block(&self, extra: &str) -> String {
        match &self.endpoint {
            Some(endpoint) => format!(
                "provider \"swarm\" {{\n  region     = \"{REGION}\"\n  endpoint   = \"{endpoint}\"\n  access_key = \"test\"\n  secret_key = \"test\"\n{extra}\n}}\n"
            ),
            None => format!("provider \"swarm\" {{\n  region = \"{REGION}\"\n{extra}\n}}\n"),
        }
    }

    /// SDK configuration for checking what the provider did.
    pub async fn sdk_config(&self) -> SdkConfig {
        let loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(REGION));
        match &self.endpoint {
            Some(endpoint) => {
                loader
                    .endpoint_url(endpoint)
                    .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
                    .load()
                    .await
            }
            None => loader.load().await,
        }
    }

    pub async fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config().await)
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
            .force_path_style(self.endpoint.is_some())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub async fn rds(&self) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.sdk_config().await)
    }

    pub async fn elasticache(&self) -> aws_sdk_elasticache::Client {
        aws_sdk_elasticache::Client::new(&self.sdk_config().await)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
        if let Some(port_file) = self.port_file.take() {
            let _ = std::fs::remove_file(port_file);
        }
    }
}

/// The Python with moto: `SWARM_EMULATOR_PYTHON`, else the repository's
/// `.venv` (made by scripts/test), else `python3`.
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("SWARM_EMULATOR_PYTHON").filter(|v| !v.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}
