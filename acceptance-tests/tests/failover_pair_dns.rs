//! `swarm_failover_pair` with Route 53 health checks and DNS failover,
//! through terraform against the emulator, read back through the SDK:
//! `public_switchover` (endpoint-kind checks on each node's public
//! address, failover records, the checkers' rule; a switchover and back
//! moves the floating IP, the checks and the records, no instance
//! replaced), `health_driven_failover` (a stopped primary fails its check,
//! Route 53 answers the secondary, `healthy` shows it while `active`
//! stays; apply starts it again), `private_subnets` (CloudWatch-alarm
//! checks, private addresses in a private zone), `drift` (a record, a
//! check, a node's address removed out of band: shown, repaired), `import`
//! (by name, the generated configuration plans nothing; destroy leaves
//! nothing), `bad_input` (refused at validate or plan, nothing made).

use std::collections::BTreeMap;
use std::sync::Arc;

use acceptance_tests::checks::{
    Memo, drifted, err, ingress, sdk_check, sent, tag_map, updated_in_place,
};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{self, default_subnets, default_vpc, filter, internet_route};
use acceptance_tests::{config, pairs, run, test_case};
use aws_sdk_ec2::types::Instance;
use aws_sdk_route53::types::{ResourceRecordSet, ResourceRecordSetFailover, RrType};
use serde_json::Value as Json;
use tfplugin::testing::{Check, CheckResult, State, Step, TestCase};

const PAIR: &str = "swarm_failover_pair.mcp";
const ZONE: &str = "agents.example.com";
const RECORD: &str = "mcp.agents.example.com";
/// The health-check port, other than the MCP port (3000), so that the
/// checkers' rules are told apart from allowed_cidrs'.
const CHECK_PORT: i32 = 8080;

type Ec2 = aws_sdk_ec2::Client;
type Route53 = aws_sdk_route53::Client;

// ---------------------------------------------------------------------------
// Reading AWS back.

/// The pair's nodes (primary, secondary).
async fn nodes(ec2: &Ec2) -> Result<[Instance; 2], String> {
    pairs::nodes(ec2, "mcp", None).await
}

fn id(i: &Instance) -> String {
    i.instance_id().unwrap_or_default().to_owned()
}

/// An Elastic IP of the pair: (role tag, index tag, public IP, instance).
type Address = (String, Option<String>, String, Option<String>);

async fn addresses(ec2: &Ec2) -> Result<Vec<Address>, String> {
    let out = ec2
        .describe_addresses()
        .filters(filter("tag:swarm:failover-pair", &["mcp"]))
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .addresses()
        .iter()
        .map(|a| {
            let tags = tag_map(a.tags());
            (
                tags.get("swarm:role").cloned().unwrap_or_default(),
                tags.get("swarm:index").cloned(),
                a.public_ip().unwrap_or_default().to_owned(),
                a.instance_id().filter(|i| !i.is_empty()).map(str::to_owned),
            )
        })
        .collect())
}

/// The pair's health checks (those whose reference names its marker).
async fn health_checks(
    r53: &Route53,
    marker: &str,
) -> Result<Vec<aws_sdk_route53::types::HealthCheck>, String> {
    let out = r53.list_health_checks().send().await.map_err(err)?;
    let prefix = format!("swarm-{marker}-");
    Ok(out
        .health_checks()
        .iter()
        .filter(|c| c.caller_reference().starts_with(&prefix))
        .cloned()
        .collect())
}

/// The A record sets of `RECORD` in the zone.
async fn record_sets(r53: &Route53, zone: &str) -> Result<Vec<ResourceRecordSet>, String> {
    let out = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .resource_record_sets()
        .iter()
        .filter(|s| s.name().trim_end_matches('.') == RECORD && *s.r#type() == RrType::A)
        .cloned()
        .collect())
}

async fn healthy(r53: &Route53, check: &str) -> Result<bool, String> {
    let out = r53
        .get_health_check_status()
        .health_check_id(check)
        .send()
        .await
        .map_err(err)?;
    let reports: Vec<&str> = out
        .health_check_observations()
        .iter()
        .filter_map(|o| o.status_report().and_then(|r| r.status()))
        .collect();
    Ok(!reports.is_empty() && reports.iter().all(|r| r.starts_with("Success")))
}

async fn dns_answer(r53: &Route53, zone: &str) -> Result<Vec<String>, String> {
    let out = r53
        .test_dns_answer()
        .hosted_zone_id(zone)
        .record_name(RECORD)
        .record_type(RrType::A)
        .send()
        .await
        .map_err(err)?;
    Ok(out.record_data().to_vec())
}

fn attr(state: &State, name: &str) -> Result<String, String> {
    match state.attr(PAIR, name)? {
        Json::String(s) => Ok(s.clone()),
        other => Err(format!("{name} is {other}")),
    }
}

fn map(state: &State, name: &str) -> Result<BTreeMap<String, Json>, String> {
    match state.attr(PAIR, name)? {
        Json::Object(m) => Ok(m.clone().into_iter().collect()),
        other => Err(format!("{name} is {other}")),
    }
}

fn index(role: &str) -> usize {
    usize::from(role == "secondary")
}

/// Endpoint-kind checks and records as configured, with `active` holding
/// the floating IP and the PRIMARY record; read back through the SDK.
fn dns_as_configured(emulator: &Arc<Emulator>, zone: &str, active: &'static str) -> Check {
    let zone = zone.to_owned();
    sdk_check(emulator, move |e, state| {
        let zone = zone.clone();
        async move {
            let (ec2, r53) = (e.ec2().await, e.route53().await);
            let marker = attr(&state, "ownership_marker")?;
            let nodes = nodes(&ec2).await?;
            let addresses = addresses(&ec2).await?;
            let standby = if active == "primary" {
                "secondary"
            } else {
                "primary"
            };
            // The floating IP on the active node, its own address parked; the
            // standby's own address on it.
            let floating: Vec<&Address> =
                addresses.iter().filter(|a| a.0 == "floating-ip").collect();
            let own = |role: &str| {
                let index = index(role).to_string();
                addresses
                    .iter()
                    .find(|a| a.0 == "node-address" && a.1.as_deref() == Some(index.as_str()))
                    .cloned()
                    .ok_or_else(|| format!("no address of the {role}"))
            };
            let active_node = &nodes[index(active)];
            let standby_node = &nodes[index(standby)];
            let [floating] = floating.as_slice() else {
                return Err(format!("addresses {addresses:?}"));
            };
            if floating.3.as_deref() != Some(id(active_node).as_str()) {
                return Err(format!(
                    "the floating IP is not on the {active}: {addresses:?}"
                ));
            }
            let (parked, standby_own) = (own(active)?, own(standby)?);
            if parked.3.is_some() || standby_own.3.as_deref() != Some(id(standby_node).as_str()) {
                return Err(format!("node addresses: {addresses:?}"));
            }
            let public = BTreeMap::from([
                (active.to_owned(), floating.2.clone()),
                (standby.to_owned(), standby_own.2.clone()),
            ]);
            for (role, ip) in &public {
                if nodes[index(role)].public_ip_address() != Some(ip.as_str()) {
                    return Err(format!("the {role} is not at {ip}"));
                }
            }
            let ips = map(&state, "node_public_ips")?;
            if ips.get(active) != Some(&Json::from(floating.2.clone()))
                || ips.get(standby) != Some(&Json::from(standby_own.2.clone()))
            {
                return Err(format!("node_public_ips {ips:?}, addresses {public:?}"));
            }
            // The checks: one per node, on its public address.
            let ids = map(&state, "health_check_ids")?;
            let checks = health_checks(&r53, &marker).await?;
            if checks.len() != 2 {
                return Err(format!("{} health checks", checks.len()));
            }
            for (role, ip) in &public {
                let wanted = ids.get(role).and_then(Json::as_str).unwrap_or_default();
                let check = checks
                    .iter()
                    .find(|c| c.id() == wanted)
                    .ok_or_else(|| format!("no check {wanted} of the {role}"))?;
                let c = check.health_check_config().ok_or("no config")?;
                let seen = (
                    c.r#type().as_str(),
                    c.ip_address(),
                    c.port(),
                    c.resource_path(),
                    c.request_interval(),
                    c.failure_threshold(),
                );
                let expected = (
                    "HTTP",
                    Some(ip.as_str()),
                    Some(CHECK_PORT),
                    Some("/health"),
                    Some(10),
                    Some(2),
                );
                if seen != expected {
                    return Err(format!("the {role}'s check is {seen:?}, not {expected:?}"));
                }
            }
            // The records: PRIMARY on the active node with its check.
            let sets = record_sets(&r53, &zone).await?;
            if sets.len() != 2 {
                return Err(format!("record sets {sets:?}"));
            }
            for set in &sets {
                let role = if set.failover() == Some(&ResourceRecordSetFailover::Primary) {
                    active
                } else {
                    standby
                };
                let value = set.resource_records().first().map(|r| r.value());
                let check = ids.get(role).and_then(Json::as_str);
                if value != public.get(role).map(String::as_str)
                    || set.health_check_id() != check
                    || set.ttl() != Some(60)
                    || !set.set_identifier().is_some_and(|s| s.ends_with(role))
                {
                    return Err(format!("the {role}'s record set is {set:?}"));
                }
            }
            if dns_answer(&r53, &zone).await? != [public[active].clone()] {
                return Err(format!("Route 53 does not answer the {active}"));
            }
            // The checkers reach the check port, and nothing else is open on it.
            let groups = ec2
                .describe_security_groups()
                .group_ids(attr(&state, "security_group_id")?)
                .send()
                .await
                .map_err(err)?;
            let group = groups.security_groups().first().ok_or("no group")?;
            let on_check_port: Vec<String> = ingress(group)
                .into_iter()
                .filter(|r| r.1 == CHECK_PORT)
                .map(|r| r.3)
                .collect();
            let mut checkers: Vec<String> = swarm_provider::route53::health_checker_cidrs()
                .iter()
                .map(|c| (*c).to_owned())
                .collect();
            checkers.sort();
            if on_check_port != checkers {
                return Err(format!("rules on {CHECK_PORT}: {on_check_port:?}"));
            }
            let described = group.ip_permissions().iter().any(|p| {
                p.from_port() == Some(CHECK_PORT)
                    && p.ip_ranges().iter().all(|r| {
                        r.description()
                            .is_some_and(|d| d.contains("Route 53 health checkers"))
                    })
            });
            if !described {
                return Err("the checkers' rules do not say whose they are".to_owned());
            }
            for (name, want) in [
                ("endpoint", RECORD),
                ("health_check_kind", "endpoint"),
                ("active", active),
            ] {
                if attr(&state, name)? != want {
                    return Err(format!("{name} is not {want}"));
                }
            }
            Ok(())
        }
    })
}

/// Nothing of the pair is left: instances, groups, addresses, checks,
/// record sets, alarms.
async fn nothing_left(e: &Emulator, marker: &str) -> CheckResult {
    let (ec2, r53) = (e.ec2().await, e.route53().await);
    let instances = pairs::instances(&ec2, "mcp", None).await?.len();
    let groups = ec2
        .describe_security_groups()
        .filters(filter("tag:swarm:failover-pair", &["mcp"]))
        .send()
        .await
        .map_err(err)?;
    let eips = addresses(&ec2).await?;
    let checks = health_checks(&r53, marker).await?;
    let mut sets = 0;
    let zones = r53.list_hosted_zones().send().await.map_err(err)?;
    for zone in zones.hosted_zones() {
        let out = r53
            .list_resource_record_sets()
            .hosted_zone_id(zone.id())
            .send()
            .await
            .map_err(err)?;
        sets += out
            .resource_record_sets()
            .iter()
            .filter(|s| s.set_identifier().is_some())
            .count();
    }
    let alarms = e
        .cloudwatch()
        .await
        .describe_alarms()
        .alarm_name_prefix(format!("swarm-{marker}"))
        .send()
        .await
        .map_err(err)?;
    let alarms = alarms.metric_alarms().len();
    if instances + groups.security_groups().len() + eips.len() + checks.len() + sets + alarms == 0 {
        Ok(())
    } else {
        Err(format!(
            "left behind: {instances} instances, {} groups, addresses {eips:?}, {} checks, \
             {sets} record sets, {alarms} alarms",
            groups.security_groups().len(),
            checks.len()
        ))
    }
}

// ---------------------------------------------------------------------------
// Configurations.

struct Fixture {
    emulator: Arc<Emulator>,
    subnets: Vec<String>,
    zone: String,
    marker: Memo<String>,
}

/// A hosted zone made through the SDK; its id.
async fn hosted_zone(e: &Emulator, name: &str, private_vpc: Option<&str>) -> String {
    let mut request = e
        .route53()
        .await
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("failover-pair-dns-{name}"));
    if let Some(vpc) = private_vpc {
        request = request.vpc(
            aws_sdk_route53::types::Vpc::builder()
                .vpc_id(vpc)
                .vpc_region(aws_sdk_route53::types::VpcRegion::UsEast1)
                .build(),
        );
    }
    let out = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateHostedZone: {e:?}"));
    out.hosted_zone()
        .map(|z| z.id().trim_start_matches("/hostedzone/").to_owned())
        .unwrap_or_else(|| panic!("CreateHostedZone answered no zone"))
}

impl Fixture {
    /// The default VPC's subnets, public (its main route table goes to an
    /// internet gateway, as on AWS), and a public zone.
    async fn start() -> Self {
        let emulator = Arc::new(Emulator::start());
        let ec2 = emulator.ec2().await;
        let (vpc, _) = default_vpc(&ec2).await;
        internet_route(&ec2, &vpc).await;
        let subnets = default_subnets(&ec2)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let zone = hosted_zone(&emulator, ZONE, None).await;
        Self {
            emulator,
            subnets,
            zone,
            marker: Memo::default(),
        }
    }

    /// The pair in the first two subnets, with `extra` in its block.
    fn pair(&self, subnets: &[&str], extra: &str) -> String {
        let ids: Vec<String> = subnets.iter().map(|s| format!("\"{s}\"")).collect();
        config(&format!(
            "{}\nresource \"swarm_failover_pair\" \"mcp\" {{\n  name = \"mcp\"\n  subnet_ids = [{}]\n  ami = \"ami-785db401\"\n  instance_type = \"t3.small\"\n  allowed_cidrs = [\"10.0.0.0/8\"]\n  root_volume_size = 30\n{extra}}}\n",
            self.emulator
                .provider_block("  environment = \"production\""),
            ids.join(", ")
        ))
    }

    /// Public subnets, floating IP, HTTP checks on /health and DNS.
    fn hcl(&self, active: &str) -> String {
        let subnets = [self.subnets[0].as_str(), self.subnets[1].as_str()];
        self.pair(
            &subnets,
            &format!(
                "  floating_ip = true\n  active = \"{active}\"\n  health_check {{\n    protocol = \"HTTP\"\n    port = {CHECK_PORT}\n    path = \"/health\"\n    interval_seconds = 10\n    failure_threshold = 2\n  }}\n  dns {{\n    zone_id = \"{}\"\n    record_name = \"{RECORD}\"\n  }}\n",
                self.zone
            ),
        )
    }

    /// A configuration with only an `import {}` of the pair by name, for
    /// `Step::import_generated`.
    fn only_import(&self) -> String {
        acceptance_tests::with_import_block(
            &config(
                &self
                    .emulator
                    .provider_block("  environment = \"production\""),
            ),
            PAIR,
            "mcp",
        )
    }

    /// Remembers the pair's marker (for the destroy check).
    fn save_marker(&self) -> Check {
        let marker = self.marker.clone();
        Check::sync(move |state| marker.set(attr(state, "ownership_marker")?))
    }

    fn case(&self) -> TestCase {
        let marker = self.marker.clone();
        test_case().check_destroy(sdk_check(&self.emulator, move |e, _| {
            let marker = marker.clone();
            async move { nothing_left(&e, &marker.get()?).await }
        }))
    }
}

/// Remembers ids of the state: the nodes' instances and checks.
type Ids = Memo<Vec<String>>;

fn ids_of(state: &State) -> Result<Vec<String>, String> {
    let checks = map(state, "health_check_ids")?;
    let mut ids = vec![
        attr(state, "primary_instance_id")?,
        attr(state, "secondary_instance_id")?,
    ];
    ids.extend(checks.values().filter_map(Json::as_str).map(str::to_owned));
    Ok(ids)
}

fn save(ids: &Ids) -> Check {
    let ids = ids.clone();
    Check::sync(move |state| ids.set(ids_of(state)?))
}

/// The same instances and the same checks as remembered.
fn same_ids(ids: &Ids) -> Check {
    let ids = ids.clone();
    Check::sync(move |state| {
        let (before, now) = (ids.get()?, ids_of(state)?);
        if before == now && now.len() == 4 {
            Ok(())
        } else {
            Err(format!("replaced: {before:?} then {now:?}"))
        }
    })
}

/// Both instances replaced, the checks the same (updated in place).
fn replaced_nodes_same_checks(ids: &Ids) -> Check {
    let ids = ids.clone();
    Check::sync(move |state| {
        let (before, now) = (ids.get()?, ids_of(state)?);
        if now.len() == 4 && before[..2].iter().all(|i| !now.contains(i)) && before[2..] == now[2..]
        {
            Ok(())
        } else {
            Err(format!("{before:?} then {now:?}"))
        }
    })
}

#[tokio::test]
async fn public_switchover() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let case = f
        .case()
        .step(
            Step::apply(f.hcl("primary"))
                .check(f.save_marker())
                .check(save(&ids))
                .check(dns_as_configured(&f.emulator, &f.zone, "primary")),
        )
        .step(
            Step::plan(f.hcl("secondary"))
                .expect_changes()
                .check_output(updated_in_place),
        )
        .step(
            Step::apply(f.hcl("secondary"))
                .check(same_ids(&ids))
                .check(dns_as_configured(&f.emulator, &f.zone, "secondary")),
        )
        .step(
            Step::apply(f.hcl("primary"))
                .check(same_ids(&ids))
                .check(dns_as_configured(&f.emulator, &f.zone, "primary")),
        );
    run("failover_pair_dns::public_switchover", case).await;
}

/// The `healthy` map in `terraform show -json`'s output.
fn shown_state(out: &str) -> Result<Json, String> {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("no JSON in:\n{out}"))?;
    let json: Json = serde_json::from_str(line).map_err(|e| e.to_string())?;
    json["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["address"] == PAIR))
        .map(|r| r["values"].clone())
        .ok_or_else(|| format!("no {PAIR} in the state"))
}

#[tokio::test]
async fn health_driven_failover() {
    let f = Fixture::start().await;
    let hcl = f.hcl("primary");
    let zone = f.zone.clone();
    let stop_primary = {
        let e = Arc::clone(&f.emulator);
        let zone = zone.clone();
        move || {
            let (e, zone) = (Arc::clone(&e), zone.clone());
            async move {
                let (ec2, r53) = (e.ec2().await, e.route53().await);
                let [primary, secondary] = nodes(&ec2).await?;
                sent(ec2.stop_instances().instance_ids(id(&primary)).send().await)?;
                // Route 53 sees it: the primary's check fails, and the
                // record name answers the secondary's address.
                let answer = dns_answer(&r53, &zone).await?;
                let secondary_ip = secondary.public_ip_address().unwrap_or_default();
                if answer != [secondary_ip.to_owned()] {
                    return Err(format!("Route 53 answers {answer:?}, not the secondary"));
                }
                let records = record_sets(&r53, &zone).await?;
                let primary_check = records
                    .iter()
                    .find(|s| s.failover() == Some(&ResourceRecordSetFailover::Primary))
                    .and_then(|s| s.health_check_id())
                    .ok_or("no PRIMARY record with a check")?
                    .to_owned();
                if healthy(&r53, &primary_check).await? {
                    return Err("the stopped primary's check is healthy".to_owned());
                }
                Ok(())
            }
        }
    };
    let case = f
        .case()
        .step(
            Step::apply(hcl.clone())
                .check(f.save_marker())
                .check(Check::sync(|state| {
                    let healthy = map(state, "healthy")?;
                    if healthy.len() == 2 && healthy.values().all(|v| v == &Json::Bool(true)) {
                        Ok(())
                    } else {
                        Err(format!("healthy {healthy:?}"))
                    }
                })),
        )
        .step(
            Step::command(
                hcl.clone(),
                &["apply", "-refresh-only", "-auto-approve", "-no-color"],
            )
            .before(stop_primary),
        )
        // The refresh shows the failed node; `active` stays.
        .step(
            Step::command(hcl.clone(), &["show", "-json", "-no-color"]).check_output(|out| {
                let values = shown_state(out)?;
                let seen = (
                    values["healthy"]["primary"].clone(),
                    values["healthy"]["secondary"].clone(),
                    values["active"].clone(),
                );
                if seen == (Json::Bool(false), Json::Bool(true), Json::from("primary")) {
                    Ok(())
                } else {
                    Err(format!("healthy and active: {seen:?}"))
                }
            }),
        )
        // Apply starts the primary: both healthy, Route 53 answers it.
        .step(
            Step::apply(hcl).check(sdk_check(&f.emulator, move |e, state| {
                let zone = zone.clone();
                async move {
                    let healthy = map(&state, "healthy")?;
                    if healthy.values().any(|v| v != &Json::Bool(true)) || healthy.len() != 2 {
                        return Err(format!("healthy {healthy:?}"));
                    }
                    let r53 = e.route53().await;
                    let [primary, _] = nodes(&e.ec2().await).await?;
                    let answer = dns_answer(&r53, &zone).await?;
                    let ip = primary.public_ip_address().unwrap_or_default().to_owned();
                    if answer == [ip] {
                        Ok(())
                    } else {
                        Err(format!("Route 53 answers {answer:?}, not the primary"))
                    }
                }
            })),
        );
    run("failover_pair_dns::health_driven_failover", case).await;
}

/// A new VPC with two subnets in two zones, whose main route table has no
/// route to the internet: (VPC, subnets).
async fn private_network(ec2: &Ec2) -> (String, [String; 2]) {
    let vpc = fixtures::vpc(ec2, "10.1.0.0/16").await;
    let a = fixtures::subnet(ec2, &vpc, "10.1.1.0/24", "us-east-1a").await;
    let b = fixtures::subnet(ec2, &vpc, "10.1.2.0/24", "us-east-1b").await;
    (vpc, [a, b])
}

/// Private subnets: CloudWatch-alarm checks (said by the plan), an alarm
/// per node on its instance, checks on the alarms, records with the
/// private addresses in a private zone. A public zone and the endpoint
/// settings are warned about. An alarm deleted out of band is put back;
/// an image roll moves the alarms and records to the new instances; an
/// import by name plans nothing.
#[tokio::test]
async fn private_subnets() {
    let f = Fixture::start().await;
    let ec2 = f.emulator.ec2().await;
    let (vpc, subnets) = private_network(&ec2).await;
    let private_zone = hosted_zone(&f.emulator, ZONE, Some(&vpc)).await;
    let subnets = [subnets[0].as_str(), subnets[1].as_str()];
    let with_zone = |zone: &str, check: &str| {
        f.pair(
            &subnets,
            &format!(
                "{check}  dns {{\n    zone_id = \"{zone}\"\n    record_name = \"{RECORD}\"\n    ttl = 30\n  }}\n"
            ),
        )
    };
    let hcl = with_zone(
        &private_zone,
        "  health_check {\n    failure_threshold = 1\n  }\n",
    );
    let rolled = hcl.replace("ami-785db401", "ami-1e749f67");
    let only_import = f.only_import();
    let ids = Ids::default();
    let zone = private_zone.clone();
    let emulator = Arc::clone(&f.emulator);
    let alarms_and_records = move || {
        let zone = zone.clone();
        sdk_check(&emulator, move |e, state| {
            let zone = zone.clone();
            async move {
                let (r53, cw) = (e.route53().await, e.cloudwatch().await);
                let marker = attr(&state, "ownership_marker")?;
                let nodes = nodes(&e.ec2().await).await?;
                let ids = map(&state, "health_check_ids")?;
                let checks = health_checks(&r53, &marker).await?;
                let alarms = cw
                    .describe_alarms()
                    .alarm_name_prefix(format!("swarm-{marker}"))
                    .send()
                    .await
                    .map_err(err)?;
                let sets = record_sets(&r53, &zone).await?;
                if checks.len() != 2 || alarms.metric_alarms().len() != 2 || sets.len() != 2 {
                    return Err(format!(
                        "{} checks, {} alarms, {} record sets",
                        checks.len(),
                        alarms.metric_alarms().len(),
                        sets.len()
                    ));
                }
                for (role, node) in [("primary", &nodes[0]), ("secondary", &nodes[1])] {
                    let alarm = alarms
                        .metric_alarms()
                        .iter()
                        .find(|a| a.alarm_name() == Some(&format!("swarm-{marker}-{role}-status")))
                        .ok_or_else(|| format!("no alarm of the {role}"))?;
                    let on = alarm
                        .dimensions()
                        .iter()
                        .find(|d| d.name() == Some("InstanceId"))
                        .and_then(|d| d.value());
                    if on != node.instance_id() || alarm.metric_name() != Some("StatusCheckFailed")
                    {
                        return Err(format!("the {role}'s alarm is {alarm:?}"));
                    }
                    let wanted = ids.get(role).and_then(Json::as_str).unwrap_or_default();
                    let check = checks
                        .iter()
                        .find(|c| c.id() == wanted)
                        .and_then(|c| c.health_check_config())
                        .ok_or_else(|| format!("no check {wanted} of the {role}"))?;
                    let watched = check.alarm_identifier().map(|a| a.name().to_owned());
                    if check.r#type().as_str() != "CLOUDWATCH_METRIC"
                        || watched != alarm.alarm_name().map(str::to_owned)
                    {
                        return Err(format!("the {role}'s check is {check:?}"));
                    }
                    let set = sets
                        .iter()
                        .find(|s| s.set_identifier().is_some_and(|i| i.ends_with(role)))
                        .ok_or_else(|| format!("no record of the {role}"))?;
                    let primary = set.failover() == Some(&ResourceRecordSetFailover::Primary);
                    if set.resource_records().first().map(|r| r.value())
                        != node.private_ip_address()
                        || set.health_check_id() != Some(wanted)
                        || primary != (role == "primary")
                        || set.ttl() != Some(30)
                    {
                        return Err(format!("the {role}'s record set is {set:?}"));
                    }
                }
                if attr(&state, "endpoint")? != RECORD
                    || !map(&state, "node_public_ips")?.is_empty()
                {
                    return Err("endpoint or node_public_ips".to_owned());
                }
                Ok(())
            }
        })
    };
    let case = f
        .case()
        .step(
            Step::plan(with_zone(
                &f.zone,
                "  health_check {\n    protocol = \"HTTP\"\n    failure_threshold = 1\n  }\n",
            ))
            .expect_changes()
            .check_output(|out| {
                let kind = out
                    .lines()
                    .find(|l| l.contains("+ health_check_kind"))
                    .unwrap_or_default();
                if !kind.contains("\"cloudwatch-alarm\"") {
                    return Err(format!("the plan does not say the kind:\n{out}"));
                }
                for said in [
                    "Private addresses in a public zone",
                    "Health-check settings unused in private subnets",
                ] {
                    if !out.contains(said) {
                        return Err(format!("the plan does not say {said:?}:\n{out}"));
                    }
                }
                Ok(())
            }),
        )
        .step(
            Step::apply(hcl.clone())
                .check(f.save_marker())
                .check(save(&ids))
                .check(Check::attr_equals(
                    PAIR,
                    "health_check_kind",
                    "cloudwatch-alarm",
                ))
                .check(alarms_and_records()),
        )
        // The primary's alarm deleted out of band: shown, put back.
        .step(drifted(&f.emulator, &hcl, |e| async move {
            let cw = e.cloudwatch().await;
            let alarms = cw
                .describe_alarms()
                .alarm_name_prefix("swarm-")
                .send()
                .await
                .map_err(err)?;
            let primary = alarms
                .metric_alarms()
                .iter()
                .filter_map(|a| a.alarm_name())
                .find(|n| n.ends_with("-primary-status"))
                .ok_or("no alarm of the primary")?
                .to_owned();
            sent(cw.delete_alarms().alarm_names(primary).send().await)
        }))
        .step(Step::apply(hcl.clone()).check(alarms_and_records()))
        // A new image rolls both nodes: each alarm follows its node's new
        // instance and each record its new private address; the checks
        // stay.
        .step(
            Step::apply(rolled.clone())
                .check(replaced_nodes_same_checks(&ids))
                .check(alarms_and_records()),
        )
        // Imported by name after the state is lost: the generated
        // configuration (the threshold from the alarms) plans nothing.
        .step(Step::command(rolled, &["state", "rm", "-no-color", PAIR]))
        .step(Step::import_generated(only_import).check(alarms_and_records()));
    run("failover_pair_dns::private_subnets", case).await;
}

/// Out of band: the active node's record set deleted; the standby's record
/// set and its check deleted; the standby's own address disassociated.
/// Each is shown by the plan, repaired by apply, then the plan is empty.
#[tokio::test]
async fn drift() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let hcl = f.hcl("primary");
    let delete_records = |roles: &'static [&'static str], with_check: bool| {
        let zone = f.zone.clone();
        move |e: Arc<Emulator>| {
            let zone = zone.clone();
            async move {
                let r53 = e.route53().await;
                for set in record_sets(&r53, &zone).await? {
                    if !roles
                        .iter()
                        .any(|r| set.set_identifier().is_some_and(|i| i.ends_with(r)))
                    {
                        continue;
                    }
                    let change = aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Delete)
                        .resource_record_set(set.clone())
                        .build()
                        .map_err(err)?;
                    let batch = aws_sdk_route53::types::ChangeBatch::builder()
                        .changes(change)
                        .build()
                        .map_err(err)?;
                    sent(
                        r53.change_resource_record_sets()
                            .hosted_zone_id(&zone)
                            .change_batch(batch)
                            .send()
                            .await,
                    )?;
                    if with_check && let Some(check) = set.health_check_id() {
                        sent(
                            r53.delete_health_check()
                                .health_check_id(check)
                                .send()
                                .await,
                        )?;
                    }
                }
                Ok(())
            }
        }
    };
    let case = f
        .case()
        .step(Step::apply(hcl.clone()).check(f.save_marker()))
        .step(drifted(
            &f.emulator,
            &hcl,
            delete_records(&["primary"], false),
        ))
        .step(Step::apply(hcl.clone()).check(dns_as_configured(&f.emulator, &f.zone, "primary")))
        .step(drifted(
            &f.emulator,
            &hcl,
            delete_records(&["secondary"], true),
        ))
        .step(Step::apply(hcl.clone()).check(dns_as_configured(&f.emulator, &f.zone, "primary")))
        .step(drifted(&f.emulator, &hcl, |e| async move {
            let ec2 = e.ec2().await;
            let own = addresses(&ec2)
                .await?
                .into_iter()
                .find(|a| a.0 == "node-address" && a.1.as_deref() == Some("1"))
                .ok_or("no address of the secondary")?;
            sent(ec2.disassociate_address().public_ip(own.2).send().await)
        }))
        .step(
            Step::apply(hcl.clone())
                .check(save(&ids))
                .check(dns_as_configured(&f.emulator, &f.zone, "primary")),
        )
        // A new image rolls both nodes; their addresses, checks and
        // records end as they were, the floating IP on the primary.
        .step(
            Step::apply(hcl.replace("ami-785db401", "ami-1e749f67"))
                .check(replaced_nodes_same_checks(&ids))
                .check(dns_as_configured(&f.emulator, &f.zone, "primary")),
        );
    run("failover_pair_dns::drift", case).await;
}

/// Import by name with `dns`, after the state is lost: the configuration
/// Terraform writes plans no replacement (and nothing at all after its
/// apply); the same nodes and checks. Destroy then leaves nothing.
#[tokio::test]
async fn import() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let hcl = f.hcl("secondary");
    let only_import = f.only_import();
    let case = f
        .case()
        .step(
            Step::apply(hcl.clone())
                .check(f.save_marker())
                .check(save(&ids)),
        )
        .step(Step::command(hcl, &["state", "rm", "-no-color", PAIR]))
        .step(
            Step::import_generated(only_import)
                .check(same_ids(&ids))
                .check(dns_as_configured(&f.emulator, &f.zone, "secondary")),
        );
    run("failover_pair_dns::import", case).await;
}

/// The data source shows the checks, their kind, the nodes' public
/// addresses and the DNS name, as the resource has them.
#[tokio::test]
async fn data_source() {
    let f = Fixture::start().await;
    let hcl = f.hcl("primary");
    let with_lookup = format!(
        "{hcl}\ndata \"swarm_failover_pair\" \"found\" {{\n  name       = \"mcp\"\n  depends_on = [swarm_failover_pair.mcp]\n}}\n"
    );
    let case = f.case().step(Step::apply(hcl).check(f.save_marker())).step(
        Step::apply(with_lookup).check(Check::sync(|state| {
            let found = "data.swarm_failover_pair.found";
            for name in [
                "endpoint",
                "health_check_ids",
                "healthy",
                "health_check_kind",
                "node_public_ips",
            ] {
                let (a, b) = (state.attr(found, name)?, state.attr(PAIR, name)?);
                if a != b || a.is_null() || a.as_object().is_some_and(|m| m.len() != 2) {
                    return Err(format!(
                        "{name}: {a} from the data source, {b} in the resource"
                    ));
                }
            }
            Ok(())
        })),
    );
    run("failover_pair_dns::data_source", case).await;
}

/// Refused with nothing made: at validate, an interval Route 53 does not
/// have and a TCP check with a path; at plan, a zone that does not exist,
/// a record name outside the zone, more inbound rules than a group takes,
/// and one public and one private subnet.
#[tokio::test]
async fn bad_input() {
    let f = Fixture::start().await;
    let ec2 = f.emulator.ec2().await;
    // A subnet of the default VPC with a table of its own, without a
    // route to the internet: private beside the public default subnets.
    let (vpc, _) = default_vpc(&ec2).await;
    let private = fixtures::subnet(&ec2, &vpc, "172.31.200.0/24", "us-east-1b").await;
    let table = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateRouteTable: {e:?}"))
        .route_table()
        .and_then(|t| t.route_table_id())
        .unwrap_or_default()
        .to_owned();
    ec2.associate_route_table()
        .route_table_id(table)
        .subnet_id(&private)
        .send()
        .await
        .unwrap_or_else(|e| panic!("AssociateRouteTable: {e:?}"));
    let public = [f.subnets[0].as_str(), f.subnets[1].as_str()];
    let check = |block: &str| f.pair(&public, &format!("  health_check {{\n{block}  }}\n"));
    let dns = |zone: &str| {
        format!("  dns {{\n    zone_id = \"{zone}\"\n    record_name = \"{RECORD}\"\n  }}\n")
    };
    let names = |attribute: &'static str| {
        move |out: &str| {
            if out.contains(attribute) {
                Ok(())
            } else {
                Err(format!("the error does not name {attribute}:\n{out}"))
            }
        }
    };
    let many_cidrs: Vec<String> = (0..44).map(|i| format!("\"10.{i}.0.0/16\"")).collect();
    let nothing = {
        let e = Arc::clone(&f.emulator);
        move || {
            let e = Arc::clone(&e);
            async move { nothing_left(&e, "").await }
        }
    };
    let case = test_case()
        .step(
            Step::validate(check("    interval_seconds = 20\n"))
                .expect_error("interval_seconds must be 10 or 30")
                .check_output(names("health_check.interval_seconds")),
        )
        .step(
            Step::validate(check("    protocol = \"TCP\"\n    path = \"/health\"\n"))
                .expect_error("a TCP health check has no path")
                .check_output(names("health_check.path")),
        )
        .step(
            Step::plan(f.pair(&public, &dns("ZNOSUCHZONE0000")))
                .expect_error("Route 53 has no hosted zone ZNOSUCHZONE0000")
                .check_output(names("dns.zone_id")),
        )
        .step(
            Step::plan(
                f.pair(&public, &dns(&f.zone))
                    .replace(RECORD, "mcp.elsewhere.example.org"),
            )
            .expect_error("is not in the zone")
            .check_output(names("dns.record_name")),
        )
        // 44 blocks and Route 53's 17 checker ranges: 61 inbound rules.
        .step(
            Step::plan(f.pair(&public, &dns(&f.zone)).replace(
                "allowed_cidrs = [\"10.0.0.0/8\"]",
                &format!("allowed_cidrs = [{}]", many_cidrs.join(", ")),
            ))
            .expect_error("inbound rules")
            .check_output(names("allowed_cidrs")),
        )
        .step(
            Step::plan(f.pair(&[public[0], &private], &dns(&f.zone)))
                .expect_error("must be both public or both private")
                .check_output(names("subnet_ids")),
        )
        // Six tags fit the pair's EC2 objects, not its health checks
        // (Route 53: 10 per check, 5 of them the provider's).
        .step(
            Step::plan(f.pair(
                &public,
                &format!(
                    "{}  tags = {{ a = \"1\", b = \"2\", c = \"3\", d = \"4\", e = \"5\", f = \"6\" }}\n",
                    dns(&f.zone)
                ),
            ))
            .expect_error("Route 53 allows 10 tags per object")
            .check_output(names("tags")),
        )
        .step(Step::validate(f.hcl("primary")).before(nothing));
    run("failover_pair_dns::bad_input", case).await;
}

/// Health checks and DNS added to a pair that had none, then taken away:
/// updates in place, the same instances throughout; without them no
/// check, record set, node address or checkers' rule is left.
#[tokio::test]
async fn added_and_removed() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let subnets = [f.subnets[0].as_str(), f.subnets[1].as_str()];
    let plain = f.pair(&subnets, "  floating_ip = true\n");
    let instances = |ids: &Ids| {
        let ids = ids.clone();
        Check::sync(move |state| {
            let now = vec![
                attr(state, "primary_instance_id")?,
                attr(state, "secondary_instance_id")?,
            ];
            ids.first_or_same("the instances", now)
        })
    };
    let only_the_floating_ip = sdk_check(&f.emulator, |e, state| async move {
        let (ec2, r53) = (e.ec2().await, e.route53().await);
        let marker = attr(&state, "ownership_marker")?;
        let checks = health_checks(&r53, &marker).await?;
        let zones = r53.list_hosted_zones().send().await.map_err(err)?;
        let mut sets = 0;
        for zone in zones.hosted_zones() {
            let zone = zone.id().trim_start_matches("/hostedzone/");
            sets += record_sets(&r53, zone).await?.len();
        }
        let addresses = addresses(&ec2).await?;
        let groups = ec2
            .describe_security_groups()
            .group_ids(attr(&state, "security_group_id")?)
            .send()
            .await
            .map_err(err)?;
        let rules = groups
            .security_groups()
            .first()
            .map(ingress)
            .unwrap_or_default();
        let empty = |name: &str| map(&state, name).is_ok_and(|m| m.is_empty());
        if checks.is_empty()
            && sets == 0
            && addresses.len() == 1
            && addresses[0].0 == "floating-ip"
            && rules.len() == 1
            && empty("health_check_ids")
            && empty("node_public_ips")
            && state.attr(PAIR, "health_check_kind")?.is_null()
            && attr(&state, "endpoint")? == addresses[0].2
        {
            Ok(())
        } else {
            Err(format!(
                "{} checks, {sets} record sets, addresses {addresses:?}, rules {rules:?}",
                checks.len()
            ))
        }
    });
    let case = f
        .case()
        .step(
            Step::apply(plain.clone())
                .check(f.save_marker())
                .check(instances(&ids)),
        )
        .step(
            Step::plan(f.hcl("primary"))
                .expect_changes()
                .check_output(updated_in_place),
        )
        .step(
            Step::apply(f.hcl("primary"))
                .check(instances(&ids))
                .check(dns_as_configured(&f.emulator, &f.zone, "primary")),
        )
        .step(
            Step::apply(plain)
                .check(instances(&ids))
                .check(only_the_floating_ip),
        );
    run("failover_pair_dns::added_and_removed", case).await;
}

/// A new `record_name` moves the records in place: the old name's sets
/// deleted, the new name's made with the same checks.
#[tokio::test]
async fn records_move() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let moved = f.hcl("primary").replace(RECORD, "api.agents.example.com");
    let zone = f.zone.clone();
    let case = f
        .case()
        .step(
            Step::apply(f.hcl("primary"))
                .check(f.save_marker())
                .check(save(&ids)),
        )
        .step(
            Step::plan(moved.clone())
                .expect_changes()
                .check_output(updated_in_place),
        )
        .step(
            Step::apply(moved)
                .check(same_ids(&ids))
                .check(Check::attr_equals(
                    PAIR,
                    "endpoint",
                    "api.agents.example.com",
                ))
                .check(sdk_check(&f.emulator, move |e, state| {
                    let zone = zone.clone();
                    async move {
                        let r53 = e.route53().await;
                        let out = r53
                            .list_resource_record_sets()
                            .hosted_zone_id(&zone)
                            .send()
                            .await
                            .map_err(err)?;
                        let checks = map(&state, "health_check_ids")?;
                        let mut seen: Vec<(String, bool, Option<String>)> = out
                            .resource_record_sets()
                            .iter()
                            .filter(|s| s.set_identifier().is_some())
                            .map(|s| {
                                (
                                    s.name().trim_end_matches('.').to_owned(),
                                    s.failover() == Some(&ResourceRecordSetFailover::Primary),
                                    s.health_check_id().map(str::to_owned),
                                )
                            })
                            .collect();
                        seen.sort();
                        let check =
                            |role: &str| checks.get(role).and_then(Json::as_str).map(str::to_owned);
                        let expected = vec![
                            (
                                "api.agents.example.com".to_owned(),
                                false,
                                check("secondary"),
                            ),
                            ("api.agents.example.com".to_owned(), true, check("primary")),
                        ];
                        if seen == expected {
                            Ok(())
                        } else {
                            Err(format!("record sets {seen:?}"))
                        }
                    }
                })),
        );
    run("failover_pair_dns::records_move", case).await;
}

/// Two pairs, one in public subnets (endpoint-kind checks) and one in
/// private subnets (alarm-kind: checks on status-check alarms), both with
/// `dns`, with the provider's `default_tags` and the pairs' `tags` given.
fn two_pairs(f: &Fixture, private: (&[String; 2], &str), default_tags: &str, tags: &str) -> String {
    let one = |address: &str, name: &str, subnets: &[String], zone: &str| {
        format!(
            "resource \"swarm_failover_pair\" \"{address}\" {{\n  name = \"{name}\"\n  subnet_ids = [\"{}\", \"{}\"]\n  ami = \"ami-785db401\"\n  instance_type = \"t3.small\"\n  allowed_cidrs = [\"10.0.0.0/8\"]\n  root_volume_size = 30\n  tags = {tags}\n  health_check {{\n    failure_threshold = 1\n  }}\n  dns {{\n    zone_id = \"{zone}\"\n    record_name = \"{RECORD}\"\n  }}\n}}\n",
            subnets[0], subnets[1]
        )
    };
    config(&format!(
        "{}\n{}\n{}",
        f.emulator.provider_block(&format!(
            "  environment = \"production\"\n  default_tags = {default_tags}"
        )),
        one("public", "pub", &f.subnets[..2], &f.zone),
        one("private", "priv", private.0, private.1),
    ))
}

/// The health checks' (and, for `alarms`, the alarms') tags of the pair
/// at `address`, read back through the SDK: the user's and default ones
/// are `expected`, and the provider's own are the pair's (`Name`, its
/// role, its marker and name).
fn checks_and_alarms_tagged(
    emulator: &Arc<Emulator>,
    address: &'static str,
    name: &'static str,
    alarms: bool,
    expected: &'static [(&'static str, &'static str)],
) -> Check {
    sdk_check(emulator, move |e, state| async move {
        let (r53, cw) = (e.route53().await, e.cloudwatch().await);
        let marker = match state.attr(address, "ownership_marker")? {
            Json::String(m) => m.clone(),
            other => return Err(format!("{address}.ownership_marker is {other}")),
        };
        let expected: BTreeMap<String, String> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let check = |what: String, tags: BTreeMap<String, String>, role: &str, node: &str| {
            let users: BTreeMap<String, String> = tags
                .iter()
                .filter(|(k, _)| *k != "Name" && !k.starts_with("swarm:"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let own = [
                ("Name", format!("{name}-{node}")),
                ("swarm:role", role.to_owned()),
                ("swarm:owner", marker.clone()),
                ("swarm:failover-pair", name.to_owned()),
            ];
            if users != expected || own.iter().any(|(k, v)| tags.get(*k) != Some(v)) {
                return Err(format!(
                    "{what}'s tags are {tags:?}, not {expected:?} and {own:?}"
                ));
            }
            Ok(())
        };
        let checks = health_checks(&r53, &marker).await?;
        let ids: Vec<String> = checks.iter().map(|c| c.id().to_owned()).collect();
        if ids.len() != 2 {
            return Err(format!("{address}: health checks {ids:?}"));
        }
        let sets = r53
            .list_tags_for_resources()
            .resource_type(aws_sdk_route53::types::TagResourceType::Healthcheck)
            .set_resource_ids(Some(ids))
            .send()
            .await
            .map_err(err)?;
        for c in &checks {
            let node = if c.caller_reference().contains("-primary") {
                "primary"
            } else {
                "secondary"
            };
            let tags = sets
                .resource_tag_sets()
                .iter()
                .find(|s| s.resource_id() == Some(c.id()))
                .map(|s| {
                    s.tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            check(
                format!("{address}'s {node} check"),
                tags,
                "health-check",
                node,
            )?;
        }
        if !alarms {
            return Ok(());
        }
        let found = cw
            .describe_alarms()
            .alarm_name_prefix(format!("swarm-{marker}"))
            .send()
            .await
            .map_err(err)?;
        if found.metric_alarms().len() != 2 {
            return Err(format!("{address}: {} alarms", found.metric_alarms().len()));
        }
        for alarm in found.metric_alarms() {
            let arn = alarm.alarm_arn().ok_or("an alarm without an ARN")?;
            let node = if arn.ends_with("-primary-status") {
                "primary"
            } else {
                "secondary"
            };
            let out = cw
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(err)?;
            let tags = out
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect();
            check(
                format!("{address}'s {node} alarm"),
                tags,
                "status-alarm",
                node,
            )?;
        }
        Ok(())
    })
}

/// The tags of health checks and alarms follow `tags` and `default_tags`
/// (a key added, a value changed, a key removed; then default tags
/// changed), for a public pair (endpoint checks) and a private one (alarm
/// checks): after each apply they are read back as wanted, and the plan
/// is empty.
#[tokio::test]
async fn tags_follow() {
    let f = Fixture::start().await;
    let ec2 = f.emulator.ec2().await;
    let (vpc, private) = private_network(&ec2).await;
    let private_zone = hosted_zone(&f.emulator, ZONE, Some(&vpc)).await;
    let hcl = |default_tags: &str, tags: &str| {
        two_pairs(&f, (&private, &private_zone), default_tags, tags)
    };
    let tagged = |step: Step, expected: &'static [(&'static str, &'static str)]| {
        step.check(checks_and_alarms_tagged(
            &f.emulator,
            "swarm_failover_pair.public",
            "pub",
            false,
            expected,
        ))
        .check(checks_and_alarms_tagged(
            &f.emulator,
            "swarm_failover_pair.private",
            "priv",
            true,
            expected,
        ))
    };
    let defaults = "{ env = \"prod\", owner = \"ops\" }";
    let case = test_case()
        .step(tagged(
            Step::apply(hcl(defaults, "{ team = \"a\", cost = \"1\" }")),
            &[
                ("cost", "1"),
                ("env", "prod"),
                ("owner", "ops"),
                ("team", "a"),
            ],
        ))
        // A key added, a value changed, a key removed.
        .step(tagged(
            Step::apply(hcl(defaults, "{ team = \"b\", tier = \"x\" }")),
            &[
                ("env", "prod"),
                ("owner", "ops"),
                ("team", "b"),
                ("tier", "x"),
            ],
        ))
        // The provider's default tags: one changed, one gone, one new.
        .step(tagged(
            Step::apply(hcl(
                "{ owner = \"sre\", dept = \"d\" }",
                "{ team = \"b\", tier = \"x\" }",
            )),
            &[
                ("dept", "d"),
                ("owner", "sre"),
                ("team", "b"),
                ("tier", "x"),
            ],
        ))
        .check_destroy(sdk_check(&f.emulator, |e, _| async move {
            let checks = e
                .route53()
                .await
                .list_health_checks()
                .send()
                .await
                .map_err(err)?;
            let alarms = e
                .cloudwatch()
                .await
                .describe_alarms()
                .send()
                .await
                .map_err(err)?;
            match (checks.health_checks().len(), alarms.metric_alarms().len()) {
                (0, 0) => Ok(()),
                (c, a) => Err(format!("left behind: {c} checks, {a} alarms")),
            }
        }));
    run("failover_pair_dns::tags_follow", case).await;
}
