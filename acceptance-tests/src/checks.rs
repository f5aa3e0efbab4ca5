//! What the tests of every resource need to look at AWS through the SDK
//! between Terraform commands: checks that read the objects back, changes
//! made out of band (drift), and the small comparisons they share.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;
use tfplugin::testing::{Check, CheckResult, State, Step};

use crate::emulator::Emulator;

/// An SDK (or any) error as a check's message, with its whole chain of
/// causes: an SDK error's `Display` alone says only "service error".
pub fn err(e: impl std::error::Error) -> String {
    aws_sdk_ec2::error::DisplayErrorContext(e).to_string()
}

/// What a check makes of an SDK request it sent: the answer does not
/// matter, an error is the check's message.
pub fn sent<T, E: std::error::Error>(result: Result<T, E>) -> CheckResult {
    result.map(|_| ()).map_err(err)
}

/// A check that reads AWS back through the SDK, given the emulator and
/// the state after the step.
pub fn sdk_check<F, Fut>(emulator: &Arc<Emulator>, f: F) -> Check
where
    F: Fn(Arc<Emulator>, State) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    let f = Arc::new(f);
    Check::new(move |state| {
        // Checks are 'static futures: they get their own copies.
        let (emulator, f, state) = (Arc::clone(&emulator), Arc::clone(&f), state.clone());
        Box::pin(async move { f(emulator, state).await })
    })
}

/// A hook for [`Step::before`] or [`Step::after_plan`]: a change made
/// through the SDK, behind Terraform's back.
pub fn out_of_band<F, Fut>(
    emulator: &Arc<Emulator>,
    f: F,
) -> impl Fn() -> Fut + Send + Sync + 'static
where
    F: Fn(Arc<Emulator>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    let emulator = Arc::clone(emulator);
    move || f(Arc::clone(&emulator))
}

/// A plan step that first makes `change` out of band, and whose plan must
/// show it (the apply after it is the repair).
pub fn drifted<F, Fut>(emulator: &Arc<Emulator>, config: &str, change: F) -> Step
where
    F: Fn(Arc<Emulator>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = CheckResult> + Send + 'static,
{
    Step::plan(config)
        .before(out_of_band(emulator, change))
        .expect_changes()
}

/// A value one step's check remembers for a later step's (checks are
/// `'static`, so it is shared): an identity, ids, a creation time.
#[derive(Debug, Default)]
pub struct Memo<T>(Arc<Mutex<T>>);

impl<T> Clone for Memo<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: Clone> Memo<T> {
    pub fn set(&self, value: T) -> CheckResult {
        *self.0.lock().map_err(err)? = value;
        Ok(())
    }

    pub fn get(&self) -> Result<T, String> {
        Ok(self.0.lock().map_err(err)?.clone())
    }
}

impl<T: Clone + Default + PartialEq + std::fmt::Debug> Memo<T> {
    /// Remembers `value` the first time; after that, `value` must be what
    /// was remembered (e.g. the same object after an update in place).
    pub fn first_or_same(&self, what: &str, value: T) -> CheckResult {
        let mut known = self.0.lock().map_err(err)?;
        if *known == T::default() {
            *known = value;
            Ok(())
        } else if *known == value {
            Ok(())
        } else {
            Err(format!("{what} was replaced: {known:?} → {value:?}"))
        }
    }
}

/// `actual` is `expected`, or a message naming `what`.
pub fn same<T: PartialEq + std::fmt::Debug>(what: &str, actual: T, expected: T) -> CheckResult {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what} is {actual:?}, expected {expected:?}"))
    }
}

/// `ok`, or a message naming `what` and what was `seen` instead.
pub fn ensure(what: &str, ok: bool, seen: &dyn std::fmt::Debug) -> CheckResult {
    if ok {
        Ok(())
    } else {
        Err(format!("{what}: {seen:?}"))
    }
}

/// A list of strings in a resource's attributes (empty when absent).
pub fn strings(values: &Json, attribute: &str) -> Vec<String> {
    values[attribute]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A string attribute of the resource at `address`.
pub fn attr_str(state: &State, address: &str, attribute: &str) -> Result<String, String> {
    state
        .attr(address, attribute)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{address}.{attribute} is not a string"))
}

// ---------------------------------------------------------------------------
// Tags, as each service's SDK spells them.

/// A tag of any of the services' SDKs, as a key and a value.
pub trait KeyValue {
    fn pair(&self) -> Option<(&str, &str)>;
}

impl KeyValue for aws_sdk_ec2::types::Tag {
    fn pair(&self) -> Option<(&str, &str)> {
        Some((self.key()?, self.value()?))
    }
}

impl KeyValue for aws_sdk_rds::types::Tag {
    fn pair(&self) -> Option<(&str, &str)> {
        Some((self.key()?, self.value()?))
    }
}

impl KeyValue for aws_sdk_elasticache::types::Tag {
    fn pair(&self) -> Option<(&str, &str)> {
        Some((self.key()?, self.value()?))
    }
}

impl KeyValue for aws_sdk_s3::types::Tag {
    fn pair(&self) -> Option<(&str, &str)> {
        Some((self.key(), self.value()))
    }
}

impl KeyValue for aws_sdk_iam::types::Tag {
    fn pair(&self) -> Option<(&str, &str)> {
        Some((self.key(), self.value()))
    }
}

/// Tags by key.
pub fn tag_map<T: KeyValue>(tags: &[T]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(KeyValue::pair)
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The `expected` tags are all there with their values, and no `absent`
/// key is.
pub fn has_tags(
    what: &str,
    tags: &BTreeMap<String, String>,
    expected: &[(&str, &str)],
    absent: &[&str],
) -> CheckResult {
    for (k, v) in expected {
        if tags.get(*k).map(String::as_str) != Some(*v) {
            return Err(format!(
                "{what}: tag {k} should be {v:?}; tags are {tags:?}"
            ));
        }
    }
    for k in absent {
        if tags.contains_key(*k) {
            return Err(format!("{what}: tag {k} should be gone; tags are {tags:?}"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Security groups.

/// A security group's ingress as (protocol, from port, to port, source),
/// sorted; the source is a CIDR block, an IPv6 block, a group id or a
/// prefix list id, and a missing port is -1.
pub fn ingress(group: &aws_sdk_ec2::types::SecurityGroup) -> Vec<(String, i32, i32, String)> {
    let mut rules = Vec::new();
    for p in group.ip_permissions() {
        let rule = |source: Option<&str>| {
            (
                p.ip_protocol().unwrap_or_default().to_owned(),
                p.from_port().unwrap_or(-1),
                p.to_port().unwrap_or(-1),
                source.unwrap_or_default().to_owned(),
            )
        };
        rules.extend(p.ip_ranges().iter().map(|r| rule(r.cidr_ip())));
        rules.extend(p.ipv6_ranges().iter().map(|r| rule(r.cidr_ipv6())));
        rules.extend(p.user_id_group_pairs().iter().map(|g| rule(g.group_id())));
        rules.extend(p.prefix_list_ids().iter().map(|l| rule(l.prefix_list_id())));
    }
    rules.sort();
    rules
}

/// The rules of one port from each source, as [`ingress`] lists them.
pub fn tcp_from(port: i32, sources: &[&str]) -> Vec<(String, i32, i32, String)> {
    let mut rules: Vec<_> = sources
        .iter()
        .map(|s| ("tcp".to_owned(), port, port, (*s).to_owned()))
        .collect();
    rules.sort();
    rules
}

/// Opens `port` to the whole internet on `group`, out of band.
pub async fn open_to_the_world(emulator: &Emulator, group: &str, port: i32) -> CheckResult {
    use aws_sdk_ec2::types::{IpPermission, IpRange};
    let rule = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    sent(
        emulator
            .ec2()
            .await
            .authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(rule)
            .send()
            .await,
    )
}

/// The region's usable availability zones as (name, id), in name order.
pub async fn usable_zones(emulator: &Emulator) -> Result<Vec<(String, String)>, String> {
    let out = emulator
        .ec2()
        .await
        .describe_availability_zones()
        .send()
        .await
        .map_err(err)?;
    let mut zones: Vec<(String, String)> = out
        .availability_zones()
        .iter()
        .filter(|z| z.state().is_none_or(|s| s.as_str() == "available"))
        .map(|z| {
            (
                z.zone_name().unwrap_or_default().to_owned(),
                z.zone_id().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    zones.sort();
    Ok(zones)
}

/// For [`Step::check_output`](tfplugin::testing::Step::check_output) of a
/// plan: one resource updated in place, nothing replaced or destroyed.
pub fn updated_in_place(out: &str) -> CheckResult {
    if out.contains("must be replaced") || !out.contains("1 to change, 0 to destroy") {
        Err(format!("not an update in place:\n{out}"))
    } else {
        Ok(())
    }
}
