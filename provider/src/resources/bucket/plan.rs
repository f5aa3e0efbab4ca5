//! Planning a bucket: the defaults its purpose (and the environment)
//! gives, the hardening settings always asked for (so drift from them
//! shows), what the plan can tell of the name, ARN and domain, and a
//! destroy refused while the bucket holds objects.

use serde::Deserialize;
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{MaybeUnknown, Value};

use super::state::{
    ABORT_MULTIPART_DAYS, BucketState, Purpose, SSE_KMS, SSE_S3, bucket_arn, bucket_domain_name,
};
use super::{checks, cloud};
use crate::catalogue;
use crate::config::SwarmClient;
use crate::resources::planned::{self, Maybe};
use crate::tags;

/// What the configuration says of the attributes the plan resolves.
#[derive(Debug, Deserialize)]
struct Configured {
    purpose: Maybe<String>,
    versioning: Maybe<bool>,
    expiration_days: Maybe<i64>,
    noncurrent_version_expiration_days: Maybe<i64>,
    kms_key_id: Maybe<String>,
}

/// What the proposed plan holds of the attributes read here.
#[derive(Debug, Deserialize)]
struct Proposed {
    name: Maybe<String>,
}

/// A configured attribute's value, or what it defaults to.
fn resolve<T>(
    configured: &Maybe<T>,
    attribute: &str,
    default: Option<Value>,
    resp: &mut PlanResponse,
) {
    if planned::left_out(configured) {
        resp.set(attribute, default.unwrap_or(Value::Unknown));
    }
}

fn days_value(days: Option<i64>) -> Value {
    days.map_or(Value::Null, Value::from)
}

/// A prior state that does not decode, reported as it always was: under
/// one summary, with the place in the state after the message.
fn unreadable_state(diags: Diagnostics, resp: &mut PlanResponse) {
    for d in diags {
        let detail = match &d.attribute {
            Some(path) if !path.is_root() => format!("{} (at {path})", d.detail),
            _ => d.detail,
        };
        resp.diagnostics
            .error("Unreadable swarm_bucket state", detail);
    }
}

/// Destroying (or replacing): refuses a bucket with objects unless
/// force_destroy was applied, so that Terraform stops before deleting
/// anything.
async fn plan_destroy(client: &SwarmClient, prior: &BucketState, resp: &mut PlanResponse) {
    let Some(name) = prior.id.as_deref() else {
        return;
    };
    if prior.force_destroy == Some(true) {
        return;
    }
    match cloud::contents(client, name).await {
        Ok(Some((count, more))) if count > 0 => {
            resp.diagnostics.push(cloud::not_empty(name, count, more));
        }
        Ok(_) => {}
        // Apply checks again before deleting anything.
        Err(d) => {
            tracing::warn!(
                bucket = name,
                error = %d.detail,
                "cannot check whether the bucket is empty"
            )
        }
    }
}

pub async fn modify_plan(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    let prior: Option<BucketState> = match planned::prior_state(req) {
        Ok(prior) => prior,
        Err(d) => return unreadable_state(d, resp),
    };
    if resp.destroying() {
        if let Some(prior) = &prior {
            plan_destroy(client, prior, resp).await;
        }
        return;
    }
    let config: Configured = match req.config_as() {
        Ok(config) => config,
        Err(d) => return resp.diagnostics.extend(d),
    };
    let proposed: Proposed = match resp.plan_as() {
        Ok(proposed) => proposed,
        Err(d) => return resp.diagnostics.extend(d),
    };
    // A replacement destroys the bucket too.
    if let Some(prior) = &prior
        && !resp.requires_replace.is_empty()
    {
        plan_destroy(client, prior, resp).await;
    }
    let region = prior
        .as_ref()
        .and_then(|p| p.region.clone())
        .unwrap_or_else(|| client.region.clone());
    resp.set("region", Value::String(region.clone()));
    tags::plan(client, &checks::TAGGING, resp);
    match proposed.name {
        MaybeUnknown::Known(Some(name)) => {
            resp.set("id", Value::String(name.clone()));
            resp.set("arn", Value::String(bucket_arn(&name, &region)));
            resp.set(
                "bucket_domain_name",
                Value::String(bucket_domain_name(&name, &region)),
            );
            // A name another account, or a bucket that is not this
            // resource's, has: say so now rather than half way through apply.
            if req.creating()
                && let Err(d) = cloud::check_free(
                    client,
                    &name,
                    &crate::ownership::replaced(
                        &client.held,
                        "swarm_bucket",
                        &name,
                        &req.prior_private,
                    ),
                )
                .await
            {
                resp.diagnostics.push(d);
            }
        }
        _ => {
            for attribute in ["id", "arn", "bucket_domain_name"] {
                resp.set(attribute, Value::Unknown);
            }
        }
    }

    // Defaults from the purpose (and the environment), resolved on
    // every plan so that drift from them shows.
    let purpose = config
        .purpose
        .known()
        .and_then(Option::as_deref)
        .and_then(Purpose::parse);
    resolve(
        &config.versioning,
        "versioning",
        purpose.map(|p| Value::Bool(p.versioning(client.environment))),
        resp,
    );
    resolve(
        &config.expiration_days,
        "expiration_days",
        purpose.map(|p| days_value(p.expiration_days())),
        resp,
    );
    resolve(
        &config.noncurrent_version_expiration_days,
        "noncurrent_version_expiration_days",
        purpose.map(|p| days_value(p.noncurrent_days())),
        resp,
    );

    // The hardening settings, always.
    let (algorithm, bucket_key) = match &config.kms_key_id {
        MaybeUnknown::Unknown => (Value::Unknown, Value::Unknown),
        MaybeUnknown::Known(None) => (Value::from(SSE_S3), Value::Bool(false)),
        MaybeUnknown::Known(Some(_)) => (Value::from(SSE_KMS), Value::Bool(true)),
    };
    // A key ARN names its region; S3 takes only a key of the bucket's.
    if let MaybeUnknown::Known(Some(key)) = &config.kms_key_id
        && let Some(why) = catalogue::kms_key_refused(key, &region)
    {
        resp.diagnostics.attribute_error(
            AttributePath::attr("kms_key_id"),
            "KMS key in another region",
            format!("kms_key_id: {why}"),
        );
    }
    resp.set("sse_algorithm", algorithm);
    resp.set("bucket_key_enabled", bucket_key);
    resp.set("public_access_blocked", Value::Bool(true));
    resp.set("tls_required", Value::Bool(true));
    resp.set(
        "abort_incomplete_multipart_upload_days",
        Value::from(ABORT_MULTIPART_DAYS),
    );
}
