//! Serving a provider the way Terraform expects: the go-plugin handshake,
//! AutoMTLS, a unix socket in a private directory, go-plugin's side
//! services, and a clean shutdown on the controller's Shutdown or SIGTERM.
//!
//! A provider binary's `main` is one call to [`run`]:
//! `tfplugin::serve::run("registry.terraform.io/me/thing", VERSION, MyProvider::new)`.

mod side_services;
mod tls;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use crate::proto::{health, plugin};
use crate::provider::Provider;
use crate::server::ProviderServer;

/// The environment variable and value by which Terraform proves it started
/// the plugin (go-plugin's "magic cookie" for Terraform providers).
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform sets [`MAGIC_COOKIE_KEY`] to.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The plugin protocol major version this library speaks.
pub const PROTOCOL_VERSION: u32 = 6;

/// go-plugin's own handshake protocol version.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// How long a graceful shutdown may take before the server is dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why serving a provider failed or could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The magic cookie is missing or wrong: the binary was run by hand,
    /// not by Terraform.
    #[error(
        "this binary is a Terraform plugin and is not meant to be run directly.\n\
         Terraform starts it during `terraform init`, `plan` and `apply`; install it into a \
         provider mirror (see the README) and use it from HCL.\n\
         To debug it, run it with --debug and follow the instructions it prints."
    )]
    NotLaunchedByTerraform,
    /// Terraform offered no protocol version this library speaks (only 6).
    #[error(
        "Terraform offered plugin protocol versions {offered:?}, but this provider speaks only \
         version 6 (Terraform 1.0 and later). Upgrade Terraform."
    )]
    UnsupportedProtocol {
        /// The versions Terraform offered, as in `PLUGIN_PROTOCOL_VERSIONS`.
        offered: String,
    },
    /// AutoMTLS setup failed: Terraform's client certificate is unusable or
    /// the server certificate could not be made.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A system call failed (socket, signals, stdout), or the server task
    /// died.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The gRPC server failed while serving.
    #[error("the gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServeError {
    let context = context.into();
    move |source| ServeError::Io { context, source }
}

/// The provider binary's entry point. `address` is the provider's source
/// address as Terraform knows it, e.g. `registry.terraform.io/agentswarm/swarm`.
///
/// With no arguments it serves Terraform (the handshake, AutoMTLS). With
/// `--debug` it serves in the foreground and prints the
/// `TF_REATTACH_PROVIDERS` value that attaches Terraform to it; with
/// `--version` it prints `version`.
pub fn run<P: Provider>(
    address: &str,
    version: &str,
    provider: impl FnOnce() -> P,
) -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let debug = args.iter().any(|a| a == "--debug" || a == "-debug");
    if args.iter().any(|a| a == "--version" || a == "-version") {
        println!("{version}");
        return std::process::ExitCode::SUCCESS;
    }
    if let Some(unknown) = args
        .iter()
        .find(|a| !matches!(a.as_str(), "--debug" | "-debug"))
    {
        eprintln!("unknown argument {unknown:?}; the only options are --debug and --version");
        return std::process::ExitCode::from(2);
    }
    if debug {
        crate::logging::init_human(tracing_subscriber::filter::LevelFilter::DEBUG);
    } else {
        crate::logging::init_plugin();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let provider = provider();
    let result = runtime.block_on(async {
        if debug {
            serve_debug(provider, address).await
        } else {
            serve(provider).await
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "provider server failed");
            eprintln!("Error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Serves a provider started by Terraform: checks the magic cookie,
/// negotiates the protocol, prints the handshake line and serves until
/// Terraform asks it to shut down (or SIGTERM).
pub async fn serve<P: Provider>(provider: P) -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotLaunchedByTerraform);
    }
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let six = PROTOCOL_VERSION.to_string();
        if !offered.split(',').any(|v| v.trim() == six) {
            return Err(ServeError::UnsupportedProtocol { offered });
        }
    }
    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => Some(tls::AutoMtls::new(&pem)?),
        _ => None,
    };
    let socket_dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from);
    let (dir, socket, listener) = bind_private_socket(socket_dir.as_deref())?;

    let shutdown = CancellationToken::new();
    watch_signals(shutdown.clone(), false)?;
    let acceptor = tls
        .as_ref()
        .map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
    let incoming = accept_loop(listener, acceptor, shutdown.clone());

    let certificate = tls
        .as_ref()
        .map(|t| t.certificate_base64.as_str())
        .unwrap_or("");
    let handshake = format!(
        "{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{}|grpc|{certificate}\n",
        socket.display()
    );
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(handshake.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(io_error("cannot write the handshake line to stdout"))?;
    }
    tracing::info!(socket = %socket.display(), mtls = tls.is_some(), "plugin server started");
    let result = serve_connections(ProviderServer::new(provider), incoming, shutdown).await;
    drop(dir);
    tracing::info!("plugin server stopped");
    result
}

/// Serves in the foreground for a debugger: prints the reattach value and
/// serves until Ctrl-C or SIGTERM.
pub async fn serve_debug<P: Provider>(provider: P, address: &str) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    watch_signals(shutdown.clone(), true)?;
    let server = Reattach::start_with(provider, address, shutdown).await?;
    println!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\
         \tTF_REATTACH_PROVIDERS='{}'\n",
        server.config_json()
    );
    server.wait().await
}

/// A provider served in-process on a unix socket (plaintext, as Terraform
/// attaches to it through `TF_REATTACH_PROVIDERS`): for `--debug` and tests.
pub struct Reattach {
    address: String,
    socket: PathBuf,
    _dir: tempfile::TempDir,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Reattach {
    /// Starts serving `provider` under the source address `address`.
    pub async fn start<P: Provider>(provider: P, address: &str) -> Result<Self, ServeError> {
        Self::start_with(provider, address, CancellationToken::new()).await
    }

    async fn start_with<P: Provider>(
        provider: P,
        address: &str,
        shutdown: CancellationToken,
    ) -> Result<Self, ServeError> {
        let (dir, socket, listener) = bind_private_socket(None)?;
        let incoming = accept_loop(listener, None, shutdown.clone());
        let task = tokio::spawn(serve_connections(
            ProviderServer::new(provider),
            incoming,
            shutdown.clone(),
        ));
        Ok(Self {
            address: address.to_owned(),
            socket,
            _dir: dir,
            shutdown,
            task,
        })
    }

    /// The value of `TF_REATTACH_PROVIDERS` that points Terraform here.
    pub fn config_json(&self) -> String {
        serde_json::json!({
            self.address.clone(): {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                // "Test" keeps Terraform from shutting the server down
                // after each command.
                "Test": true,
                "Addr": { "Network": "unix", "String": self.socket.display().to_string() },
            }
        })
        .to_string()
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        self.shutdown.cancel();
        self.wait().await
    }

    async fn wait(self) -> Result<(), ServeError> {
        match self.task.await {
            Ok(result) => result,
            Err(join) => Err(ServeError::Io {
                context: "the server task failed".into(),
                source: std::io::Error::other(join.to_string()),
            }),
        }
    }
}

/// A unix socket in a fresh directory only this user can enter.
fn bind_private_socket(
    parent: Option<&Path>,
) -> Result<(tempfile::TempDir, PathBuf, UnixListener), ServeError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("tfplugin");
    let dir = match parent {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .map_err(io_error(
        "cannot create a private directory for the plugin socket",
    ))?;
    let socket = dir.path().join("plugin.sock");
    let listener = UnixListener::bind(&socket)
        .map_err(io_error(format!("cannot listen on {}", socket.display())))?;
    Ok((dir, socket, listener))
}

/// SIGTERM shuts down; SIGINT too in debug mode. A plugin ignores SIGINT:
/// Terraform forwards Ctrl-C to the process group and then calls
/// StopProvider, and the provider must live to answer it.
fn watch_signals(shutdown: CancellationToken, interrupt_stops: bool) -> Result<(), ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(io_error("cannot watch SIGTERM"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(io_error("cannot watch SIGINT"))?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = term.recv() => {
                    tracing::info!("SIGTERM received, shutting down");
                    shutdown.cancel();
                    break;
                }
                _ = int.recv() => {
                    if interrupt_stops {
                        shutdown.cancel();
                        break;
                    }
                    tracing::debug!("SIGINT ignored; Terraform will call StopProvider");
                }
            }
        }
    });
    Ok(())
}

/// A client connection, plain or TLS.
enum Connection {
    Plain(UnixStream),
    Tls(Box<tokio_rustls::server::TlsStream<UnixStream>>),
}

impl Connected for Connection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Accepts connections (and completes TLS handshakes off the accept loop)
/// until shutdown.
fn accept_loop(
    listener: UnixListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<Connection, std::io::Error>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Some(acceptor) = tls.clone() else {
                if tx.send(Ok(Connection::Plain(stream))).await.is_err() {
                    break;
                }
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                    Ok(Ok(tls_stream)) => {
                        let _ = tx.send(Ok(Connection::Tls(Box::new(tls_stream)))).await;
                    }
                    Ok(Err(err)) => tracing::warn!(error = %err, "TLS handshake refused"),
                    Err(_) => tracing::warn!("TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// Serves the provider and go-plugin's side services until shutdown.
async fn serve_connections<P: Provider>(
    server: ProviderServer<P>,
    incoming: ReceiverStream<Result<Connection, std::io::Error>>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let router = tonic::transport::Server::builder()
        .add_service(server.into_service())
        .add_service(health::health_server::HealthServer::new(
            side_services::HealthService {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(plugin::grpc_stdio_server::GrpcStdioServer::new(
            side_services::StdioService {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(plugin::grpc_controller_server::GrpcControllerServer::new(
            side_services::ControllerService {
                shutdown: shutdown.clone(),
            },
        ))
        .add_service(plugin::grpc_broker_server::GrpcBrokerServer::new(
            side_services::BrokerService {
                shutdown: shutdown.clone(),
            },
        ));
    let signal = shutdown.clone();
    let serving =
        router.serve_with_incoming_shutdown(incoming, async move { signal.cancelled().await });
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => result.map_err(ServeError::from),
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            tracing::warn!("connections still open after shutdown; closing them");
            Ok(())
        }
    }
}
