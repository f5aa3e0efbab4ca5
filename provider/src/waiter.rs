//! Waiting for AWS to reach a state: polls with a backoff that starts at a
//! fraction of a second (emulators and fast operations return at once)
//! and grows to a few seconds (RDS takes minutes), until a deadline or
//! until Terraform cancels (Ctrl-C). No fixed sleeps.
//!
//! Also the retry of calls AWS refuses for a while and then accepts
//! ([`retry_while`]): eventual consistency (`*.NotFound` right after a
//! create) and dependencies still being released (`DependencyViolation`).

use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::error::ProvideErrorMetadata;

use tfplugin::diag::Diagnostic;
use tfplugin::schema::timeouts;
use tfplugin::value::Value;
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

/// Makes `call` until AWS answers with anything but an error whose code is
/// one of `codes`, backing off as [`wait_for`] does, within `wait`'s budget.
/// The errors that stop it are returned as they are (`WaitError::Failed`),
/// for the caller to tell apart (a `NotFound` that means "already gone").
///
/// For errors that only time cures: `InvalidVpcID.NotFound` from a call
/// right after CreateVpc (EC2 is eventually consistent), or
/// `DependencyViolation` from DetachInternetGateway right after a NAT
/// gateway's address was released (the release takes a while to settle).
pub async fn retry_while<T, E, F, Fut>(
    wait: &Wait<'_>,
    what: &str,
    codes: &[&str],
    mut call: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: ProvideErrorMetadata,
{
    wait_for(what, wait.remaining(), wait.cancel, || {
        let answer = call();
        async move {
            match answer.await {
                Ok(value) => Ok(Poll::Ready(value)),
                Err(e) if e.code().is_some_and(|code| codes.contains(&code)) => {
                    Ok(Poll::Pending(format!(
                        "{}: {}",
                        e.code().unwrap_or_default(),
                        e.message().unwrap_or_default()
                    )))
                }
                Err(e) => Err(e),
            }
        }
    })
    .await
}

/// The time one create, update or delete may still wait (its `timeouts`
/// block's value, counted from its start) and Terraform's cancellation:
/// every wait of one operation draws on the same budget.
pub struct Wait<'a> {
    pub deadline: Instant,
    pub cancel: &'a CancellationToken,
}

/// One operation of a resource, and how long it may wait by default.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The `timeouts` block's attribute: `create`, `update` or `delete`.
    pub name: &'static str,
    pub default: Duration,
}

/// A resource's default budgets, one per operation.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Timeouts {
    /// The same budget for every operation.
    pub const fn all(timeout: Duration) -> Self {
        Self {
            create: timeout,
            update: timeout,
            delete: timeout,
        }
    }

    pub fn create(&self) -> Operation {
        Operation {
            name: "create",
            default: self.create,
        }
    }

    pub fn update(&self) -> Operation {
        Operation {
            name: "update",
            default: self.update,
        }
    }

    pub fn delete(&self) -> Operation {
        Operation {
            name: "delete",
            default: self.delete,
        }
    }
}

impl<'a> Wait<'a> {
    pub fn new(timeout: Duration, cancel: &'a CancellationToken) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            cancel,
        }
    }

    /// The budget of one operation, counted from now: the `timeouts`
    /// block's value for it in `resource` (the plan for create and update,
    /// the prior state for delete), or its default. Every wait and retry
    /// of the operation draws on this one budget.
    ///
    /// The block's values are checked at validate, so an unreadable one
    /// here is refused before anything is done.
    pub fn from_timeouts(
        resource: &Value,
        operation: Operation,
        cancel: &'a CancellationToken,
    ) -> Result<Self, Diagnostic> {
        let timeout = timeouts::get(resource, operation.name, operation.default)?;
        Ok(Self::new(timeout, cancel))
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
        self.diagnostic(|diagnostic| diagnostic)
    }
}

impl<E> WaitError<E> {
    /// Every way of stopping early told as a diagnostic; `failed` tells
    /// the error that stopped it.
    pub fn diagnostic(self, failed: impl FnOnce(E) -> Diagnostic) -> Diagnostic {
        match self {
            WaitError::Failed(e) => failed(e),
            WaitError::Timeout {
                what,
                elapsed,
                last,
            } => Diagnostic::error(
                "Timed out",
                format!(
                    "timed out after {elapsed:?} waiting for {what} (last seen: {last}). Raise \
                     the timeouts block's value, or apply again to continue."
                ),
            ),
            WaitError::Cancelled { what } => {
                Diagnostic::error("Cancelled", format!("cancelled while waiting for {what}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An AWS error with `code`.
    fn aws_error(code: &str) -> aws_sdk_ec2::error::ErrorMetadata {
        aws_sdk_ec2::error::ErrorMetadata::builder()
            .code(code)
            .message("try later")
            .build()
    }

    /// `retry_while` over answers that fail with `codes` in turn, then
    /// succeed; the calls made and the outcome.
    async fn retried(
        budget: Duration,
        retry_on: &[&str],
        answers: &[&str],
    ) -> (
        usize,
        Result<&'static str, WaitError<aws_sdk_ec2::error::ErrorMetadata>>,
    ) {
        let cancel = CancellationToken::new();
        let wait = Wait::new(budget, &cancel);
        let mut calls = 0;
        let outcome = retry_while(&wait, "the thing", retry_on, || {
            calls += 1;
            let answer = answers.get(calls - 1).map(|code| aws_error(code));
            async move {
                match answer {
                    Some(e) => Err(e),
                    None => Ok("done"),
                }
            }
        })
        .await;
        (calls, outcome)
    }

    #[tokio::test(start_paused = true)]
    async fn retries_while_aws_answers_with_the_given_codes() {
        let started = Instant::now();
        let (calls, outcome) = retried(
            Duration::from_secs(60),
            &["InvalidVpcID.NotFound", "DependencyViolation"],
            &[
                "InvalidVpcID.NotFound",
                "DependencyViolation",
                "DependencyViolation",
            ],
        )
        .await;
        assert_eq!((calls, outcome.ok()), (4, Some("done")));
        // The waiter's backoff: 100 + 200 + 400 ms.
        assert_eq!(started.elapsed(), Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn other_codes_stop_at_once_and_are_returned() {
        let (calls, outcome) = retried(
            Duration::from_secs(60),
            &["DependencyViolation"],
            &["DependencyViolation", "UnauthorizedOperation"],
        )
        .await;
        assert_eq!(calls, 2);
        match outcome {
            Err(WaitError::Failed(e)) => assert_eq!(e.code(), Some("UnauthorizedOperation")),
            other => panic!(
                "expected the error itself, got {:?}",
                other.map_err(|e| e.to_string())
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_when_the_budget_is_spent_saying_what_it_saw() {
        let always: Vec<&str> = vec!["DependencyViolation"; 100];
        let started = Instant::now();
        let (_, outcome) =
            retried(Duration::from_secs(10), &["DependencyViolation"], &always).await;
        let Err(timeout @ WaitError::Timeout { .. }) = outcome else {
            panic!("expected a timeout");
        };
        assert!(started.elapsed() <= Duration::from_secs(10));
        let text = timeout.diagnostic(|_| unreachable!()).detail;
        assert!(
            text.contains("the thing") && text.contains("DependencyViolation: try later"),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_budget_per_operation_from_the_timeouts_block() {
        let cancel = CancellationToken::new();
        let defaults = Timeouts {
            create: Duration::from_secs(60),
            update: Duration::from_secs(120),
            delete: Duration::from_secs(30),
        };
        let block = Value::Object(
            [(
                "timeouts".to_owned(),
                Value::Object([("update".to_owned(), Value::from("5m"))].into()),
            )]
            .into(),
        );
        let update = Wait::from_timeouts(&block, defaults.update(), &cancel).unwrap();
        assert_eq!(update.remaining(), Duration::from_secs(300));
        let create = Wait::from_timeouts(&block, defaults.create(), &cancel).unwrap();
        assert_eq!(create.remaining(), Duration::from_secs(60));
        // Time spent in one wait is gone for the next.
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(create.remaining(), Duration::from_secs(40));
        let bad = Value::Object(
            [(
                "timeouts".to_owned(),
                Value::Object([("delete".to_owned(), Value::from("soon"))].into()),
            )]
            .into(),
        );
        assert!(Wait::from_timeouts(&bad, defaults.delete(), &cancel).is_err());
    }

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
