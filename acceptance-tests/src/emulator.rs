//! The AWS emulator the acceptance tests run against: moto in server mode
//! on a free loopback port, one per test, stopped when dropped (also when
//! the test fails).
//!
//! `SWARM_TEST_ENDPOINT` points the tests at another endpoint instead
//! (LocalStack, or a real AWS account with `SWARM_TEST_ENDPOINT=aws`).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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
            },
            Some(endpoint) => Self {
                endpoint: Some(endpoint),
                process: None,
            },
            None => Self::start_moto(),
        }
    }

    fn start_moto() -> Self {
        let python = python();
        let port = free_port();
        let log = std::env::temp_dir().join(format!("swarm-moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("cannot create the emulator's log file");
        let stderr = log_file
            .try_clone()
            .expect("cannot share the emulator's log file");
        // moto's server, with this crate's extensions (emulator/swarm_moto.py).
        let server = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator/swarm_moto.py");
        let process = Command::new(&python)
            .arg(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
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
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            process: Some(process),
        };
        emulator.wait_listening(port, &log);
        emulator
    }

    /// Polls until the emulator accepts connections, with a short backoff.
    fn wait_listening(&mut self, port: u16, log: &std::path::Path) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        let mut delay = Duration::from_millis(20);
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(Ok(Some(status))) = self.process.as_mut().map(Child::try_wait) {
                let output = std::fs::read_to_string(log).unwrap_or_default();
                panic!("moto exited with {status} before listening:\n{output}");
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "moto did not listen on port {port} within {START_TIMEOUT:?}; see {}",
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

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("cannot find a free loopback port")
}
