//! The go-plugin services Terraform's plugin client expects beside the
//! provider: health, stdio, controller and broker.

use std::pin::Pin;

use futures_util::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use crate::proto::health::{
    HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus,
    health_server::Health,
};
use crate::proto::plugin::{
    ConnInfo, Empty, StdioData, grpc_broker_server::GrpcBroker,
    grpc_controller_server::GrpcController, grpc_stdio_server::GrpcStdio,
};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A stream that yields nothing and ends when the server shuts down, so
/// that long-lived streams never hold up a graceful shutdown.
fn pending_until<T: Send + 'static>(shutdown: CancellationToken) -> BoxStream<T> {
    Box::pin(futures_util::stream::once(async move {
        shutdown.cancelled().await;
        Err(Status::unavailable("plugin shutting down"))
    }))
}

/// Answers go-plugin's health check for the service "plugin".
pub(crate) struct HealthService {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        req: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = req.into_inner().service;
        let status = match service.as_str() {
            "" | "plugin" if !self.shutdown.is_cancelled() => ServingStatus::Serving,
            "" | "plugin" => ServingStatus::NotServing,
            _ => ServingStatus::ServiceUnknown,
        };
        Ok(Response::new(HealthCheckResponse {
            status: status as i32,
        }))
    }

    type WatchStream = BoxStream<HealthCheckResponse>;

    async fn watch(
        &self,
        req: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let first = self.check(req).await?.into_inner();
        let rest = pending_until(self.shutdown.clone());
        let stream = futures_util::StreamExt::chain(
            futures_util::stream::once(async move { Ok(first) }),
            rest,
        );
        Ok(Response::new(Box::pin(stream)))
    }
}

/// The provider logs to stderr, which Terraform reads directly; nothing is
/// forwarded here, but the stream stays open as go-plugin expects.
pub(crate) struct StdioService {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for StdioService {
    type StreamStdioStream = BoxStream<StdioData>;

    async fn stream_stdio(
        &self,
        _req: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(pending_until(self.shutdown.clone())))
    }
}

/// go-plugin's Shutdown: the host asks the plugin to exit.
pub(crate) struct ControllerService {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for ControllerService {
    async fn shutdown(&self, _req: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by the plugin host");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// Terraform providers broker no extra connections; the stream is
/// accepted and drained.
pub(crate) struct BrokerService {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcBroker for BrokerService {
    type StartStreamStream = BoxStream<ConnInfo>;

    async fn start_stream(
        &self,
        req: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut incoming = req.into_inner();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    msg = incoming.message() => match msg {
                        Ok(Some(info)) => tracing::debug!(service_id = info.service_id, "ignoring broker request"),
                        _ => break,
                    },
                }
            }
        });
        Ok(Response::new(pending_until(self.shutdown.clone())))
    }
}
