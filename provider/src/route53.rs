//! Route 53 for a failover pair: a health check per node and the two
//! failover record sets of one name.
//!
//! **Health checks** are found again by their `CallerReference`, which is
//! `swarm-<marker>-<role>` (then `-2`, `-3`, ... see [`create_health_check`]):
//! Route 53 has no tag filter on its lists, but one `ListHealthChecks`
//! (paged) answers every check with its reference, so a refresh is one
//! list whatever the pair's state, and a create whose answer was lost is
//! found again by the next read. Checks are also tagged (the marker, the
//! provider's tags) for people looking at the console and for billing;
//! their tags are read and brought to the wanted ones at apply
//! ([`health_check_tags`], [`sync_health_check_tags`]), never at refresh.
//!
//! **Record sets** carry no tags; they are the resource's by their
//! `SetIdentifier`, `swarm-<marker>-<role>`, named for the *node* (not for
//! its failover role), so that a switchover changes which set is PRIMARY
//! and which SECONDARY, in one `ChangeResourceRecordSets` batch, and each
//! set keeps its node's address and health check.

use std::collections::BTreeMap;

use aws_sdk_route53::error::ProvideErrorMetadata;
use aws_sdk_route53::types::{
    AlarmIdentifier, Change, ChangeAction, ChangeBatch, CloudWatchRegion, HealthCheckConfig,
    HealthCheckType, InsufficientDataHealthStatus, ResettableElementName, ResourceRecord,
    ResourceRecordSet, ResourceRecordSetFailover, RrType, Tag, TagResourceType,
};
use tfplugin::diag::Diagnostic;

use crate::aws::{all_pages, call, error};
use crate::config::SwarmClient;
use crate::ownership::Marker;

/// How a node is checked over the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Https,
    Tcp,
}

impl Protocol {
    pub const NAMES: [&'static str; 3] = ["HTTP", "HTTPS", "TCP"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "HTTP" => Some(Self::Http),
            "HTTPS" => Some(Self::Https),
            "TCP" => Some(Self::Tcp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Http => "HTTP",
            Self::Https => "HTTPS",
            Self::Tcp => "TCP",
        }
    }

    fn sdk(self) -> HealthCheckType {
        match self {
            Self::Http => HealthCheckType::Http,
            Self::Https => HealthCheckType::Https,
            Self::Tcp => HealthCheckType::Tcp,
        }
    }
}

/// What a node's health check checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Route 53's checkers connect to a public address.
    Endpoint {
        protocol: Protocol,
        ip: String,
        port: u16,
        /// HTTP(S) only; `None` checks `/`.
        path: Option<String>,
        /// 10 or 30 seconds.
        interval: i32,
        /// 1 to 10 failed checks in a row make it unhealthy.
        failure_threshold: i32,
    },
    /// The state of a CloudWatch alarm (a node without a public address):
    /// unhealthy while the alarm is in ALARM.
    Alarm { region: String, name: String },
}

impl Target {
    /// What is wrong with it, in words for the attribute it came from;
    /// `None` when Route 53 will take it.
    pub fn problem(&self) -> Option<String> {
        match self {
            Target::Endpoint {
                protocol,
                port,
                path,
                interval,
                failure_threshold,
                ..
            } => {
                if *port == 0 {
                    return Some("port must be between 1 and 65535".to_owned());
                }
                if !matches!(interval, 10 | 30) {
                    return Some(format!(
                        "interval_seconds must be 10 or 30 (Route 53's intervals), not {interval}"
                    ));
                }
                if !(1..=10).contains(failure_threshold) {
                    return Some(format!(
                        "failure_threshold must be between 1 and 10, not {failure_threshold}"
                    ));
                }
                match (protocol, path) {
                    (Protocol::Tcp, Some(_)) => {
                        Some("a TCP health check has no path: leave path unset".to_owned())
                    }
                    (_, Some(path)) if !path.starts_with('/') || path.len() > 255 => Some(format!(
                        "path must start with / and be at most 255 characters: {path:?}"
                    )),
                    _ => None,
                }
            }
            Target::Alarm { name, region } if name.is_empty() || region.is_empty() => {
                Some("a CloudWatch-alarm health check needs an alarm name and region".to_owned())
            }
            Target::Alarm { .. } => None,
        }
    }

    /// Whether going from `self` to `desired` needs a new health check:
    /// Route 53 cannot change a check's type or request interval in place.
    pub fn needs_replacement(&self, desired: &Target) -> bool {
        match (self, desired) {
            (
                Target::Endpoint {
                    protocol: p1,
                    interval: i1,
                    ..
                },
                Target::Endpoint {
                    protocol: p2,
                    interval: i2,
                    ..
                },
            ) => p1 != p2 || i1 != i2,
            (Target::Alarm { .. }, Target::Alarm { .. }) => false,
            _ => true,
        }
    }

    fn config(&self, caller_reference: &str) -> Result<HealthCheckConfig, Diagnostic> {
        let builder = match self {
            Target::Endpoint {
                protocol,
                ip,
                port,
                path,
                interval,
                failure_threshold,
            } => HealthCheckConfig::builder()
                .r#type(protocol.sdk())
                .ip_address(ip)
                .port(i32::from(*port))
                .set_resource_path(path.clone())
                .request_interval(*interval)
                .failure_threshold(*failure_threshold),
            Target::Alarm { region, name } => HealthCheckConfig::builder()
                .r#type(HealthCheckType::CloudwatchMetric)
                .alarm_identifier(alarm_identifier(region, name)?)
                // A new alarm has no data for a while: keep the last
                // status rather than flap the records.
                .insufficient_data_health_status(InsufficientDataHealthStatus::LastKnownStatus),
        };
        builder
            .build()
            .map_err(|e| build_error("health check", caller_reference, &e))
    }

    fn from_sdk(config: &HealthCheckConfig) -> Option<Target> {
        let protocol = match config.r#type() {
            HealthCheckType::Http => Protocol::Http,
            HealthCheckType::Https => Protocol::Https,
            HealthCheckType::Tcp => Protocol::Tcp,
            HealthCheckType::CloudwatchMetric => {
                let alarm = config.alarm_identifier()?;
                return Some(Target::Alarm {
                    region: alarm.region().as_str().to_owned(),
                    name: alarm.name().to_owned(),
                });
            }
            _ => return None,
        };
        Some(Target::Endpoint {
            protocol,
            ip: config.ip_address().unwrap_or_default().to_owned(),
            port: u16::try_from(config.port().unwrap_or(0)).unwrap_or(0),
            path: config.resource_path().map(str::to_owned),
            interval: config.request_interval().unwrap_or(30),
            failure_threshold: config.failure_threshold().unwrap_or(3),
        })
    }
}

fn alarm_identifier(region: &str, name: &str) -> Result<AlarmIdentifier, Diagnostic> {
    AlarmIdentifier::builder()
        .region(CloudWatchRegion::from(region))
        .name(name)
        .build()
        .map_err(|e| build_error("alarm identifier", name, &e))
}

fn build_error(what: &str, of: &str, e: &impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        format!("Cannot make the Route 53 {what} of {of}"),
        format!("The request could not be built: {e}. This is a bug in the provider."),
    )
}

/// A health check as Route 53 has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub id: String,
    /// The node it checks (`primary`, `secondary`), from its reference.
    pub role: String,
    pub caller_reference: String,
    /// `None`: a kind this provider does not make (changed by hand).
    pub target: Option<Target>,
    /// What UpdateHealthCheck must name, so that two updates cannot
    /// silently overwrite each other.
    pub version: i64,
}

const PREFIX: &str = "swarm-";

/// How many references a create tries (see [`create_health_check`]).
const REFERENCES: u32 = 20;

/// The `CallerReference` of a node's health check: the same for every
/// retry of one create, so that Route 53 answers a retried create with
/// the check it made. `attempt` 1 is the first; a later one is used only
/// when Route 53 refuses an earlier one, which it does for ever once a
/// check with that reference was deleted (a check deleted by hand and
/// made again, or replaced for a new interval or protocol).
pub fn caller_reference(marker: &Marker, role: &str, attempt: u32) -> String {
    match attempt {
        0 | 1 => format!("{PREFIX}{marker}-{role}"),
        n => format!("{PREFIX}{marker}-{role}-{n}"),
    }
}

/// The role a reference of `marker`'s names, if it is one of its.
pub fn role_of<'a>(reference: &'a str, marker: &Marker) -> Option<&'a str> {
    let rest = reference
        .strip_prefix(PREFIX)?
        .strip_prefix(marker.as_str())?
        .strip_prefix('-')?;
    let role = rest.split('-').next()?;
    (!role.is_empty()).then_some(role)
}

/// The `SetIdentifier` of a node's failover record set.
pub fn set_identifier(marker: &Marker, role: &str) -> String {
    format!("{PREFIX}{marker}-{role}")
}

fn health_check_of(
    check: &aws_sdk_route53::types::HealthCheck,
    marker: &Marker,
) -> Option<HealthCheck> {
    let role = role_of(check.caller_reference(), marker)?;
    Some(HealthCheck {
        id: check.id().to_owned(),
        role: role.to_owned(),
        caller_reference: check.caller_reference().to_owned(),
        target: check.health_check_config().and_then(Target::from_sdk),
        version: check.health_check_version(),
    })
}

/// Every health check of `marker`'s: one `ListHealthChecks`, paged.
pub async fn find_health_checks(
    client: &SwarmClient,
    marker: &Marker,
) -> Result<Vec<HealthCheck>, Diagnostic> {
    let checks = all_pages(|token| async move {
        let page = call(
            "route53",
            "ListHealthChecks",
            client.route53.list_health_checks().set_marker(token).send(),
        )
        .await
        .map_err(|e| error("Cannot list the Route 53 health checks", &e))?;
        let next = page
            .is_truncated()
            .then(|| page.next_marker().map(str::to_owned));
        Ok((page.health_checks().to_vec(), next.flatten()))
    })
    .await?;
    Ok(checks
        .iter()
        .filter_map(|check| health_check_of(check, marker))
        .collect())
}

/// Creates the health check of `role`, tagged with `tags` (which should
/// carry the marker, `ownership::mark`).
///
/// Idempotent: the reference is [`caller_reference`], so a create retried
/// after a lost answer gets the same check. Route 53 refuses a reference
/// once used by a check since deleted (`HealthCheckAlreadyExists`); the
/// next one is tried then. Call it only when [`find_health_checks`] found
/// none for the role, or the found one would reuse a live reference.
pub async fn create_health_check(
    client: &SwarmClient,
    marker: &Marker,
    role: &str,
    target: &Target,
    tags: &BTreeMap<String, String>,
) -> Result<HealthCheck, Diagnostic> {
    let mut attempt = 1;
    let created = loop {
        let reference = caller_reference(marker, role, attempt);
        let answer = call(
            "route53",
            "CreateHealthCheck",
            client
                .route53
                .create_health_check()
                .caller_reference(&reference)
                .health_check_config(target.config(&reference)?)
                .send(),
        )
        .await;
        match answer {
            Ok(out) => break out,
            Err(e) if e.code() == Some("HealthCheckAlreadyExists") && attempt < REFERENCES => {
                attempt += 1;
            }
            Err(e) => {
                return Err(error(
                    format!("Cannot create the Route 53 health check of the {role} node"),
                    &e,
                ));
            }
        }
    };
    let check = created
        .health_check()
        .and_then(|check| health_check_of(check, marker))
        .ok_or_else(|| {
            Diagnostic::error(
                format!("Route 53 did not answer with the health check of the {role} node"),
                "CreateHealthCheck succeeded without a health check in its answer.",
            )
        })?;
    sync_health_check_tags(client, &check.id, &BTreeMap::new(), tags).await?;
    Ok(check)
}

/// How many health checks one ListTagsForResources may name.
const TAGS_PER_LIST: usize = 10;

/// The tags of the health checks `ids`, by id: one ListTagsForResources
/// per 10 checks (Route 53's most). Read at apply only: a refresh never
/// reads tags (the state's tags come from the pair's EC2 objects).
pub async fn health_check_tags(
    client: &SwarmClient,
    ids: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, Diagnostic> {
    let mut found = BTreeMap::new();
    for chunk in ids.chunks(TAGS_PER_LIST) {
        let out = call(
            "route53",
            "ListTagsForResources",
            client
                .route53
                .list_tags_for_resources()
                .resource_type(TagResourceType::Healthcheck)
                .set_resource_ids(Some(chunk.to_vec()))
                .send(),
        )
        .await
        .map_err(|e| {
            error(
                format!(
                    "Cannot read the tags of the Route 53 health checks {}",
                    chunk.join(", ")
                ),
                &e,
            )
        })?;
        for set in out.resource_tag_sets() {
            let Some(id) = set.resource_id() else {
                continue;
            };
            let tags = crate::tags::from_pairs(set.tags().iter().map(|t| (t.key(), t.value())));
            found.insert(id.to_owned(), tags);
        }
    }
    Ok(found)
}

/// Brings a health check's tags from `current` to `desired` in one
/// ChangeTagsForResource, which adds (or replaces) and removes at once
/// (`crate::tags::changes`); no call when they are equal. Route 53 keeps
/// at most 10 tags on a check, and takes at most 10 of each per call, so
/// one call always fits what it can hold.
pub async fn sync_health_check_tags(
    client: &SwarmClient,
    id: &str,
    current: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    let changes = crate::tags::changes(current, desired);
    if changes.set.is_empty() && changes.remove.is_empty() {
        return Ok(());
    }
    let add: Vec<Tag> = changes
        .set
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    call(
        "route53",
        "ChangeTagsForResource",
        client
            .route53
            .change_tags_for_resource()
            .resource_type(TagResourceType::Healthcheck)
            .resource_id(id)
            .set_add_tags((!add.is_empty()).then_some(add))
            .set_remove_tag_keys((!changes.remove.is_empty()).then_some(changes.remove))
            .send(),
    )
    .await
    .map_err(|e| error(format!("Cannot tag the Route 53 health check {id}"), &e))?;
    Ok(())
}

/// Changes a check in place to `desired` (its address, port, path,
/// threshold or alarm). The caller replaces it instead when
/// [`Target::needs_replacement`] says so.
pub async fn update_health_check(
    client: &SwarmClient,
    current: &HealthCheck,
    desired: &Target,
) -> Result<HealthCheck, Diagnostic> {
    let mut request = client
        .route53
        .update_health_check()
        .health_check_id(&current.id)
        .health_check_version(current.version);
    request = match desired {
        Target::Endpoint {
            ip,
            port,
            path,
            failure_threshold,
            ..
        } => {
            let request = request
                .ip_address(ip)
                .port(i32::from(*port))
                .failure_threshold(*failure_threshold);
            match path {
                Some(path) => request.resource_path(path),
                // An unset path is removed, not left as it was.
                None => request.reset_elements(ResettableElementName::ResourcePath),
            }
        }
        Target::Alarm { region, name } => request
            .alarm_identifier(alarm_identifier(region, name)?)
            .insufficient_data_health_status(InsufficientDataHealthStatus::LastKnownStatus),
    };
    let out = call("route53", "UpdateHealthCheck", request.send())
        .await
        .map_err(|e| {
            error(
                format!(
                    "Cannot update the Route 53 health check {} ({} node)",
                    current.id, current.role
                ),
                &e,
            )
        })?;
    Ok(HealthCheck {
        target: out
            .health_check()
            .and_then(|c| c.health_check_config())
            .and_then(Target::from_sdk)
            .or_else(|| Some(desired.clone())),
        version: out
            .health_check()
            .map_or(current.version + 1, |c| c.health_check_version()),
        ..current.clone()
    })
}

/// What makes a node's health check `desired`, from what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckChange {
    /// None found: [`create_health_check`].
    Create,
    /// Already so.
    Keep,
    /// [`update_health_check`], in place.
    Update,
    /// A new check (its type or interval changed, or it was changed by
    /// hand into a kind this provider does not make): create the new one
    /// ([`create_health_check`] takes the next free reference while the
    /// old one lives), point the node's record set at it, then delete the
    /// old one (Route 53 refuses to delete a check a record set names).
    Replace,
}

/// Which [`CheckChange`] a node's check needs.
pub fn check_change(found: Option<&HealthCheck>, desired: &Target) -> CheckChange {
    match found.map(|check| check.target.as_ref()) {
        None => CheckChange::Create,
        Some(None) => CheckChange::Replace,
        Some(Some(current)) if current == desired => CheckChange::Keep,
        Some(Some(current)) if current.needs_replacement(desired) => CheckChange::Replace,
        Some(Some(_)) => CheckChange::Update,
    }
}

/// Deletes a health check; one already gone is no error. Route 53 refuses
/// while a record set names it (`HealthCheckInUse`): delete the records
/// first.
pub async fn delete_health_check(client: &SwarmClient, id: &str) -> Result<(), Diagnostic> {
    match call(
        "route53",
        "DeleteHealthCheck",
        client
            .route53
            .delete_health_check()
            .health_check_id(id)
            .send(),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("NoSuchHealthCheck") => Ok(()),
        Err(e) => Err(error(
            format!("Cannot delete the Route 53 health check {id}"),
            &e,
        )),
    }
}

/// Whether Route 53 considers a check healthy, from its checkers' latest
/// reports (`GetHealthCheckStatus`).
pub async fn health_check_status(client: &SwarmClient, id: &str) -> Result<bool, Diagnostic> {
    let out = call(
        "route53",
        "GetHealthCheckStatus",
        client
            .route53
            .get_health_check_status()
            .health_check_id(id)
            .send(),
    )
    .await
    .map_err(|e| {
        error(
            format!("Cannot read the status of the Route 53 health check {id}"),
            &e,
        )
    })?;
    let reports: Vec<&str> = out
        .health_check_observations()
        .iter()
        .filter_map(|o| o.status_report().and_then(|r| r.status()))
        .collect();
    Ok(healthy(&reports))
}

/// Route 53's own rule: a check is healthy when more than 18% of its
/// checkers report success (a low bar on purpose: a few checkers cut off
/// from the node by the network must not fail it over). Each report
/// starts with `Success` or `Failure`. No reports: not healthy.
pub fn healthy(reports: &[&str]) -> bool {
    let successes = reports.iter().filter(|r| r.starts_with("Success")).count();
    // successes / total > 18 / 100, in integers.
    !reports.is_empty() && successes * 100 > reports.len() * 18
}

/// One node's failover record set: an A record of the pair's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverRecord {
    /// The node (`primary`, `secondary`), from the set identifier.
    pub role: String,
    pub set_identifier: String,
    /// Route 53 answers this set while its check is healthy, or the other
    /// one is not (PRIMARY); or when the PRIMARY's check is unhealthy
    /// (SECONDARY).
    pub primary: bool,
    pub ip: String,
    pub ttl: i64,
    pub health_check_id: Option<String>,
}

impl FailoverRecord {
    fn to_sdk(&self, name: &str) -> Result<ResourceRecordSet, Diagnostic> {
        let record = ResourceRecord::builder()
            .value(&self.ip)
            .build()
            .map_err(|e| build_error("record", name, &e))?;
        ResourceRecordSet::builder()
            .name(name)
            .r#type(RrType::A)
            .set_identifier(&self.set_identifier)
            .failover(if self.primary {
                ResourceRecordSetFailover::Primary
            } else {
                ResourceRecordSetFailover::Secondary
            })
            .ttl(self.ttl)
            .resource_records(record)
            .set_health_check_id(self.health_check_id.clone())
            .build()
            .map_err(|e| build_error("record set", name, &e))
    }
}

/// The record sets of a pair whose `active` node is `active`:
/// `(role, ip, health check id)` of each node; the active one is PRIMARY.
pub fn failover_records(
    marker: &Marker,
    ttl: i64,
    active: &str,
    nodes: &[(&str, &str, Option<&str>)],
) -> Vec<FailoverRecord> {
    nodes
        .iter()
        .map(|(role, ip, check)| FailoverRecord {
            role: (*role).to_owned(),
            set_identifier: set_identifier(marker, role),
            primary: *role == active,
            ip: (*ip).to_owned(),
            ttl,
            health_check_id: check.map(str::to_owned),
        })
        .collect()
}

/// A DNS name as Route 53 compares it: lower case, without the final dot.
pub fn normalize_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The record sets of `name` in `zone_id` that are `marker`'s: one
/// `ListResourceRecordSets` starting at the name (Route 53 lists in name
/// order, and a name has at most a few sets). A zone deleted since holds
/// none: that is drift to show, not a refresh to fail.
pub async fn read_failover_records(
    client: &SwarmClient,
    zone_id: &str,
    name: &str,
    marker: &Marker,
) -> Result<Vec<FailoverRecord>, Diagnostic> {
    let answer = call(
        "route53",
        "ListResourceRecordSets",
        client
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(name)
            .start_record_type(RrType::A)
            .max_items(100)
            .send(),
    )
    .await;
    let out = match answer {
        Ok(out) => out,
        Err(e) if e.code() == Some("NoSuchHostedZone") => return Ok(Vec::new()),
        Err(e) => {
            return Err(error(
                format!("Cannot read the record sets of {name} in zone {zone_id}"),
                &e,
            ));
        }
    };
    let wanted = normalize_name(name);
    let prefix = format!("{PREFIX}{marker}-");
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|set| normalize_name(set.name()) == wanted && *set.r#type() == RrType::A)
        .filter_map(|set| {
            let identifier = set.set_identifier()?;
            let role = identifier.strip_prefix(&prefix)?;
            Some(FailoverRecord {
                role: role.to_owned(),
                set_identifier: identifier.to_owned(),
                primary: *set.failover()? == ResourceRecordSetFailover::Primary,
                ip: set.resource_records().first()?.value().to_owned(),
                ttl: set.ttl().unwrap_or_default(),
                health_check_id: set.health_check_id().map(str::to_owned),
            })
        })
        .collect())
}

/// Makes the record sets of `name` be `records`, in one
/// `ChangeResourceRecordSets` batch of UPSERTs: Route 53 applies a batch
/// at once, so a switchover (PRIMARY and SECONDARY swapped) never has two
/// PRIMARY sets or none. Returns the change's id (for [`wait_in_sync`]).
pub async fn upsert_failover_records(
    client: &SwarmClient,
    zone_id: &str,
    name: &str,
    records: &[FailoverRecord],
) -> Result<String, Diagnostic> {
    change(client, zone_id, name, ChangeAction::Upsert, records).await
}

/// Deletes record sets as they are now (Route 53's DELETE must name every
/// value exactly: pass what [`read_failover_records`] found). Nothing to
/// delete is no call.
pub async fn delete_failover_records(
    client: &SwarmClient,
    zone_id: &str,
    name: &str,
    current: &[FailoverRecord],
) -> Result<Option<String>, Diagnostic> {
    if current.is_empty() {
        return Ok(None);
    }
    change(client, zone_id, name, ChangeAction::Delete, current)
        .await
        .map(Some)
}

async fn change(
    client: &SwarmClient,
    zone_id: &str,
    name: &str,
    action: ChangeAction,
    records: &[FailoverRecord],
) -> Result<String, Diagnostic> {
    let changes = records
        .iter()
        .map(|record| {
            Change::builder()
                .action(action.clone())
                .resource_record_set(record.to_sdk(name)?)
                .build()
                .map_err(|e| build_error("change", name, &e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .comment("terraform-provider-swarm: failover records")
        .build()
        .map_err(|e| build_error("change batch", name, &e))?;
    let out = call(
        "route53",
        "ChangeResourceRecordSets",
        client
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch)
            .send(),
    )
    .await
    .map_err(|e| {
        error(
            format!(
                "Cannot {} the failover records of {name} in zone {zone_id}",
                action.as_str().to_lowercase()
            ),
            &e,
        )
    })?;
    Ok(out
        .change_info()
        .map(|i| i.id().to_owned())
        .unwrap_or_default())
}

/// Waits until a change has reached every Route 53 name server (INSYNC;
/// about a minute on AWS, at once on an emulator).
pub async fn wait_in_sync(
    client: &SwarmClient,
    change_id: &str,
    wait: &crate::waiter::Wait<'_>,
) -> Result<(), Diagnostic> {
    use crate::waiter::{Poll, wait_for};
    wait_for(
        &format!("Route 53 change {change_id} to be in sync"),
        wait.remaining(),
        wait.cancel,
        || async {
            let out = call(
                "route53",
                "GetChange",
                client.route53.get_change().id(change_id).send(),
            )
            .await
            .map_err(|e| error(format!("Cannot read the Route 53 change {change_id}"), &e))?;
            Ok::<_, Diagnostic>(match out.change_info().map(|i| i.status()) {
                Some(aws_sdk_route53::types::ChangeStatus::Insync) => Poll::Ready(()),
                status => Poll::Pending(format!("{status:?}")),
            })
        },
    )
    .await
    .map_err(|e| match e {
        crate::waiter::WaitError::Failed(diagnostic) => diagnostic,
        other => Diagnostic::error("Route 53 change not in sync", other.to_string()),
    })
}

/// A hosted zone: its name (normalized) and whether it is private.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub private: bool,
}

impl Zone {
    /// Whether `name` is in the zone (the zone's apex or below it).
    pub fn holds(&self, name: &str) -> bool {
        let name = normalize_name(name);
        name == self.name || name.ends_with(&format!(".{}", self.name))
    }
}

/// The hosted zone `zone_id` (`GetHostedZone`); `None` if there is none.
pub async fn hosted_zone(client: &SwarmClient, zone_id: &str) -> Result<Option<Zone>, Diagnostic> {
    match call(
        "route53",
        "GetHostedZone",
        client.route53.get_hosted_zone().id(zone_id).send(),
    )
    .await
    {
        Ok(out) => Ok(out.hosted_zone().map(|zone| Zone {
            name: normalize_name(zone.name()),
            private: zone.config().is_some_and(|c| c.private_zone()),
        })),
        Err(e) if e.code() == Some("NoSuchHostedZone") => Ok(None),
        Err(e) => Err(error(
            format!("Cannot read the Route 53 hosted zone {zone_id}"),
            &e,
        )),
    }
}

/// What Route 53 answers for an A query of `name` (`TestDNSAnswer`): the
/// addresses, as its name servers would give them now.
pub async fn dns_answer(
    client: &SwarmClient,
    zone_id: &str,
    name: &str,
) -> Result<Vec<String>, Diagnostic> {
    let out = call(
        "route53",
        "TestDNSAnswer",
        client
            .route53
            .test_dns_answer()
            .hosted_zone_id(zone_id)
            .record_name(name)
            .record_type(RrType::A)
            .send(),
    )
    .await
    .map_err(|e| error(format!("Cannot ask Route 53 for the answer of {name}"), &e))?;
    Ok(out.record_data().to_vec())
}

/// The IPv4 ranges Route 53's health checkers connect from: a pair's
/// security group lets them reach the health-check port.
///
/// A snapshot of AWS's published list (`service: ROUTE53_HEALTHCHECKS` in
/// <https://ip-ranges.amazonaws.com/ip-ranges.json>, IPv4, the `aws`
/// partition: the China regions' checkers, 52.80.197.0/25 and the like,
/// check only endpoints in China), taken from that file's ranges as quoted
/// in full on 2020-12-22 in a public note (found with the project's
/// search on 2026-11-29: the newest full copy reachable offline; newer
/// partial copies agree on every regional /26). The provider cannot fetch
/// the file: plans must work offline and the tests have no internet. AWS
/// changes these ranges rarely and announces it; check the list against
/// the live file before a release. To refresh:
///
/// ```sh
/// curl -s https://ip-ranges.amazonaws.com/ip-ranges.json |
///   jq -r '.prefixes[] | select(.service == "ROUTE53_HEALTHCHECKS") | .ip_prefix' |
///   grep -v '^52\.8[03]\.' | sort -u
/// ```
///
/// and replace the list and the date above.
pub fn health_checker_cidrs() -> &'static [&'static str] {
    &[
        "15.177.0.0/18",
        "54.183.255.128/26",
        "54.228.16.0/26",
        "54.232.40.64/26",
        "54.241.32.64/26",
        "54.243.31.192/26",
        "54.244.52.192/26",
        "54.245.168.0/26",
        "54.248.220.0/26",
        "54.250.253.192/26",
        "54.251.31.128/26",
        "54.252.79.128/26",
        "54.252.254.192/26",
        "54.255.254.192/26",
        "107.23.255.0/26",
        "176.34.159.192/26",
        "177.71.207.128/26",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> Marker {
        Marker::from_stored("0123456789abcdef0123")
    }

    fn endpoint() -> Target {
        Target::Endpoint {
            protocol: Protocol::Http,
            ip: "203.0.113.10".to_owned(),
            port: 3000,
            path: Some("/health".to_owned()),
            interval: 30,
            failure_threshold: 3,
        }
    }

    #[test]
    fn references_name_the_marker_and_the_node_and_read_back() {
        let m = marker();
        assert_eq!(
            caller_reference(&m, "primary", 1),
            "swarm-0123456789abcdef0123-primary"
        );
        assert_eq!(
            caller_reference(&m, "primary", 3),
            "swarm-0123456789abcdef0123-primary-3"
        );
        assert_eq!(
            role_of(&caller_reference(&m, "secondary", 1), &m),
            Some("secondary")
        );
        assert_eq!(
            role_of(&caller_reference(&m, "secondary", 7), &m),
            Some("secondary")
        );
        // Another resource's, or someone else's, are not this one's.
        let other = Marker::from_stored("ffffffffffffffffffff");
        assert_eq!(role_of(&caller_reference(&other, "primary", 1), &m), None);
        assert_eq!(role_of("my-own-check", &m), None);
        assert_eq!(role_of("swarm-0123456789abcdef0123-", &m), None);
    }

    #[test]
    fn healthy_follows_route53s_eighteen_percent_rule() {
        let ok = "Success: HTTP Status Code 200, OK";
        let bad = "Failure: Connection timed out.";
        assert!(healthy(&[ok, ok, ok]));
        assert!(!healthy(&[bad, bad, bad]));
        assert!(!healthy(&[]));
        // 1 of 5 (20%) is healthy; 1 of 6 (16.7%) is not.
        assert!(healthy(&[ok, bad, bad, bad, bad]));
        assert!(!healthy(&[ok, bad, bad, bad, bad, bad]));
    }

    #[test]
    fn problems_are_said_for_the_attribute() {
        assert_eq!(endpoint().problem(), None);
        let with = |f: fn(&mut Target)| {
            let mut t = endpoint();
            f(&mut t);
            t.problem()
        };
        assert!(
            with(|t| if let Target::Endpoint { interval, .. } = t {
                *interval = 20
            })
            .is_some_and(|p| p.contains("10 or 30"))
        );
        assert!(
            with(|t| {
                if let Target::Endpoint {
                    failure_threshold, ..
                } = t
                {
                    *failure_threshold = 11
                }
            })
            .is_some_and(|p| p.contains("between 1 and 10"))
        );
        assert!(
            with(|t| {
                if let Target::Endpoint {
                    failure_threshold, ..
                } = t
                {
                    *failure_threshold = 0
                }
            })
            .is_some()
        );
        assert!(
            with(|t| if let Target::Endpoint { port, .. } = t {
                *port = 0
            })
            .is_some()
        );
        assert!(
            with(|t| if let Target::Endpoint { protocol, .. } = t {
                *protocol = Protocol::Tcp
            })
            .is_some_and(|p| p.contains("TCP"))
        );
        assert!(
            with(|t| if let Target::Endpoint { path, .. } = t {
                *path = Some("health".into())
            })
            .is_some()
        );
        assert_eq!(
            with(|t| if let Target::Endpoint { protocol, path, .. } = t {
                *protocol = Protocol::Tcp;
                *path = None;
            }),
            None
        );
        let alarm = Target::Alarm {
            region: "us-east-1".into(),
            name: String::new(),
        };
        assert!(alarm.problem().is_some());
    }

    #[test]
    fn type_and_interval_changes_replace_the_rest_update() {
        let current = endpoint();
        let mut desired = endpoint();
        if let Target::Endpoint {
            ip,
            port,
            path,
            failure_threshold,
            ..
        } = &mut desired
        {
            *ip = "203.0.113.11".into();
            *port = 8080;
            *path = None;
            *failure_threshold = 5;
        }
        assert!(!current.needs_replacement(&desired));
        if let Target::Endpoint { interval, .. } = &mut desired {
            *interval = 10;
        }
        assert!(current.needs_replacement(&desired));
        let alarm = Target::Alarm {
            region: "us-east-1".into(),
            name: "a".into(),
        };
        assert!(current.needs_replacement(&alarm));
        assert!(!alarm.needs_replacement(&Target::Alarm {
            region: "us-east-1".into(),
            name: "b".into()
        }));
    }

    #[test]
    fn check_changes_from_what_was_found() {
        let found = |target: Option<Target>| HealthCheck {
            id: "hc".into(),
            role: "primary".into(),
            caller_reference: "r".into(),
            target,
            version: 1,
        };
        let desired = endpoint();
        assert_eq!(check_change(None, &desired), CheckChange::Create);
        assert_eq!(
            check_change(Some(&found(Some(endpoint()))), &desired),
            CheckChange::Keep
        );
        assert_eq!(
            check_change(Some(&found(None)), &desired),
            CheckChange::Replace
        );
        let mut moved = endpoint();
        if let Target::Endpoint { ip, .. } = &mut moved {
            *ip = "203.0.113.99".into();
        }
        assert_eq!(
            check_change(Some(&found(Some(moved))), &desired),
            CheckChange::Update
        );
        let mut faster = endpoint();
        if let Target::Endpoint { interval, .. } = &mut faster {
            *interval = 10;
        }
        assert_eq!(
            check_change(Some(&found(Some(faster))), &desired),
            CheckChange::Replace
        );
    }

    #[test]
    fn configs_round_trip() {
        for target in [
            endpoint(),
            Target::Endpoint {
                protocol: Protocol::Tcp,
                ip: "198.51.100.1".into(),
                port: 22,
                path: None,
                interval: 10,
                failure_threshold: 1,
            },
            Target::Alarm {
                region: "eu-west-1".into(),
                name: "swarm-x-primary-status".into(),
            },
        ] {
            let config = target.config("ref").ok();
            assert_eq!(config.as_ref().and_then(Target::from_sdk), Some(target));
        }
    }

    #[test]
    fn the_active_node_is_primary_and_a_switchover_swaps_only_that() {
        let m = marker();
        let nodes = [
            ("primary", "203.0.113.10", Some("hc-1")),
            ("secondary", "203.0.113.20", Some("hc-2")),
        ];
        let before = failover_records(&m, 60, "primary", &nodes);
        let after = failover_records(&m, 60, "secondary", &nodes);
        assert_eq!(
            before.iter().map(|r| r.primary).collect::<Vec<_>>(),
            [true, false]
        );
        assert_eq!(
            after.iter().map(|r| r.primary).collect::<Vec<_>>(),
            [false, true]
        );
        for (b, a) in before.iter().zip(&after) {
            // Each set stays its node's: identifier, address, check.
            assert_eq!(
                (&b.set_identifier, &b.ip, &b.health_check_id),
                (&a.set_identifier, &a.ip, &a.health_check_id)
            );
        }
        assert_eq!(
            before[0].set_identifier,
            "swarm-0123456789abcdef0123-primary"
        );
        let set = before[1].to_sdk("mcp.example.com").ok();
        assert_eq!(
            set.as_ref().and_then(|s| s.failover()),
            Some(&ResourceRecordSetFailover::Secondary)
        );
        assert_eq!(set.as_ref().and_then(|s| s.health_check_id()), Some("hc-2"));
    }

    #[test]
    fn a_zone_holds_its_apex_and_the_names_below() {
        let zone = Zone {
            name: "agents.example.com".into(),
            private: false,
        };
        assert!(zone.holds("MCP.agents.example.com."));
        assert!(zone.holds("agents.example.com"));
        assert!(!zone.holds("badagents.example.com"));
        assert!(!zone.holds("example.com"));
    }

    #[test]
    fn names_compare_without_case_or_the_final_dot() {
        assert_eq!(
            normalize_name("MCP.Example.com."),
            normalize_name("mcp.example.com")
        );
    }

    #[test]
    fn checker_ranges_are_ipv4_cidrs_without_duplicates() {
        let cidrs = health_checker_cidrs();
        assert!(cidrs.contains(&"15.177.0.0/18"));
        let mut seen = std::collections::BTreeSet::new();
        for cidr in cidrs {
            let (ip, bits) = cidr.split_once('/').unwrap_or_default();
            assert!(ip.parse::<std::net::Ipv4Addr>().is_ok(), "{cidr}");
            assert!(bits.parse::<u8>().is_ok_and(|b| b <= 32), "{cidr}");
            assert!(seen.insert(cidr), "{cidr} twice");
        }
    }
}
