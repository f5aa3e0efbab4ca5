//! Planning a bucket: the defaults its purpose (and the environment)
//! gives, the hardening settings always asked for (so drift from them
//! shows), what the plan can tell of the name, ARN and domain, and a
//! destroy refused while the bucket holds objects.

use tfplugin::resource::{PlanRequest, PlanResponse};
use tfplugin::value::{self, Value};

use super::cloud;
use super::state::{
    ABORT_MULTIPART_DAYS, BucketState, Purpose, SSE_KMS, SSE_S3, bucket_arn, bucket_domain_name,
};
use crate::config::SwarmClient;

/// A configured attribute's value, or what it defaults to.
fn resolve(config: &Value, attribute: &str, default: Option<Value>, resp: &mut PlanResponse) {
    let configured = config.get_attr(attribute).unwrap_or(&Value::Null);
    if configured.is_null() {
        resp.set(attribute, default.unwrap_or(Value::Unknown));
    }
}

fn days_value(days: Option<i64>) -> Value {
    days.map_or(Value::Null, Value::from)
}

/// Destroying (or replacing): refuses a bucket with objects unless
/// force_destroy was applied, so that Terraform stops before deleting
/// anything.
async fn plan_destroy(client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
    let prior: BucketState = match value::from_value(&req.prior_state) {
        Ok(prior) => prior,
        Err(e) => {
            return resp
                .diagnostics
                .error("Unreadable swarm_bucket state", e.to_string());
        }
    };
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
    if resp.destroying() {
        return plan_destroy(client, req, resp).await;
    }
    // A replacement destroys the bucket too.
    if !req.creating() && !resp.requires_replace.is_empty() {
        plan_destroy(client, req, resp).await;
    }
    let config = &req.config;
    let region = match req.prior_state.get_attr("region") {
        Some(Value::String(region)) => region.clone(),
        _ => client.region.clone(),
    };
    resp.set("region", Value::String(region.clone()));
    match resp.plan.get_attr("name").cloned() {
        Some(Value::String(name)) => {
            resp.set("id", Value::String(name.clone()));
            resp.set("arn", Value::String(bucket_arn(&name, &region)));
            resp.set(
                "bucket_domain_name",
                Value::String(bucket_domain_name(&name, &region)),
            );
            // A name another account, or an unmanaged bucket, has: say
            // so now rather than half way through apply.
            if req.creating()
                && let Err(d) = cloud::name_status(client, &name).await
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
        .get_attr("purpose")
        .and_then(Value::as_str)
        .and_then(Purpose::parse);
    resolve(
        config,
        "versioning",
        purpose.map(|p| Value::Bool(p.versioning(client.environment))),
        resp,
    );
    resolve(
        config,
        "expiration_days",
        purpose.map(|p| days_value(p.expiration_days())),
        resp,
    );
    resolve(
        config,
        "noncurrent_version_expiration_days",
        purpose.map(|p| days_value(p.noncurrent_days())),
        resp,
    );

    // The hardening settings, always.
    let kms = config.get_attr("kms_key_id").unwrap_or(&Value::Null);
    let (algorithm, bucket_key) = match kms {
        Value::Unknown => (Value::Unknown, Value::Unknown),
        Value::Null => (Value::from(SSE_S3), Value::Bool(false)),
        _ => (Value::from(SSE_KMS), Value::Bool(true)),
    };
    resp.set("sse_algorithm", algorithm);
    resp.set("bucket_key_enabled", bucket_key);
    resp.set("public_access_blocked", Value::Bool(true));
    resp.set("tls_required", Value::Bool(true));
    resp.set(
        "abort_incomplete_multipart_upload_days",
        Value::from(ABORT_MULTIPART_DAYS),
    );
}
