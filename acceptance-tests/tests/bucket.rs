//! `swarm_bucket` end to end: create, the bucket read back through the
//! SDK (versioning, encryption, public access block, TLS-only policy,
//! lifecycle rule, tags, ownership), an empty plan, update in place,
//! import (CLI and `import {}`), drift of each hardening setting shown by
//! the plan and repaired by apply, a refused destroy of a bucket with
//! objects that deletes nothing, force_destroy, and nothing left.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use acceptance_tests::emulator::{Emulator, REGION};
use acceptance_tests::{config, test_case};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};
use serde_json::{Value as Json, json};
use swarm_provider::SwarmProvider;
use tfplugin::testing::{Check, Step};

const ADDRESS: &str = "swarm_bucket.backups";
const KMS_ALIAS: &str = "alias/agents-backups";
/// Objects the destroy test writes: more than one page of listings and
/// one DeleteObjects batch (1000 each).
const OBJECTS: usize = 1003;

fn err(e: impl std::error::Error + 'static) -> String {
    DisplayErrorContext(e).to_string()
}

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

fn sdk_check<F, Fut>(emulator: &Arc<Emulator>, f: F) -> Check
where
    F: Fn(Arc<Emulator>) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    let f = Arc::new(f);
    Check::new(move |_| {
        let (emulator, f) = (Arc::clone(&emulator), Arc::clone(&f));
        Box::pin(async move { f(emulator).await })
    })
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

fn same<T: PartialEq + std::fmt::Debug>(what: &str, actual: T, expected: T) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what} is {actual:?}, expected {expected:?}"))
    }
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
    let tags: BTreeMap<&str, &str> = tagging
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    let mut expected: BTreeMap<&str, &str> = want.tags.iter().copied().collect();
    expected.insert("owner", "platform");
    expected.insert("swarm:bucket", name);
    expected.insert("swarm:managed-by", "terraform-provider-swarm");
    expected.insert("swarm:purpose", want.purpose);
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

/// Changes one thing out of band, so that the next plan must show it.
fn drift<F, Fut>(emulator: &Arc<Emulator>, hcl: &str, change: F) -> Step
where
    F: Fn(aws_sdk_s3::Client) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    let change = Arc::new(change);
    Step::plan(hcl)
        .before(move || {
            let (emulator, change) = (Arc::clone(&emulator), Arc::clone(&change));
            async move { change(emulator.s3().await).await }
        })
        .expect_changes()
}

/// An apply that must bring the bucket back to `want`.
fn repaired(emulator: &Arc<Emulator>, hcl: &str, want: &Expect) -> Step {
    let want = want.clone();
    Step::apply(hcl).check(sdk_check(emulator, move |e| {
        let want = want.clone();
        async move { check_bucket(&e, &want).await }
    }))
}

#[tokio::test]
async fn bucket_lifecycle() {
    let emulator = Arc::new(Emulator::start());
    let name = unique("backups");
    let created = backups(
        &emulator,
        &format!(
            "  name    = \"{name}\"\n  purpose = \"backups\"\n  tags    = {{ team = \"agents\" }}"
        ),
    );
    let updated_body = format!(
        "  name            = \"{name}\"\n  purpose         = \"backups\"\n  expiration_days = 45\n  \
         noncurrent_version_expiration_days = 90\n  kms_key_id      = \"{KMS_ALIAS}\"\n  \
         tags            = {{ team = \"swarm\" }}"
    );
    let updated = backups(&emulator, &updated_body);
    let forced = backups(
        &emulator,
        &format!("{updated_body}\n  force_destroy = true"),
    );
    let provider_only = with_resources(&emulator, "staging", "");

    let first = Expect {
        name: name.clone(),
        purpose: "backups",
        versioning: true,
        expiration: Some(30),
        noncurrent: Some(30),
        kms_key: None,
        tags: vec![("team", "agents")],
    };
    let second = Expect {
        expiration: Some(45),
        noncurrent: Some(90),
        kms_key: Some(KMS_ALIAS),
        tags: vec![("team", "swarm")],
        ..first.clone()
    };

    let created_date = Arc::new(Mutex::new(String::new()));
    let expected_versions = Arc::new(Mutex::new(0usize));
    let (date_first, date_second) = (Arc::clone(&created_date), Arc::clone(&created_date));
    let (count_put, count_seen) = (
        Arc::clone(&expected_versions),
        Arc::clone(&expected_versions),
    );
    let (want_first, want_second) = (first.clone(), second.clone());
    let (name_filled, name_seen, name_gone) = (name.clone(), name.clone(), name.clone());
    let filler = Arc::clone(&emulator);
    let arn = format!("arn:aws:s3:::{name}");

    test_case()
        .step(
            Step::apply(created)
                .check(Check::attr_equals(ADDRESS, "id", name.as_str()))
                .check(Check::attr_equals(ADDRESS, "arn", arn.as_str()))
                .check(Check::attr_equals(
                    ADDRESS,
                    "bucket_domain_name",
                    format!("{name}.s3.amazonaws.com"),
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
                .check(sdk_check(&emulator, move |e| {
                    let (want, date) = (want_first.clone(), Arc::clone(&date_first));
                    async move {
                        check_bucket(&e, &want).await?;
                        *date.lock().map_err(|e| e.to_string())? =
                            created_at(&e, &want.name).await?;
                        Ok(())
                    }
                })),
        )
        // Retention, encryption and tags change in place: the same bucket.
        .step(
            Step::apply(updated.clone())
                .check(Check::attr_equals(ADDRESS, "kms_key_id", KMS_ALIAS))
                .check(Check::attr_equals(ADDRESS, "sse_algorithm", "aws:kms"))
                .check(Check::attr_equals(ADDRESS, "bucket_key_enabled", true))
                .check(sdk_check(&emulator, move |e| {
                    let (want, date) = (want_second.clone(), Arc::clone(&date_second));
                    async move {
                        check_bucket(&e, &want).await?;
                        let before = date.lock().map_err(|e| e.to_string())?.clone();
                        same("creation date", created_at(&e, &want.name).await?, before)
                    }
                })),
        )
        // Import by name, with the CLI and with an import block.
        .step(Step::import(updated.clone(), ADDRESS, name.as_str()))
        .step(
            Step::import_block(format!(
                "{updated}\nimport {{\n  to = {ADDRESS}\n  id = \"{name}\"\n}}\n"
            ))
            .check(Check::attr_equals(ADDRESS, "purpose", "backups"))
            .check(Check::attr_equals(ADDRESS, "expiration_days", 45))
            .check(Check::attr_equals(ADDRESS, "kms_key_id", KMS_ALIAS)),
        )
        // Drift, one setting at a time: each shows in the plan, and apply
        // puts it back.
        .step(drift(&emulator, &updated, {
            let name = name.clone();
            move |s3| {
                let name = name.clone();
                async move {
                    s3.put_bucket_versioning()
                        .bucket(name)
                        .versioning_configuration(
                            VersioningConfiguration::builder()
                                .status(BucketVersioningStatus::Suspended)
                                .build(),
                        )
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }
            }
        }))
        .step(repaired(&emulator, &updated, &second))
        .step(drift(&emulator, &updated, {
            let name = name.clone();
            move |s3| {
                let name = name.clone();
                async move {
                    s3.delete_public_access_block()
                        .bucket(name)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }
            }
        }))
        .step(repaired(&emulator, &updated, &second))
        .step(drift(&emulator, &updated, {
            let name = name.clone();
            move |s3| {
                let name = name.clone();
                async move {
                    s3.delete_bucket_policy()
                        .bucket(name)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }
            }
        }))
        .step(repaired(&emulator, &updated, &second))
        .step(drift(&emulator, &updated, {
            let name = name.clone();
            move |s3| {
                let name = name.clone();
                async move {
                    let rule = LifecycleRule::builder()
                        .id("swarm-retention")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .expiration(LifecycleExpiration::builder().days(400).build())
                        .build()
                        .map_err(err)?;
                    s3.put_bucket_lifecycle_configuration()
                        .bucket(name)
                        .lifecycle_configuration(
                            BucketLifecycleConfiguration::builder()
                                .rules(rule)
                                .build()
                                .map_err(err)?,
                        )
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }
            }
        }))
        .step(repaired(&emulator, &updated, &second))
        .step(drift(&emulator, &updated, {
            let name = name.clone();
            move |s3| {
                let name = name.clone();
                async move {
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
                        .map_err(err)?;
                    Ok(())
                }
            }
        }))
        .step(repaired(&emulator, &updated, &second))
        .step(drift(&emulator, &updated, {
            let name = name.clone();
            move |s3| {
                let name = name.clone();
                async move {
                    let tags = [("team", "someone-else"), ("swarm:bucket", name.as_str())]
                        .iter()
                        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(err)?;
                    s3.put_bucket_tagging()
                        .bucket(&name)
                        .tagging(
                            Tagging::builder()
                                .set_tag_set(Some(tags))
                                .build()
                                .map_err(err)?,
                        )
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(err)
                }
            }
        }))
        .step(repaired(&emulator, &updated, &second))
        // Objects written after a destroy was planned (the bucket was empty
        // then): applying the saved plan refuses, deletes nothing.
        .step(
            Step::apply(provider_only.clone())
                .after_plan(move || {
                    let (e, name, count) = (
                        Arc::clone(&filler),
                        name_filled.clone(),
                        Arc::clone(&count_put),
                    );
                    async move {
                        let written = fill(&e, &name).await?;
                        *count.lock().map_err(|e| e.to_string())? = written;
                        Ok(())
                    }
                })
                .expect_error("is not empty"),
        )
        // Objects in the bucket: destroying it without force_destroy fails
        // with a clear message, at plan time, and deletes nothing.
        .step(Step::apply(provider_only).expect_error("is not empty"))
        .step(
            Step::apply(forced)
                .check(Check::attr_equals(ADDRESS, "force_destroy", true))
                .check(sdk_check(&emulator, move |e| {
                    let (name, count) = (name_seen.clone(), Arc::clone(&count_seen));
                    async move {
                        let expected = *count.lock().map_err(|e| e.to_string())?;
                        same("bucket exists", bucket_exists(&e, &name).await?, true)?;
                        same(
                            "object versions",
                            count_versions(&e, &name).await?,
                            expected,
                        )
                    }
                })),
        )
        // With force_destroy applied, destroy empties and deletes it.
        .check_destroy(sdk_check(&emulator, move |e| {
            let name = name_gone.clone();
            async move {
                same(
                    "bucket exists after destroy",
                    bucket_exists(&e, &name).await?,
                    false,
                )
            }
        }))
        .run(SwarmProvider::new())
        .await
        .unwrap();
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
    let generated = Arc::new(Mutex::new(String::new()));
    let (first_name, same_name, filled_name, gone_name) = (
        Arc::clone(&generated),
        Arc::clone(&generated),
        Arc::clone(&generated),
        Arc::clone(&generated),
    );
    let (prefix_check, filler) = (prefix.clone(), Arc::clone(&emulator));
    let artifacts_gone = artifacts_name.clone();

    test_case()
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
                    *first_name.lock().map_err(|e| e.to_string())? = name;
                    Ok(())
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
                .before(move || {
                    let (e, name) = (Arc::clone(&filler), Arc::clone(&filled_name));
                    async move {
                        let name = name.lock().map_err(|e| e.to_string())?.clone();
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
                })
                .check(Check::sync(move |state| {
                    let before = same_name.lock().map_err(|e| e.to_string())?.clone();
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
        .check_destroy(sdk_check(&emulator, move |e| {
            let (logs, artifacts) = (Arc::clone(&gone_name), artifacts_gone.clone());
            async move {
                let logs = logs.lock().map_err(|e| e.to_string())?.clone();
                same("logs bucket exists", bucket_exists(&e, &logs).await?, false)?;
                same(
                    "artifacts bucket exists",
                    bucket_exists(&e, &artifacts).await?,
                    false,
                )
            }
        }))
        .run(SwarmProvider::new())
        .await
        .unwrap();
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
    let (creator, kept) = (Arc::clone(&emulator), unmanaged.clone());
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
    case.step(
        Step::apply(named("  expiration_days = 0"))
            .expect_error("expiration_days must be a whole number from 1 to 36500"),
    )
    // A bucket of this account that the provider does not manage: the plan
    // says to import it, and apply changes nothing on it.
    .step(
        Step::apply(bad(&format!(
            "  name    = \"{unmanaged}\"\n  purpose = \"logs\""
        )))
        .before(move || {
            let (e, name) = (Arc::clone(&creator), kept.clone());
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
        })
        .expect_error("is not managed by this provider. Import it"),
    )
    .check_destroy(sdk_check(&emulator, move |e| {
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
    }))
    .run(SwarmProvider::new())
    .await
    .unwrap();
}
