//! The AWS emulator the acceptance tests run against: moto in server mode
//! on a loopback port of its own choosing, one per test, stopped when
//! dropped (also when the test fails).
//!
//! Importing moto takes seconds of CPU, more than many a test's steps, so
//! the emulators are forked from one process that has imported it (the
//! zygote, `swarm_moto.py --zygote`), started by the first test that needs
//! one. Each test still has an emulator of its own, started from moto's
//! untouched state. `SWARM_EMULATOR_FORK=0` starts a whole process per
//! test instead, as does a zygote that fails to start.
//!
//! `SWARM_TEST_ENDPOINT` points the tests at another endpoint instead
//! (LocalStack, or a real AWS account with `SWARM_TEST_ENDPOINT=aws`).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
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
    /// A forked emulator's connection to the zygote: it lives as long as
    /// this stays open.
    forked: Option<UnixStream>,
}

impl Emulator {
    /// Starts moto on a free port, or uses `SWARM_TEST_ENDPOINT`.
    pub fn start() -> Self {
        match std::env::var("SWARM_TEST_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(v) if v == "aws" => Self::at(None),
            Some(endpoint) => Self::at(Some(endpoint)),
            None => {
                // Unique among the tests of this run; kept after the test
                // for a look at what the emulator saw.
                static STARTED: AtomicU32 = AtomicU32::new(0);
                let run = format!(
                    "swarm-moto-{}-{}",
                    std::process::id(),
                    STARTED.fetch_add(1, Ordering::Relaxed)
                );
                match Zygote::get() {
                    Some(zygote) => zygote.fork(&run),
                    None => Self::start_moto(&run),
                }
            }
        }
    }

    /// An endpoint this crate does not start (`None`: real AWS).
    fn at(endpoint: Option<String>) -> Self {
        Self {
            endpoint,
            process: None,
            port_file: None,
            forked: None,
        }
    }

    /// A whole moto process of its own.
    fn start_moto(run: &str) -> Self {
        let python = python();
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
            forked: None,
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

    pub async fn route53(&self) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&self.sdk_config().await)
    }

    pub async fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::new(&self.sdk_config().await)
    }

    /// AWS Backup in `region` (a copy vault's region, or [`REGION`]).
    pub async fn backup_in(&self, region: &str) -> aws_sdk_backup::Client {
        let conf = aws_sdk_backup::config::Builder::from(&self.sdk_config().await)
            .region(Region::new(region.to_owned()))
            .build();
        aws_sdk_backup::Client::from_conf(conf)
    }

    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config().await)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(mut connection) = self.forked.take() {
            // Closing our end stops the forked emulator; its end closes
            // when it has exited, which the read waits for.
            let _ = connection.shutdown(std::net::Shutdown::Write);
            let _ = connection.read_to_end(&mut Vec::new());
        }
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
        if let Some(port_file) = self.port_file.take() {
            let _ = std::fs::remove_file(port_file);
        }
    }
}

/// The process that forks the emulators (see the module's doc).
struct Zygote {
    socket: PathBuf,
    /// Its standard input, held open for as long as this process runs:
    /// the zygote exits when it closes.
    _stdin: ChildStdin,
}

impl Zygote {
    /// The zygote, started on first use; `None` when forking is off or
    /// the zygote could not start (then each test starts a process).
    fn get() -> Option<&'static Zygote> {
        static ZYGOTE: OnceLock<Option<Zygote>> = OnceLock::new();
        ZYGOTE
            .get_or_init(|| {
                if std::env::var("SWARM_EMULATOR_FORK").is_ok_and(|v| v == "0") {
                    return None;
                }
                Self::start()
                    .map_err(|e| eprintln!("no emulator zygote ({e}); one moto process per test"))
                    .ok()
            })
            .as_ref()
    }

    fn start() -> Result<Self, String> {
        let run = format!("swarm-moto-{}-zygote", std::process::id());
        let socket = std::env::temp_dir().join(format!("{run}.sock"));
        let log = std::env::temp_dir().join(format!("{run}.log"));
        let _ = std::fs::remove_file(&socket);
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let server = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("emulator/swarm_moto.py");
        let mut process = Command::new(python())
            .arg(&server)
            .arg("--zygote")
            .arg(&socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdin = process.stdin.take().ok_or("no stdin")?;
        let stdout = process.stdout.take().ok_or("no stdout")?;
        // It says "ready" once it listens; nothing (EOF) if it failed.
        let mut ready = String::new();
        BufReader::new(stdout)
            .read_line(&mut ready)
            .map_err(|e| e.to_string())?;
        if ready.trim() != "ready" {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("it did not start:\n{output}"));
        }
        Ok(Self {
            socket,
            _stdin: stdin,
        })
    }

    /// A new emulator, forked; it logs to `$TMPDIR/<run>.log`.
    fn fork(&self, run: &str) -> Emulator {
        let log = std::env::temp_dir().join(format!("{run}.log"));
        let mut connection = UnixStream::connect(&self.socket).unwrap_or_else(|e| {
            panic!(
                "cannot reach the emulator zygote at {}: {e}",
                self.socket.display()
            )
        });
        writeln!(connection, "{}", log.display()).expect("cannot ask the zygote for an emulator");
        // One line: the port. The read is bounded like a process's start.
        connection
            .set_read_timeout(Some(START_TIMEOUT))
            .expect("cannot set a timeout on the zygote's connection");
        let mut answer = String::new();
        BufReader::new(&connection)
            .read_line(&mut answer)
            .expect("the emulator zygote did not answer");
        let port: u16 = answer.trim().parse().unwrap_or_else(|_| {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the forked emulator did not start (answer {answer:?}); its log:\n{output}")
        });
        connection
            .set_read_timeout(None)
            .expect("cannot clear the timeout on the zygote's connection");
        Emulator {
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            process: None,
            port_file: None,
            forked: Some(connection),
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
