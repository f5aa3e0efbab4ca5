//! The Route 53 and CloudWatch pieces of `swarm_failover_pair`
//! (`swarm_provider::route53`, `swarm_provider::cloudwatch`), driven
//! directly against the emulator: health checks found again by their
//! marker, failover records that follow health, a switchover in one batch,
//! and the CloudWatch-alarm kind for nodes without public addresses.

use std::collections::BTreeMap;

use acceptance_tests::emulator::{Emulator, REGION};
use aws_sdk_ec2::types::InstanceType;
use swarm_provider::config::{Endpoints, Environment, Settings, SwarmClient};
use swarm_provider::route53::{self, Protocol, Target};
use swarm_provider::{Marker, cloudwatch};
use tfplugin::diag::Diagnostics;

const NAME: &str = "mcp.agents.example.com";

async fn swarm_client(emulator: &Emulator) -> SwarmClient {
    let settings = Settings {
        region: Some(REGION.to_owned()),
        endpoint: emulator.endpoint().map(str::to_owned),
        endpoints: Endpoints::default(),
        access_key: Some("test".to_owned()),
        secret_key: Some("test".to_owned()),
        profile: None,
        environment: Environment::Development,
        default_tags: BTreeMap::from([("team".to_owned(), "agents".to_owned())]),
        max_retries: 2,
        skip_region_validation: false,
    };
    let mut diags = Diagnostics::default();
    match SwarmClient::new(settings, &mut diags).await {
        Some(client) => client,
        None => panic!("no client: {diags:?}"),
    }
}

/// Two running instances, each with an Elastic IP (a node's public
/// address must survive a stop and start for its health check to see it
/// come back): (id, address Route 53 checks).
async fn two_instances(emulator: &Emulator) -> [(String, String); 2] {
    let ec2 = emulator.ec2().await;
    let out = ec2
        .run_instances()
        .image_id("ami-785db401")
        .instance_type(InstanceType::T3Micro)
        .min_count(2)
        .max_count(2)
        .send()
        .await
        .unwrap_or_else(|e| panic!("RunInstances: {e:?}"));
    let mut nodes = Vec::new();
    for instance in out.instances() {
        let id = instance.instance_id().unwrap_or_default().to_owned();
        let address = ec2
            .allocate_address()
            .domain(aws_sdk_ec2::types::DomainType::Vpc)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AllocateAddress: {e:?}"));
        ec2.associate_address()
            .set_allocation_id(address.allocation_id().map(str::to_owned))
            .instance_id(&id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AssociateAddress: {e:?}"));
        nodes.push((id, address.public_ip().unwrap_or_default().to_owned()));
    }
    match <[(String, String); 2]>::try_from(nodes) {
        Ok(nodes) => nodes,
        Err(nodes) => panic!("two instances, got {nodes:?}"),
    }
}

async fn hosted_zone(client: &SwarmClient) -> String {
    let out = client
        .route53
        .create_hosted_zone()
        .name("agents.example.com")
        .caller_reference("route53-tests")
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateHostedZone: {e:?}"));
    out.hosted_zone()
        .map(|z| z.id().to_owned())
        .unwrap_or_default()
}

fn http_check(ip: &str) -> Target {
    Target::Endpoint {
        protocol: Protocol::Http,
        ip: ip.to_owned(),
        port: 3000,
        path: Some("/health".to_owned()),
        interval: 10,
        failure_threshold: 1,
    }
}

fn marked(marker: &Marker) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("swarm:owner".to_owned(), marker.to_string()),
        ("team".to_owned(), "agents".to_owned()),
    ])
}

async fn set_running(emulator: &Emulator, instance: &str, running: bool) {
    let ec2 = emulator.ec2().await;
    let answer = if running {
        ec2.start_instances()
            .instance_ids(instance)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    } else {
        ec2.stop_instances()
            .instance_ids(instance)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    };
    answer.unwrap_or_else(|e| panic!("start/stop {instance}: {e}"));
}

async fn answer(client: &SwarmClient, zone: &str) -> Vec<String> {
    route53::dns_answer(client, zone, NAME)
        .await
        .unwrap_or_else(|d| panic!("TestDNSAnswer: {d:?}"))
}

async fn healthy(client: &SwarmClient, id: &str) -> bool {
    route53::health_check_status(client, id)
        .await
        .unwrap_or_else(|d| panic!("GetHealthCheckStatus: {d:?}"))
}

/// What the checkers of `id` report, for a failure's message.
async fn reports(client: &SwarmClient, id: &str) -> Vec<String> {
    let out = client
        .route53
        .get_health_check_status()
        .health_check_id(id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetHealthCheckStatus: {e:?}"));
    out.health_check_observations()
        .iter()
        .filter_map(|o| o.status_report().and_then(|r| r.status()))
        .map(str::to_owned)
        .collect()
}

/// Health checks and failover records for two nodes, made as the pair
/// makes them: (zone, marker, [(instance, ip, check id)]).
async fn failover_pair(
    emulator: &Emulator,
    client: &SwarmClient,
) -> (String, Marker, [(String, String, String); 2]) {
    let zone = hosted_zone(client).await;
    let marker = Marker::from_stored("a1b2c3d4e5f60718293a");
    let [(p_id, p_ip), (s_id, s_ip)] = two_instances(emulator).await;
    let mut ids = Vec::new();
    for (role, ip) in [("primary", &p_ip), ("secondary", &s_ip)] {
        let check =
            route53::create_health_check(client, &marker, role, &http_check(ip), &marked(&marker))
                .await
                .unwrap_or_else(|d| panic!("create {role}: {d:?}"));
        ids.push(check.id);
    }
    let records = route53::failover_records(
        &marker,
        60,
        "primary",
        &[
            ("primary", &p_ip, Some(&ids[0])),
            ("secondary", &s_ip, Some(&ids[1])),
        ],
    );
    route53::upsert_failover_records(client, &zone, NAME, &records)
        .await
        .unwrap_or_else(|d| panic!("upsert: {d:?}"));
    let [p_check, s_check] = [ids[0].clone(), ids[1].clone()];
    (zone, marker, [(p_id, p_ip, p_check), (s_id, s_ip, s_check)])
}

#[tokio::test]
async fn a_stopped_primary_fails_over_to_the_secondary_and_back() {
    let emulator = Emulator::start();
    let client = swarm_client(&emulator).await;
    let (zone, _, [(p_id, p_ip, p_check), (_, s_ip, s_check)]) =
        failover_pair(&emulator, &client).await;
    assert_ne!(p_ip, s_ip);

    assert!(
        healthy(&client, &p_check).await,
        "{:?}",
        reports(&client, &p_check).await
    );
    assert!(healthy(&client, &s_check).await);
    assert_eq!(answer(&client, &zone).await, std::slice::from_ref(&p_ip));

    // The primary stops out of band: its check fails, Route 53 answers
    // the secondary.
    set_running(&emulator, &p_id, false).await;
    assert!(
        !healthy(&client, &p_check).await,
        "a stopped node's check stays healthy"
    );
    assert!(healthy(&client, &s_check).await);
    assert_eq!(answer(&client, &zone).await, std::slice::from_ref(&s_ip));

    // Started again, the primary answers again.
    set_running(&emulator, &p_id, true).await;
    assert!(healthy(&client, &p_check).await);
    assert_eq!(answer(&client, &zone).await, [p_ip]);
}

#[tokio::test]
async fn checks_and_records_are_found_again_switched_updated_and_deleted() {
    let emulator = Emulator::start();
    let client = swarm_client(&emulator).await;
    let (zone, marker, [(_, p_ip, p_check), (_, s_ip, s_check)]) =
        failover_pair(&emulator, &client).await;

    // Someone else's check, and another pair's, are not this pair's.
    let other = Marker::from_stored("ffffffffffffffffffff");
    route53::create_health_check(
        &client,
        &other,
        "primary",
        &http_check(&p_ip),
        &marked(&other),
    )
    .await
    .unwrap_or_else(|d| panic!("{d:?}"));
    let mut found = route53::find_health_checks(&client, &marker)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    found.sort_by(|a, b| a.role.cmp(&b.role));
    let roles: Vec<(&str, &str)> = found
        .iter()
        .map(|c| (c.role.as_str(), c.id.as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("primary", p_check.as_str()),
            ("secondary", s_check.as_str())
        ]
    );
    assert_eq!(found[0].target, Some(http_check(&p_ip)));

    // A create retried (its answer lost) gets the same check.
    let again = route53::create_health_check(
        &client,
        &marker,
        "primary",
        &http_check(&p_ip),
        &marked(&marker),
    )
    .await
    .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(again.id, p_check);

    // Tagged with the marker and the tags given.
    let tags = client
        .route53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Healthcheck)
        .resource_id(&p_check)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let tags: BTreeMap<String, String> = tags
        .resource_tag_set()
        .map(|set| {
            set.tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(tags, marked(&marker));

    // The records read back, only this pair's.
    let mut records = route53::read_failover_records(&client, &zone, NAME, &marker)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    records.sort_by(|a, b| a.role.cmp(&b.role));
    let seen: Vec<(&str, bool, &str)> = records
        .iter()
        .map(|r| (r.role.as_str(), r.primary, r.ip.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("primary", true, p_ip.as_str()),
            ("secondary", false, s_ip.as_str())
        ]
    );
    assert!(
        route53::read_failover_records(&client, &zone, NAME, &other)
            .await
            .is_ok_and(|r| r.is_empty())
    );

    // A switchover: one batch, the secondary node's set becomes PRIMARY.
    let switched = route53::failover_records(
        &marker,
        60,
        "secondary",
        &[
            ("primary", &p_ip, Some(&p_check)),
            ("secondary", &s_ip, Some(&s_check)),
        ],
    );
    let change = route53::upsert_failover_records(&client, &zone, NAME, &switched)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    // The change reaches Route 53's name servers (at once here).
    let cancel = tokio_util::sync::CancellationToken::new();
    let wait = swarm_provider::Wait::new(std::time::Duration::from_secs(30), &cancel);
    route53::wait_in_sync(&client, &change, &wait)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(answer(&client, &zone).await, std::slice::from_ref(&s_ip));
    let mut now = route53::read_failover_records(&client, &zone, NAME, &marker)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    now.sort_by(|a, b| a.role.cmp(&b.role));
    assert_eq!(
        now.iter().map(|r| r.primary).collect::<Vec<_>>(),
        [false, true]
    );

    // Updated in place: port, threshold, no path.
    let changed = Target::Endpoint {
        protocol: Protocol::Http,
        ip: p_ip.clone(),
        port: 8080,
        path: None,
        interval: 10,
        failure_threshold: 3,
    };
    assert!(!http_check(&p_ip).needs_replacement(&changed));
    route53::update_health_check(&client, &found[0], &changed)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    let reread = route53::find_health_checks(&client, &marker)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    let primary = reread.iter().find(|c| c.role == "primary");
    assert_eq!(primary.and_then(|c| c.target.clone()), Some(changed));
    assert_eq!(primary.map(|c| c.version), Some(found[0].version + 1));

    // A new interval replaces the check: the new one takes the next
    // reference while the old one lives (the records still name it).
    let slower = Target::Endpoint {
        protocol: Protocol::Http,
        ip: s_ip.clone(),
        port: 3000,
        path: Some("/health".to_owned()),
        interval: 30,
        failure_threshold: 1,
    };
    let s_found = reread.iter().find(|c| c.role == "secondary");
    assert_eq!(
        route53::check_change(s_found, &slower),
        route53::CheckChange::Replace
    );
    let replacement =
        route53::create_health_check(&client, &marker, "secondary", &slower, &marked(&marker))
            .await
            .unwrap_or_else(|d| panic!("{d:?}"));
    assert_ne!(replacement.id, s_check);
    assert_eq!(
        replacement.caller_reference,
        route53::caller_reference(&marker, "secondary", 2)
    );
    // The old one is still named by its record set: Route 53 refuses.
    assert!(
        route53::delete_health_check(&client, &s_check)
            .await
            .is_err()
    );
    route53::delete_health_check(&client, &replacement.id)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));

    // Deleted: the records with their exact values, then the checks.
    route53::delete_failover_records(&client, &zone, NAME, &now)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert!(answer(&client, &zone).await.is_empty());
    for check in [&p_check, &s_check] {
        route53::delete_health_check(&client, check)
            .await
            .unwrap_or_else(|d| panic!("{d:?}"));
    }
    assert!(
        route53::find_health_checks(&client, &marker)
            .await
            .is_ok_and(|c| c.is_empty())
    );
    // Gone already is no error.
    assert!(
        route53::delete_health_check(&client, &p_check)
            .await
            .is_ok()
    );

    // Made again (a check deleted by hand): Route 53 refuses the used
    // reference, the next one is taken, and it is found as the primary's.
    let remade = route53::create_health_check(
        &client,
        &marker,
        "primary",
        &http_check(&p_ip),
        &marked(&marker),
    )
    .await
    .unwrap_or_else(|d| panic!("{d:?}"));
    assert_ne!(remade.id, p_check);
    assert_eq!(
        remade.caller_reference,
        route53::caller_reference(&marker, "primary", 2)
    );
    assert_eq!(remade.role, "primary");
}

#[tokio::test]
async fn an_alarm_kind_check_follows_the_instances_status_checks() {
    let emulator = Emulator::start();
    let client = swarm_client(&emulator).await;
    let marker = Marker::from_stored("0f0f0f0f0f0f0f0f0f0f");
    let [(p_id, _), (s_id, _)] = two_instances(&emulator).await;

    let alarm =
        cloudwatch::put_status_alarm(&client, &marker, "primary", &p_id, 1, &marked(&marker))
            .await
            .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(alarm.name, cloudwatch::alarm_name(&marker, "primary"));
    assert_eq!(alarm.instance_id.as_deref(), Some(p_id.as_str()));
    // Put again with two periods: the same alarm, changed.
    cloudwatch::put_status_alarm(&client, &marker, "primary", &p_id, 2, &marked(&marker))
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    cloudwatch::put_status_alarm(&client, &marker, "secondary", &s_id, 2, &marked(&marker))
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    let names = [
        cloudwatch::alarm_name(&marker, "primary"),
        cloudwatch::alarm_name(&marker, "secondary"),
    ];
    let alarms = cloudwatch::describe_status_alarms(&client, &names)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(alarms.len(), 2);
    assert!(
        alarms.iter().all(|a| a.periods == 2 && !a.in_alarm()),
        "{alarms:?}"
    );

    let target = Target::Alarm {
        region: REGION.to_owned(),
        name: names[0].clone(),
    };
    let check =
        route53::create_health_check(&client, &marker, "primary", &target, &marked(&marker))
            .await
            .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(check.target, Some(target));
    assert!(healthy(&client, &check.id).await);

    set_running(&emulator, &p_id, false).await;
    let alarms = cloudwatch::describe_status_alarms(&client, &names)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    let raised: Vec<bool> = alarms.iter().map(|a| a.in_alarm()).collect();
    assert_eq!(raised, [true, false]);
    assert!(!healthy(&client, &check.id).await);

    set_running(&emulator, &p_id, true).await;
    assert!(healthy(&client, &check.id).await);

    cloudwatch::delete_status_alarms(&client, &names)
        .await
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert!(
        cloudwatch::describe_status_alarms(&client, &names)
            .await
            .is_ok_and(|a| a.is_empty())
    );
}
