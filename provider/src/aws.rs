//! Shared helpers for AWS calls: a tracing span around every call, and
//! SDK errors turned into diagnostics with their full context.

use std::pin::Pin;
use std::time::Instant;

use aws_sdk_ec2::error::DisplayErrorContext;
use tfplugin::diag::Diagnostic;
use tracing::Instrument;

/// Runs one AWS call inside a span naming the service and operation, and
/// logs its duration and outcome.
///
/// The call is boxed at once: SDK futures are large, and a resource joins
/// several of them; kept inline they would make every caller's future (and,
/// in debug builds, the stack) that much larger.
pub fn call<'a, T, E, F>(
    service: &'static str,
    operation: &'static str,
    call: F,
) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'a>>
where
    F: Future<Output = Result<T, E>> + Send + 'a,
    E: std::error::Error + Send + 'a,
    T: Send + 'a,
{
    let span = tracing::debug_span!("aws", aws_service = service, aws_operation = operation);
    Box::pin(
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
        .instrument(span),
    )
}

/// Every item of a paged AWS call. `page(token)` makes one call, from
/// the page `token` names (`None`: the first), and gives that page's items
/// and the token of the next page (`NextToken`, `Marker`); a missing or
/// empty token ends the listing.
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, Diagnostic>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), Diagnostic>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let (found, next) = page(token.take()).await?;
        items.extend(found);
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(items),
        }
    }
}

/// An error diagnostic for a failed AWS call.
pub fn error(summary: impl Into<String>, err: &(impl std::error::Error + 'static)) -> Diagnostic {
    Diagnostic::error(summary, DisplayErrorContext(err).to_string())
}

/// FNV-1a, 64 bits, over the parts separated by a NUL, in hex: stable
/// across Rust versions and platforms, as values stored in AWS tags and
/// client tokens (which must stay the same across retries) must be.
pub fn fingerprint(parts: &[&str]) -> String {
    let joined = parts.join("\0");
    let hash = joined
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("{hash:016x}")
}

/// How many names a final snapshot tries before the destroy gives up.
const FINAL_SNAPSHOT_NAMES: u32 = 10;

/// The names a final snapshot tries, in order: `<name>-final-<UTC time>`,
/// then the same with `-2`, `-3`, ... appended.
///
/// A later name is used only when AWS answers that a snapshot of the
/// earlier one exists: a resource replaced and then destroyed within the
/// same second, or a snapshot someone took by that name. Neither may make a
/// destroy fail, and an existing snapshot is never overwritten. The names
/// are valid for RDS and ElastiCache.
pub fn final_snapshot_ids(
    name: &str,
    now: std::time::SystemTime,
) -> impl Iterator<Item = String> + use<> {
    let stamp: String = aws_sdk_rds::primitives::DateTime::from(now)
        .fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let base = format!("{name}-final-{stamp}");
    (1..=FINAL_SNAPSHOT_NAMES).map(move |n| match n {
        1 => base.clone(),
        n => format!("{base}-{n}"),
    })
}

/// Makes a deletion `call` with a final snapshot under the first free one
/// of `names` (from [`final_snapshot_ids`]; none when empty): while the
/// answer is an error that `taken` says means "a snapshot of that name
/// exists", the call is made again with the next name. Any other answer,
/// or the last name taken too, is returned as it is.
pub async fn with_free_snapshot_name<T, E, F, Fut>(
    names: &[String],
    mut call: F,
    taken: impl Fn(&E) -> bool,
) -> Result<T, E>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut names = names.iter();
    let mut name = names.next();
    loop {
        match call(name.cloned()).await {
            Err(e) if taken(&e) => match names.next() {
                Some(next) => name = Some(next),
                None => return Err(e),
            },
            answer => {
                if let (Ok(_), Some(snapshot)) = (&answer, name) {
                    tracing::info!(snapshot, "took a final snapshot");
                }
                return answer;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_pages_follows_the_tokens_to_the_end() {
        // Three pages; the last says "no more" with an empty token.
        let pages = |token: Option<String>| async move {
            Ok(match token.as_deref() {
                None => (vec![1, 2], Some("b".to_owned())),
                Some("b") => (vec![3], Some("c".to_owned())),
                _ => (vec![4], Some(String::new())),
            })
        };
        assert_eq!(all_pages(pages).await.ok(), Some(vec![1, 2, 3, 4]));
        // An error on any page is the answer.
        let failing = |token: Option<String>| async move {
            match token {
                None => Ok((vec![1], Some("b".to_owned()))),
                Some(_) => Err(Diagnostic::error("page", "failed")),
            }
        };
        assert!(all_pages(failing).await.is_err());
    }

    #[test]
    fn final_snapshot_names_are_timestamped_then_numbered() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let names: Vec<String> = final_snapshot_ids("agents", at).collect();
        assert_eq!(names.len(), FINAL_SNAPSHOT_NAMES as usize);
        assert_eq!(names[0], "agents-final-20231114221320");
        assert_eq!(names[1], "agents-final-20231114221320-2");
        assert_eq!(names[9], "agents-final-20231114221320-10");
    }

    /// Calls with `names` where the first `taken` names are taken; the
    /// names asked for, and the answer.
    async fn delete_with(
        names: &[&str],
        taken: usize,
    ) -> (Vec<Option<String>>, Result<(), String>) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let asked = std::sync::Mutex::new(Vec::new());
        let answer = with_free_snapshot_name(
            &names,
            |name: Option<String>| {
                let mut asked = asked.lock().expect("not poisoned");
                asked.push(name);
                let answer = if asked.len() <= taken {
                    Err("taken".to_owned())
                } else {
                    Ok(())
                };
                std::future::ready(answer)
            },
            |e: &String| e == "taken",
        )
        .await;
        (asked.into_inner().expect("not poisoned"), answer)
    }

    #[tokio::test]
    async fn a_taken_snapshot_name_moves_on_to_the_next() {
        let some = |n: &str| Some(n.to_owned());
        assert_eq!(
            delete_with(&["a", "a-2"], 0).await,
            (vec![some("a")], Ok(()))
        );
        assert_eq!(
            delete_with(&["a", "a-2", "a-3"], 1).await,
            (vec![some("a"), some("a-2")], Ok(()))
        );
        assert_eq!(
            delete_with(&["a", "a-2"], 2).await,
            (vec![some("a"), some("a-2")], Err("taken".to_owned()))
        );
        // No final snapshot: one call without a name.
        assert_eq!(delete_with(&[], 0).await, (vec![None], Ok(())));
    }
}

/// AWS Backup answers a quota reached (backup plans or vaults per region,
/// selections per plan) with `LimitExceededException`, a code the SDK's
/// standard classifier takes for throttling and retries `max_retries`
/// times with backoff: minutes before the user sees an error that waiting
/// does not lift. AWS Backup throttles with `ThrottlingException`, which is
/// still retried. Installed on the AWS Backup clients only: other services
/// use the code for real throttling.
#[derive(Debug)]
pub struct QuotaIsNotThrottling;

impl aws_sdk_backup::config::retry::ClassifyRetry for QuotaIsNotThrottling {
    fn classify_retry(
        &self,
        ctx: &aws_sdk_backup::config::interceptors::InterceptorContext,
    ) -> aws_sdk_backup::config::retry::RetryAction {
        use aws_sdk_backup::config::retry::RetryAction;
        let Some(response) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let code = response
            .headers()
            .get("x-amzn-errortype")
            .map(str::to_owned)
            .or_else(|| body_error_code(response.body().bytes()?));
        if code.as_deref().map(error_code_name) == Some("LimitExceededException") {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "QuotaIsNotThrottling"
    }
}

/// A JSON error body's code (`__type` or `code`).
fn body_error_code(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["__type", "code", "Code"]
        .iter()
        .find_map(|key| json.get(key)?.as_str().map(str::to_owned))
}

/// The bare name of an error code as AWS JSON protocols spell it: without
/// a `namespace#` before it or a `:uri` after it.
fn error_code_name(code: &str) -> &str {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code)
}

#[cfg(test)]
mod quota_tests {
    use super::*;

    #[test]
    fn error_codes_are_read_bare() {
        assert_eq!(
            error_code_name("LimitExceededException:http://internal.amazon.com/"),
            "LimitExceededException"
        );
        assert_eq!(
            error_code_name("com.amazonaws.backup#LimitExceededException"),
            "LimitExceededException"
        );
        assert_eq!(
            error_code_name("ThrottlingException"),
            "ThrottlingException"
        );
        assert_eq!(
            body_error_code(br#"{"__type":"LimitExceededException","message":"x"}"#).as_deref(),
            Some("LimitExceededException")
        );
        assert_eq!(body_error_code(b"not json"), None);
    }
}
