//! Waiting for AWS to reach a state: polls with a backoff that starts at a
//! fraction of a second (emulators and fast operations return at once)
//! and grows to a few seconds (RDS takes minutes), until a deadline or
//! until Terraform cancels (Ctrl-C). No fixed sleeps.

use std::future::Future;
use std::time::Duration;

use tfplugin::diag::Diagnostic;
// Tokio's clock (the system's, unless a test pauses it to run waits at once).
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(5);

/// What one poll found.
pub enum Poll<T> {
    Ready(T),
    /// Not yet; the text says what was seen, for the timeout message.
    Pending(String),
}

/// Why waiting stopped without success.
#[derive(Debug, thiserror::Error)]
pub enum WaitError<E> {
    #[error("timed out after {elapsed:?} waiting for {what} (last seen: {last})")]
    Timeout {
        what: String,
        elapsed: Duration,
        last: String,
    },
    #[error("cancelled while waiting for {what}")]
    Cancelled { what: String },
    #[error("{0}")]
    Failed(E),
}

/// Polls `check` until it is ready, fails, the timeout passes, or `cancel`
/// fires.
pub async fn wait_for<T, E, F, Fut>(
    what: &str,
    timeout: Duration,
    cancel: &CancellationToken,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    let started = Instant::now();
    let mut delay = FIRST_DELAY;
    loop {
        let last = match check().await.map_err(WaitError::Failed)? {
            Poll::Ready(value) => return Ok(value),
            Poll::Pending(seen) => seen,
        };
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(WaitError::Timeout {
                what: what.to_owned(),
                elapsed,
                last,
            });
        }
        tracing::trace!(what, seen = %last, delay_ms = delay.as_millis() as u64, "waiting");
        tokio::select! {
            () = cancel.cancelled() => return Err(WaitError::Cancelled { what: what.to_owned() }),
            () = tokio::time::sleep(delay.min(timeout - elapsed)) => {}
        }
        delay = (delay * 2).min(MAX_DELAY);
    }
}

/// The time one create, update or delete may still wait (its `timeouts`
/// block's value, counted from its start) and Terraform's cancellation:
/// every wait of one operation draws on the same budget.
pub struct Wait<'a> {
    pub deadline: Instant,
    pub cancel: &'a CancellationToken,
}

impl<'a> Wait<'a> {
    pub fn new(timeout: Duration, cancel: &'a CancellationToken) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            cancel,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// `wait_for` within this budget, with every way of stopping early
    /// told as a diagnostic.
    pub async fn until<T, F, Fut>(&self, what: &str, check: F) -> Result<T, Diagnostic>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Poll<T>, Diagnostic>>,
    {
        wait_for(what, self.remaining(), self.cancel, check)
            .await
            .map_err(WaitError::into_diagnostic)
    }
}

impl WaitError<Diagnostic> {
    pub fn into_diagnostic(self) -> Diagnostic {
        match self {
            WaitError::Failed(diagnostic) => diagnostic,
            timeout @ WaitError::Timeout { .. } => Diagnostic::error(
                "Timed out",
                format!("{timeout}. Raise the timeouts block's value, or apply again to continue."),
            ),
            cancelled @ WaitError::Cancelled { .. } => {
                Diagnostic::error("Cancelled", cancelled.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn polls_until_ready_with_growing_delays() {
        let mut calls = 0;
        let started = tokio::time::Instant::now();
        let value = wait_for(
            "thing",
            Duration::from_secs(60),
            &CancellationToken::new(),
            || {
                calls += 1;
                let n = calls;
                async move {
                    Ok::<_, String>(if n < 4 {
                        Poll::Pending(format!("try {n}"))
                    } else {
                        Poll::Ready(n)
                    })
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(value, 4);
        // 100 + 200 + 400 ms of backoff, no more.
        assert_eq!(started.elapsed(), Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_what_it_saw() {
        let err = wait_for(
            "thing",
            Duration::from_secs(2),
            &CancellationToken::new(),
            || async { Ok::<Poll<()>, String>(Poll::Pending("pending".into())) },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, WaitError::Timeout { ref last, .. } if last == "pending"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn stops_when_cancelled() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = wait_for("thing", Duration::from_secs(600), &cancel, || async {
            Ok::<Poll<()>, String>(Poll::Pending("pending".into()))
        })
        .await
        .unwrap_err();
        assert!(matches!(err, WaitError::Cancelled { .. }));
    }
}
