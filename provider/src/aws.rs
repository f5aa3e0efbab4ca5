//! Shared helpers for AWS calls: a tracing span around every call, and
//! SDK errors turned into diagnostics with their full context.

use std::time::Instant;

use aws_sdk_ec2::error::DisplayErrorContext;
use tfplugin::diag::Diagnostic;
use tracing::Instrument;

/// Runs one AWS call inside a span naming the service and operation, and
/// logs its duration and outcome.
pub async fn call<T, E, F>(service: &'static str, operation: &'static str, call: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
    E: std::error::Error,
{
    let span = tracing::debug_span!("aws", aws_service = service, aws_operation = operation);
    async move {
        let started = Instant::now();
        let result = call.await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::debug!(elapsed_ms, "AWS call succeeded"),
            Err(err) => {
                tracing::debug!(elapsed_ms, error = %DisplayErrorContext(err), "AWS call failed")
            }
        }
        result
    }
    .instrument(span)
    .await
}

/// An error diagnostic for a failed AWS call.
pub fn error(summary: impl Into<String>, err: &(impl std::error::Error + 'static)) -> Diagnostic {
    Diagnostic::error(summary, DisplayErrorContext(err).to_string())
}
