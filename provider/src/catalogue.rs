//! What AWS offers, looked up at plan so that a value AWS would refuse is
//! refused there, on its attribute, before anything is made: the instance
//! types offered in some zones, the PostgreSQL versions and the DB
//! instance classes orderable for one, the Redis versions; and a KMS key
//! ARN of another region, which needs no call.
//!
//! Each answer is cached for the provider's run, on the client
//! (`SwarmClient::catalogue`), shared by every resource: a configuration
//! with twenty nodes of one type asks AWS once, and plans running at once
//! wait for the one call under way rather than make their own. Errors are
//! not cached (the next plan asks again). Resources call these only for a
//! value that is set or changed compared with the prior state, so a
//! refresh or the plan of an unchanged resource makes no call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_ec2::types::LocationType;
use tfplugin::diag::Diagnostic;
use tokio::sync::OnceCell;

use crate::aws;
use crate::config::SwarmClient;
use crate::ec2;

/// How many of the nearest valid values an error lists.
const NEAREST: usize = 6;

/// One question the catalogue answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Question {
    /// The zones, of the given ones, that offer an instance type.
    ZonesOffering {
        instance_type: String,
        zones: Vec<String>,
    },
    /// The instance types offered in every one of the zones.
    TypesOfferedIn { zones: Vec<String> },
    /// An RDS engine's versions.
    DbVersions { engine: String },
    /// Whether an RDS instance class is orderable for an engine version
    /// (the answer: the class, or nothing).
    DbClassOrderable {
        engine: String,
        version: String,
        class: String,
    },
    /// The RDS instance classes orderable for an engine version.
    DbClasses { engine: String, version: String },
    /// An ElastiCache engine's versions.
    CacheVersions { engine: String },
}

type Answer = Arc<Vec<String>>;

/// The answers of one provider run, by question.
#[derive(Debug, Default)]
pub struct Catalogue {
    answers: Mutex<HashMap<Question, Arc<OnceCell<Answer>>>>,
}

impl Catalogue {
    /// The answer to `question`: the cached one, or the one a call under
    /// way gives, or `fetch`'s (cached when it succeeds).
    async fn answer<F, Fut>(&self, question: Question, fetch: F) -> Result<Answer, Diagnostic>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<String>, Diagnostic>>,
    {
        let cell = {
            // A poisoned lock only means a panic elsewhere; the map is
            // still whole.
            let mut answers = self
                .answers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(answers.entry(question).or_default())
        };
        cell.get_or_try_init(|| async { fetch().await.map(Arc::new) })
            .await
            .cloned()
    }
}

/// The zones of `zones` that offer `instance_type` (DescribeInstanceTypeOfferings
/// by availability zone, filtered to those zones and that type).
async fn zones_offering(
    client: &SwarmClient,
    instance_type: &str,
    zones: &[String],
) -> Result<Answer, Diagnostic> {
    let question = Question::ZonesOffering {
        instance_type: instance_type.to_owned(),
        zones: zones.to_vec(),
    };
    client
        .catalogue
        .answer(question, || {
            offerings(client, zones, Some(instance_type), |o| {
                o.location().map(str::to_owned)
            })
        })
        .await
}

/// Of `zones`, those that offer `instance_type`.
pub async fn zones_offering_type(
    client: &SwarmClient,
    instance_type: &str,
    zones: &[String],
) -> Result<Vec<String>, Diagnostic> {
    let mut asked = zones.to_vec();
    asked.sort();
    asked.dedup();
    let offering = zones_offering(client, instance_type, &asked).await?;
    Ok(zones
        .iter()
        .filter(|z| offering.contains(z))
        .cloned()
        .collect())
}

/// The instance types offered in every one of `zones`, sorted.
async fn types_offered_in(client: &SwarmClient, zones: &[String]) -> Result<Answer, Diagnostic> {
    let question = Question::TypesOfferedIn {
        zones: zones.to_vec(),
    };
    client
        .catalogue
        .answer(question, || async {
            let found = offerings(client, zones, None, |o| {
                Some(format!(
                    "{}\0{}",
                    o.instance_type()?.as_str(),
                    o.location()?
                ))
            })
            .await?;
            let mut by_type: HashMap<&str, usize> = HashMap::new();
            for pair in &found {
                if let Some((instance_type, _)) = pair.split_once('\0') {
                    *by_type.entry(instance_type).or_default() += 1;
                }
            }
            let mut everywhere: Vec<String> = by_type
                .into_iter()
                .filter(|(_, n)| *n >= zones.len())
                .map(|(t, _)| t.to_owned())
                .collect();
            everywhere.sort();
            Ok(everywhere)
        })
        .await
}

/// Every page of DescribeInstanceTypeOfferings in `zones` (of one type,
/// when given), each offering as `item` makes it (several per type).
async fn offerings(
    client: &SwarmClient,
    zones: &[String],
    instance_type: Option<&str>,
    item: impl Fn(&aws_sdk_ec2::types::InstanceTypeOffering) -> Option<String>,
) -> Result<Vec<String>, Diagnostic> {
    let zone_names: Vec<&str> = zones.iter().map(String::as_str).collect();
    aws::all_pages(|token| {
        let mut request = client
            .ec2
            .describe_instance_type_offerings()
            .location_type(LocationType::AvailabilityZone)
            .filters(ec2::filter("location", &zone_names))
            .set_next_token(token);
        if let Some(instance_type) = instance_type {
            request = request.filters(ec2::filter("instance-type", &[instance_type]));
        }
        let item = &item;
        async move {
            let page = aws::call("ec2", "DescribeInstanceTypeOfferings", request.send())
                .await
                .map_err(|e| aws::error("Cannot look up the instance types offered", &e))?;
            let found = page
                .instance_type_offerings()
                .iter()
                .filter_map(item)
                .collect();
            Ok((found, page.next_token().map(str::to_owned)))
        }
    })
    .await
}

/// Why `instance_type` cannot run in all of `zones` (the zones of the
/// subnets it is to run in), with the nearest types offered in all of
/// them; `None` when it can.
pub async fn instance_type_refused(
    client: &SwarmClient,
    instance_type: &str,
    zones: &[String],
) -> Result<Option<String>, Diagnostic> {
    let mut zones = zones.to_vec();
    zones.sort();
    zones.dedup();
    if zones.is_empty() {
        return Ok(None);
    }
    let offering = zones_offering(client, instance_type, &zones).await?;
    let missing: Vec<&str> = zones
        .iter()
        .filter(|z| !offering.contains(z))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let offered = types_offered_in(client, &zones).await?;
    let nearest = nearest(instance_type, &offered, NEAREST);
    let why = if offering.is_empty() {
        format!(
            "{instance_type:?} is not an instance type EC2 offers in {}",
            zones.join(", ")
        )
    } else {
        format!(
            "{instance_type:?} is not offered in {} (the zone of a subnet in subnet_ids)",
            missing.join(", ")
        )
    };
    Ok(Some(format!(
        "{why}. The nearest types offered in {}: {}.",
        zones.join(", "),
        listed(&nearest)
    )))
}

/// The versions of an RDS engine (DescribeDBEngineVersions), as RDS writes
/// them (`16.4`).
pub async fn db_engine_versions(client: &SwarmClient, engine: &str) -> Result<Answer, Diagnostic> {
    let question = Question::DbVersions {
        engine: engine.to_owned(),
    };
    client
        .catalogue
        .answer(question, || async {
            aws::all_pages(|marker| async {
                let page = aws::call(
                    "rds",
                    "DescribeDBEngineVersions",
                    client
                        .rds
                        .describe_db_engine_versions()
                        .engine(engine)
                        .set_marker(marker)
                        .send(),
                )
                .await
                .map_err(|e| aws::error("Cannot look up the RDS engine versions", &e))?;
                let versions = page
                    .db_engine_versions()
                    .iter()
                    .filter_map(|v| v.engine_version().map(str::to_owned))
                    .collect();
                Ok((versions, page.marker().map(str::to_owned)))
            })
            .await
        })
        .await
}

/// Whether an RDS instance class is orderable for an engine version
/// (DescribeOrderableDBInstanceOptions of that class: one short page).
async fn db_class_orderable(
    client: &SwarmClient,
    engine: &str,
    version: &str,
    class: &str,
) -> Result<bool, Diagnostic> {
    let question = Question::DbClassOrderable {
        engine: engine.to_owned(),
        version: version.to_owned(),
        class: class.to_owned(),
    };
    let answer = client
        .catalogue
        .answer(question, || async {
            orderable_classes(client, engine, version, Some(class)).await
        })
        .await?;
    Ok(answer.iter().any(|c| c == class))
}

/// The classes orderable for an engine version, each once, sorted.
async fn orderable_classes(
    client: &SwarmClient,
    engine: &str,
    version: &str,
    class: Option<&str>,
) -> Result<Vec<String>, Diagnostic> {
    let mut classes = aws::all_pages(|marker| async {
        let page = aws::call(
            "rds",
            "DescribeOrderableDBInstanceOptions",
            client
                .rds
                .describe_orderable_db_instance_options()
                .engine(engine)
                .engine_version(version)
                .set_db_instance_class(class.map(str::to_owned))
                .set_marker(marker)
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot look up the orderable RDS instance classes", &e))?;
        let found: Vec<String> = page
            .orderable_db_instance_options()
            .iter()
            .filter_map(|o| o.db_instance_class().map(str::to_owned))
            .collect();
        // Asking about one class, one answer is enough.
        let next = if class.is_some() && !found.is_empty() {
            None
        } else {
            page.marker().map(str::to_owned)
        };
        Ok((found, next))
    })
    .await?;
    classes.sort();
    classes.dedup();
    Ok(classes)
}

/// Why RDS would refuse `class` for `engine` at `wanted` (a version as the
/// configuration writes it: `16` or `16.4`), with the nearest orderable
/// classes; `None` when it takes it, or when the version is not one RDS
/// offers (that is refused on its own).
pub async fn db_class_refused(
    client: &SwarmClient,
    engine: &str,
    wanted: &str,
    class: &str,
) -> Result<Option<String>, Diagnostic> {
    let versions = db_engine_versions(client, engine).await?;
    let Some(version) = newest_of(wanted, &versions) else {
        return Ok(None);
    };
    if db_class_orderable(client, engine, &version, class).await? {
        return Ok(None);
    }
    let question = Question::DbClasses {
        engine: engine.to_owned(),
        version: version.clone(),
    };
    let classes = client
        .catalogue
        .answer(question, || async {
            orderable_classes(client, engine, &version, None).await
        })
        .await?;
    Ok(Some(format!(
        "{class:?} is not an instance class RDS offers for {engine} {version}. The nearest that are: {}.",
        listed(&nearest(class, &classes, NEAREST))
    )))
}

/// The versions of an ElastiCache engine (DescribeCacheEngineVersions), as
/// ElastiCache writes them (`7.1.0`).
pub async fn cache_engine_versions(
    client: &SwarmClient,
    engine: &str,
) -> Result<Answer, Diagnostic> {
    let question = Question::CacheVersions {
        engine: engine.to_owned(),
    };
    client
        .catalogue
        .answer(question, || async {
            aws::all_pages(|marker| async {
                let page = aws::call(
                    "elasticache",
                    "DescribeCacheEngineVersions",
                    client
                        .elasticache
                        .describe_cache_engine_versions()
                        .engine(engine)
                        .set_marker(marker)
                        .send(),
                )
                .await
                .map_err(|e| aws::error("Cannot look up the ElastiCache engine versions", &e))?;
                let versions = page
                    .cache_engine_versions()
                    .iter()
                    .filter_map(|v| v.engine_version().map(str::to_owned))
                    .collect();
                Ok((versions, page.marker().map(str::to_owned)))
            })
            .await
        })
        .await
}

/// Whether `offered` (a version AWS lists, `16.4`) is what `wanted` asks
/// for: the same, or `wanted` is a prefix of it up to a dot (`16` and
/// `16.4`; `7.1` and `7.1.0`).
pub fn version_matches(wanted: &str, offered: &str) -> bool {
    offered == wanted
        || offered
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// A version's numbers, for ordering (`16.10` after `16.9`).
fn numbers(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|p| p.parse().unwrap_or_default())
        .collect()
}

/// The newest of `offered` that `wanted` asks for.
fn newest_of(wanted: &str, offered: &[String]) -> Option<String> {
    offered
        .iter()
        .filter(|v| version_matches(wanted, v))
        .max_by_key(|v| numbers(v))
        .cloned()
}

/// Why `wanted` is not one of the `offered` versions of `what`, with the
/// nearest ones (of its major version when there are, else the newest of
/// each major); `None` when it is one.
pub fn version_refused(what: &str, wanted: &str, offered: &[String]) -> Option<String> {
    if offered.iter().any(|v| version_matches(wanted, v)) {
        return None;
    }
    let major = wanted.split('.').next().unwrap_or(wanted);
    let mut same_major: Vec<&String> = offered
        .iter()
        .filter(|v| version_matches(major, v))
        .collect();
    let hint = if same_major.is_empty() {
        let mut majors: Vec<&str> = offered.iter().filter_map(|v| v.split('.').next()).collect();
        majors.sort_by_key(|m| numbers(m));
        majors.dedup();
        format!("{what} versions offered: {}", majors.join(", "))
    } else {
        same_major.sort_by_key(|v| std::cmp::Reverse(numbers(v)));
        same_major.dedup();
        let newest: Vec<String> = same_major.into_iter().take(NEAREST).cloned().collect();
        format!("{what} {major} versions offered: {}", listed(&newest))
    };
    Some(format!(
        "{wanted:?} is not a {what} version AWS offers. {hint}."
    ))
}

/// Why a KMS key cannot encrypt in `region`: an ARN names the key's
/// region, and a key of another region cannot be used there (a key id or
/// an alias resolves in the provider's region, so it needs no check).
pub fn kms_key_refused(key: &str, region: &str) -> Option<String> {
    let key_region = key.strip_prefix("arn:")?.split(':').nth(2)?;
    (key_region != region).then(|| {
        format!(
            "the key is in {key_region}, but the bucket is in {region}: S3 encrypts with a key \
             of the bucket's own region. Use a key (or a multi-Region replica key) in {region}."
        )
    })
}

/// Up to `n` of `candidates`, nearest to `wanted` first: the longest
/// common start (the same family, `t3.`), then the fewest edits.
pub fn nearest(wanted: &str, candidates: &[String], n: usize) -> Vec<String> {
    let common = |c: &str| {
        wanted
            .chars()
            .zip(c.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let mut ranked: Vec<(std::cmp::Reverse<usize>, usize, &String)> = candidates
        .iter()
        .map(|c| (std::cmp::Reverse(common(c)), edits(wanted, c), c))
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(n)
        .map(|(_, _, c)| c.clone())
        .collect()
}

/// The edit (Levenshtein) distance between two texts.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[tokio::test]
    async fn an_answer_is_fetched_once_even_when_asked_at_once() {
        let catalogue = Catalogue::default();
        let calls = AtomicUsize::new(0);
        let question = || Question::CacheVersions {
            engine: "redis".to_owned(),
        };
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(strings(&["7.1.0"]))
        };
        let (a, b) = tokio::join!(
            catalogue.answer(question(), fetch),
            catalogue.answer(question(), fetch)
        );
        assert_eq!(a.unwrap().as_slice(), strings(&["7.1.0"]).as_slice());
        assert_eq!(b.unwrap().as_slice(), strings(&["7.1.0"]).as_slice());
        let again = catalogue.answer(question(), fetch).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another question is another call.
        let other = Question::CacheVersions {
            engine: "valkey".to_owned(),
        };
        catalogue.answer(other, fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_error_is_not_kept() {
        let catalogue = Catalogue::default();
        let question = || Question::DbVersions {
            engine: "postgres".to_owned(),
        };
        let failed = catalogue
            .answer(question(), || async {
                Err(Diagnostic::error("throttled", ""))
            })
            .await;
        assert!(failed.is_err());
        let answered = catalogue
            .answer(question(), || async { Ok(strings(&["16.4"])) })
            .await;
        assert_eq!(answered.unwrap().as_slice(), strings(&["16.4"]).as_slice());
    }

    #[test]
    fn versions_match_by_their_leading_parts() {
        assert!(version_matches("16", "16.4"));
        assert!(version_matches("16.4", "16.4"));
        assert!(version_matches("7.1", "7.1.0"));
        assert!(!version_matches("1", "16.4"));
        assert!(!version_matches("16.4", "16.40"));
        let offered = strings(&["16.9", "16.10", "15.8"]);
        assert_eq!(newest_of("16", &offered).as_deref(), Some("16.10"));
        assert_eq!(newest_of("14", &offered), None);
    }

    #[test]
    fn a_refused_version_lists_its_major_or_the_majors() {
        let offered = strings(&["13.20", "14.17", "16.3", "16.4", "16.6", "17.2"]);
        assert_eq!(version_refused("PostgreSQL", "16", &offered), None);
        assert_eq!(version_refused("PostgreSQL", "16.4", &offered), None);
        let why = version_refused("PostgreSQL", "16.99", &offered).unwrap();
        assert!(
            why.contains("PostgreSQL 16 versions offered: 16.6, 16.4, 16.3"),
            "{why}"
        );
        let why = version_refused("PostgreSQL", "11.99", &offered).unwrap();
        assert!(why.contains("versions offered: 13, 14, 16, 17"), "{why}");
        let redis = strings(&["6.2.6", "7.0.7", "7.1.0"]);
        assert_eq!(version_refused("Redis", "7.1", &redis), None);
        let why = version_refused("Redis", "7.9", &redis).unwrap();
        assert!(
            why.contains("Redis 7 versions offered: 7.1.0, 7.0.7"),
            "{why}"
        );
    }

    #[test]
    fn the_nearest_share_the_family_first() {
        let types = strings(&["m5.large", "t3.large", "t3.micro", "t3a.large", "t4g.nano"]);
        assert_eq!(
            nearest("t3.gigantic", &types, 2),
            strings(&["t3.large", "t3.micro"])
        );
        assert_eq!(nearest("t3.larg", &types, 1), strings(&["t3.large"]));
        assert!(nearest("x", &[], 3).is_empty());
        assert_eq!(edits("kitten", "sitting"), 3);
        assert_eq!(edits("", "abc"), 3);
    }

    #[test]
    fn kms_keys_of_another_region() {
        let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(
            kms_key_refused(key, "us-east-1")
                .unwrap()
                .contains("eu-west-1")
        );
        assert_eq!(kms_key_refused(key, "eu-west-1"), None);
        assert_eq!(
            kms_key_refused("1234abcd-12ab-34cd-56ef-1234567890ab", "us-east-1"),
            None
        );
        assert_eq!(kms_key_refused("alias/agents", "us-east-1"), None);
    }
}
