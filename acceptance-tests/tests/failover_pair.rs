//! `swarm_failover_pair` through terraform against the emulator, each
//! change read back through the SDK: `basic` (two identical nodes in two
//! zones, the Elastic IP on the primary; destroy leaves nothing),
//! `switchover` (`active` moves the Elastic IP, no instance replaced, and
//! back), `same_zone_is_refused` (at plan, nothing made), `drift` (the
//! address moved or disassociated, a node stopped, a node terminated),
//! `rolling_image_change` (the standby replaced first, `active` as
//! configured at the end), `rolling_type_change` (resized in place, the
//! standby first), `subnet_move` (rolled into other zones),
//! `two_stacks_with_one_pair_name` (two workspaces, one name, each pair
//! its own). The order of a roll comes from the emulator's request
//! recorder (`acceptance_tests::recorder`).

use std::sync::Arc;

use acceptance_tests::checks::{Memo, drifted, err, sdk_check, sent, tag_map};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{default_subnets, default_vpc, filter, subnet};
use acceptance_tests::pairs;
use acceptance_tests::recorder::{self, Request};
use acceptance_tests::{config, run, test_case, with_import_block};
use aws_sdk_ec2::types::{HttpTokensState, Instance, InstanceAttributeName};
use serde_json::Value as Json;
use tfplugin::testing::{BoxFuture, Check, CheckResult, State, Step, TestCase};

const PAIR: &str = "swarm_failover_pair.mcp";

type Ec2 = aws_sdk_ec2::Client;

// ---------------------------------------------------------------------------
// Looking at EC2 through the SDK.

/// The live instances of the pairs named "mcp"; with `owner`, of the
/// pair with that marker.
async fn live(ec2: &Ec2, owner: Option<&str>) -> Result<Vec<Instance>, String> {
    pairs::instances(ec2, "mcp", owner).await
}

/// The pair's nodes: [primary, secondary]; with `owner`, of the pair with
/// that marker.
async fn nodes(ec2: &Ec2, owner: Option<&str>) -> Result<[Instance; 2], String> {
    pairs::nodes(ec2, "mcp", owner).await
}

/// The pair's Elastic IPs: (allocation id, public IP, instance id); with
/// `owner`, of the pair with that marker.
async fn addresses(
    ec2: &Ec2,
    owner: Option<&str>,
) -> Result<Vec<(String, String, Option<String>)>, String> {
    let mut request = ec2
        .describe_addresses()
        .filters(filter("tag:swarm:failover-pair", &["mcp"]));
    if let Some(owner) = owner {
        request = request.filters(filter("tag:swarm:owner", &[owner]));
    }
    let out = request.send().await.map_err(err)?;
    Ok(out
        .addresses()
        .iter()
        .map(|a| {
            (
                a.allocation_id().unwrap_or_default().to_owned(),
                a.public_ip().unwrap_or_default().to_owned(),
                a.instance_id().filter(|i| !i.is_empty()).map(str::to_owned),
            )
        })
        .collect())
}

fn id(i: &Instance) -> String {
    i.instance_id().unwrap_or_default().to_owned()
}

fn attr(state: &State, name: &str) -> Result<String, String> {
    match state.attr(PAIR, name)? {
        Json::String(s) => Ok(s.clone()),
        other => Err(format!("{name} is {other}")),
    }
}

/// The nodes are what the state says, in two zones, launched alike; the
/// one Elastic IP is on the node `active` names, and is the endpoint.
fn pair_as_configured(emulator: &Arc<Emulator>, active: &'static str) -> Check {
    sdk_check(emulator, move |e, state| async move {
        let ec2 = e.ec2().await;
        let owner = attr(&state, "ownership_marker")?;
        let [primary, secondary] = nodes(&ec2, Some(&owner)).await?;
        if attr(&state, "primary_instance_id")? != id(&primary)
            || attr(&state, "secondary_instance_id")? != id(&secondary)
        {
            return Err(format!(
                "state ids differ from EC2's {primary:?} {secondary:?}"
            ));
        }
        let zone = |i: &Instance| {
            i.placement()
                .and_then(|p| p.availability_zone())
                .unwrap_or_default()
                .to_owned()
        };
        if zone(&primary) == zone(&secondary) {
            return Err(format!("both nodes in {}", zone(&primary)));
        }
        if attr(&state, "primary_availability_zone")? != zone(&primary)
            || attr(&state, "secondary_availability_zone")? != zone(&secondary)
        {
            return Err("the zones in the state differ from EC2's".to_owned());
        }
        // Identical: image, type, group, volume, user data, IMDSv2.
        for (what, a, b) in [
            ("image", primary.image_id(), secondary.image_id()),
            (
                "type",
                primary.instance_type().map(|t| t.as_str()),
                secondary.instance_type().map(|t| t.as_str()),
            ),
        ] {
            if a != b || a.is_none() {
                return Err(format!("{what}: {a:?} and {b:?}"));
            }
        }
        let groups = |i: &Instance| {
            i.network_interfaces()
                .iter()
                .flat_map(|n| n.groups())
                .filter_map(|g| g.group_id())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        if groups(&primary) != groups(&secondary)
            || groups(&primary) != vec![attr(&state, "security_group_id")?]
        {
            return Err(format!(
                "groups {:?} {:?}",
                groups(&primary),
                groups(&secondary)
            ));
        }
        let mut user_data = Vec::new();
        for node in [&primary, &secondary] {
            let required = node
                .metadata_options()
                .and_then(|m| m.http_tokens())
                .is_some_and(|t| *t == HttpTokensState::Required);
            if !required {
                return Err(format!("{} does not require IMDSv2", id(node)));
            }
            let out = ec2
                .describe_instance_attribute()
                .instance_id(id(node))
                .attribute(InstanceAttributeName::UserData)
                .send()
                .await
                .map_err(err)?;
            user_data.push(out.user_data().and_then(|v| v.value()).map(str::to_owned));
            let volume = node
                .block_device_mappings()
                .first()
                .and_then(|m| m.ebs())
                .and_then(|e| e.volume_id())
                .unwrap_or_default()
                .to_owned();
            let volumes = ec2
                .describe_volumes()
                .volume_ids(&volume)
                .send()
                .await
                .map_err(err)?;
            let v = volumes.volumes().first().ok_or("no root volume")?;
            if v.encrypted() != Some(true) || v.size() != Some(30) {
                return Err(format!("root volume {v:?}"));
            }
        }
        if user_data[0].is_none() || user_data[0] != user_data[1] {
            return Err("the user data differ".to_owned());
        }
        // The address follows `active`.
        let on = if active == "primary" {
            &primary
        } else {
            &secondary
        };
        match addresses(&ec2, Some(&owner)).await?.as_slice() {
            [(_, ip, Some(instance))] if *instance == id(on) => {
                if attr(&state, "public_ip")? != *ip || attr(&state, "endpoint")? != *ip {
                    return Err(format!("public_ip/endpoint are not {ip}"));
                }
            }
            other => return Err(format!("addresses {other:?}, expected one on {}", id(on))),
        }
        if attr(&state, "active_instance_id")? != id(on) {
            return Err("active_instance_id is not the active node".to_owned());
        }
        Ok(())
    })
}

/// Remembers the nodes' ids (primary, secondary).
type Ids = Memo<Vec<String>>;

fn save(ids: &Ids) -> Check {
    let ids = ids.clone();
    Check::sync(move |state| {
        ids.set(vec![
            attr(state, "primary_instance_id")?,
            attr(state, "secondary_instance_id")?,
        ])
    })
}

/// The nodes are the ones remembered.
fn same_nodes(ids: &Ids) -> Check {
    let ids = ids.clone();
    Check::sync(move |state| {
        let now = vec![
            attr(state, "primary_instance_id")?,
            attr(state, "secondary_instance_id")?,
        ];
        let before = ids.get()?;
        if now == before {
            Ok(())
        } else {
            Err(format!("nodes replaced: {before:?} then {now:?}"))
        }
    })
}

/// Starts the emulator's request recorder, before a step.
fn recording(
    emulator: &Arc<Emulator>,
) -> impl Fn() -> BoxFuture<'static, CheckResult> + Send + Sync + use<> {
    let emulator = Arc::clone(emulator);
    move || {
        let emulator = Arc::clone(&emulator);
        Box::pin(async move { recorder::start(&emulator).await })
    }
}

/// What a rolling change does to each node.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// A new instance (RunInstances, with the node's `swarm:index` tag).
    Launch,
    /// The type changed in place (ModifyInstanceAttribute of the node's
    /// instance as remembered).
    Resize,
}

impl Change {
    /// Whether `r` makes this change to the node at `index`, whose
    /// instance was `instance`.
    fn made_by(self, r: &Request, index: usize, instance: &str) -> bool {
        match self {
            Change::Launch => {
                r.is("RunInstances") && r.tag("swarm:index") == Some(index.to_string().as_str())
            }
            Change::Resize => {
                r.is("ModifyInstanceAttribute") && r.param("InstanceId") == Some(instance)
            }
        }
    }
}

/// The standby (the secondary: `active` is the primary) was changed before
/// the active node, in the order the emulator served the requests (launch
/// times have a one-second resolution there and can tie).
fn standby_first(emulator: &Arc<Emulator>, ids: &Ids, change: Change) -> Check {
    let ids = ids.clone();
    sdk_check(emulator, move |e, _| {
        let ids = ids.clone();
        async move {
            let requests = recorder::requests(&e).await?;
            let before = ids.get()?;
            let first = |index: usize| {
                let instance = before.get(index).map(String::as_str).unwrap_or_default();
                recorder::position(&requests, &format!("{change:?} of node {index}"), |r| {
                    change.made_by(r, index, instance)
                })
            };
            let (standby, active) = (first(1)?, first(0)?);
            if standby < active {
                Ok(())
            } else {
                Err(format!(
                    "the active node (the primary) was changed first: request {active}, the standby's {standby}"
                ))
            }
        }
    })
}

/// One node held the Elastic IP at every moment of the step: no request
/// stopped or terminated the instance the address was on (it starts on
/// the remembered primary and moves with each AssociateAddress), and it
/// ends on the primary of the state.
fn endpoint_always_held(emulator: &Arc<Emulator>, ids: &Ids) -> Check {
    let ids = ids.clone();
    sdk_check(emulator, move |e, state| {
        let ids = ids.clone();
        async move {
            let requests = recorder::requests(&e).await?;
            let mut holder = ids.get()?.first().cloned().ok_or("no primary remembered")?;
            for (n, r) in requests.iter().enumerate() {
                if r.is("AssociateAddress") {
                    holder = r.param("InstanceId").unwrap_or_default().to_owned();
                } else if r.is("DisassociateAddress") || r.is("ReleaseAddress") {
                    return Err(format!(
                        "request {n}: {:?} left no node holding the address",
                        r.action
                    ));
                } else if (r.is("StopInstances") || r.is("TerminateInstances"))
                    && r.params
                        .iter()
                        .any(|(k, v)| k.starts_with("InstanceId.") && *v == holder)
                {
                    return Err(format!(
                        "request {n}: {:?} of {holder} while the Elastic IP was on it",
                        r.action
                    ));
                }
            }
            let primary = attr(&state, "primary_instance_id")?;
            if holder == primary {
                Ok(())
            } else {
                Err(format!(
                    "the address ends on {holder}, not the primary {primary}"
                ))
            }
        }
    })
}

async fn nothing_exists(ec2: &Ec2) -> CheckResult {
    let instances = live(ec2, None).await?.len();
    let groups = ec2
        .describe_security_groups()
        .filters(filter("tag:swarm:failover-pair", &["mcp"]))
        .send()
        .await
        .map_err(err)?;
    let eips = addresses(ec2, None).await?;
    if instances == 0 && groups.security_groups().is_empty() && eips.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "left behind: {instances} instances, {} groups, addresses {eips:?}",
            groups.security_groups().len()
        ))
    }
}

// ---------------------------------------------------------------------------
// Configurations.

struct Fixture {
    emulator: Arc<Emulator>,
    subnets: Vec<(String, String)>,
}

impl Fixture {
    async fn start() -> Self {
        let emulator = Arc::new(Emulator::start());
        let subnets = default_subnets(&emulator.ec2().await).await;
        Self { emulator, subnets }
    }

    /// The pair in `subnets` (given by index into the default subnets).
    fn hcl_in(&self, subnets: &[usize], extra: &str) -> String {
        let ids: Vec<String> = subnets
            .iter()
            .map(|i| format!("\"{}\"", self.subnets[*i].0))
            .collect();
        config(&format!(
            "{}\nresource \"swarm_failover_pair\" \"mcp\" {{\n  name = \"mcp\"\n  subnet_ids = [{}]\n  ami = \"ami-785db401\"\n  instance_type = \"t3.small\"\n  allowed_cidrs = [\"10.0.0.0/8\"]\n  root_volume_size = 30\n  user_data = \"echo secret\"\n  floating_ip = true\n{extra}}}\n",
            self.emulator
                .provider_block("  environment = \"production\""),
            ids.join(", ")
        ))
    }

    /// The pair across the first two default subnets' zones.
    fn hcl(&self, extra: &str) -> String {
        self.hcl_in(&[0, 1], extra)
    }

    fn case(&self) -> TestCase {
        test_case().check_destroy(sdk_check(&self.emulator, |e, _| async move {
            nothing_exists(&e.ec2().await).await
        }))
    }
}

#[tokio::test]
async fn basic() {
    let f = Fixture::start().await;
    let case = f.case().step(
        Step::apply(f.hcl(""))
            .check(Check::attr_equals(PAIR, "id", "mcp"))
            .check(Check::attr_equals(PAIR, "active", "primary"))
            .check(pair_as_configured(&f.emulator, "primary")),
    );
    run("failover_pair::basic", case).await;
}

#[tokio::test]
async fn switchover() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let secondary = f.hcl("  active = \"secondary\"\n");
    let case = f
        .case()
        .step(Step::apply(f.hcl("")).check(save(&ids)))
        // The plan is an update in place of active and what follows it.
        .step(
            Step::plan(secondary.clone())
                .expect_changes()
                .check_output(|out| {
                    if out.contains("must be replaced")
                        || !out.contains("1 to change, 0 to destroy")
                    {
                        Err(format!("not an update in place:\n{out}"))
                    } else {
                        Ok(())
                    }
                }),
        )
        .step(
            Step::apply(secondary)
                .check(same_nodes(&ids))
                .check(pair_as_configured(&f.emulator, "secondary")),
        )
        .step(
            Step::apply(f.hcl(""))
                .check(same_nodes(&ids))
                .check(pair_as_configured(&f.emulator, "primary")),
        );
    run("failover_pair::switchover", case).await;
}

/// Two subnets of one zone: refused at plan, on `subnet_ids`; and when the
/// subnets are known only at apply (another resource's output), refused
/// at apply before anything is made. Nothing exists afterwards.
#[tokio::test]
async fn same_zone_is_refused() {
    let mut f = Fixture::start().await;
    // A second subnet in the first default subnet's zone.
    let ec2 = f.emulator.ec2().await;
    let (vpc, _) = default_vpc(&ec2).await;
    let zone = f.subnets[0].1.clone();
    let same = subnet(&ec2, &vpc, "172.31.200.0/24", &zone).await;
    f.subnets.push((same.clone(), zone));
    let last = f.subnets.len() - 1;
    let known_at_plan = f.hcl_in(&[0, last], "");
    let at_apply = known_at_plan.replace(&format!("\"{same}\"]"), "terraform_data.subnet.output]")
        + &format!("\nresource \"terraform_data\" \"subnet\" {{\n  input = \"{same}\"\n}}\n");
    let nothing = |emulator: &Arc<Emulator>| {
        let emulator = Arc::clone(emulator);
        move || {
            let emulator = Arc::clone(&emulator);
            async move { nothing_exists(&emulator.ec2().await).await }
        }
    };
    let case = f
        .case()
        .step(
            Step::plan(known_at_plan)
                .expect_error("two availability zones")
                .check_output(|out| {
                    if out.contains("subnet_ids") {
                        Ok(())
                    } else {
                        Err(format!("the error does not name subnet_ids:\n{out}"))
                    }
                }),
        )
        .step(Step::apply(at_apply).expect_error("two availability zones"))
        // What the failed apply left: nothing of the pair.
        .step(Step::validate(f.hcl("")).before(nothing(&f.emulator)));
    run("failover_pair::same_zone_is_refused", case).await;
}

#[tokio::test]
async fn drift() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let hcl = f.hcl("");
    let case = f
        .case()
        .step(Step::apply(hcl.clone()).check(save(&ids)))
        // The address moved to the secondary by hand: put back.
        .step(drifted(&f.emulator, &hcl, |e| async move {
            let ec2 = e.ec2().await;
            let [_, secondary] = nodes(&ec2, None).await?;
            let eips = addresses(&ec2, None).await?;
            let (allocation, _, _) = eips.first().ok_or("no address")?;
            sent(
                ec2.associate_address()
                    .allocation_id(allocation)
                    .instance_id(id(&secondary))
                    .allow_reassociation(true)
                    .send()
                    .await,
            )
        }))
        .step(
            Step::apply(hcl.clone())
                .check(same_nodes(&ids))
                .check(pair_as_configured(&f.emulator, "primary")),
        )
        // Disassociated by hand: put back.
        .step(drifted(&f.emulator, &hcl, |e| async move {
            let ec2 = e.ec2().await;
            let eips = addresses(&ec2, None).await?;
            let (_, ip, _) = eips.first().ok_or("no address")?;
            sent(ec2.disassociate_address().public_ip(ip).send().await)
        }))
        .step(
            Step::apply(hcl.clone())
                .check(same_nodes(&ids))
                .check(pair_as_configured(&f.emulator, "primary")),
        )
        // The secondary stopped: started again, the same instance.
        .step(drifted(&f.emulator, &hcl, |e| async move {
            let ec2 = e.ec2().await;
            let [_, secondary] = nodes(&ec2, None).await?;
            sent(
                ec2.stop_instances()
                    .instance_ids(id(&secondary))
                    .send()
                    .await,
            )
        }))
        .step(
            Step::apply(hcl.clone())
                .check(same_nodes(&ids))
                .check(sdk_check(&f.emulator, |e, _| async move {
                    let [_, secondary] = nodes(&e.ec2().await, None).await?;
                    match secondary.state().and_then(|s| s.name()).map(|n| n.as_str()) {
                        Some("running") => Ok(()),
                        other => Err(format!("the secondary is {other:?}")),
                    }
                })),
        )
        // The primary terminated: replaced in its own zone; the secondary
        // untouched.
        .step(drifted(&f.emulator, &hcl, |e| async move {
            let ec2 = e.ec2().await;
            let [primary, _] = nodes(&ec2, None).await?;
            sent(
                ec2.terminate_instances()
                    .instance_ids(id(&primary))
                    .send()
                    .await,
            )
        }))
        .step(
            Step::apply(hcl)
                .check(pair_as_configured(&f.emulator, "primary"))
                .check({
                    let ids = ids.clone();
                    Check::sync(move |state| {
                        let before = ids.get()?;
                        let primary = attr(state, "primary_instance_id")?;
                        let secondary = attr(state, "secondary_instance_id")?;
                        if primary != before[0] && secondary == before[1] {
                            Ok(())
                        } else {
                            Err(format!("{before:?} then {primary} {secondary}"))
                        }
                    })
                }),
        );
    run("failover_pair::drift", case).await;
}

#[tokio::test]
async fn rolling_image_change() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let newer = f.hcl("").replace("ami-785db401", "ami-1e749f67");
    let case = f
        .case()
        .step(Step::apply(f.hcl("")).check(save(&ids)))
        // The plan says how the pair is rolled.
        .step(
            Step::plan(newer.clone())
                .expect_changes()
                .check_output(|out| {
                    if out.contains("the standby is replaced first")
                        && out.contains("1 to change, 0 to destroy")
                    {
                        Ok(())
                    } else {
                        Err(format!(
                            "the plan does not say how the pair is rolled:\n{out}"
                        ))
                    }
                }),
        )
        .step(
            Step::apply(newer)
                .before(recording(&f.emulator))
                .check(pair_as_configured(&f.emulator, "primary"))
                .check(sdk_check(&f.emulator, {
                    let ids = ids.clone();
                    move |e, _| {
                        let ids = ids.clone();
                        async move {
                            let before = ids.get()?;
                            let [primary, secondary] = nodes(&e.ec2().await, None).await?;
                            if before.contains(&id(&primary)) || before.contains(&id(&secondary)) {
                                return Err(format!("not both replaced: {before:?}"));
                            }
                            if primary.image_id() != Some("ami-1e749f67") {
                                return Err(format!("image {:?}", primary.image_id()));
                            }
                            Ok(())
                        }
                    }
                }))
                .check(standby_first(&f.emulator, &ids, Change::Launch))
                .check(endpoint_always_held(&f.emulator, &ids)),
        );
    run("failover_pair::rolling_image_change", case).await;
}

/// The steps of a type change from t3.small to t3.medium, recorded; the
/// apply's `checks` come after those of every type change: the same
/// instances, both of the new type (read back through DescribeInstances),
/// the standby changed first.
fn type_change(f: &Fixture, ids: &Ids, checks: Vec<Check>) -> TestCase {
    let larger = f.hcl("").replace("t3.small", "t3.medium");
    let mut apply = Step::apply(larger.clone())
        .before(recording(&f.emulator))
        .check(same_nodes(ids))
        .check(pair_as_configured(&f.emulator, "primary"))
        .check(sdk_check(&f.emulator, |e, _| async move {
            let [primary, secondary] = nodes(&e.ec2().await, None).await?;
            for node in [&primary, &secondary] {
                let now = node.instance_type().map(|t| t.as_str().to_owned());
                if now.as_deref() != Some("t3.medium") {
                    return Err(format!("{} is of type {now:?}", id(node)));
                }
            }
            Ok(())
        }))
        .check(standby_first(&f.emulator, ids, Change::Resize));
    for check in checks {
        apply = apply.check(check);
    }
    f.case()
        .step(Step::apply(f.hcl("")).check(save(ids)))
        .step(Step::plan(larger).expect_changes().check_output(|out| {
            if out.contains("must be replaced") || !out.contains("1 to change, 0 to destroy") {
                Err(format!("not an update in place:\n{out}"))
            } else {
                Ok(())
            }
        }))
        .step(apply)
}

/// `instance_type` changes in place: no instance replaced, the standby
/// (the secondary) resized before the active node.
#[tokio::test]
async fn rolling_type_change() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let case = type_change(&f, &ids, Vec::new());
    run("failover_pair::rolling_type_change", case).await;
}

/// While the active node is stopped to be resized, the Elastic IP must
/// serve from the standby (the issue: "at every moment one healthy node
/// holds the endpoint"): the address moves to the standby before the
/// active node is stopped for its resize, as before a replacement.
#[tokio::test]
async fn rolling_type_change_keeps_the_endpoint_served() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let case = type_change(&f, &ids, vec![endpoint_always_held(&f.emulator, &ids)]);
    run(
        "failover_pair::rolling_type_change_keeps_the_endpoint_served",
        case,
    )
    .await;
}

/// `subnet_ids` moved to subnets of other zones of the same VPC (the
/// default VPC's, zones a and b, then b and c): the nodes are rolled into
/// the new subnets, the standby first and the endpoint always held; the
/// old instances are terminated, and the zones in the state follow.
#[tokio::test]
async fn subnet_move() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let moved = f.hcl_in(&[1, 2], "");
    let (to_primary, to_secondary) = (f.subnets[1].clone(), f.subnets[2].clone());
    let case = f
        .case()
        .step(Step::apply(f.hcl("")).check(save(&ids)))
        .step(
        Step::apply(moved)
            .before(recording(&f.emulator))
            .check(pair_as_configured(&f.emulator, "primary"))
            .check(Check::attr_equals(
                PAIR,
                "primary_availability_zone",
                to_primary.1.as_str(),
            ))
            .check(Check::attr_equals(
                PAIR,
                "secondary_availability_zone",
                to_secondary.1.as_str(),
            ))
            .check(sdk_check(&f.emulator, {
                let ids = ids.clone();
                move |e, _| {
                    let (ids, to_primary, to_secondary) =
                        (ids.clone(), to_primary.0.clone(), to_secondary.0.clone());
                    async move {
                        let ec2 = e.ec2().await;
                        let [primary, secondary] = nodes(&ec2, None).await?;
                        let subnets = (primary.subnet_id(), secondary.subnet_id());
                        if subnets != (Some(to_primary.as_str()), Some(to_secondary.as_str())) {
                            return Err(format!(
                                "the nodes are in {subnets:?}, not {to_primary} and {to_secondary}"
                            ));
                        }
                        // The old instances: terminated, not left running.
                        let old = ec2
                            .describe_instances()
                            .set_instance_ids(Some(ids.get()?))
                            .send()
                            .await
                            .map_err(err)?;
                        let states: Vec<(String, Option<String>)> = old
                            .reservations()
                            .iter()
                            .flat_map(|r| r.instances())
                            .map(|i| {
                                (
                                    id(i),
                                    i.state()
                                        .and_then(|s| s.name())
                                        .map(|n| n.as_str().to_owned()),
                                )
                            })
                            .collect();
                        if states.len() != 2
                            || states
                                .iter()
                                .any(|(_, s)| s.as_deref() != Some("terminated"))
                        {
                            return Err(format!("the old instances are {states:?}"));
                        }
                        Ok(())
                    }
                }
            }))
            .check(standby_first(&f.emulator, &ids, Change::Launch))
            .check(endpoint_always_held(&f.emulator, &ids)),
    );
    run("failover_pair::subnet_move", case).await;
}

/// Import by name: `terraform import`, an `import {}` block, and the
/// configuration Terraform writes itself after the state was lost: the
/// same nodes and address, nothing replaced. Without `user_data`: it is
/// sensitive, and Terraform writes a sensitive value into a generated
/// configuration as null (the docs say to fill it in).
#[tokio::test]
async fn import() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let hcl = f
        .hcl("  active = \"secondary\"\n  agents_per_instance = 4\n  mcp_port = 8080\n")
        .replace("  user_data = \"echo secret\"\n", "");
    let only_import = config(&format!(
        "{}\nimport {{\n  to = {PAIR}\n  id = \"mcp\"\n}}\n",
        f.emulator.provider_block("  environment = \"production\"")
    ));
    let case = f
        .case()
        .step(Step::apply(hcl.clone()).check(save(&ids)))
        .step(
            Step::import(hcl.clone(), PAIR, "mcp")
                .check(same_nodes(&ids))
                .check(Check::attr_equals(PAIR, "active", "secondary")),
        )
        .step(
            Step::import_block(with_import_block(&hcl, PAIR, "mcp"))
                .check(same_nodes(&ids))
                .check(pair_as_configured(&f.emulator, "secondary")),
        )
        .step(Step::command(hcl, &["state", "rm", "-no-color", PAIR]))
        .step(
            Step::import_generated(only_import)
                .check(same_nodes(&ids))
                .check(Check::attr_equals(PAIR, "agents_per_instance", 4))
                .check(Check::attr_equals(PAIR, "mcp_port", 8080))
                .check(Check::attr_equals(PAIR, "root_volume_size", 30))
                .check(pair_as_configured(&f.emulator, "secondary")),
        );
    run("failover_pair::import", case).await;
}

/// The data source finds the pair by name: its endpoint (the Elastic IP),
/// which node is active and the nodes' ids, as the resource has them.
#[tokio::test]
async fn data_source() {
    let f = Fixture::start().await;
    let hcl = f.hcl("  active = \"secondary\"\n");
    let with_lookup = format!(
        "{hcl}\ndata \"swarm_failover_pair\" \"found\" {{\n  name       = \"mcp\"\n  depends_on = [swarm_failover_pair.mcp]\n}}\n"
    );
    let case = f
        .case()
        .step(Step::apply(hcl))
        .step(Step::apply(with_lookup).check(Check::sync(|state| {
            let found = "data.swarm_failover_pair.found";
            for name in [
                "endpoint",
                "public_ip",
                "active_instance_id",
                "primary_instance_id",
                "secondary_instance_id",
                "primary_availability_zone",
                "secondary_availability_zone",
                "security_group_id",
                "ownership_marker",
            ] {
                let (a, b) = (state.attr(found, name)?, state.attr(PAIR, name)?);
                if a != b || a.is_null() {
                    return Err(format!(
                        "{name}: {a} from the data source, {b} in the resource"
                    ));
                }
            }
            match state.attr(found, "active")?.as_str() {
                Some("secondary") => Ok(()),
                other => Err(format!("active {other:?}")),
            }
        })));
    run("failover_pair::data_source", case).await;
}

/// A name nothing answers to is an error at plan; a malformed one at
/// validate.
#[tokio::test]
async fn data_source_of_no_pair() {
    let emulator = Emulator::start();
    let lookup = |name: &str| {
        config(&format!(
            "{}\ndata \"swarm_failover_pair\" \"lookup\" {{\n  name = \"{name}\"\n}}\n",
            emulator.provider_block("")
        ))
    };
    let case = test_case()
        .step(
            Step::plan(lookup("nobody"))
                .expect_error(r#"No swarm_failover_pair named "nobody" exists in us-east-1"#),
        )
        .step(
            Step::validate(lookup("no_such!"))
                .expect_error("name must be 1 to 64 letters, digits or hyphens"),
        );
    run("failover_pair::data_source_of_no_pair", case).await;
}

/// Tags change in place on every object (instances, the Elastic IP, the
/// group), a dropped key removed; no node replaced.
#[tokio::test]
async fn tags_change_in_place() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let tagged = |tags: &str| f.hcl(&format!("  tags = {{ {tags} }}\n"));
    let all_tagged = |emulator: &Arc<Emulator>| {
        sdk_check(emulator, |e, _| async move {
            let ec2 = e.ec2().await;
            let [primary, secondary] = nodes(&ec2, None).await?;
            let eips = ec2
                .describe_addresses()
                .filters(filter("tag:swarm:failover-pair", &["mcp"]))
                .send()
                .await
                .map_err(err)?;
            let groups = ec2
                .describe_security_groups()
                .filters(filter("tag:swarm:failover-pair", &["mcp"]))
                .send()
                .await
                .map_err(err)?;
            let mut seen = vec![tag_map(primary.tags()), tag_map(secondary.tags())];
            seen.extend(eips.addresses().iter().map(|a| tag_map(a.tags())));
            seen.extend(groups.security_groups().iter().map(|g| tag_map(g.tags())));
            if seen.len() != 4 {
                return Err(format!("{} objects", seen.len()));
            }
            for tags in seen {
                if tags.get("tier").map(String::as_str) != Some("gold") || tags.contains_key("role")
                {
                    return Err(format!("tags {tags:?}"));
                }
            }
            Ok(())
        })
    };
    let case = f
        .case()
        .step(Step::apply(tagged("role = \"mcp\"")).check(save(&ids)))
        .step(
            Step::apply(tagged("tier = \"gold\""))
                .check(same_nodes(&ids))
                .check(all_tagged(&f.emulator)),
        );
    run("failover_pair::tags_change_in_place", case).await;
}

/// Without `floating_ip` the endpoint is the active node's private IP, and
/// a switchover moves it; turning `floating_ip` on allocates the address
/// on the active node, and off releases it. No node replaced.
#[tokio::test]
async fn endpoint_without_floating_ip() {
    let f = Fixture::start().await;
    let ids = Ids::default();
    let private = |active: &'static str| {
        f.hcl(&format!("  active = \"{active}\"\n"))
            .replace("  floating_ip = true\n", "  floating_ip = false\n")
    };
    let endpoint_is_private_ip_of = |emulator: &Arc<Emulator>, active: &'static str| {
        sdk_check(emulator, move |e, state| async move {
            let ec2 = e.ec2().await;
            let [primary, secondary] = nodes(&ec2, None).await?;
            let on = if active == "primary" {
                primary
            } else {
                secondary
            };
            let ip = on.private_ip_address().unwrap_or_default().to_owned();
            if attr(&state, "endpoint")? != ip || attr(&state, "active_instance_id")? != id(&on) {
                return Err(format!("endpoint is not {ip} of the {active}"));
            }
            if !state.attr(PAIR, "public_ip")?.is_null() {
                return Err("public_ip is set".to_owned());
            }
            match addresses(&ec2, None).await?.as_slice() {
                [] => Ok(()),
                other => Err(format!("addresses left: {other:?}")),
            }
        })
    };
    let case = f
        .case()
        .step(
            Step::apply(private("primary"))
                .check(save(&ids))
                .check(endpoint_is_private_ip_of(&f.emulator, "primary")),
        )
        .step(
            Step::apply(private("secondary"))
                .check(same_nodes(&ids))
                .check(endpoint_is_private_ip_of(&f.emulator, "secondary")),
        )
        .step(
            Step::apply(f.hcl("  active = \"secondary\"\n"))
                .check(same_nodes(&ids))
                .check(pair_as_configured(&f.emulator, "secondary")),
        )
        .step(
            Step::apply(private("secondary"))
                .check(same_nodes(&ids))
                .check(endpoint_is_private_ip_of(&f.emulator, "secondary")),
        );
    run("failover_pair::endpoint_without_floating_ip", case).await;
}

/// What one stack's pair is made of, from its state: the ids to find again.
#[derive(Debug, Clone, Default, PartialEq)]
struct Made {
    marker: String,
    /// (primary, secondary)
    nodes: Vec<String>,
    public_ip: String,
    group: String,
}

fn made(state: &State) -> Result<Made, String> {
    Ok(Made {
        marker: attr(state, "ownership_marker")?,
        nodes: vec![
            attr(state, "primary_instance_id")?,
            attr(state, "secondary_instance_id")?,
        ],
        public_ip: attr(state, "public_ip")?,
        group: attr(state, "security_group_id")?,
    })
}

/// A check that remembers what the stack made, the first time, and after
/// that finds the same ids.
fn remember(memo: &Memo<Made>) -> Check {
    let memo = memo.clone();
    Check::sync(move |state| memo.first_or_same("the pair", made(state)?))
}

/// The remembered pair, read back by its marker: the same two nodes
/// running, its one address on the node `active` names, its group.
async fn intact(ec2: &Ec2, made: &Made, active: &str) -> CheckResult {
    let [primary, secondary] = nodes(ec2, Some(&made.marker)).await?;
    if [id(&primary), id(&secondary)] != made.nodes.as_slice() {
        return Err(format!(
            "the nodes of {} are {} and {}, not {:?}",
            made.marker,
            id(&primary),
            id(&secondary),
            made.nodes
        ));
    }
    for node in [&primary, &secondary] {
        let state = node.state().and_then(|s| s.name()).map(|n| n.as_str());
        if state != Some("running") {
            return Err(format!("{} is {state:?}", id(node)));
        }
    }
    let on = if active == "primary" {
        &made.nodes[0]
    } else {
        &made.nodes[1]
    };
    match addresses(ec2, Some(&made.marker)).await?.as_slice() {
        [(_, ip, Some(instance))] if *ip == made.public_ip && instance == on => {}
        other => {
            return Err(format!(
                "the addresses of {} are {other:?}, expected {} on {on}",
                made.marker, made.public_ip
            ));
        }
    }
    let groups = ec2
        .describe_security_groups()
        .filters(filter("tag:swarm:owner", &[&made.marker]))
        .send()
        .await
        .map_err(err)?;
    let ids: Vec<&str> = groups
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    if ids == [made.group.as_str()] {
        Ok(())
    } else {
        Err(format!("the groups of {} are {ids:?}", made.marker))
    }
}

/// Nothing of the remembered pair is left: no live instance, address or
/// group with its marker.
async fn gone(ec2: &Ec2, made: &Made) -> CheckResult {
    let instances = live(ec2, Some(&made.marker)).await?.len();
    let eips = addresses(ec2, Some(&made.marker)).await?;
    let groups = ec2
        .describe_security_groups()
        .filters(filter("tag:swarm:owner", &[&made.marker]))
        .send()
        .await
        .map_err(err)?;
    if instances == 0 && eips.is_empty() && groups.security_groups().is_empty() {
        Ok(())
    } else {
        Err(format!(
            "left of {}: {instances} instances, addresses {eips:?}, {} groups",
            made.marker,
            groups.security_groups().len()
        ))
    }
}

/// Two stacks (Terraform workspaces) in one account each make a pair
/// named "mcp": both exist side by side, each with its own marker; each
/// plan stays empty; a switchover in one leaves the other's address and
/// instances where they were; destroying one leaves the other whole.
#[tokio::test]
async fn two_stacks_with_one_pair_name() {
    let f = Fixture::start().await;
    let (a, b) = (Memo::<Made>::default(), Memo::<Made>::default());
    let hcl = f.hcl("");
    let secondary = f.hcl("  active = \"secondary\"\n");
    // A check of both stacks: A as remembered with `active_a`, B with
    // `active_b`, four nodes in all, their markers different.
    let both = |active_a: &'static str, active_b: &'static str| {
        let (a, b) = (a.clone(), b.clone());
        sdk_check(&f.emulator, move |e, _| {
            let (a, b) = (a.get(), b.get());
            async move {
                let (a, b) = (a?, b?);
                if a.marker == b.marker {
                    return Err(format!("both pairs are marked {}", a.marker));
                }
                let ec2 = e.ec2().await;
                intact(&ec2, &a, active_a).await?;
                intact(&ec2, &b, active_b).await?;
                match live(&ec2, None).await?.len() {
                    4 => Ok(()),
                    n => Err(format!("{n} instances named mcp, expected 4")),
                }
            }
        })
    };
    let case = f
        .case()
        .step(
            Step::apply(hcl.clone())
                .in_workspace("a")
                .check(remember(&a))
                .check(pair_as_configured(&f.emulator, "primary")),
        )
        .step(
            Step::apply(hcl.clone())
                .in_workspace("b")
                .check(remember(&b))
                .check(pair_as_configured(&f.emulator, "primary"))
                .check(both("primary", "primary")),
        )
        // A's plan, with B beside it: empty.
        .step(Step::plan(hcl.clone()).in_workspace("a"))
        // A switchover in B: A's address and nodes stay where they were.
        .step(
            Step::apply(secondary)
                .in_workspace("b")
                .check(remember(&b))
                .check(pair_as_configured(&f.emulator, "secondary"))
                .check(both("primary", "secondary")),
        )
        .step(Step::plan(hcl.clone()).in_workspace("a"))
        // Destroying B leaves A whole, and A's plan empty.
        .step(
            Step::command(
                hcl.clone(),
                &["destroy", "-auto-approve", "-input=false", "-no-color"],
            )
            .in_workspace("b"),
        )
        .step(
            Step::apply(hcl)
                .in_workspace("a")
                .check(remember(&a))
                .check(sdk_check(&f.emulator, {
                    let (a, b) = (a.clone(), b.clone());
                    move |e, _| {
                        let (a, b) = (a.get(), b.get());
                        async move {
                            let ec2 = e.ec2().await;
                            gone(&ec2, &b?).await?;
                            intact(&ec2, &a?, "primary").await
                        }
                    }
                })),
        );
    run("failover_pair::two_stacks_with_one_pair_name", case).await;
}
