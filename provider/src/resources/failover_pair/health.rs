//! The pair's health checks and DNS failover (Route 53): the `health_check`
//! and `dns` blocks, what each node's check and record set must be, and
//! what exists of them.
//!
//! Health checks are made when `health_check` or `dns` is given. Their
//! kind follows the subnets: in public subnets Route 53's checkers
//! connect to each node's public address (`endpoint`; each node gets its
//! own Elastic IP, and with `floating_ip` the active node's public address
//! is the floating IP); in private subnets a CloudWatch alarm on each
//! node's status checks is watched instead (`cloudwatch-alarm`). A pair
//! with one public and one private subnet is refused.
//!
//! Route 53 objects carry no EC2 tags to be found by: checks are found by
//! their `CallerReference` (the marker, `route53::find_health_checks`),
//! record sets by their `SetIdentifier` in the zone and name the security
//! group's `swarm:dns` tag names, alarms by their names (the marker).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;

use super::cloud::Node;
use crate::cloudwatch::{self, StatusAlarm};
use crate::config::SwarmClient;
use crate::ec2::{self, Subnet};
use crate::ownership::Marker;
use crate::route53::{self, FailoverRecord, HealthCheck, Protocol, Target};
use crate::security_group::{Group, Rule};

/// On the security group: the kind of the pair's health checks (absent:
/// none are made), so that a refresh reads Route 53 only for a pair that
/// has checks.
pub const KIND_TAG: &str = "swarm:health-check";
/// On the security group: `<zone id>/<record name>` of the failover
/// records, so that a refresh, destroy and import find them.
pub const DNS_TAG: &str = "swarm:dns";

/// The `swarm:role` of a node's health check and of its status-check alarm.
pub const ROLE_HEALTH_CHECK: &str = "health-check";
pub const ROLE_STATUS_ALARM: &str = "status-alarm";

pub const DEFAULT_PROTOCOL: Protocol = Protocol::Tcp;
pub const DEFAULT_PATH: &str = "/";
pub const DEFAULT_INTERVAL: i32 = 30;
pub const DEFAULT_THRESHOLD: i32 = 3;
pub const DEFAULT_TTL: i64 = 60;

/// How the nodes are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Route 53's checkers connect to each node's public address.
    Endpoint,
    /// Each node's check follows a CloudWatch alarm on its status checks.
    Alarm,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Endpoint => "endpoint",
            Kind::Alarm => "cloudwatch-alarm",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Kind::Endpoint, Kind::Alarm]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// The `health_check` block as Terraform stores it: null where the
/// default applies (so that an imported check that has the defaults
/// writes no value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthCheckModel {
    pub protocol: Option<String>,
    pub port: Option<i64>,
    pub path: Option<String>,
    pub interval_seconds: Option<i64>,
    pub failure_threshold: Option<i64>,
}

impl HealthCheckModel {
    /// The attributes a pair in private subnets does not use, that are set.
    pub fn unused_with_alarms(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.protocol.is_some() {
            set.push("protocol");
        }
        if self.port.is_some() {
            set.push("port");
        }
        if self.path.is_some() {
            set.push("path");
        }
        if self.interval_seconds.is_some() {
            set.push("interval_seconds");
        }
        set
    }
}

/// The `dns` block as Terraform stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsModel {
    pub zone_id: Option<String>,
    pub record_name: Option<String>,
    pub ttl: Option<i64>,
}

/// The checks, resolved with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checks {
    pub protocol: Protocol,
    pub port: u16,
    /// HTTP(S) only (default `/`).
    pub path: Option<String>,
    pub interval: i32,
    pub threshold: i32,
}

fn int(value: Option<i64>, default: i32) -> i32 {
    value.map_or(default, |v| i32::try_from(v).unwrap_or(-1))
}

impl Checks {
    /// The block with its defaults (`port`: `mcp_port`). Bad values are
    /// kept as given, for [`problems`] to report.
    pub fn resolve(model: Option<&HealthCheckModel>, mcp_port: i64) -> Self {
        let model = model.cloned().unwrap_or_default();
        let protocol = model
            .protocol
            .as_deref()
            .and_then(Protocol::parse)
            .unwrap_or(DEFAULT_PROTOCOL);
        let path = match protocol {
            Protocol::Tcp => model.path,
            _ => Some(model.path.unwrap_or_else(|| DEFAULT_PATH.to_owned())),
        };
        Self {
            protocol,
            port: u16::try_from(model.port.unwrap_or(mcp_port)).unwrap_or(0),
            path,
            interval: int(model.interval_seconds, DEFAULT_INTERVAL),
            threshold: int(model.failure_threshold, DEFAULT_THRESHOLD),
        }
    }

    /// A node's check: on its public address `ip` (endpoint kind), or on
    /// its status-check alarm.
    pub fn target(
        &self,
        client: &SwarmClient,
        kind: Kind,
        marker: &Marker,
        node: Node,
        ip: &str,
    ) -> Target {
        match kind {
            Kind::Endpoint => self.endpoint(ip),
            Kind::Alarm => Target::Alarm {
                region: client.region.clone(),
                name: cloudwatch::alarm_name(marker, node.name()),
            },
        }
    }

    fn endpoint(&self, ip: &str) -> Target {
        Target::Endpoint {
            protocol: self.protocol,
            ip: ip.to_owned(),
            port: self.port,
            path: self.path.clone(),
            interval: self.interval,
            failure_threshold: self.threshold,
        }
    }

    /// How many failed minutes raise a node's status-check alarm: CloudWatch
    /// is asked for 1 or 2 (`cloudwatch::periods_problem`); one failure
    /// allowed is one minute, more are two.
    pub fn periods(&self) -> i32 {
        if self.threshold <= 1 { 1 } else { 2 }
    }
}

/// Sets one number of a `health_check` block.
type SetNumber = fn(&mut HealthCheckModel, i64);

/// What is wrong with a `health_check` block, per attribute (its name in
/// the block, and why), by Route 53's rules (`Target::problem`): each
/// attribute is judged alone on top of the defaults, so that the error
/// names the attribute at fault. `mcp_port` is `None` while unknown.
pub fn problems(model: &HealthCheckModel, mcp_port: Option<i64>) -> Vec<(&'static str, String)> {
    let defaults = HealthCheckModel::default();
    let port = mcp_port.unwrap_or(crate::instances::schema::DEFAULT_MCP_PORT);
    let judge = |one: HealthCheckModel| {
        // A path is judged with the protocol given: TCP takes none.
        let mut checks = Checks::resolve(Some(&one), port);
        checks.path = one.path.clone();
        checks.endpoint("192.0.2.1").problem()
    };
    let mut found = Vec::new();
    // The numbers, each alone on the defaults.
    let numbers: [(&'static str, Option<i64>, SetNumber); 3] = [
        ("port", model.port, |m, v| m.port = Some(v)),
        ("interval_seconds", model.interval_seconds, |m, v| {
            m.interval_seconds = Some(v)
        }),
        ("failure_threshold", model.failure_threshold, |m, v| {
            m.failure_threshold = Some(v)
        }),
    ];
    for (name, value, set) in numbers {
        if let Some(value) = value {
            let mut one = defaults.clone();
            set(&mut one, value);
            if let Some(why) = judge(one) {
                found.push((name, why));
            }
        }
    }
    if model.path.is_some() {
        let one = HealthCheckModel {
            protocol: model.protocol.clone(),
            path: model.path.clone(),
            ..defaults
        };
        if let Some(why) = judge(one) {
            found.push(("path", why));
        }
    }
    found
}

/// The rules that let Route 53's checkers reach `port` (endpoint kind),
/// less those `mcp_rules` have already.
pub fn checker_rules(port: u16, mcp_rules: &[Rule]) -> Vec<Rule> {
    route53::health_checker_cidrs()
        .iter()
        .map(|cidr| Rule::tcp_from_cidr(i32::from(port), cidr))
        .filter(|r| !mcp_rules.contains(r))
        .collect()
}

/// EC2's default limit of inbound rules per security group.
pub const MAX_INBOUND_RULES: usize = 60;

/// Where the failover records are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns {
    /// Without Route 53's `/hostedzone/` prefix.
    pub zone_id: String,
    pub record_name: String,
    pub ttl: i64,
}

/// A zone id as the user writes it (Route 53 answers some with a
/// `/hostedzone/` prefix).
pub fn zone_id(raw: &str) -> String {
    raw.trim_start_matches("/hostedzone/").to_owned()
}

impl Dns {
    pub fn from_model(model: &DnsModel) -> Option<Self> {
        Some(Self {
            zone_id: zone_id(model.zone_id.as_deref()?),
            record_name: model.record_name.clone()?,
            ttl: model.ttl.unwrap_or(DEFAULT_TTL),
        })
    }

    /// The group's `swarm:dns` tag.
    pub fn tag(&self) -> String {
        format!(
            "{}/{}",
            self.zone_id,
            route53::normalize_name(&self.record_name)
        )
    }

    /// Whether the records of `place` (a `swarm:dns` tag) are these.
    pub fn at(&self, place: &Place) -> bool {
        self.zone_id == place.zone_id
            && route53::normalize_name(&self.record_name)
                == route53::normalize_name(&place.record_name)
    }
}

/// Where a group's `swarm:dns` tag says the records are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub zone_id: String,
    pub record_name: String,
}

impl Place {
    pub fn from_tag(tag: &str) -> Option<Self> {
        let (zone, name) = tag.split_once('/')?;
        (!zone.is_empty() && !name.is_empty()).then(|| Self {
            zone_id: zone.to_owned(),
            record_name: name.to_owned(),
        })
    }
}

/// The checks' kind for the pair's two subnets: both public, endpoint;
/// both private, alarms; one of each is an error on `subnet_ids`.
pub async fn kind_of(client: &SwarmClient, subnets: &[Subnet; 2]) -> Result<Kind, Diagnostic> {
    let ids = [subnets[0].id.as_str(), subnets[1].id.as_str()];
    let public = ec2::public_subnets(client, &subnets[0].vpc_id, &ids).await?;
    match public.as_slice() {
        [true, true] => Ok(Kind::Endpoint),
        [false, false] => Ok(Kind::Alarm),
        _ => {
            let (public, private) = if public.first() == Some(&true) {
                (ids[0], ids[1])
            } else {
                (ids[1], ids[0])
            };
            Err(Diagnostic::error(
                "Invalid subnet_ids",
                format!(
                    "subnet_ids: the nodes' subnets must be both public or both private for \
                     their health checks: {public} routes to an internet gateway and {private} \
                     does not. Route 53 checks public nodes at their public addresses and \
                     private ones through CloudWatch alarms; a pair is checked one way."
                ),
            )
            .at(AttributePath::attr("subnet_ids")))
        }
    }
}

/// What exists of a pair's health checks, records and alarms.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The marker they were found by.
    pub marker: Option<Marker>,
    /// The group's `swarm:health-check` tag.
    pub kind: Option<Kind>,
    /// The group's `swarm:dns` tag: where `records` were read.
    pub place: Option<Place>,
    pub checks: Vec<HealthCheck>,
    pub records: Vec<FailoverRecord>,
    pub alarms: Vec<StatusAlarm>,
    /// Route 53's status of each check, by check id.
    pub healthy: BTreeMap<String, bool>,
}

impl Seen {
    /// The node's check: the one its record set names, else the first
    /// found (a failed replacement can leave two).
    pub fn check(&self, node: Node) -> Option<&HealthCheck> {
        let named = self.record(node).and_then(|r| r.health_check_id.as_deref());
        let mine = || self.checks.iter().filter(|c| c.role == node.name());
        mine()
            .find(|c| Some(c.id.as_str()) == named)
            .or_else(|| mine().next())
    }

    pub fn record(&self, node: Node) -> Option<&FailoverRecord> {
        self.records.iter().find(|r| r.role == node.name())
    }

    pub fn alarm(&self, node: Node) -> Option<&StatusAlarm> {
        let marker = self.marker.as_ref()?;
        let name = cloudwatch::alarm_name(marker, node.name());
        self.alarms.iter().find(|a| a.name == name)
    }
}

fn alarm_names(marker: &Marker) -> Vec<String> {
    Node::BOTH
        .iter()
        .map(|n| cloudwatch::alarm_name(marker, n.name()))
        .collect()
}

/// Reads what exists of the pair's checks, records and alarms, as the
/// group's tags say it has them (nothing, without the kind tag): one
/// ListHealthChecks, one ListResourceRecordSets, one DescribeAlarms (alarm
/// kind only), concurrently; then GetHealthCheckStatus per check.
/// `everything` (destroy) lists checks and alarms whatever the tags say.
pub async fn observe(
    client: &SwarmClient,
    marker: Option<&Marker>,
    group: Option<&Group>,
    everything: bool,
) -> Result<Seen, Diagnostic> {
    let Some(marker) = marker else {
        return Ok(Seen::default());
    };
    let tag = |key: &str| group.and_then(|g| g.tags.get(key));
    let kind = tag(KIND_TAG).and_then(|k| Kind::from_name(k));
    let place = tag(DNS_TAG).and_then(|t| Place::from_tag(t));
    let mut seen = Seen {
        marker: Some(marker.clone()),
        kind,
        place: place.clone(),
        ..Seen::default()
    };
    if kind.is_none() && place.is_none() && !everything {
        return Ok(seen);
    }
    let names = alarm_names(marker);
    let (checks, records, alarms) = tokio::join!(
        route53::find_health_checks(client, marker),
        async {
            match &place {
                Some(p) => {
                    route53::read_failover_records(client, &p.zone_id, &p.record_name, marker).await
                }
                None => Ok(Vec::new()),
            }
        },
        async {
            if kind == Some(Kind::Alarm) || everything {
                cloudwatch::describe_status_alarms(client, &names).await
            } else {
                Ok(Vec::new())
            }
        }
    );
    seen.checks = checks?;
    seen.records = records?;
    seen.alarms = alarms?;
    if !everything {
        let statuses = futures_util::future::join_all(
            seen.checks
                .iter()
                .map(|c| route53::health_check_status(client, &c.id)),
        )
        .await;
        for (check, status) in seen.checks.iter().zip(statuses) {
            seen.healthy.insert(check.id.clone(), status?);
        }
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in_and_the_port_is_mcp_ports() {
        let checks = Checks::resolve(None, 3000);
        assert_eq!(
            checks,
            Checks {
                protocol: Protocol::Tcp,
                port: 3000,
                path: None,
                interval: 30,
                threshold: 3
            }
        );
        let http = Checks::resolve(
            Some(&HealthCheckModel {
                protocol: Some("HTTP".into()),
                ..HealthCheckModel::default()
            }),
            3000,
        );
        assert_eq!(http.path.as_deref(), Some("/"));
    }

    #[test]
    fn problems_name_the_attribute() {
        let bad = HealthCheckModel {
            interval_seconds: Some(20),
            ..HealthCheckModel::default()
        };
        let found = problems(&bad, Some(3000));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "interval_seconds");
        let tcp_path = HealthCheckModel {
            path: Some("/health".into()),
            ..HealthCheckModel::default()
        };
        assert_eq!(problems(&tcp_path, None)[0].0, "path");
        let http_path = HealthCheckModel {
            protocol: Some("HTTP".into()),
            path: Some("/health".into()),
            ..HealthCheckModel::default()
        };
        assert!(problems(&http_path, None).is_empty());
        let threshold = HealthCheckModel {
            failure_threshold: Some(11),
            port: Some(70000),
            ..HealthCheckModel::default()
        };
        let names: Vec<&str> = problems(&threshold, None).iter().map(|p| p.0).collect();
        assert_eq!(names, ["port", "failure_threshold"]);
    }

    #[test]
    fn the_dns_tag_reads_back() {
        let dns = Dns::from_model(&DnsModel {
            zone_id: Some("/hostedzone/Z123".into()),
            record_name: Some("MCP.example.com.".into()),
            ttl: None,
        });
        let dns = dns.unwrap_or_else(|| panic!("no dns"));
        assert_eq!(dns.ttl, 60);
        let place = Place::from_tag(&dns.tag());
        assert!(place.as_ref().is_some_and(|p| dns.at(p)), "{place:?}");
        assert_eq!(Place::from_tag("Z1"), None);
    }
}
