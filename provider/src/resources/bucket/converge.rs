//! Making S3 match the plan, and taking the bucket down.
//!
//! `ensure` serves create, update, the repair of drift and the retry of a
//! failed apply alike: it reads the bucket, creates it when missing, and
//! applies only what differs.

use std::time::Duration;

use tfplugin::diag::Diagnostic;

use super::cloud::{self, Desired, Observed};
use aws_sdk_s3::error::ProvideErrorMetadata;

use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::Identity;
use crate::tags;
use crate::waiter::{self, Poll, Wait};

/// How long S3 may take to read back a configuration just written (its
/// reads are eventually consistent; seconds in practice). Past this a
/// setting that does not read back as written is an error, not a wait.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2 * 60);

/// Brings a bucket to `desired`: creates it when missing, then applies
/// only what differs, one change at a time (S3 refuses concurrent
/// configuration changes to one bucket with `OperationAborted`).
/// `found` finds the bucket: by the desired marker, or, for a state
/// without one, a bucket of the name without one (whose tags, marker
/// included, are then written first).
pub async fn ensure(
    client: &SwarmClient,
    desired: &Desired,
    found: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let seen = match Observed::load(client, &desired.name).await? {
        Some(seen) if found.owns(&seen.tags) => seen,
        // Someone else's bucket of the name (this one's was deleted, and
        // the name taken since): never touched.
        Some(seen) => return Err(cloud::taken(&desired.name, &seen.tags)),
        None => {
            cloud::create(client, desired, wait).await?;
            Observed::default()
        }
    };
    for aspect in seen.differences(desired) {
        cloud::apply_aspect(client, desired, &seen, aspect).await?;
    }
    Ok(())
}

/// Waits until S3 reads back what was written (its configuration reads
/// are eventually consistent), and returns what it reads.
pub async fn wait_applied(
    client: &SwarmClient,
    desired: &Desired,
    wait: &Wait<'_>,
) -> Result<Observed, Diagnostic> {
    let name = &desired.name;
    let settle = wait.remaining().min(SETTLE_TIMEOUT);
    waiter::wait_for(
        "the settings to take effect",
        settle,
        wait.cancel,
        || async {
            match Observed::load(client, name).await? {
                None => Err(Diagnostic::error(
                    format!("Bucket {name:?} disappeared"),
                    "The bucket was deleted while it was being configured.",
                )),
                Some(seen) => {
                    let left = seen.differences(desired);
                    Ok(if left.is_empty() {
                        Poll::Ready(seen)
                    } else {
                        let left: Vec<String> = left.iter().map(ToString::to_string).collect();
                        Poll::Pending(format!("{} not yet in effect", left.join(", ")))
                    })
                }
            }
        },
    )
    .await
    .map_err(|e| match e {
        waiter::WaitError::Failed(d) => d,
        other => Diagnostic::error(format!("Bucket {name:?} not configured"), other.to_string()),
    })
}

/// Deletes the bucket; with `force_destroy`, every object version in it
/// first. Without it a bucket that holds objects is refused before
/// anything is deleted, so a refused destroy leaves it exactly as it was.
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    force_destroy: bool,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let name = id.id.as_str();
    // Only a bucket with this resource's marker: one of the name without
    // it is someone else's, and is left as it is.
    match tags::s3::read(client, name).await {
        Ok(tags) if id.owns(&tags) => {}
        Ok(_) => {
            tracing::info!(
                bucket = name,
                "the bucket is not this resource's: left as it is"
            );
            return Ok(());
        }
        Err(err) if err.code() == Some("NoSuchBucket") => return Ok(()),
        Err(err) => {
            return Err(aws::error(
                format!("Cannot read the tags of bucket {name:?}"),
                &err,
            ));
        }
    }
    if force_destroy {
        let deleted = cloud::empty(client, name, wait).await?;
        tracing::debug!(bucket = name, deleted, "bucket emptied");
    } else if let Some((count, more)) = cloud::contents(client, name).await?
        && count > 0
    {
        return Err(cloud::not_empty(name, count, more));
    }
    cloud::delete(client, name, wait).await
}
