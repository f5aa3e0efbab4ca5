//! Two stacks in one account and region, as a platform team has them
//! (staging and production workspaces, or two teams that both call their
//! pool "agents"): each resource touches only the objects with its own
//! ownership marker (`swarm:owner`), whatever their name.
//!
//! - `two_stacks_with_one_name_coexist`: two workspaces each apply a
//!   `swarm_network` and a `swarm_node` named "agents"; both plans stay
//!   empty; import by name is refused (two sets answer), by VPC id taken;
//!   the `swarm_node` data source asks for a narrowing and takes `vpc_id`;
//!   destroying one stack leaves the other's VPC, subnets, instances and
//!   security group as they were, and its plan empty.
//! - `a_killed_run_is_reported_and_never_touched`: a node forgotten by
//!   Terraform (`state rm`, as a killed run that saved no state) is
//!   reported by id at the next plan; the apply makes a new set beside it.
//! - `an_interrupted_create_resumes_without_orphans_or_duplicates`: a
//!   create failing half way records its marker, and the fixed
//!   configuration leaves exactly the instances of the new state.

use std::collections::BTreeSet;
use std::sync::Arc;

use acceptance_tests::checks::{
    Memo, attr_str, ensure, err, out_of_band, same, sdk_check, strings, tag_map,
};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::{filter, subnet, vpc};
use acceptance_tests::{config, run, test_case};
use aws_sdk_ec2::types::Instance;
use tfplugin::testing::{Check, CheckResult, Step};

const NETWORK: &str = "swarm_network.main";
const NODE: &str = "swarm_node.agents";

type Ec2 = aws_sdk_ec2::Client;

/// One stack: a one-zone network "agents" in `cidr` and a node "agents"
/// of one instance in its private subnet, then `extra`.
fn stack(emulator: &Emulator, cidr: &str, extra: &str) -> String {
    config(&format!(
        r#"{}
resource "swarm_network" "main" {{
  name               = "agents"
  cidr_block         = "{cidr}"
  availability_zones = ["us-east-1a"]
}}

resource "swarm_node" "agents" {{
  name           = "agents"
  subnet_ids     = swarm_network.main.private_subnet_ids
  instance_count = 1
}}
{extra}"#,
        emulator.provider_block("  environment = \"development\"")
    ))
}

/// The live instances named `name` (by their `swarm:node` tag).
async fn live_instances(ec2: &Ec2, name: &str) -> Result<Vec<Instance>, String> {
    let out = ec2
        .describe_instances()
        .filters(filter("tag:swarm:node", &[name]))
        .filters(filter(
            "instance-state-name",
            &["pending", "running", "stopping", "stopped"],
        ))
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances().iter().cloned())
        .collect())
}

fn instance_ids(instances: &[Instance]) -> BTreeSet<String> {
    instances
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect()
}

/// What one stack is made of, from its state: the ids to find again.
#[derive(Debug, Clone, Default, PartialEq)]
struct Made {
    vpc: String,
    subnets: Vec<String>,
    instances: Vec<String>,
    group: String,
    network_marker: String,
    node_marker: String,
}

fn made(state: &tfplugin::testing::State) -> Result<Made, String> {
    let network = state.values(NETWORK)?;
    let node = state.values(NODE)?;
    let mut subnets = strings(network, "public_subnet_ids");
    subnets.extend(strings(network, "private_subnet_ids"));
    subnets.extend(strings(network, "database_subnet_ids"));
    Ok(Made {
        vpc: attr_str(state, NETWORK, "vpc_id")?,
        subnets,
        instances: strings(node, "instance_ids"),
        group: attr_str(state, NODE, "security_group_id")?,
        network_marker: attr_str(state, NETWORK, "ownership_marker")?,
        node_marker: attr_str(state, NODE, "ownership_marker")?,
    })
}

/// Everything of `made` exists in EC2, marked with its stack's marker.
async fn intact(emulator: &Emulator, made: &Made) -> CheckResult {
    let ec2 = emulator.ec2().await;
    let vpcs = ec2
        .describe_vpcs()
        .vpc_ids(&made.vpc)
        .send()
        .await
        .map_err(err)?;
    let vpc_marker = vpcs
        .vpcs()
        .first()
        .map(|v| tag_map(v.tags()).get("swarm:owner").cloned());
    same(
        "the VPC's marker",
        vpc_marker,
        Some(Some(made.network_marker.clone())),
    )?;
    let subnets = ec2
        .describe_subnets()
        .set_subnet_ids(Some(made.subnets.clone()))
        .send()
        .await
        .map_err(err)?;
    same("subnets found", subnets.subnets().len(), made.subnets.len())?;
    let live = live_instances(&ec2, "agents").await?;
    for id in &made.instances {
        let instance = live.iter().find(|i| i.instance_id() == Some(id.as_str()));
        let marker = instance.and_then(|i| tag_map(i.tags()).get("swarm:owner").cloned());
        same(
            &format!("instance {id}'s marker (none: not live)"),
            marker,
            Some(made.node_marker.clone()),
        )?;
    }
    let groups = ec2
        .describe_security_groups()
        .group_ids(&made.group)
        .send()
        .await
        .map_err(err)?;
    same("security groups found", groups.security_groups().len(), 1)
}

/// Nothing of `made` is left: its VPC and instances are gone.
async fn gone(emulator: &Emulator, made: &Made) -> CheckResult {
    let ec2 = emulator.ec2().await;
    let vpcs = ec2
        .describe_vpcs()
        .filters(filter("tag:swarm:owner", &[&made.network_marker]))
        .send()
        .await
        .map_err(err)?;
    ensure(
        "no VPC of the destroyed stack",
        vpcs.vpcs().is_empty(),
        &vpcs.vpcs(),
    )?;
    let live = instance_ids(&live_instances(&ec2, "agents").await?);
    let left: Vec<&String> = made
        .instances
        .iter()
        .filter(|i| live.contains(*i))
        .collect();
    ensure("no instance of the destroyed stack", left.is_empty(), &left)
}

/// A check that remembers what the stack made, the first time, and after
/// that finds the same ids.
fn remember(memo: &Memo<Made>) -> Check {
    let memo = memo.clone();
    Check::sync(move |state| memo.first_or_same("the stack", made(state)?))
}

/// After the final destroy: no VPC or live instance named "agents".
fn nothing_named_agents(emulator: &Arc<Emulator>) -> Check {
    sdk_check(emulator, |e, _| async move {
        let ec2 = e.ec2().await;
        let vpcs = ec2
            .describe_vpcs()
            .filters(filter("tag:swarm:network", &["agents"]))
            .send()
            .await
            .map_err(err)?;
        ensure("no VPC left", vpcs.vpcs().is_empty(), &vpcs.vpcs())?;
        let live = instance_ids(&live_instances(&ec2, "agents").await?);
        ensure("no instance left", live.is_empty(), &live)
    })
}

#[tokio::test]
async fn two_stacks_with_one_name_coexist() {
    let emulator = Arc::new(Emulator::start());
    let (a, b) = (Memo::<Made>::default(), Memo::<Made>::default());
    let stack_a = stack(&emulator, "10.1.0.0/16", "");
    let stack_b = stack(&emulator, "10.2.0.0/16", "");
    // Data sources looking up the node "agents" from stack B, each with
    // its narrowing, and an output of the instances each found.
    let lookup = |narrowings: &[&str]| {
        let lookups: String = narrowings
            .iter()
            .enumerate()
            .map(|(i, narrowing)| {
                format!(
                    "data \"swarm_node\" \"found{i}\" {{\n  name = \"agents\"\n{narrowing}\n}}\n\
                     output \"found{i}\" {{\n  value = data.swarm_node.found{i}.instance_ids\n}}\n"
                )
            })
            .collect();
        stack(&emulator, "10.2.0.0/16", &lookups)
    };
    // The network alone, as stack A has it: what an import of A's VPC
    // brings into a new state with an empty plan.
    let network_a = config(&format!(
        "{}\nresource \"swarm_network\" \"main\" {{\n  name               = \"agents\"\n  \
         cidr_block         = \"10.1.0.0/16\"\n  availability_zones = [\"us-east-1a\"]\n}}\n",
        emulator.provider_block("  environment = \"development\"")
    ));
    // An import block's id is known at plan, not when the steps are
    // written: A's VPC id goes through a file.
    let vpc_file =
        std::env::temp_dir().join(format!("swarm-shared-account-{}.vpc", std::process::id()));
    let (a_file, a_path) = (a.clone(), vpc_file.clone());
    let a_vpc = a.clone();
    let a_seen = a.clone();
    let a_gone = a.clone();
    let b_left = b.clone();
    let case = test_case()
        .step(
            Step::apply(stack_a.clone())
                .in_workspace("a")
                .check(remember(&a)),
        )
        // B's create: warned of A's objects by id, makes its own.
        .step(
            Step::apply(stack_b.clone())
                .in_workspace("b")
                .check_output(move |output| {
                    let vpc = a_vpc.get()?.vpc;
                    ensure(
                        "a warning naming stack A's VPC",
                        output.contains("Other objects already answer to the swarm_network name")
                            && output.contains(&vpc),
                        &vpc,
                    )
                })
                .check(remember(&b))
                .check(sdk_check(&emulator, move |e, state| {
                    let (a, b) = (a_seen.get(), made(&state));
                    async move {
                        let (a, b) = (a?, b?);
                        ensure("another VPC", a.vpc != b.vpc, &(&a.vpc, &b.vpc))?;
                        ensure(
                            "other markers",
                            a.network_marker != b.network_marker && a.node_marker != b.node_marker,
                            &(&a, &b),
                        )?;
                        intact(&e, &a).await?;
                        intact(&e, &b).await
                    }
                })),
        )
        // A's plan is still empty, and its objects the same.
        .step(
            Step::apply(stack_a.clone())
                .in_workspace("a")
                .check(remember(&a)),
        )
        // Import by name: two networks answer. By VPC id: A's, as it is.
        .step(
            Step::import(network_a.clone(), NETWORK, "agents")
                .expect_error("2 sets of objects answer to it"),
        )
        .step(
            Step::import_block(format!(
                "{network_a}\nimport {{\n  to = {NETWORK}\n  id = trimspace(file({:?}))\n}}\n",
                vpc_file.display()
            ))
            .before(move || {
                let (memo, path) = (a_file.clone(), a_path.clone());
                async move { std::fs::write(&path, memo.get()?.vpc).map_err(err) }
            })
            .check(Check::sync({
                let a = a.clone();
                move |state| {
                    let a = a.get()?;
                    same(
                        "the imported VPC",
                        attr_str(state, NETWORK, "vpc_id")?,
                        a.vpc,
                    )?;
                    same(
                        "the imported marker",
                        attr_str(state, NETWORK, "ownership_marker")?,
                        a.network_marker,
                    )
                }
            })),
        )
        .step(
            Step::plan(lookup(&[""]))
                .in_workspace("b")
                .expect_error("Several swarm_node answer to the name"),
        )
        .step(
            Step::apply(lookup(&[
                "  vpc_id = swarm_network.main.vpc_id",
                "  ownership_marker = swarm_node.agents.ownership_marker",
            ]))
            .in_workspace("b")
            .check(Check::sync({
                let b = b.clone();
                move |state| {
                    for (output, narrowing) in
                        [("found0", "vpc_id"), ("found1", "ownership_marker")]
                    {
                        let found: Vec<String> = state
                            .output(output)?
                            .as_array()
                            .map(|ids| {
                                ids.iter()
                                    .filter_map(|i| i.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default();
                        same(
                            &format!("the node found by B's {narrowing}"),
                            found,
                            b.get()?.instances,
                        )?;
                    }
                    Ok(())
                }
            })),
        )
        // Destroying A leaves B whole, and B's plan empty.
        .step(
            Step::command(
                stack_a.clone(),
                &["destroy", "-auto-approve", "-input=false", "-no-color"],
            )
            .in_workspace("a"),
        )
        .step(
            Step::apply(stack_b.clone())
                .in_workspace("b")
                .check(remember(&b))
                .check(sdk_check(&emulator, move |e, _| {
                    let (a, b) = (a_gone.get(), b_left.get());
                    async move {
                        gone(&e, &a?).await?;
                        intact(&e, &b?).await
                    }
                })),
        )
        .check_destroy(nothing_named_agents(&emulator));
    run("shared_account::two_stacks_with_one_name_coexist", case).await;
}

/// A node alone, in the default VPC's subnets.
fn node(emulator: &Emulator, body: &str) -> String {
    config(&format!(
        "{}\nresource \"swarm_node\" \"agents\" {{\n  name = \"agents\"\n{body}\n}}\n",
        emulator.provider_block("  environment = \"development\"\n  max_retries = 0")
    ))
}

/// The live instances and groups named "agents", by marker.
async fn node_sets(emulator: &Emulator) -> Result<Vec<(Option<String>, BTreeSet<String>)>, String> {
    let ec2 = emulator.ec2().await;
    let mut sets: std::collections::BTreeMap<Option<String>, BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for instance in live_instances(&ec2, "agents").await? {
        let marker = tag_map(instance.tags()).get("swarm:owner").cloned();
        sets.entry(marker)
            .or_default()
            .extend(instance.instance_id().map(str::to_owned));
    }
    let groups = ec2
        .describe_security_groups()
        .filters(filter("tag:swarm:node", &["agents"]))
        .send()
        .await
        .map_err(err)?;
    for group in groups.security_groups() {
        let marker = tag_map(group.tags()).get("swarm:owner").cloned();
        sets.entry(marker)
            .or_default()
            .extend(group.group_id().map(str::to_owned));
    }
    Ok(sets.into_iter().collect())
}

#[tokio::test]
async fn a_killed_run_is_reported_and_never_touched() {
    let emulator = Arc::new(Emulator::start());
    let hcl = node(&emulator, "  instance_count = 1");
    // The ids of the forgotten node: its instance and its group.
    let forgotten = Memo::<BTreeSet<String>>::default();
    let remembered = forgotten.clone();
    let reported = forgotten.clone();
    let untouched = forgotten.clone();
    let cleanup = forgotten.clone();
    let case = test_case()
        .step(Step::apply(hcl.clone()).check(Check::sync(move |state| {
            let mut ids: BTreeSet<String> = strings(state.values(NODE)?, "instance_ids")
                .into_iter()
                .collect();
            ids.insert(attr_str(state, NODE, "security_group_id")?);
            remembered.set(ids)
        })))
        // A run killed before it saved its state knows nothing of them.
        .step(Step::command(
            hcl.clone(),
            &["state", "rm", "-no-color", NODE],
        ))
        .step(
            Step::plan(hcl.clone())
                .expect_changes()
                .check_output(move |output| {
                    let ids = reported.get()?;
                    ensure(
                        "a warning naming each object of the forgotten node",
                        output.contains("Other objects already answer to the swarm_node name")
                            && ids.iter().all(|id| output.contains(id.as_str())),
                        &ids,
                    )
                }),
        )
        .step(
            Step::apply(hcl.clone()).check(sdk_check(&emulator, move |e, state| {
                let (old, new) = (
                    untouched.get(),
                    state.values(NODE).map(|v| strings(v, "instance_ids")),
                );
                async move {
                    let (old, new) = (old?, new?);
                    let sets = node_sets(&e).await?;
                    // Two sets: the forgotten one, whole, and the new one.
                    same("sets of objects named agents", sets.len(), 2)?;
                    ensure(
                        "the forgotten node untouched",
                        sets.iter().any(|(_, ids)| *ids == old),
                        &sets,
                    )?;
                    ensure(
                        "a new instance beside it",
                        new.len() == 1 && new.iter().all(|id| !old.contains(id)),
                        &new,
                    )
                }
            })),
        )
        // Import by name: two sets answer.
        .step(
            Step::import(hcl.clone(), NODE, "agents")
                .expect_error("2 sets of objects answer to it"),
        )
        // Once the leftovers are deleted, the node is as it was.
        .step(
            Step::apply(hcl.clone()).before(out_of_band(&emulator, move |e| {
                let ids = cleanup.get();
                async move {
                    let ec2 = e.ec2().await;
                    let ids = ids?;
                    let (groups, instances): (Vec<&String>, Vec<&String>) =
                        ids.iter().partition(|id| id.starts_with("sg-"));
                    ec2.terminate_instances()
                        .set_instance_ids(Some(instances.into_iter().cloned().collect()))
                        .send()
                        .await
                        .map_err(err)?;
                    for group in groups {
                        ec2.delete_security_group()
                            .group_id(group)
                            .send()
                            .await
                            .map_err(err)?;
                    }
                    Ok(())
                }
            })),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            let sets = node_sets(&e).await?;
            ensure("nothing named agents left", sets.is_empty(), &sets)
        }));
    run(
        "shared_account::a_killed_run_is_reported_and_never_touched",
        case,
    )
    .await;
}

/// A create that fails half way (the subnet runs out of addresses) leaves
/// a state with its marker; the fixed configuration (a larger subnet)
/// replaces it, and what exists is exactly the new state's: no orphan of
/// the failed create, no second instance.
#[tokio::test]
async fn an_interrupted_create_resumes_without_orphans_or_duplicates() {
    let emulator = Arc::new(Emulator::start());
    let ec2 = emulator.ec2().await;
    let vpc_id = vpc(&ec2, "10.61.0.0/16").await;
    let tiny = subnet(&ec2, &vpc_id, "10.61.0.0/28", "us-east-1a").await;
    let roomy = subnet(&ec2, &vpc_id, "10.61.16.0/20", "us-east-1a").await;
    let failing = node(
        &emulator,
        &format!("  subnet_ids     = [\"{tiny}\"]\n  instance_count = 20"),
    );
    let fixed = node(
        &emulator,
        &format!("  subnet_ids     = [\"{roomy}\"]\n  instance_count = 2"),
    );
    let first = Memo::<String>::default();
    let (marked, replaced) = (first.clone(), first.clone());
    let case = test_case()
        .step(Step::apply(failing.clone()).expect_error("Cannot launch instance"))
        // What the failed create made carries one marker.
        .step(
            Step::plan(fixed.clone())
                .expect_changes()
                .before(out_of_band(&emulator, move |e| {
                    let memo = marked.clone();
                    async move {
                        let sets = node_sets(&e).await?;
                        match sets.as_slice() {
                            [(Some(marker), ids)] if ids.len() > 2 => memo.set(marker.clone()),
                            other => Err(format!(
                                "expected one marked set of the failed create: {other:?}"
                            )),
                        }
                    }
                })),
        )
        .step(
            Step::apply(fixed.clone()).check(sdk_check(&emulator, move |e, state| {
                let (old, node) = (replaced.get(), state.values(NODE).cloned());
                async move {
                    let (old, node) = (old?, node?);
                    let marker = node["ownership_marker"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    let recorded: BTreeSet<String> =
                        strings(&node, "instance_ids").into_iter().collect();
                    let sets = node_sets(&e).await?;
                    ensure(
                        "a new marker",
                        marker != old && !marker.is_empty(),
                        &(&marker, &old),
                    )?;
                    let [(Some(only), ids)] = sets.as_slice() else {
                        return Err(format!("expected one set of objects, found {sets:?}"));
                    };
                    same("the set's marker", only, &marker)?;
                    let live: BTreeSet<String> = ids
                        .iter()
                        .filter(|id| id.starts_with("i-"))
                        .cloned()
                        .collect();
                    same("the live instances", live, recorded)
                }
            })),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            let sets = node_sets(&e).await?;
            ensure("nothing named agents left", sets.is_empty(), &sets)
        }));
    run(
        "shared_account::an_interrupted_create_resumes_without_orphans_or_duplicates",
        case,
    )
    .await;
}

/// The ids of the EC2 objects tagged with `key` (any value), with that
/// value: one DescribeTags.
async fn tagged(
    ec2: &Ec2,
    key: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let out = ec2
        .describe_tags()
        .filters(filter("key", &[key]))
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| Some((t.resource_id()?.to_owned(), t.value()?.to_owned())))
        .collect())
}

/// Objects made before markers existed (here: a stack whose `swarm:owner`
/// tags are taken off, then imported by name) are found by name while the
/// state has no marker; the plan shows the marker known after apply, and
/// that apply writes it on exactly those objects.
#[tokio::test]
async fn objects_from_before_markers_are_marked_by_the_first_apply() {
    let emulator = Arc::new(Emulator::start());
    let hcl = stack(&emulator, "10.3.0.0/16", "");
    let before = Memo::<Made>::default();
    let kept = before.clone();
    let case = test_case()
        .step(Step::apply(hcl.clone()).check(remember(&before)))
        .step(Step::command(
            hcl.clone(),
            &["state", "rm", "-no-color", NETWORK, NODE],
        ))
        .step(
            Step::command(hcl.clone(), &["import", "-no-color", NETWORK, "agents"]).before(
                out_of_band(&emulator, |e| async move {
                    let ec2 = e.ec2().await;
                    let marked: Vec<String> =
                        tagged(&ec2, "swarm:owner").await?.into_keys().collect();
                    ec2.delete_tags()
                        .set_resources(Some(marked))
                        .tags(
                            aws_sdk_ec2::types::Tag::builder()
                                .key("swarm:owner")
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(err)?;
                    let left = tagged(&ec2, "swarm:owner").await?;
                    ensure("no marker left", left.is_empty(), &left)
                }),
            ),
        )
        .step(Step::command(
            hcl.clone(),
            &["import", "-no-color", NODE, "agents"],
        ))
        .step(
            Step::plan(hcl.clone())
                .expect_changes()
                .check_output(|output| {
                    ensure(
                        "the markers planned, known after apply, and nothing else",
                        output.matches("ownership_marker").count() == 2
                            && output.contains("known after apply")
                            && output.contains("0 to add, 2 to change, 0 to destroy"),
                        &"ownership_marker",
                    )
                }),
        )
        .step(
            Step::apply(hcl.clone())
                .check(Check::sync(move |state| {
                    // The same objects, now with new markers.
                    let (old, new) = (kept.get()?, made(state)?);
                    same("the VPC", &new.vpc, &old.vpc)?;
                    same("the subnets", &new.subnets, &old.subnets)?;
                    same("the instances", &new.instances, &old.instances)?;
                    same("the group", &new.group, &old.group)?;
                    ensure(
                        "new markers",
                        new.network_marker != old.network_marker
                            && new.node_marker != old.node_marker,
                        &(&old, &new),
                    )
                }))
                .check(sdk_check(&emulator, move |e, state| {
                    let made = made(&state);
                    async move {
                        let made = made?;
                        let ec2 = e.ec2().await;
                        let markers = tagged(&ec2, "swarm:owner").await?;
                        for (key, marker) in [
                            ("swarm:network", &made.network_marker),
                            ("swarm:node", &made.node_marker),
                        ] {
                            for id in tagged(&ec2, key).await?.into_keys() {
                                same(&format!("{id}'s marker"), markers.get(&id), Some(marker))?;
                            }
                        }
                        intact(&e, &made).await
                    }
                })),
        )
        .check_destroy(nothing_named_agents(&emulator));
    run(
        "shared_account::objects_from_before_markers_are_marked_by_the_first_apply",
        case,
    )
    .await;
}
