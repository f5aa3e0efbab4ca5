//! `swarm_bucket` end to end, one focused test per concern: `basic`
//! (create, the bucket read back through the SDK: versioning, encryption,
//! public access block, TLS-only policy, lifecycle rule, tags, ownership;
//! an empty plan; destroy leaves nothing), `update` (retention, encryption
//! and tags in place on the same bucket, then import by name with the CLI
//! and `import {}`), `drift` (each hardening setting changed out of band,
//! shown by the plan and repaired by apply), a refused destroy of a bucket
//! with objects that deletes nothing, then force_destroy; the purpose's
//! and environment's defaults, and invalid values.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use acceptance_tests::checks::{Memo, drifted, err, out_of_band, same, sdk_check, sent, tag_map};
use acceptance_tests::emulator::{Emulator, REGION};
use acceptance_tests::{config, run, test_case, with_import_block};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};
use serde_json::{Value as Json, json};
use tfplugin::testing::{Check, CheckResult, Step, TestCase};

type S3 = aws_sdk_s3::Client;

const ADDRESS: &str = "swarm_bucket.backups";
const KMS_ALIAS: &str = "alias/agents-backups";
/// Objects the destroy test writes: more than one page of listings and
/// one DeleteObjects batch (1000 each).
const OBJECTS: usize = 1003;

/// A bucket name unique enough for a real AWS account (names are global).
fn unique(stem: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("swarm-acc-{stem}-{:x}", nanos % (1 << 48))
}

fn provider(emulator: &Emulator, environment: &str) -> String {
    emulator.provider_block(&format!(
        "  environment  = \"{environment}\"\n  default_tags = {{ owner = \"platform\" }}\n"
    ))
}

fn with_resources(emulator: &Emulator, environment: &str, resources: &str) -> String {
    config(&format!(
        "{}\n{resources}\n",
        provider(emulator, environment)
    ))
}

fn backups(emulator: &Emulator, body: &str) -> String {
    with_resources(
        emulator,
        "staging",
        &format!("resource \"swarm_bucket\" \"backups\" {{\n{body}\n}}\n"),
    )
}

/// What a bucket must look like in S3.
#[derive(Clone)]
struct Expect {
    name: String,
    purpose: &'static str,
    versioning: bool,
    expiration: Option<i32>,
    noncurrent: Option<i32>,
    kms_key: Option<&'static str>,
    tags: Vec<(&'static str, &'static str)>,
}

/// Reads every setting of the bucket through the SDK and compares.
async fn check_bucket(e: &Emulator, want: &Expect) -> Result<(), String> {
    let s3 = e.s3().await;
    let name = want.name.as_str();

    let versioning = s3
        .get_bucket_versioning()
        .bucket(name)
        .send()
        .await
        .map_err(err)?;
    same(
        "versioning",
        versioning.status() == Some(&BucketVersioningStatus::Enabled),
        want.versioning,
    )?;

    let encryption = s3
        .get_bucket_encryption()
        .bucket(name)
        .send()
        .await
        .map_err(err)?;
    let rule = encryption
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .ok_or("no encryption rule")?;
    let default = rule
        .apply_server_side_encryption_by_default()
        .ok_or("no default encryption")?;
    match want.kms_key {
        Some(key) => {
            same(
                "SSE algorithm",
                default.sse_algorithm(),
                &ServerSideEncryption::AwsKms,
            )?;
            same("KMS key", default.kms_master_key_id(), Some(key))?;
            same("bucket key", rule.bucket_key_enabled(), Some(true))?;
        }
        None => {
            same(
                "SSE algorithm",
                default.sse_algorithm(),
                &ServerSideEncryption::Aes256,
            )?;
            same("KMS key", default.kms_master_key_id(), None)?;
        }
    }

    let access = s3
        .get_public_access_block()
        .bucket(name)
        .send()
        .await
        .map_err(err)?;
    let block = access
        .public_access_block_configuration()
        .ok_or("no public access block")?;
    for (setting, on) in [
        ("BlockPublicAcls", block.block_public_acls()),
        ("IgnorePublicAcls", block.ignore_public_acls()),
        ("BlockPublicPolicy", block.block_public_policy()),
        ("RestrictPublicBuckets", block.restrict_public_buckets()),
    ] {
        same(setting, on, Some(true))?;
    }

    let policy = s3
        .get_bucket_policy()
        .bucket(name)
        .send()
        .await
        .map_err(err)?;
    let policy: Json =
        serde_json::from_str(policy.policy().unwrap_or_default()).map_err(|e| e.to_string())?;
    let arn = format!("arn:aws:s3:::{name}");
    let denies_plain_http = policy["Statement"].as_array().is_some_and(|statements| {
        statements.iter().any(|s| {
            s["Effect"] == "Deny"
                && s["Principal"] == "*"
                && s["Action"] == "s3:*"
                && s["Resource"] == json!([arn, format!("{arn}/*")])
                && s["Condition"] == json!({"Bool": {"aws:SecureTransport": "false"}})
        })
    });
    if !denies_plain_http {
        return Err(format!(
            "the bucket policy does not refuse plain HTTP: {policy}"
        ));
    }

    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(name)
        .send()
        .await
        .map_err(err)?;
    let [rule] = lifecycle.rules() else {
        return Err(format!(
            "{} lifecycle rules, expected 1",
            lifecycle.rules().len()
        ));
    };
    same(
        "lifecycle rule status",
        rule.status(),
        &ExpirationStatus::Enabled,
    )?;
    same(
        "expiration days",
        rule.expiration().and_then(LifecycleExpiration::days),
        want.expiration,
    )?;
    same(
        "noncurrent version expiration days",
        rule.noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days()),
        want.noncurrent,
    )?;
    same(
        "abort incomplete multipart upload days",
        rule.abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(7),
    )?;
    same(
        "lifecycle filter prefix",
        rule.filter()
            .and_then(LifecycleRuleFilter::prefix)
            .unwrap_or_default(),
        "",
    )?;

    let tagging = s3
        .get_bucket_tagging()
        .bucket(name)
        .send()
        .await
        .map_err(err)?;
    let mut tags = tag_map(tagging.tag_set());
    // The ownership marker: the state's, checked by unique_names; here,
    // that there is one.
    let marker = tags.remove("swarm:owner").unwrap_or_default();
    if marker.len() != 20 || !marker.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("the bucket's swarm:owner tag is {marker:?}"));
    }
    let mut expected: BTreeMap<String, String> = want
        .tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (k, v) in [
        ("owner", "platform"),
        ("swarm:bucket", name),
        ("swarm:managed-by", "terraform-provider-swarm"),
        ("swarm:purpose", want.purpose),
    ] {
        expected.insert(k.to_owned(), v.to_owned());
    }
    same("tags", tags, expected)?;

    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(name)
        .send()
        .await
        .map_err(err)?;
    same(
        "object ownership",
        ownership
            .ownership_controls()
            .and_then(|c| c.rules().first())
            .map(|r| r.object_ownership().as_str().to_owned()),
        Some("BucketOwnerEnforced".to_owned()),
    )
}

/// When the bucket was created, from ListBuckets: unchanged when it was
/// updated in place.
async fn created_at(e: &Emulator, name: &str) -> Result<String, String> {
    let buckets = e.s3().await.list_buckets().send().await.map_err(err)?;
    buckets
        .buckets()
        .iter()
        .find(|b| b.name() == Some(name))
        .and_then(|b| b.creation_date())
        .map(ToString::to_string)
        .ok_or_else(|| format!("no bucket {name}"))
}

/// Every object version and delete marker in the bucket.
async fn count_versions(e: &Emulator, name: &str) -> Result<usize, String> {
    let s3 = e.s3().await;
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    let mut count = 0;
    loop {
        let page = s3
            .list_object_versions()
            .bucket(name)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(err)?;
        count += page.versions().len() + page.delete_markers().len();
        if !page.is_truncated().unwrap_or(false) {
            return Ok(count);
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
}

/// Whether the bucket exists (HeadBucket) and is listed.
async fn bucket_exists(e: &Emulator, name: &str) -> Result<bool, String> {
    let s3 = e.s3().await;
    let head = match s3.head_bucket().bucket(name).send().await {
        Ok(_) => true,
        Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => false,
        Err(e) => return Err(err(e)),
    };
    let listed = s3
        .list_buckets()
        .send()
        .await
        .map_err(err)?
        .buckets()
        .iter()
        .any(|b| b.name() == Some(name));
    if head == listed {
        Ok(head)
    } else {
        Err(format!("HeadBucket says {head}, ListBuckets says {listed}"))
    }
}

/// A client whose requests go over plain HTTP: the emulator's endpoint
/// (where `X-Forwarded-Proto: http` marks a request as made without TLS,
/// see emulator/ext_s3.py), or S3's HTTP endpoint on AWS.
async fn plain_http_s3(e: &Emulator) -> aws_sdk_s3::Client {
    match e.endpoint() {
        Some(_) => e.s3().await,
        None => {
            let conf = aws_sdk_s3::config::Builder::from(&e.sdk_config().await)
                .endpoint_url(format!("http://s3.{REGION}.amazonaws.com"))
                .force_path_style(true)
                .build();
            aws_sdk_s3::Client::from_conf(conf)
        }
    }
}

/// Writes objects into a versioned bucket: `OBJECTS` objects, three
/// versions of `config.json` and a delete marker on top of them; after
/// showing that a write over plain HTTP is refused by the bucket policy.
async fn fill(e: &Emulator, name: &str) -> Result<usize, String> {
    let refused = plain_http_s3(e)
        .await
        .put_object()
        .bucket(name)
        .key("plain-http.txt")
        .body(ByteStream::from_static(b"no TLS"))
        .customize()
        .mutate_request(|request| {
            request.headers_mut().insert("x-forwarded-proto", "http");
        })
        .send()
        .await;
    match refused {
        Ok(_) => return Err("a PutObject over plain HTTP was accepted".into()),
        Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(403) => {}
        Err(e) => {
            return Err(format!(
                "a PutObject over plain HTTP failed, but not with 403: {}",
                err(e)
            ));
        }
    }

    let s3 = e.s3().await;
    let keys: Vec<String> = (0..OBJECTS).map(|i| format!("runs/{i:05}.json")).collect();
    for chunk in keys.chunks(32) {
        let mut puts = tokio::task::JoinSet::new();
        for key in chunk {
            let call = s3
                .put_object()
                .bucket(name)
                .key(key)
                .body(ByteStream::from_static(b"{}"))
                .send();
            puts.spawn(call);
        }
        while let Some(done) = puts.join_next().await {
            done.map_err(|e| e.to_string())?.map_err(err)?;
        }
    }
    for version in ["v1", "v2", "v3"] {
        s3.put_object()
            .bucket(name)
            .key("config.json")
            .body(ByteStream::from(version.as_bytes().to_vec()))
            .send()
            .await
            .map_err(err)?;
    }
    s3.delete_object()
        .bucket(name)
        .key("config.json")
        .send()
        .await
        .map_err(err)?;
    Ok(OBJECTS + 4)
}

/// A plan step after `change` was made to the bucket `name` out of band.
fn changed<F, Fut>(emulator: &Arc<Emulator>, hcl: &str, name: &str, change: F) -> Step
where
    F: Fn(S3, String) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let name = name.to_owned();
    drifted(emulator, hcl, move |e| {
        let name = name.clone();
        async move { change(e.s3().await, name).await }
    })
}

/// A check that the bucket is as `want` says, and was created when the
/// test's earlier steps saw it created (`created`): not replaced.
fn bucket_matches(emulator: &Arc<Emulator>, want: &Expect, created: &Memo<String>) -> Check {
    let (want, created) = (want.clone(), created.clone());
    sdk_check(emulator, move |e, _| {
        let (want, created) = (want.clone(), created.clone());
        async move {
            check_bucket(&e, &want).await?;
            created.first_or_same("the bucket", created_at(&e, &want.name).await?)
        }
    })
}

/// A check after destroy: the bucket `name` is gone.
fn gone(emulator: &Arc<Emulator>, name: &str) -> Check {
    let name = name.to_owned();
    sdk_check(emulator, move |e, _| {
        let name = name.clone();
        async move {
            same(
                "bucket exists after destroy",
                bucket_exists(&e, &name).await?,
                false,
            )
        }
    })
}

async fn suspend_versioning(s3: S3, name: String) -> CheckResult {
    sent(
        s3.put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Suspended)
                    .build(),
            )
            .send()
            .await,
    )
}

async fn delete_public_access_block(s3: S3, name: String) -> CheckResult {
    sent(s3.delete_public_access_block().bucket(name).send().await)
}

async fn delete_policy(s3: S3, name: String) -> CheckResult {
    sent(s3.delete_bucket_policy().bucket(name).send().await)
}

async fn keep_for_400_days(s3: S3, name: String) -> CheckResult {
    let rule = LifecycleRule::builder()
        .id("swarm-retention")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .expiration(LifecycleExpiration::builder().days(400).build())
        .build()
        .map_err(err)?;
    sent(
        s3.put_bucket_lifecycle_configuration()
            .bucket(name)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(err)?,
            )
            .send()
            .await,
    )
}

async fn encrypt_with_s3_keys(s3: S3, name: String) -> CheckResult {
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::Aes256)
        .build()
        .map_err(err)?;
    s3.put_bucket_encryption()
        .bucket(&name)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(default)
                        .build(),
                )
                .build()
                .map_err(err)?,
        )
        .send()
        .await
        .map(|_| ())
        .map_err(err)
}

async fn retag(s3: S3, name: String) -> CheckResult {
    // The marker stays: a bucket without it is someone else's, not drift.
    let current = s3
        .get_bucket_tagging()
        .bucket(&name)
        .send()
        .await
        .map_err(err)?;
    let marker = current
        .tag_set()
        .iter()
        .find(|t| t.key() == "swarm:owner")
        .map(|t| t.value().to_owned())
        .ok_or("the bucket has no swarm:owner tag")?;
    let tags = [
        ("team", "someone-else"),
        ("swarm:bucket", name.as_str()),
        ("swarm:owner", marker.as_str()),
    ]
    .iter()
    .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
    .collect::<Result<Vec<_>, _>>()
    .map_err(err)?;
    sent(
        s3.put_bucket_tagging()
            .bucket(&name)
            .tagging(
                Tagging::builder()
                    .set_tag_set(Some(tags))
                    .build()
                    .map_err(err)?,
            )
            .send()
            .await,
    )
}

/// The backups bucket of the focused tests: its configurations and what
/// S3 must have for each.
struct Backups {
    emulator: Arc<Emulator>,
    name: String,
    created: Memo<String>,
}

impl Backups {
    fn start() -> Self {
        Self {
            emulator: Arc::new(Emulator::start()),
            name: unique("backups"),
            created: Memo::default(),
        }
    }

    fn created_hcl(&self) -> String {
        backups(
            &self.emulator,
            &format!(
                "  name    = \"{}\"\n  purpose = \"backups\"\n  tags    = {{ team = \"agents\" }}",
                self.name
            ),
        )
    }

    fn updated_body(&self) -> String {
        format!(
            "  name            = \"{}\"\n  purpose         = \"backups\"\n  expiration_days = 45\n  \
             noncurrent_version_expiration_days = 90\n  kms_key_id      = \"{KMS_ALIAS}\"\n  \
             tags            = {{ team = \"swarm\" }}",
            self.name
        )
    }

    fn updated_hcl(&self) -> String {
        backups(&self.emulator, &self.updated_body())
    }

    fn created(&self) -> Expect {
        Expect {
            name: self.name.clone(),
            purpose: "backups",
            versioning: true,
            expiration: Some(30),
            noncurrent: Some(30),
            kms_key: None,
            tags: vec![("team", "agents")],
        }
    }

    fn updated(&self) -> Expect {
        Expect {
            expiration: Some(45),
            noncurrent: Some(90),
            kms_key: Some(KMS_ALIAS),
            tags: vec![("team", "swarm")],
            ..self.created()
        }
    }

    /// A test case whose destroy must leave no bucket.
    fn case(&self) -> TestCase {
        test_case().check_destroy(gone(&self.emulator, &self.name))
    }

    /// The bucket is as `want` says; the same bucket.
    fn matches(&self, want: &Expect) -> Check {
        bucket_matches(&self.emulator, want, &self.created)
    }
}

/// Create: what Terraform shows, then every setting read back from S3;
/// the plan is empty; destroy deletes the bucket.
#[tokio::test]
async fn basic() {
    let b = Backups::start();
    let arn = format!("arn:aws:s3:::{}", b.name);
    let case = b.case().step(
        Step::apply(b.created_hcl())
            .check(Check::attr_equals(ADDRESS, "id", b.name.as_str()))
            .check(Check::attr_equals(ADDRESS, "arn", arn.as_str()))
            .check(Check::attr_equals(
                ADDRESS,
                "bucket_domain_name",
                format!("{}.s3.amazonaws.com", b.name),
            ))
            .check(Check::attr_equals(ADDRESS, "region", REGION))
            .check(Check::attr_equals(ADDRESS, "versioning", true))
            .check(Check::attr_equals(ADDRESS, "expiration_days", 30))
            .check(Check::attr_equals(
                ADDRESS,
                "noncurrent_version_expiration_days",
                30,
            ))
            .check(Check::attr_equals(ADDRESS, "sse_algorithm", "AES256"))
            .check(Check::attr_equals(ADDRESS, "public_access_blocked", true))
            .check(Check::attr_equals(ADDRESS, "tls_required", true))
            .check(Check::attr_equals(
                ADDRESS,
                "abort_incomplete_multipart_upload_days",
                7,
            ))
            .check(Check::attr_equals(ADDRESS, "force_destroy", false))
            .check(b.matches(&b.created())),
    );
    run("bucket::basic", case).await;
}

/// Retention, encryption and tags change in place: the same bucket (its
/// creation date unchanged). The updated bucket imports by name, with the
/// CLI and with an import block.
#[tokio::test]
async fn update() {
    let b = Backups::start();
    let updated = b.updated_hcl();
    let case = b
        .case()
        .step(Step::apply(b.created_hcl()).check(b.matches(&b.created())))
        .step(
            Step::apply(updated.clone())
                .check(Check::attr_equals(ADDRESS, "kms_key_id", KMS_ALIAS))
                .check(Check::attr_equals(ADDRESS, "sse_algorithm", "aws:kms"))
                .check(Check::attr_equals(ADDRESS, "bucket_key_enabled", true))
                .check(b.matches(&b.updated())),
        )
        .step(Step::import(updated.clone(), ADDRESS, b.name.as_str()))
        .step(
            Step::import_block(with_import_block(&updated, ADDRESS, &b.name))
                .check(Check::attr_equals(ADDRESS, "purpose", "backups"))
                .check(Check::attr_equals(ADDRESS, "expiration_days", 45))
                .check(Check::attr_equals(ADDRESS, "kms_key_id", KMS_ALIAS)),
        );
    run("bucket::update", case).await;
}

/// Drift, one setting at a time: each shows in the plan, and apply puts
/// it back (on the same bucket).
#[tokio::test]
async fn drift() {
    let b = Backups::start();
    let hcl = b.updated_hcl();
    let repaired = || Step::apply(hcl.clone()).check(b.matches(&b.updated()));
    let case = b
        .case()
        .step(repaired())
        .step(changed(&b.emulator, &hcl, &b.name, suspend_versioning))
        .step(repaired())
        .step(changed(
            &b.emulator,
            &hcl,
            &b.name,
            delete_public_access_block,
        ))
        .step(repaired())
        .step(changed(&b.emulator, &hcl, &b.name, delete_policy))
        .step(repaired())
        .step(changed(&b.emulator, &hcl, &b.name, keep_for_400_days))
        .step(repaired())
        .step(changed(&b.emulator, &hcl, &b.name, encrypt_with_s3_keys))
        .step(repaired())
        .step(changed(&b.emulator, &hcl, &b.name, retag))
        .step(repaired());
    run("bucket::drift", case).await;
}

/// A bucket with objects is not destroyed without force_destroy, and
/// nothing in it is deleted: neither when the objects were written after
/// the destroy was planned (the bucket was empty then: applying the saved
/// plan refuses), nor when they were there at plan time (the plan fails
/// with a clear message). With force_destroy applied, every object version
/// is still there, and destroy empties and deletes the bucket.
#[tokio::test]
async fn objects_block_destroy_until_force_destroy() {
    let b = Backups::start();
    let provider_only = with_resources(&b.emulator, "staging", "");
    let forced = backups(
        &b.emulator,
        &format!("{}\n  force_destroy = true", b.updated_body()),
    );
    let written: Memo<usize> = Memo::default();
    let (count_put, name_filled) = (written.clone(), b.name.clone());
    let (count_seen, name_seen) = (written.clone(), b.name.clone());
    let case = b
        .case()
        .step(Step::apply(b.updated_hcl()).check(b.matches(&b.updated())))
        .step(
            Step::apply(provider_only.clone())
                .after_plan(out_of_band(&b.emulator, move |e| {
                    let (name, count) = (name_filled.clone(), count_put.clone());
                    async move { count.set(fill(&e, &name).await?) }
                }))
                .expect_error("is not empty"),
        )
        .step(Step::apply(provider_only).expect_error("is not empty"))
        .step(
            Step::apply(forced)
                .check(Check::attr_equals(ADDRESS, "force_destroy", true))
                .check(sdk_check(&b.emulator, move |e, _| {
                    let (name, count) = (name_seen.clone(), count_seen.clone());
                    async move {
                        same("bucket exists", bucket_exists(&e, &name).await?, true)?;
                        same(
                            "object versions",
                            count_versions(&e, &name).await?,
                            count.get()?,
                        )
                    }
                })),
        );
    run("bucket::objects_block_destroy_until_force_destroy", case).await;
}

const KMS_KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The `name` of a resource in the state.
fn state_name(state: &tfplugin::testing::State, address: &str) -> Result<String, String> {
    state
        .attr(address, "name")?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{address}.name is not a string"))
}

/// Checks a bucket whose name the state holds.
fn named_check(emulator: &Arc<Emulator>, address: &'static str, want: Expect) -> Check {
    let emulator = Arc::clone(emulator);
    Check::new(move |state| {
        let (emulator, mut want) = (Arc::clone(&emulator), want.clone());
        let name = state_name(state, address);
        Box::pin(async move {
            want.name = name?;
            check_bucket(&emulator, &want).await
        })
    })
}

#[tokio::test]
async fn purpose_and_environment_pick_the_defaults() {
    let emulator = Arc::new(Emulator::start());
    let prefix = format!("{}-", unique("logs"));
    let artifacts_name = unique("artifacts");
    let hcl = |logs: &str| {
        with_resources(
            &emulator,
            "production",
            &format!(
                "resource \"swarm_bucket\" \"logs\" {{\n  name_prefix = \"{prefix}\"\n{logs}\n}}\n\n\
                 resource \"swarm_bucket\" \"artifacts\" {{\n  name       = \"{artifacts_name}\"\n  \
                 purpose    = \"artifacts\"\n  kms_key_id = \"{KMS_KEY_ARN}\"\n}}\n"
            ),
        )
    };
    let logs = Expect {
        name: String::new(),
        purpose: "logs",
        versioning: false,
        expiration: Some(7),
        noncurrent: Some(7),
        kms_key: None,
        tags: vec![],
    };
    // Artifacts are kept for good, and versioned in production.
    let artifacts = Expect {
        name: artifacts_name.clone(),
        purpose: "artifacts",
        versioning: true,
        expiration: None,
        noncurrent: Some(30),
        kms_key: Some(KMS_KEY_ARN),
        tags: vec![],
    };
    // The same bucket, now holding config: versioned, old versions 90 days.
    let config_bucket = Expect {
        purpose: "config",
        versioning: true,
        expiration: None,
        noncurrent: Some(90),
        ..logs.clone()
    };
    let generated: Memo<String> = Memo::default();
    let (first_name, same_name, filled_name, gone_name) = (
        generated.clone(),
        generated.clone(),
        generated.clone(),
        generated,
    );
    let prefix_check = prefix.clone();
    let artifacts_gone = artifacts_name.clone();

    let case = test_case()
        .step(
            Step::apply(hcl("  purpose     = \"logs\""))
                .check(Check::sync(move |state| {
                    let name = state_name(state, "swarm_bucket.logs")?;
                    let suffix = name
                        .strip_prefix(&prefix_check)
                        .ok_or_else(|| format!("{name} does not start with {prefix_check}"))?;
                    if suffix.len() != 26 || !suffix.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(format!("{name}: the unique suffix is {suffix:?}"));
                    }
                    first_name.set(name)
                }))
                .check(Check::attr_equals("swarm_bucket.logs", "versioning", false))
                .check(Check::attr_equals(
                    "swarm_bucket.logs",
                    "expiration_days",
                    7,
                ))
                .check(Check::attr_equals(
                    "swarm_bucket.artifacts",
                    "versioning",
                    true,
                ))
                .check(Check::attr_equals(
                    "swarm_bucket.artifacts",
                    "expiration_days",
                    Json::Null,
                ))
                .check(Check::attr_equals(
                    "swarm_bucket.artifacts",
                    "bucket_key_enabled",
                    true,
                ))
                .check(named_check(&emulator, "swarm_bucket.logs", logs))
                .check(named_check(
                    &emulator,
                    "swarm_bucket.artifacts",
                    artifacts.clone(),
                )),
        )
        // A new purpose changes the defaults in place; an object written
        // before versioning was on is deleted by force_destroy at the end.
        .step(
            Step::apply(hcl("  purpose       = \"config\"\n  force_destroy = true"))
                .before(out_of_band(&emulator, move |e| {
                    let name = filled_name.clone();
                    async move {
                        let name = name.get()?;
                        e.s3()
                            .await
                            .put_object()
                            .bucket(name)
                            .key("agent.log")
                            .body(ByteStream::from_static(b"started"))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(err)
                    }
                }))
                .check(Check::sync(move |state| {
                    let before = same_name.get()?;
                    same(
                        "logs bucket name",
                        state_name(state, "swarm_bucket.logs")?,
                        before,
                    )
                }))
                .check(Check::attr_equals(
                    "swarm_bucket.logs",
                    "expiration_days",
                    Json::Null,
                ))
                .check(named_check(&emulator, "swarm_bucket.logs", config_bucket))
                .check(named_check(&emulator, "swarm_bucket.artifacts", artifacts)),
        )
        .check_destroy(sdk_check(&emulator, move |e, _| {
            let (logs, artifacts) = (gone_name.clone(), artifacts_gone.clone());
            async move {
                let logs = logs.get()?;
                same("logs bucket exists", bucket_exists(&e, &logs).await?, false)?;
                same(
                    "artifacts bucket exists",
                    bucket_exists(&e, &artifacts).await?,
                    false,
                )
            }
        }));
    run("bucket::purpose_and_environment_pick_the_defaults", case).await;
}

#[tokio::test]
async fn invalid_values_fail_early_and_touch_nothing() {
    let emulator = Arc::new(Emulator::start());
    let bad = |body: &str| backups(&emulator, body);
    let named = |extra: &str| {
        bad(&format!(
            "  name    = \"agents-backups\"\n  purpose = \"backups\"\n{extra}"
        ))
    };
    let unmanaged = unique("unmanaged");
    let kept = unmanaged.clone();
    let mut case = test_case();
    for (body, error) in [
        (
            "  name = \"Agents_Backups\"\n  purpose = \"logs\"".to_owned(),
            "name must be a valid S3 bucket name: \"Agents_Backups\" has 'A'",
        ),
        (
            "  name = \"192.168.10.1\"\n  purpose = \"logs\"".to_owned(),
            "\"192.168.10.1\" is formatted as an IP address",
        ),
        (
            "  name = \"ab\"\n  purpose = \"logs\"".to_owned(),
            "\"ab\" has 2 characters, not 3 to 63",
        ),
        (
            "  name = \"xn--agents\"\n  purpose = \"logs\"".to_owned(),
            "starts with \"xn--\", which S3 reserves",
        ),
        (
            "  name = \"agents..logs\"\n  purpose = \"logs\"".to_owned(),
            "\"agents..logs\" has two adjacent dots",
        ),
        (
            "  name = \"agents-s3alias\"\n  purpose = \"logs\"".to_owned(),
            "ends with \"-s3alias\", which S3 reserves",
        ),
        (
            "  name = \"agents\"\n  name_prefix = \"agents-\"\n  purpose = \"logs\"".to_owned(),
            "Set either name or name_prefix, not both",
        ),
        (
            "  purpose = \"logs\"".to_owned(),
            "Set name (the bucket's exact name) or name_prefix",
        ),
        (
            format!(
                "  name_prefix = \"{}\"\n  purpose = \"logs\"",
                "a".repeat(38)
            ),
            "has 38 characters, not 1 to 37",
        ),
        (
            "  name = \"agents-backups\"\n  purpose = \"archive\"".to_owned(),
            "purpose must be one of \"logs\", \"artifacts\", \"backups\" or \"config\", got \"archive\"",
        ),
        (
            named("  expiration_days = 0"),
            "expiration_days must be a whole number from 1 to 36500, got 0",
        ),
        (
            named("  noncurrent_version_expiration_days = 1.5"),
            "noncurrent_version_expiration_days must be a whole number from 1 to 36500, got 1.5",
        ),
        (
            named("  kms_key_id = \"my-key\""),
            "kms_key_id must be a KMS key id, key ARN, alias ARN or alias name",
        ),
        (
            named("  tags = { \"swarm:bucket\" = \"other\" }"),
            "\"swarm:bucket\" is reserved",
        ),
    ] {
        let hcl = if body.contains("terraform {") {
            body
        } else {
            bad(&body)
        };
        case = case.step(Step::validate(hcl).expect_error(error));
    }
    let case = case
        .step(
            Step::apply(named("  expiration_days = 0"))
                .expect_error("expiration_days must be a whole number from 1 to 36500"),
        )
        // A key of another region: S3 would refuse it; refused at plan.
        .step(
            Step::apply(named(
                "  kms_key_id = \"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"",
            ))
            .expect_error("kms_key_id: the key is in eu-west-1, but the bucket is in us-east-1"),
        )
        // A bucket of this account that is not this resource's: the plan
        // names it and says to import it, and apply changes nothing on it.
        .step(
            Step::apply(bad(&format!(
                "  name    = \"{unmanaged}\"\n  purpose = \"logs\""
            )))
            .before(out_of_band(&emulator, move |e| {
                let name = kept.clone();
                async move {
                    e.s3()
                        .await
                        .create_bucket()
                        .bucket(name)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }
            }))
            .expect_error(format!("The swarm_bucket name \"{unmanaged}\" is taken"))
            .check_output({
                let name = unmanaged.clone();
                move |output| {
                    let flat = output.split_whitespace().collect::<Vec<_>>().join(" ");
                    let advice = format!("terraform import <address> {name}");
                    if flat.contains(&format!("bucket \"{name}\" (no marker)"))
                        && flat.contains(&advice)
                    {
                        Ok(())
                    } else {
                        Err(format!(
                            "the error does not name the bucket or say {advice:?}"
                        ))
                    }
                }
            }),
        )
        .check_destroy(sdk_check(&emulator, move |e, _| {
            let name = unmanaged.clone();
            async move {
                let s3 = e.s3().await;
                let buckets = s3.list_buckets().send().await.map_err(err)?;
                let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
                same("buckets", names, vec![name.as_str()])?;
                match s3.get_bucket_tagging().bucket(&name).send().await {
                    Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(404) => {}
                    other => return Err(format!("the unmanaged bucket was tagged: {other:?}")),
                }
                match s3.get_bucket_policy().bucket(&name).send().await {
                    Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(404) => Ok(()),
                    other => Err(format!("the unmanaged bucket got a policy: {other:?}")),
                }
            }
        }));
    run("bucket::invalid_values_fail_early_and_touch_nothing", case).await;
}
