//! `swarm_bucket`: hardened S3 storage. Public access is always blocked, a
//! bucket policy refuses requests without TLS, objects are encrypted at
//! rest (SSE-KMS with a key, SSE-S3 otherwise), ACLs are off, and one
//! lifecycle rule keeps data as long as its purpose needs (logs 7 days,
//! backups 30, old versions of config 90, artifacts for good) and cleans
//! up abandoned multipart uploads.
//!
//! Read fetches every configuration at once, and the hardening settings
//! are computed attributes the plan always asks for: so a setting changed
//! out of band (versioning suspended, public access block or policy
//! removed, lifecycle rule edited, encryption changed) shows in the plan,
//! and apply puts it back. The bucket is tagged `swarm:bucket = <name>` and
//! with its purpose, which is how import restores it.

mod checks;
mod cloud;
mod policy;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tfplugin::diag::{Diagnostic, Diagnostics};
use tfplugin::path::AttributePath;
use tfplugin::resource::{
    ChangeRequest, ChangeResponse, ImportResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse, Resource,
};
use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::{self, MaybeUnknown, Type, Value};

use self::cloud::{Desired, Encryption, Observed, Retention};
use crate::config::{Environment, SwarmClient};
use crate::tags;

pub struct Bucket;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// How long S3 may take to read back a configuration just written (its
/// reads are eventually consistent; seconds in practice). Past this a
/// setting that does not read back as written is an error, not a wait.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(2 * 60);
/// Incomplete multipart uploads are aborted after this many days: their
/// parts are billed but invisible in listings.
const ABORT_MULTIPART_DAYS: i64 = 7;
/// The longest retention S3 takes is far beyond this; a century is enough.
const MAX_DAYS: i64 = 36_500;
const SSE_S3: &str = "AES256";
const SSE_KMS: &str = "aws:kms";

/// What a bucket is for; it picks the retention and versioning defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Logs,
    Artifacts,
    Backups,
    Config,
}

impl Purpose {
    const NAMES: [&'static str; 4] = ["logs", "artifacts", "backups", "config"];

    fn parse(name: &str) -> Option<Self> {
        match name {
            "logs" => Some(Purpose::Logs),
            "artifacts" => Some(Purpose::Artifacts),
            "backups" => Some(Purpose::Backups),
            "config" => Some(Purpose::Config),
            _ => None,
        }
    }

    /// How long current objects are kept; `None`: for good.
    fn expiration_days(self) -> Option<i64> {
        match self {
            Purpose::Logs => Some(7),
            Purpose::Backups => Some(30),
            Purpose::Artifacts | Purpose::Config => None,
        }
    }

    /// How long an object's older versions are kept once replaced or
    /// deleted (versioned buckets).
    fn noncurrent_days(self) -> Option<i64> {
        match self {
            Purpose::Logs => Some(7),
            Purpose::Artifacts | Purpose::Backups => Some(30),
            Purpose::Config => Some(90),
        }
    }

    /// Backups and config must survive overwrites and deletions; so must
    /// release artifacts in production. Logs are append-only.
    fn versioning(self, environment: Environment) -> bool {
        match self {
            Purpose::Backups | Purpose::Config => true,
            Purpose::Artifacts => environment == Environment::Production,
            Purpose::Logs => false,
        }
    }
}

/// The AWS partition of a region, for ARNs and domain names.
fn partition(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    }
}

fn bucket_arn(name: &str, region: &str) -> String {
    format!("arn:{}:s3:::{name}", partition(region).0)
}

fn bucket_domain_name(name: &str, region: &str) -> String {
    format!("{name}.s3.{}", partition(region).1)
}

/// The plan, at apply time.
#[derive(Debug, Deserialize)]
struct Spec {
    name: MaybeUnknown<Option<String>>,
    name_prefix: Option<String>,
    purpose: String,
    versioning: bool,
    expiration_days: Option<i64>,
    noncurrent_version_expiration_days: Option<i64>,
    kms_key_id: Option<String>,
    force_destroy: bool,
    tags: Option<BTreeMap<String, String>>,
    region: MaybeUnknown<Option<String>>,
}

/// What the state keeps that S3 does not have.
struct Kept {
    name_prefix: Option<String>,
    force_destroy: bool,
    region: String,
    timeouts: Value,
    /// `tags = {}` in the configuration, kept as such rather than null.
    empty_tags: bool,
}

impl Kept {
    fn from_state(state: &Value, client: &SwarmClient) -> Self {
        Self {
            name_prefix: state
                .get_attr("name_prefix")
                .and_then(Value::as_str)
                .map(str::to_owned),
            force_destroy: state
                .get_attr("force_destroy")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            region: state
                .get_attr("region")
                .and_then(Value::as_str)
                .unwrap_or(&client.region)
                .to_owned(),
            timeouts: state.get_attr("timeouts").cloned().unwrap_or(Value::Null),
            empty_tags: matches!(state.get_attr("tags"), Some(Value::Map(m)) if m.is_empty()),
        }
    }

    fn imported(client: &SwarmClient) -> Self {
        Self {
            name_prefix: None,
            force_destroy: false,
            region: client.region.clone(),
            timeouts: Value::Null,
            empty_tags: false,
        }
    }
}

/// The resource's state, as stored.
#[derive(Debug, Serialize)]
struct StateModel {
    id: String,
    name: String,
    name_prefix: Option<String>,
    purpose: Option<String>,
    versioning: bool,
    expiration_days: Option<i64>,
    noncurrent_version_expiration_days: Option<i64>,
    kms_key_id: Option<String>,
    force_destroy: bool,
    tags: Option<BTreeMap<String, String>>,
    arn: String,
    region: String,
    bucket_domain_name: String,
    sse_algorithm: Option<String>,
    bucket_key_enabled: bool,
    public_access_blocked: bool,
    tls_required: bool,
    abort_incomplete_multipart_upload_days: Option<i64>,
}

/// The state of a bucket as S3 has it.
fn state_of(
    client: &SwarmClient,
    name: &str,
    seen: &Observed,
    kept: Kept,
) -> Result<Value, Diagnostic> {
    let retention = seen.retention();
    let user_tags = seen.user_tags(client);
    let arn = bucket_arn(name, &kept.region);
    let model = StateModel {
        id: name.to_owned(),
        name: name.to_owned(),
        name_prefix: kept.name_prefix,
        purpose: seen.purpose().map(str::to_owned),
        versioning: seen.versioning_enabled(),
        expiration_days: retention.expiration_days,
        noncurrent_version_expiration_days: retention.noncurrent_days,
        kms_key_id: seen
            .encryption
            .as_ref()
            .filter(|e| e.algorithm != SSE_S3)
            .and_then(|e| e.kms_key_id.clone()),
        force_destroy: kept.force_destroy,
        tags: (!user_tags.is_empty() || kept.empty_tags).then_some(user_tags),
        bucket_domain_name: bucket_domain_name(name, &kept.region),
        tls_required: seen.tls_required(&arn),
        arn,
        region: kept.region,
        sse_algorithm: seen.encryption.as_ref().map(|e| e.algorithm.clone()),
        bucket_key_enabled: seen.encryption.as_ref().is_some_and(|e| e.bucket_key),
        public_access_blocked: seen.public_access_blocked,
        abort_incomplete_multipart_upload_days: retention.abort_multipart_days,
    };
    state_value(&model, kept.timeouts)
}

/// The stored form of a state model, with the `timeouts` block.
fn state_value(model: &StateModel, timeouts: Value) -> Result<Value, Diagnostic> {
    let bug = |why: String| {
        Diagnostic::error(
            "Cannot record the bucket's state",
            format!("{why}. This is a bug in the provider."),
        )
    };
    match value::to_value(model).and_then(|v| v.conform(&schema().value_type())) {
        Ok(Value::Object(mut attrs)) => {
            attrs.insert("timeouts".to_owned(), timeouts);
            Ok(Value::Object(attrs))
        }
        Ok(other) => Err(bug(format!("the state is {}", other.kind()))),
        Err(e) => Err(bug(e.to_string())),
    }
}

/// The bucket's tags: the provider's defaults, the user's (which win),
/// and the identity tags.
fn desired_tags(
    client: &SwarmClient,
    name: &str,
    purpose: &str,
    user: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut out = tags::resource_tags(client, user, cloud::KIND, name);
    out.insert(cloud::PURPOSE_KEY.to_owned(), purpose.to_owned());
    out
}

fn desired(client: &SwarmClient, spec: &Spec, name: &str, region: &str) -> Desired {
    let kms = spec.kms_key_id.clone();
    Desired {
        name: name.to_owned(),
        arn: bucket_arn(name, region),
        region: region.to_owned(),
        versioning: spec.versioning,
        encryption: Encryption {
            algorithm: if kms.is_some() { SSE_KMS } else { SSE_S3 }.to_owned(),
            bucket_key: kms.is_some(),
            kms_key_id: kms,
        },
        retention: Retention {
            expiration_days: spec.expiration_days,
            noncurrent_days: spec.noncurrent_version_expiration_days,
            abort_multipart_days: Some(ABORT_MULTIPART_DAYS),
        },
        tags: desired_tags(client, name, &spec.purpose, spec.tags.as_ref()),
    }
}

fn computed_string(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .computed()
        .description(description)
        .plan_modifier(plan_modifiers::use_state_for_unknown())
}

fn days_attribute(name: &str, description: &str) -> Attribute {
    Attribute::number(name)
        .optional()
        .computed()
        .description(description)
        .validator(validators::int_between(1, MAX_DAYS))
}

fn schema() -> Schema {
    Schema::new(
        "Hardened S3 storage for an agent swarm: public access blocked, a bucket policy that \
         refuses requests without TLS, default encryption (SSE-KMS with `kms_key_id`, SSE-S3 \
         otherwise), ACLs disabled, and a lifecycle rule that keeps data as long as its \
         `purpose` needs and aborts incomplete multipart uploads after 7 days. The hardening \
         settings are checked on every refresh: if one is changed out of band the plan shows \
         it and apply restores it. The provider manages the bucket's tags, encryption, \
         versioning and lifecycle configuration as a whole (lifecycle rules added out of band \
         are removed); in the bucket policy it manages only its own statement.",
    )
    .attribute(computed_string("id", "The bucket's name."))
    .attribute(
        Attribute::string("name")
            .optional()
            .computed()
            .description(
                "The bucket's name, globally unique: 3 to 63 lowercase letters, digits, hyphens \
                 and dots, starting and ending with a letter or digit. Set exactly one of `name` \
                 and `name_prefix`. Changing it replaces the bucket.",
            )
            .validator(validators::string_check(
                "a valid S3 bucket name",
                checks::bucket_name,
            ))
            .plan_modifier(plan_modifiers::use_state_for_unknown())
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("name_prefix")
            .optional()
            .description(format!(
                "Makes a unique name beginning with this prefix (at most {} characters), \
                 followed by the creation time and a counter. Set exactly one of `name` and \
                 `name_prefix`. Changing it replaces the bucket.",
                checks::MAX_PREFIX_LEN
            ))
            .validator(validators::string_check(
                "a bucket name prefix",
                checks::name_prefix,
            ))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("purpose")
            .required()
            .description(
                "What the bucket holds; picks the defaults of `expiration_days`, \
                 `noncurrent_version_expiration_days` and `versioning`:\n\n\
                 | purpose | objects kept | old versions kept | versioning |\n\
                 |---|---|---|---|\n\
                 | `logs` | 7 days | 7 days | off |\n\
                 | `artifacts` | for good | 30 days | on in production, off otherwise |\n\
                 | `backups` | 30 days | 30 days | on |\n\
                 | `config` | for good | 90 days | on |",
            )
            .validator(validators::one_of(Purpose::NAMES)),
    )
    .attribute(
        Attribute::bool("versioning")
            .optional()
            .computed()
            .description(
                "Keep every version of every object, so that overwrites and deletions can be \
                 undone. Default: on for `backups` and `config`, and for `artifacts` in \
                 production; off otherwise. Turning it off suspends versioning (S3 cannot \
                 disable it once enabled).",
            ),
    )
    .attribute(days_attribute(
        "expiration_days",
        "Days after which current objects expire (in a versioned bucket they become old \
         versions). Default from `purpose`: logs 7, backups 30; artifacts and config are kept \
         for good (null).",
    ))
    .attribute(days_attribute(
        "noncurrent_version_expiration_days",
        "Days an object's old version is kept after it was replaced or deleted. Default from \
         `purpose`: logs 7, artifacts and backups 30, config 90.",
    ))
    .attribute(
        Attribute::string("kms_key_id")
            .optional()
            .description(
                "KMS key for default encryption (SSE-KMS, with an S3 Bucket Key to cut KMS \
                 requests): a key id, key ARN, alias ARN or `alias/<name>`. Default: SSE-S3 \
                 (AES-256 with keys S3 manages).",
            )
            .validator(validators::string_check(
                "a KMS key id, key ARN, alias ARN or alias name",
                checks::kms_key_id,
            )),
    )
    .attribute(
        Attribute::bool("force_destroy")
            .default_value(Value::Bool(false))
            .description(
                "Allow destroying a bucket that holds objects: every object version and delete \
                 marker is deleted first. Default `false`: destroying a non-empty bucket fails \
                 and deletes nothing. Set it to `true` and apply before destroying.",
            ),
    )
    .attribute(
        Attribute::map_of("tags", Type::String)
            .optional()
            .description(
                "Tags for the bucket, over the provider's `default_tags`. Keys starting with \
                 `swarm:` (the provider's identity tags) or `aws:` are reserved.",
            ),
    )
    .attribute(computed_string("arn", "The bucket's ARN."))
    .attribute(computed_string(
        "region",
        "The region the bucket is in (the provider's when it was created).",
    ))
    .attribute(computed_string(
        "bucket_domain_name",
        "The bucket's domain name, `<name>.s3.amazonaws.com`.",
    ))
    .attribute(Attribute::string("sse_algorithm").computed().description(
        "Default encryption in force: `aws:kms` with `kms_key_id`, `AES256` (SSE-S3) \
                 otherwise.",
    ))
    .attribute(
        Attribute::bool("bucket_key_enabled")
            .computed()
            .description(
                "Whether an S3 Bucket Key is used with SSE-KMS; always with a `kms_key_id`.",
            ),
    )
    .attribute(
        Attribute::bool("public_access_blocked")
            .computed()
            .description(
                "Whether all four public access block settings are on; always planned `true`.",
            ),
    )
    .attribute(Attribute::bool("tls_required").computed().description(
        "Whether the bucket policy denies every request made without TLS \
                 (`aws:SecureTransport` false), on the bucket and its objects; always planned \
                 `true`.",
    ))
    .attribute(
        Attribute::number("abort_incomplete_multipart_upload_days")
            .computed()
            .description(
                "Days after which the lifecycle rule aborts incomplete multipart uploads; \
                 always planned 7. Null when the bucket's lifecycle configuration is not the \
                 provider's rule alone.",
            ),
    )
    .block(timeouts::block(&["create", "update", "delete"]))
}

fn timeout(value: &Value, op: &str, diags: &mut Diagnostics) -> Duration {
    timeouts::get(value, op, DEFAULT_TIMEOUT).unwrap_or_else(|d| {
        diags.push(d);
        DEFAULT_TIMEOUT
    })
}

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

impl Bucket {
    /// Destroying (or replacing): refuses a bucket with objects unless
    /// force_destroy was applied, so that Terraform stops before deleting
    /// anything.
    async fn plan_destroy(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        let kept = Kept::from_state(&req.prior_state, client);
        let Some(name) = req.prior_state.get_attr("id").and_then(Value::as_str) else {
            return;
        };
        if kept.force_destroy {
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

    async fn apply(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let spec: Spec = match req.plan_as() {
            Ok(spec) => spec,
            Err(d) => return resp.diagnostics.extend(d),
        };
        let name = match (&spec.name, &spec.name_prefix) {
            (MaybeUnknown::Known(Some(name)), _) => name.clone(),
            (_, Some(prefix)) => checks::unique_name(prefix),
            _ => {
                return resp.diagnostics.attribute_error(
                    AttributePath::attr("name"),
                    "No bucket name",
                    "Set name or name_prefix.",
                );
            }
        };
        let creating = req.prior_state.is_null();
        let op = if creating { "create" } else { "update" };
        let timeout = timeout(&req.plan, op, &mut resp.diagnostics);
        let region = match &spec.region {
            MaybeUnknown::Known(Some(region)) => region.clone(),
            _ => client.region.clone(),
        };
        let desired = desired(client, &spec, &name, &region);
        let kept = || Kept {
            name_prefix: spec.name_prefix.clone(),
            force_destroy: spec.force_destroy,
            region: region.clone(),
            timeouts: req
                .plan
                .get_attr("timeouts")
                .cloned()
                .unwrap_or(Value::Null),
            empty_tags: spec.tags.as_ref().is_some_and(BTreeMap::is_empty),
        };
        let outcome = match cloud::ensure(client, &desired, timeout, &req.cancel).await {
            Ok(()) => {
                let settle = timeout.min(SETTLE_TIMEOUT);
                cloud::wait_applied(client, &desired, settle, &req.cancel).await
            }
            Err(d) => Err(d),
        };
        let seen = match outcome {
            Ok(seen) => Some(seen),
            Err(d) => {
                resp.diagnostics.push(d);
                // Whatever happened, the state is what exists.
                match Observed::load(client, &name).await {
                    Ok(Some(seen)) => Some(seen),
                    Ok(None) => {
                        resp.new_state = Value::Null;
                        None
                    }
                    Err(d) => {
                        resp.diagnostics.push(d);
                        None
                    }
                }
            }
        };
        if let Some(seen) = seen {
            match state_of(client, &name, &seen, kept()) {
                Ok(state) => resp.new_state = state,
                Err(d) => resp.diagnostics.push(d),
            }
        }
    }
}

#[tfplugin::async_trait]
impl Resource<SwarmClient> for Bucket {
    fn type_name(&self) -> &'static str {
        "swarm_bucket"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let set = |name: &str| config.get_attr(name).is_some_and(|v| !v.is_null());
        match (set("name"), set("name_prefix")) {
            (true, true) => diags.attribute_error(
                AttributePath::attr("name_prefix"),
                "Conflicting name settings",
                "Set either name or name_prefix, not both.",
            ),
            (false, false) => diags.attribute_error(
                AttributePath::attr("name"),
                "Missing bucket name",
                "Set name (the bucket's exact name) or name_prefix (a unique name is made from \
                 it).",
            ),
            _ => {}
        }
        if let Some(tags) = config.get_attr("tags") {
            let path = AttributePath::attr("tags");
            tfplugin::schema::Validator::validate(&checks::TAG_KEYS, tags, &path, diags);
        }
    }

    async fn modify_plan(&self, client: &SwarmClient, req: &PlanRequest, resp: &mut PlanResponse) {
        if resp.destroying() {
            return self.plan_destroy(client, req, resp).await;
        }
        // A replacement destroys the bucket too.
        if !req.creating() && !resp.requires_replace.is_empty() {
            self.plan_destroy(client, req, resp).await;
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

    async fn create(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        self.apply(client, req, resp).await;
    }

    async fn read(&self, client: &SwarmClient, req: &ReadRequest, resp: &mut ReadResponse) {
        let Some(name) = req.state.get_attr("id").and_then(Value::as_str) else {
            return resp.diagnostics.error("Bucket state has no id", "");
        };
        match Observed::load(client, name).await {
            Ok(Some(seen)) => {
                match state_of(client, name, &seen, Kept::from_state(&req.state, client)) {
                    Ok(state) => resp.new_state = state,
                    Err(d) => resp.diagnostics.push(d),
                }
            }
            Ok(None) => resp.new_state = Value::Null,
            Err(d) => resp.diagnostics.push(d),
        }
    }

    async fn update(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        self.apply(client, req, resp).await;
    }

    async fn delete(&self, client: &SwarmClient, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let Some(name) = req.prior_state.get_attr("id").and_then(Value::as_str) else {
            return resp.diagnostics.error("Bucket state has no id", "");
        };
        let timeout = timeout(&req.prior_state, "delete", &mut resp.diagnostics);
        let deadline = Instant::now() + timeout;
        let force = Kept::from_state(&req.prior_state, client).force_destroy;
        // Check before deleting anything: a refused destroy leaves the
        // bucket exactly as it was.
        let emptied = if force {
            cloud::empty(client, name, deadline, &req.cancel)
                .await
                .map(|deleted| tracing::debug!(bucket = name, deleted, "bucket emptied"))
        } else {
            match cloud::contents(client, name).await {
                Ok(Some((count, more))) if count > 0 => Err(cloud::not_empty(name, count, more)),
                Ok(_) => Ok(()),
                Err(d) => Err(d),
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let outcome = match emptied {
            Ok(()) => cloud::delete(client, name, remaining, &req.cancel).await,
            Err(d) => Err(d),
        };
        if let Err(d) = outcome {
            resp.diagnostics.push(d);
        }
    }

    async fn import(&self, client: &SwarmClient, id: &str, resp: &mut ImportResponse) {
        match Observed::load(client, id).await {
            Ok(Some(seen)) => match state_of(client, id, &seen, Kept::imported(client)) {
                Ok(state) => resp.state = state,
                Err(d) => resp.diagnostics.push(d),
            },
            Ok(None) => resp.diagnostics.push(Diagnostic::error(
                "Bucket not found",
                format!(
                    "No bucket named {id:?} exists in {}; import takes the bucket's name.",
                    client.region
                ),
            )),
            Err(d) => resp.diagnostics.push(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_by_purpose() {
        let dev = Environment::Development;
        let prod = Environment::Production;
        assert_eq!(Purpose::Logs.expiration_days(), Some(7));
        assert_eq!(Purpose::Backups.expiration_days(), Some(30));
        assert_eq!(Purpose::Config.expiration_days(), None);
        assert_eq!(Purpose::Config.noncurrent_days(), Some(90));
        assert_eq!(Purpose::Artifacts.expiration_days(), None);
        assert!(Purpose::Backups.versioning(dev));
        assert!(!Purpose::Logs.versioning(prod));
        assert!(!Purpose::Artifacts.versioning(dev));
        assert!(Purpose::Artifacts.versioning(prod));
        for name in Purpose::NAMES {
            assert!(Purpose::parse(name).is_some(), "{name}");
        }
    }

    #[test]
    fn arns_and_domains_follow_the_partition() {
        assert_eq!(bucket_arn("b", "us-east-1"), "arn:aws:s3:::b");
        assert_eq!(bucket_arn("b", "cn-north-1"), "arn:aws-cn:s3:::b");
        assert_eq!(bucket_domain_name("b", "eu-west-1"), "b.s3.amazonaws.com");
        assert_eq!(
            bucket_domain_name("b", "cn-north-1"),
            "b.s3.amazonaws.com.cn"
        );
    }

    #[test]
    fn the_state_model_fits_the_schema() {
        let model = StateModel {
            id: "b".into(),
            name: "b".into(),
            name_prefix: None,
            purpose: Some("logs".into()),
            versioning: false,
            expiration_days: Some(7),
            noncurrent_version_expiration_days: None,
            kms_key_id: None,
            force_destroy: false,
            tags: Some(BTreeMap::new()),
            arn: bucket_arn("b", "us-east-1"),
            region: "us-east-1".into(),
            bucket_domain_name: bucket_domain_name("b", "us-east-1"),
            sse_algorithm: Some(SSE_S3.into()),
            bucket_key_enabled: false,
            public_access_blocked: true,
            tls_required: true,
            abort_incomplete_multipart_upload_days: Some(7),
        };
        let state = state_value(&model, Value::Null).unwrap();
        assert_eq!(state.get_attr("expiration_days"), Some(&Value::from(7)));
        assert_eq!(state.get_attr("tags"), Some(&Value::Map(BTreeMap::new())));
        assert_eq!(state.get_attr("timeouts"), Some(&Value::Null));
        assert!(state.is_wholly_known());
    }
}
