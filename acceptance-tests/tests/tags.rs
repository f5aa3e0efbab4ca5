//! Tags, the same way on every resource (`crate::tags` in the provider):
//! `tags` is exactly what the user wrote (null, `{}`, a key equal to a
//! default tag, a key overriding one), `tags_all` the provider's
//! `default_tags` merged with it, and the objects carry `tags_all` (read
//! back through the SDK); a change of either is an update in place.
//! Reserved keys are refused at validate, in every resource's `tags` and
//! in `default_tags`, naming the attribute.
//!
//! One configuration holds all five resources (the database, cache and
//! node in the network's subnets), so that each step checks them all for
//! the cost of one apply.

use std::collections::BTreeMap;
use std::sync::Arc;

use acceptance_tests::checks::{
    Memo, drifted, err, out_of_band, sdk_check, sent, strings, tag_map,
};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::{config, run, test_case};
use serde_json::Value as Json;
use tfplugin::testing::{CheckResult, State, Step};

const BUCKET: &str = "swarm-acc-tags";

/// The resources' addresses, and whether the provider names their objects
/// (then `Name` is not the user's).
const RESOURCES: [(&str, bool); 5] = [
    ("swarm_network.main", true),
    ("swarm_node.main", true),
    ("swarm_database.main", true),
    ("swarm_cache.main", true),
    ("swarm_bucket.main", false),
];

fn provider(emulator: &Emulator, default_tags: &str) -> String {
    emulator.provider_block(&format!(
        "  environment  = \"staging\"\n  default_tags = {default_tags}\n"
    ))
}

const DEFAULT_TAGS: &str = r#"{ team = "platform", env = "test" }"#;

/// All five resources, each with `tags` (a `tags = ...` line, or nothing).
fn everything(emulator: &Emulator, default_tags: &str, tags: &str) -> String {
    config(&format!(
        r#"{provider}
resource "swarm_network" "main" {{
  name       = "agents"
  cidr_block = "10.30.0.0/16"
  {tags}
}}

resource "swarm_node" "main" {{
  name           = "agents"
  instance_count = 1
  subnet_ids     = swarm_network.main.private_subnet_ids
  {tags}
}}

resource "swarm_database" "main" {{
  name                = "agents"
  subnet_ids          = swarm_network.main.database_subnet_ids
  multi_az            = false
  read_replicas       = 0
  deletion_protection = false
  final_snapshot      = false
  {tags}
}}

resource "swarm_cache" "main" {{
  name           = "agents"
  replicas       = 0
  subnet_ids     = swarm_network.main.private_subnet_ids
  final_snapshot = false
  {tags}
}}

resource "swarm_bucket" "main" {{
  name          = "{BUCKET}"
  purpose       = "logs"
  force_destroy = true
  {tags}
}}
"#,
        provider = provider(emulator, default_tags),
    ))
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The tags of an object that are the user's or the default ones: without
/// AWS's and the provider's own.
fn visible(tags: BTreeMap<String, String>, named: bool) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter(|(k, _)| {
            let lower = k.to_ascii_lowercase();
            !(lower.starts_with("aws:") || lower.starts_with("swarm:") || named && k == "Name")
        })
        .collect()
}

/// The tags each resource's main object carries, read through the SDK
/// (the node's first instance and its security group both), and the ids of
/// those objects.
async fn objects(
    e: &Emulator,
    state: &State,
) -> Result<Vec<(String, BTreeMap<String, String>)>, String> {
    let values = |address: &str| state.values(address).cloned();
    let string = |v: &Json, attribute: &str| -> Result<String, String> {
        v[attribute]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no {attribute} in {v}"))
    };
    let ec2 = e.ec2().await;
    let network = values("swarm_network.main")?;
    let vpc_id = string(&network, "vpc_id")?;
    let vpcs = ec2
        .describe_vpcs()
        .vpc_ids(&vpc_id)
        .send()
        .await
        .map_err(err)?;
    let vpc_tags = tag_map(vpcs.vpcs().first().map(|v| v.tags()).unwrap_or_default());

    let node = values("swarm_node.main")?;
    let instance = strings(&node, "instance_ids")
        .into_iter()
        .next()
        .ok_or("the node has no instance")?;
    let reservations = ec2
        .describe_instances()
        .instance_ids(&instance)
        .send()
        .await
        .map_err(err)?;
    let instance_tags = tag_map(
        reservations
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
            .map(|i| i.tags())
            .unwrap_or_default(),
    );
    let group = string(&node, "security_group_id")?;
    let groups = ec2
        .describe_security_groups()
        .group_ids(&group)
        .send()
        .await
        .map_err(err)?;
    let group_tags = tag_map(
        groups
            .security_groups()
            .first()
            .map(|g| g.tags())
            .unwrap_or_default(),
    );

    let database = values("swarm_database.main")?;
    let db_arn = string(&database, "arn")?;
    let instances = e
        .rds()
        .await
        .describe_db_instances()
        .db_instance_identifier("agents")
        .send()
        .await
        .map_err(err)?;
    let db_tags = tag_map(
        instances
            .db_instances()
            .first()
            .map(|i| i.tag_list())
            .unwrap_or_default(),
    );

    let cache = values("swarm_cache.main")?;
    let cache_arn = string(&cache, "arn")?;
    let listed = e
        .elasticache()
        .await
        .list_tags_for_resource()
        .resource_name(&cache_arn)
        .send()
        .await
        .map_err(err)?;
    let cache_tags = tag_map(listed.tag_list());

    let tagging = e
        .s3()
        .await
        .get_bucket_tagging()
        .bucket(BUCKET)
        .send()
        .await
        .map_err(err)?;
    let bucket_tags = tag_map(tagging.tag_set());

    Ok(vec![
        (vpc_id, visible(vpc_tags, true)),
        (instance, visible(instance_tags, true)),
        (group, visible(group_tags, true)),
        (db_arn, visible(db_tags, true)),
        (cache_arn, visible(cache_tags, true)),
        (format!("bucket {BUCKET}"), visible(bucket_tags, false)),
    ])
}

/// An apply step with `tags` on every resource: each resource's `tags`
/// in the state is `expected_tags` (JSON: null, `{}`, a map), its
/// `tags_all` and the tags its objects carry are `tags_all`, and the
/// objects are the ones the first step made (updated in place).
fn step(
    emulator: &Arc<Emulator>,
    ids: &Memo<Vec<String>>,
    default_tags: &str,
    tags: &str,
    expected_tags: Json,
    tags_all: BTreeMap<String, String>,
) -> Step {
    let ids = ids.clone();
    let expected_all = tags_all.clone();
    Step::apply(everything(emulator, default_tags, tags))
        .check(tfplugin::testing::Check::sync(move |state| {
            for (address, _) in RESOURCES {
                let values = state.values(address)?;
                if values["tags"] != expected_tags {
                    return Err(format!(
                        "{address}.tags is {}, expected {expected_tags}",
                        values["tags"]
                    ));
                }
                let all: BTreeMap<String, String> =
                    serde_json::from_value(values["tags_all"].clone())
                        .map_err(|e| format!("{address}.tags_all: {e}"))?;
                if all != expected_all {
                    return Err(format!(
                        "{address}.tags_all is {all:?}, expected {expected_all:?}"
                    ));
                }
            }
            Ok(())
        }))
        .check(sdk_check(emulator, move |e, state| {
            let (ids, tags_all) = (ids.clone(), tags_all.clone());
            async move {
                let found = objects(&e, &state).await?;
                for (id, tags) in &found {
                    if tags != &tags_all {
                        return Err(format!("{id} carries {tags:?}, expected {tags_all:?}"));
                    }
                }
                let now: Vec<String> = found.into_iter().map(|(id, _)| id).collect();
                ids.first_or_same("the tagged objects", now)
            }
        }))
}

/// A tag overriding a default one, and a key of the resource's own.
const OVERRIDING: &str = r#"tags = { env = "prod", service = "agents" }"#;

/// Tags the network's VPC out of band.
async fn add_to_vpc(e: &Emulator, key: &str, value: &str) -> CheckResult {
    let ec2 = e.ec2().await;
    let vpcs = ec2
        .describe_vpcs()
        .filters(acceptance_tests::fixtures::filter(
            "tag:swarm:network",
            &["agents"],
        ))
        .send()
        .await
        .map_err(err)?;
    let vpc = vpcs
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .ok_or("no VPC tagged swarm:network = agents")?;
    let tag = aws_sdk_ec2::types::Tag::builder()
        .key(key)
        .value(value)
        .build();
    sent(ec2.create_tags().resources(vpc).tags(tag).send().await)
}

/// Sets one tag of the bucket out of band (S3 replaces the whole set).
async fn set_on_bucket(e: &Emulator, key: &str, value: &str) -> CheckResult {
    let s3 = e.s3().await;
    let current = s3
        .get_bucket_tagging()
        .bucket(BUCKET)
        .send()
        .await
        .map_err(err)?;
    let mut tags = tag_map(current.tag_set());
    tags.insert(key.to_owned(), value.to_owned());
    let tag_set = tags
        .iter()
        .map(|(k, v)| {
            aws_sdk_s3::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(err)?;
    sent(
        s3.put_bucket_tagging()
            .bucket(BUCKET)
            .tagging(tagging)
            .send()
            .await,
    )
}

#[tokio::test]
async fn tags_round_trip_and_change_in_place_on_every_resource() {
    let emulator = Arc::new(Emulator::start());
    let ids = Memo::default();
    let defaults = map(&[("team", "platform"), ("env", "test")]);
    let with = |pairs: &[(&str, &str)]| {
        let mut all = defaults.clone();
        all.extend(map(pairs));
        all
    };
    let case = test_case()
        // Null stays null, and the objects carry the default tags.
        .step(step(
            &emulator,
            &ids,
            DEFAULT_TAGS,
            "",
            Json::Null,
            defaults.clone(),
        ))
        // {} stays {}: what a module's `tags = var.tags` passes.
        .step(step(
            &emulator,
            &ids,
            DEFAULT_TAGS,
            "tags = {}",
            serde_json::json!({}),
            defaults.clone(),
        ))
        // A tag equal to a default one stays in `tags`.
        .step(step(
            &emulator,
            &ids,
            DEFAULT_TAGS,
            r#"tags = { team = "platform" }"#,
            serde_json::json!({ "team": "platform" }),
            defaults.clone(),
        ))
        // A tag overriding a default one wins, beside a new key.
        .step(step(
            &emulator,
            &ids,
            DEFAULT_TAGS,
            OVERRIDING,
            serde_json::json!({ "env": "prod", "service": "agents" }),
            with(&[("env", "prod"), ("service", "agents")]),
        ))
        // Drift shows: a tag added to the VPC out of band, and a default
        // tag whose value was changed on the bucket; the next apply puts
        // both back (its checks read every object back).
        .step(drifted(
            &emulator,
            &everything(&emulator, DEFAULT_TAGS, OVERRIDING),
            |e| async move { add_to_vpc(&e, "rogue", "x").await },
        ))
        .step(drifted(
            &emulator,
            &everything(&emulator, DEFAULT_TAGS, OVERRIDING),
            |e| async move { set_on_bucket(&e, "team", "someone").await },
        ))
        // A change of default_tags alone: tags_all and the objects follow,
        // in place; the overridden key keeps the resource's value.
        .step(step(
            &emulator,
            &ids,
            r#"{ team = "infra", env = "test" }"#,
            OVERRIDING,
            serde_json::json!({ "env": "prod", "service": "agents" }),
            map(&[("team", "infra"), ("env", "prod"), ("service", "agents")]),
        ))
        // Back to null: the resource's own keys leave the objects.
        .step(step(
            &emulator,
            &ids,
            DEFAULT_TAGS,
            "",
            Json::Null,
            defaults.clone(),
        ));
    run(
        "tags::tags_round_trip_and_change_in_place_on_every_resource",
        case,
    )
    .await;
}

/// One resource of `kind` with `tags` (a `tags = ...` line), alone (the
/// values are never applied: validate refuses them).
fn one(emulator: &Emulator, kind: &str, default_tags: &str, tags: &str) -> String {
    let body = match kind {
        "swarm_network" => "name = \"agents\"",
        "swarm_node" => "name = \"agents\"",
        "swarm_database" => {
            "name = \"agents\"\n  subnet_ids = [\"subnet-0000aaaa\", \"subnet-0000bbbb\"]"
        }
        "swarm_cache" => "name = \"agents\"\n  subnet_ids = [\"subnet-0000aaaa\"]",
        _ => "name = \"swarm-acc-tags\"\n  purpose = \"logs\"",
    };
    config(&format!(
        "{}\nresource \"{kind}\" \"main\" {{\n  {body}\n  {tags}\n}}\n",
        provider(emulator, default_tags)
    ))
}

/// Nothing of any resource exists.
async fn nothing_exists(e: Arc<Emulator>) -> CheckResult {
    let ec2 = e.ec2().await;
    let vpcs = ec2
        .describe_vpcs()
        .filters(acceptance_tests::fixtures::filter(
            "tag-key",
            &["swarm:managed-by"],
        ))
        .send()
        .await
        .map_err(err)?;
    let instances = ec2
        .describe_instances()
        .filters(acceptance_tests::fixtures::filter(
            "tag-key",
            &["swarm:managed-by"],
        ))
        .send()
        .await
        .map_err(err)?;
    let buckets = e.s3().await.list_buckets().send().await.map_err(err)?;
    let databases = e
        .rds()
        .await
        .describe_db_instances()
        .send()
        .await
        .map_err(err)?;
    let caches = e
        .elasticache()
        .await
        .describe_replication_groups()
        .send()
        .await
        .map_err(err)?;
    let counts = [
        vpcs.vpcs().len(),
        instances.reservations().len(),
        buckets.buckets().len(),
        databases.db_instances().len(),
        caches.replication_groups().len(),
    ];
    if counts.iter().all(|n| *n == 0) {
        Ok(())
    } else {
        Err(format!(
            "something was created (VPCs, instances, buckets, databases, caches): {counts:?}"
        ))
    }
}

#[tokio::test]
async fn reserved_keys_are_refused_at_validate_naming_the_attribute() {
    let emulator = Arc::new(Emulator::start());
    let mut case = test_case();
    for (kind, named) in RESOURCES {
        let kind = kind.split('.').next().unwrap_or(kind);
        let mut keys = vec!["aws:x", "AWS:x", "swarm:x", "Swarm:owner"];
        if named {
            keys.push("Name");
        }
        for key in keys {
            let hcl = one(
                &emulator,
                kind,
                DEFAULT_TAGS,
                &format!("tags = {{ \"{key}\" = \"v\" }}"),
            );
            case = case.step(
                Step::validate(hcl).expect_error(format!(r#"tags["{key}"]: "{key}" is reserved"#)),
            );
        }
    }
    // A null value is no tag.
    case = case.step(
        Step::validate(one(
            &emulator,
            "swarm_cache",
            DEFAULT_TAGS,
            "tags = { team = null }",
        ))
        .expect_error(r#"tags["team"]: a tag value must not be null"#),
    );
    // The bucket is not named by the provider: its Name is the user's.
    case = case.step(Step::validate(one(
        &emulator,
        "swarm_bucket",
        DEFAULT_TAGS,
        r#"tags = { Name = "logs" }"#,
    )));
    // The provider's default_tags: Name too, as it would rename every object.
    for key in ["aws:x", "SWARM:x", "Name"] {
        let hcl = one(
            &emulator,
            "swarm_bucket",
            &format!("{{ \"{key}\" = \"v\" }}"),
            "",
        );
        case = case.step(
            Step::validate(hcl)
                .expect_error(format!(r#"default_tags["{key}"]: "{key}" is reserved"#)),
        );
    }
    // An apply stops at validate too: nothing is created.
    case = case.step(
        Step::apply(one(
            &emulator,
            "swarm_network",
            DEFAULT_TAGS,
            r#"tags = { "aws:x" = "v" }"#,
        ))
        .expect_error(r#"tags["aws:x"]: "aws:x" is reserved"#),
    );
    case = case.step(
        Step::apply(one(&emulator, "swarm_bucket", r#"{ "swarm:x" = "v" }"#, ""))
            .expect_error(r#"default_tags["swarm:x"]: "swarm:x" is reserved"#),
    );
    // Tags a module passes on (`tags = var.tags`) are refused too.
    let from_variable = format!(
        "{}\nvariable \"tags\" {{\n  default = {{ \"AWS:x\" = \"v\" }}\n}}\n",
        one(&emulator, "swarm_network", DEFAULT_TAGS, "tags = var.tags")
    );
    case =
        case.step(Step::apply(from_variable).expect_error(r#"tags["AWS:x"]: "AWS:x" is reserved"#));
    // (A valid configuration last, which the final destroy can use.)
    case = case.step(
        Step::apply(config(&provider(&emulator, DEFAULT_TAGS)))
            .before(out_of_band(&emulator, nothing_exists)),
    );
    run(
        "tags::reserved_keys_are_refused_at_validate_naming_the_attribute",
        case,
    )
    .await;
}

#[tokio::test]
async fn too_many_tags_with_the_default_ones_are_refused_at_plan() {
    let emulator = Arc::new(Emulator::start());
    // 45 of the user's and 2 default ones: 47, over the 46 a bucket leaves
    // (S3 allows 50, the provider sets 4); alone they would fit.
    let many: Vec<String> = (0..45).map(|i| format!("k{i} = \"v\"")).collect();
    let tags = format!("tags = {{\n    {}\n  }}", many.join("\n    "));
    let case = test_case()
        .step(Step::validate(one(
            &emulator,
            "swarm_bucket",
            DEFAULT_TAGS,
            &tags,
        )))
        .step(
            Step::apply(one(&emulator, "swarm_bucket", DEFAULT_TAGS, &tags)).expect_error(
                "tags and the provider's default_tags make 47 tags, and at most 46 fit: S3 \
                     allows 50 tags per object, and the provider sets 4 of its own.",
            ),
        )
        .step(
            Step::apply(config(&provider(&emulator, DEFAULT_TAGS)))
                .before(out_of_band(&emulator, nothing_exists)),
        );
    run(
        "tags::too_many_tags_with_the_default_ones_are_refused_at_plan",
        case,
    )
    .await;
}
