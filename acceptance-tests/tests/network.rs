//! `swarm_network` end to end, one focused test per concern: `basic`
//! (create, the AWS objects read back through the SDK, an empty plan,
//! destroy leaving nothing), `update` (tags in place, then import of the
//! updated network by name with the CLI and `import {}`), `drift` (a tag
//! changed out of band is planned back and restored), `disappears` (a
//! subnet and the NAT gateway deleted out of band are planned back and
//! rebuilt), the production defaults, a development network growing to
//! two zones in place, and invalid values (reserved VPC ranges among them,
//! also when the block is known only at apply).

use std::sync::Arc;

use acceptance_tests::checks::{
    Memo, drifted, err, out_of_band, sdk_check, sent, tag_map, usable_zones,
};
use acceptance_tests::emulator::Emulator;
use acceptance_tests::fixtures::filter;
use acceptance_tests::{config, run, test_case, with_import_block};
use tfplugin::testing::{Check, CheckResult, Step, TestCase};

const ADDRESS: &str = "swarm_network.main";

fn network(emulator: &Emulator, environment: &str, body: &str) -> String {
    config(&format!(
        "{}\nresource \"swarm_network\" \"main\" {{\n{body}\n}}\n",
        emulator.provider_block(&format!(
            "  environment  = \"{environment}\"\n  default_tags = {{ owner = \"platform\" }}\n"
        ))
    ))
}

const TWO_ZONES: &str = r#"  name               = "agents"
  cidr_block         = "10.20.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b"]"#;

/// The two-zone staging network, tagged `team = "{team}"`.
fn two_zones(emulator: &Emulator, team: &str) -> String {
    network(
        emulator,
        "staging",
        &format!("{TWO_ZONES}\n  tags = {{ team = \"{team}\" }}"),
    )
}

/// Everything the network "agents" is made of, read through the SDK.
struct Seen {
    vpcs: Vec<aws_sdk_ec2::types::Vpc>,
    subnets: Vec<aws_sdk_ec2::types::Subnet>,
    nats: Vec<aws_sdk_ec2::types::NatGateway>,
    gateways: Vec<aws_sdk_ec2::types::InternetGateway>,
    tables: Vec<aws_sdk_ec2::types::RouteTable>,
    addresses: Vec<aws_sdk_ec2::types::Address>,
}

async fn seen(emulator: &Emulator, name: &str) -> Result<Seen, String> {
    let ec2 = emulator.ec2().await;
    let tagged = || filter("tag:swarm:network", &[name]);
    Ok(Seen {
        vpcs: ec2
            .describe_vpcs()
            .filters(tagged())
            .send()
            .await
            .map_err(err)?
            .vpcs()
            .to_vec(),
        subnets: ec2
            .describe_subnets()
            .filters(tagged())
            .send()
            .await
            .map_err(err)?
            .subnets()
            .to_vec(),
        nats: ec2
            .describe_nat_gateways()
            .filter(tagged())
            .send()
            .await
            .map_err(err)?
            .nat_gateways()
            .iter()
            .filter(|n| n.state().is_some_and(|s| s.as_str() != "deleted"))
            .cloned()
            .collect(),
        gateways: ec2
            .describe_internet_gateways()
            .filters(tagged())
            .send()
            .await
            .map_err(err)?
            .internet_gateways()
            .to_vec(),
        tables: ec2
            .describe_route_tables()
            .filters(tagged())
            .send()
            .await
            .map_err(err)?
            .route_tables()
            .to_vec(),
        addresses: ec2
            .describe_addresses()
            .filters(tagged())
            .send()
            .await
            .map_err(err)?
            .addresses()
            .to_vec(),
    })
}

/// A default route's target: (internet gateway, NAT gateway).
type DefaultRoute = (Option<String>, Option<String>);

fn role(tags: &[aws_sdk_ec2::types::Tag]) -> String {
    tag_map(tags).remove("swarm:role").unwrap_or_default()
}

/// The two-zone staging network, as AWS must have it.
async fn check_two_zone_network(emulator: &Emulator, team: &str) -> Result<String, String> {
    let s = seen(emulator, "agents").await?;
    let [vpc] = s.vpcs.as_slice() else {
        return Err(format!("{} VPCs", s.vpcs.len()));
    };
    if vpc.cidr_block() != Some("10.20.0.0/16") {
        return Err(format!("VPC CIDR {:?}", vpc.cidr_block()));
    }
    let tags = tag_map(vpc.tags());
    for (k, v) in [
        ("team", team),
        ("owner", "platform"),
        ("Name", "agents-vpc"),
        ("swarm:managed-by", "terraform-provider-swarm"),
    ] {
        if tags.get(k).map(String::as_str) != Some(v) {
            return Err(format!("VPC tag {k} is {:?}, expected {v:?}", tags.get(k)));
        }
    }
    let vpc_id = vpc.vpc_id().unwrap_or_default().to_owned();
    let dns = emulator
        .ec2()
        .await
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .map_err(err)?;
    if dns.enable_dns_hostnames().and_then(|v| v.value()) != Some(true) {
        return Err("DNS hostnames are off".into());
    }

    let mut layout: Vec<(String, String, String)> = s
        .subnets
        .iter()
        .map(|sn| {
            (
                role(sn.tags()),
                sn.availability_zone().unwrap_or_default().to_owned(),
                sn.cidr_block().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    layout.sort();
    let expected: Vec<(String, String, String)> = [
        ("database-subnet", "us-east-1a", "10.20.160.0/20"),
        ("database-subnet", "us-east-1b", "10.20.176.0/20"),
        ("private-subnet", "us-east-1a", "10.20.80.0/20"),
        ("private-subnet", "us-east-1b", "10.20.96.0/20"),
        ("public-subnet", "us-east-1a", "10.20.0.0/20"),
        ("public-subnet", "us-east-1b", "10.20.16.0/20"),
    ]
    .iter()
    .map(|(r, z, c)| (r.to_string(), z.to_string(), c.to_string()))
    .collect();
    if layout != expected {
        return Err(format!("subnets {layout:?}"));
    }
    for subnet in &s.subnets {
        if !tag_map(subnet.tags()).contains_key("owner") {
            return Err(format!(
                "subnet {:?} lacks the default tags",
                subnet.subnet_id()
            ));
        }
    }

    // Staging: one NAT gateway, in the first zone's public subnet.
    let [nat] = s.nats.as_slice() else {
        return Err(format!("{} NAT gateways in staging", s.nats.len()));
    };
    let public_a = s
        .subnets
        .iter()
        .find(|sn| {
            role(sn.tags()) == "public-subnet" && sn.availability_zone() == Some("us-east-1a")
        })
        .and_then(|sn| sn.subnet_id());
    if nat.subnet_id() != public_a {
        return Err("the NAT gateway is not in the first public subnet".into());
    }
    if s.addresses.len() != 1 {
        return Err(format!("{} elastic IPs", s.addresses.len()));
    }
    let [igw] = s.gateways.as_slice() else {
        return Err(format!("{} internet gateways", s.gateways.len()));
    };
    if !igw
        .attachments()
        .iter()
        .any(|a| a.vpc_id() == Some(vpc_id.as_str()))
    {
        return Err("the internet gateway is not attached".into());
    }

    // Routes: public → IGW, private → NAT, database → nowhere.
    let default_route = |table_role: &str| -> Result<Vec<DefaultRoute>, String> {
        let tables: Vec<_> = s
            .tables
            .iter()
            .filter(|t| role(t.tags()) == table_role)
            .collect();
        if tables.is_empty() {
            return Err(format!("no {table_role}"));
        }
        Ok(tables
            .iter()
            .flat_map(|t| t.routes())
            .filter(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
            .map(|r| {
                (
                    r.gateway_id().map(str::to_owned),
                    r.nat_gateway_id().map(str::to_owned),
                )
            })
            .collect())
    };
    if default_route("public-rt")? != vec![(igw.internet_gateway_id().map(str::to_owned), None)] {
        return Err("the public route table does not route to the internet gateway".into());
    }
    let private = default_route("private-rt")?;
    if private.len() != 1 || private[0].1.as_deref() != nat.nat_gateway_id() {
        return Err(format!("private default routes {private:?}"));
    }
    if !default_route("database-rt")?.is_empty() {
        return Err("the database tier has a route out".into());
    }
    let associated: usize = s.tables.iter().map(|t| t.associations().len()).sum();
    if associated != 6 {
        return Err(format!("{associated} route table associations, expected 6"));
    }
    Ok(vpc_id)
}

/// A check that the two-zone network is as AWS must have it, tagged
/// `team`, and is the same VPC as in the test's earlier steps.
fn two_zone_network(emulator: &Arc<Emulator>, team: &'static str, vpc: &Memo<String>) -> Check {
    let vpc = vpc.clone();
    sdk_check(emulator, move |e, _| {
        let vpc = vpc.clone();
        async move {
            let id = check_two_zone_network(&e, team).await?;
            vpc.first_or_same("the VPC", id)
        }
    })
}

/// Nothing of the network is left on AWS.
fn nothing_left(emulator: &Arc<Emulator>) -> Check {
    sdk_check(emulator, |e, _| async move {
        let s = seen(&e, "agents").await?;
        let left = [
            ("VPCs", s.vpcs.len()),
            ("subnets", s.subnets.len()),
            ("NAT gateways", s.nats.len()),
            ("internet gateways", s.gateways.len()),
            ("route tables", s.tables.len()),
            ("elastic IPs", s.addresses.len()),
        ];
        match left.iter().find(|(_, n)| *n > 0) {
            None => Ok(()),
            Some((what, n)) => Err(format!("{n} {what} left after destroy")),
        }
    })
}

/// Deletes the network's (first) NAT gateway out of band.
async fn delete_nat(e: Arc<Emulator>) -> CheckResult {
    let s = seen(&e, "agents").await?;
    let nat = s
        .nats
        .first()
        .and_then(|n| n.nat_gateway_id())
        .ok_or("no NAT gateway")?
        .to_owned();
    sent(
        e.ec2()
            .await
            .delete_nat_gateway()
            .nat_gateway_id(nat)
            .send()
            .await,
    )
}

/// Deletes the database subnet of us-east-1b out of band (with its route
/// table association, which EC2 requires first).
async fn delete_subnet(e: Arc<Emulator>) -> CheckResult {
    let s = seen(&e, "agents").await?;
    let subnet = s
        .subnets
        .iter()
        .find(|sn| {
            role(sn.tags()) == "database-subnet" && sn.availability_zone() == Some("us-east-1b")
        })
        .and_then(|sn| sn.subnet_id())
        .ok_or("no database subnet in us-east-1b")?
        .to_owned();
    let ec2 = e.ec2().await;
    for table in &s.tables {
        for assoc in table.associations() {
            if assoc.subnet_id() == Some(subnet.as_str()) {
                let association = assoc.route_table_association_id().unwrap_or_default();
                sent(
                    ec2.disassociate_route_table()
                        .association_id(association)
                        .send()
                        .await,
                )?;
            }
        }
    }
    sent(ec2.delete_subnet().subnet_id(subnet).send().await)
}

/// Tags the network's VPC `team = "someone-else"`, out of band.
async fn retag_vpc(e: Arc<Emulator>) -> CheckResult {
    let s = seen(&e, "agents").await?;
    let vpc = s
        .vpcs
        .first()
        .and_then(|v| v.vpc_id())
        .ok_or("no VPC")?
        .to_owned();
    let tag = aws_sdk_ec2::types::Tag::builder()
        .key("team")
        .value("someone-else")
        .build();
    sent(
        e.ec2()
            .await
            .create_tags()
            .resources(vpc)
            .tags(tag)
            .send()
            .await,
    )
}

/// A test of the two-zone network: the emulator, and its VPC's id across
/// the test's steps.
struct Fixture {
    emulator: Arc<Emulator>,
    vpc: Memo<String>,
}

impl Fixture {
    fn start() -> Self {
        Self {
            emulator: Arc::new(Emulator::start()),
            vpc: Memo::default(),
        }
    }

    /// The configuration, tagged `team`.
    fn hcl(&self, team: &str) -> String {
        two_zones(&self.emulator, team)
    }

    /// An apply of the configuration tagged `team`, after which AWS has
    /// the network as it says, in the same VPC.
    fn applied(&self, team: &'static str) -> Step {
        Step::apply(self.hcl(team)).check(two_zone_network(&self.emulator, team, &self.vpc))
    }

    /// A test case whose destroy must leave nothing.
    fn case(&self) -> TestCase {
        test_case().check_destroy(nothing_left(&self.emulator))
    }
}

/// Create: what Terraform shows, every AWS object read back, an empty
/// plan; destroy leaves nothing.
#[tokio::test]
async fn basic() {
    let f = Fixture::start();
    let case = f.case().step(
        f.applied("agents")
            .check(Check::attr_equals(ADDRESS, "id", "agents"))
            .check(Check::attr_equals(
                ADDRESS,
                "availability_zones",
                serde_json::json!(["us-east-1a", "us-east-1b"]),
            ))
            .check(Check::sync(|state| {
                for attribute in [
                    "public_subnet_ids",
                    "private_subnet_ids",
                    "database_subnet_ids",
                ] {
                    let ids = state.attr(ADDRESS, attribute)?;
                    if ids.as_array().map(Vec::len) != Some(2) {
                        return Err(format!("{attribute} = {ids}"));
                    }
                }
                Ok(())
            })),
    );
    run("network::basic", case).await;
}

/// Tags change in place (the same VPC, new tags on AWS); the updated
/// network imports by name, with the CLI and with an import block, into
/// an empty plan.
#[tokio::test]
async fn update() {
    let f = Fixture::start();
    let updated = f.hcl("swarm");
    let case = f
        .case()
        .step(f.applied("agents"))
        .step(f.applied("swarm"))
        .step(Step::import(updated.clone(), ADDRESS, "agents"))
        .step(
            Step::import_block(with_import_block(&updated, ADDRESS, "agents"))
                .check(Check::attr_equals(ADDRESS, "cidr_block", "10.20.0.0/16")),
        );
    run("network::update", case).await;
}

/// A tag changed out of band is planned back and restored, on the same VPC.
#[tokio::test]
async fn drift() {
    let f = Fixture::start();
    let case = f
        .case()
        .step(f.applied("swarm"))
        .step(drifted(&f.emulator, &f.hcl("swarm"), retag_vpc))
        .step(f.applied("swarm"));
    run("network::drift", case).await;
}

/// Parts deleted out of band are planned back and rebuilt, in the same
/// VPC: a subnet; then the NAT gateway, for which apply makes a new one
/// and points the private route at it. The NAT gateway twice: the second
/// time EC2 answers the new gateway's remembered client token with the
/// deleted gateway, and the provider must salt the token.
#[tokio::test]
async fn disappears() {
    let f = Fixture::start();
    let hcl = f.hcl("swarm");
    let case = f
        .case()
        .step(f.applied("swarm"))
        .step(drifted(&f.emulator, &hcl, delete_subnet))
        .step(f.applied("swarm"))
        .step(drifted(&f.emulator, &hcl, delete_nat))
        .step(f.applied("swarm"))
        .step(drifted(&f.emulator, &hcl, delete_nat))
        .step(f.applied("swarm"));
    run("network::disappears", case).await;
}

#[tokio::test]
async fn production_defaults_span_three_zones_with_a_nat_each() {
    let emulator = Arc::new(Emulator::start());
    let hcl = network(&emulator, "production", "  name = \"agents\"");
    let case = test_case().step(
        Step::apply(hcl)
            .check(Check::attr_equals(ADDRESS, "cidr_block", "10.0.0.0/16"))
            .check(sdk_check(&emulator, |e, state| async move {
                let planned = state.attr(ADDRESS, "availability_zones")?;
                let names: Vec<String> = usable_zones(&e)
                    .await?
                    .into_iter()
                    .take(3)
                    .map(|(name, _)| name)
                    .collect();
                if *planned != serde_json::json!(names) {
                    return Err(format!("zones {planned}, expected the first three: {names:?}"));
                }
                let s = seen(&e, "agents").await?;
                let private_routes: usize = s
                    .tables
                    .iter()
                    .filter(|t| role(t.tags()) == "private-rt")
                    .count();
                if s.nats.len() != 3 || s.addresses.len() != 3 || private_routes != 3 {
                    return Err(format!(
                        "{} NAT gateways, {} EIPs, {private_routes} private route tables; expected 3 each",
                        s.nats.len(),
                        s.addresses.len()
                    ));
                }
                if s.subnets.len() != 9 {
                    return Err(format!("{} subnets", s.subnets.len()));
                }
                Ok(())
            })),
    );
    run(
        "network::production_defaults_span_three_zones_with_a_nat_each",
        case,
    )
    .await;
}

/// The development tier spans two zones, so that it can hold a database.
/// A network made with one zone (as the development default was) gains
/// the second zone when `availability_zones` is left out: in place, with
/// `prevent_destroy` on, so a plan that replaced it would fail. The VPC
/// and the first zone's subnets are the same objects after it, and a
/// `swarm_database` then fits in its database subnets (RDS wants two zones).
#[tokio::test]
async fn a_development_network_grows_to_two_zones_in_place() {
    let emulator = Arc::new(Emulator::start());
    let hcl = |body: &str| {
        network(
            &emulator,
            "development",
            &format!("  name = \"agents\"\n{body}"),
        )
    };
    let before: Memo<Vec<String>> = Memo::default();
    let kept = |memo: &Memo<Vec<String>>| {
        let memo = memo.clone();
        sdk_check(&emulator, move |e, state| {
            let memo = memo.clone();
            async move {
                let s = seen(&e, "agents").await?;
                let [vpc] = s.vpcs.as_slice() else {
                    return Err(format!("{} VPCs", s.vpcs.len()));
                };
                // The VPC, then each tier's first subnet.
                let mut ids = vec![vpc.vpc_id().unwrap_or_default().to_owned()];
                for tier in ["public", "private", "database"] {
                    let first = state
                        .attr(ADDRESS, &format!("{tier}_subnet_ids"))?
                        .get(0)
                        .and_then(serde_json::Value::as_str)
                        .ok_or(format!("no {tier} subnet"))?;
                    ids.push(first.to_owned());
                }
                memo.first_or_same("the VPC or a first zone's subnet", ids)
            }
        })
    };
    let case = test_case()
        .step(Step::apply(hcl("  availability_zones = [\"us-east-1a\"]")).check(kept(&before)))
        .step(
            Step::apply(hcl("  lifecycle {\n    prevent_destroy = true\n  }"))
                .check(Check::attr_equals(
                    ADDRESS,
                    "availability_zones",
                    serde_json::json!(["us-east-1a", "us-east-1b"]),
                ))
                .check(kept(&before))
                .check(sdk_check(&emulator, |e, _| async move {
                    let s = seen(&e, "agents").await?;
                    let mut zones: Vec<&str> = s
                        .subnets
                        .iter()
                        .filter_map(|n| n.availability_zone())
                        .collect();
                    zones.sort_unstable();
                    if zones
                        != [
                            "us-east-1a",
                            "us-east-1a",
                            "us-east-1a",
                            "us-east-1b",
                            "us-east-1b",
                            "us-east-1b",
                        ]
                    {
                        return Err(format!("subnets in {zones:?}"));
                    }
                    // The development tier keeps one shared NAT gateway.
                    if s.nats.len() != 1 {
                        return Err(format!("{} NAT gateways, expected 1", s.nats.len()));
                    }
                    Ok(())
                })),
        )
        // Without prevent_destroy, so that the test can destroy it; and
        // what the second zone is for: a database in its database subnets.
        .step(
            Step::apply(hcl(
                "}\n\nresource \"swarm_database\" \"db\" {\n  name           = \"agents-db\"\n  subnet_ids     = swarm_network.main.database_subnet_ids\n  final_snapshot = false",
            ))
            .check(kept(&before))
            .check(sdk_check(&emulator, |e, _| async move {
                let groups = e
                    .rds()
                    .await
                    .describe_db_subnet_groups()
                    .send()
                    .await
                    .map_err(err)?;
                let mut zones: Vec<&str> = groups
                    .db_subnet_groups()
                    .iter()
                    .flat_map(|g| g.subnets())
                    .filter_map(|s| s.subnet_availability_zone().and_then(|z| z.name()))
                    .collect();
                zones.sort_unstable();
                if zones != ["us-east-1a", "us-east-1b"] {
                    return Err(format!("the database's subnet group spans {zones:?}"));
                }
                Ok(())
            })),
        )
        .check_destroy(nothing_left(&emulator));
    run(
        "network::a_development_network_grows_to_two_zones_in_place",
        case,
    )
    .await;
}

#[tokio::test]
async fn invalid_values_fail_early_and_create_nothing() {
    let emulator = Arc::new(Emulator::start());
    let bad = |body: &str| network(&emulator, "staging", body);
    let case = test_case()
        .step(
            Step::validate(bad("  name = \"agents\"\n  cidr_block = \"10.20.1.0/16\""))
                .expect_error("did you mean 10.20.0.0/16"),
        )
        .step(
            Step::validate(bad("  name = \"agents\"\n  cidr_block = \"10.0.0.0/8\""))
                .expect_error("cidr_block must be an IPv4 CIDR block from /16 to /24"),
        )
        // Ranges AWS refuses for a VPC.
        .step(
            Step::validate(bad("  name = \"agents\"\n  cidr_block = \"127.0.0.0/16\""))
                .expect_error("127.0.0.0/16 is in the loopback (127.0.0.0/8) range, which AWS does not allow for a VPC"),
        )
        .step(
            Step::validate(bad("  name = \"agents\"\n  cidr_block = \"224.0.0.0/16\""))
                .expect_error("in the multicast (224.0.0.0/4) range"),
        )
        .step(
            Step::validate(bad("  name = \"agents\"\n  cidr_block = \"169.254.0.0/16\""))
                .expect_error("in the link-local (169.254.0.0/16"),
        )
        .step(
            Step::validate(bad("  name = \"bad name\""))
                .expect_error("name must be 1 to 48 letters, digits and hyphens"),
        )
        .step(
            Step::validate(bad(
                "  name = \"agents\"\n  availability_zones = [\"us-east-1a\", \"us-east-1a\"]",
            ))
            .expect_error("availability_zones must have no duplicates"),
        )
        .step(
            Step::validate(bad(
                "  name = \"agents\"\n  availability_zones = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]",
            ))
            .expect_error("availability_zones must have 1 to 5 elements, got 6"),
        )
        .step(
            Step::apply(bad("  name = \"agents\"\n  availability_zones = [\"us-east-1z\"]"))
                .expect_error("\"us-east-1z\" is not a usable zone of us-east-1"),
        )
        // A block known only at apply is checked then, before the VPC.
        .step(
            Step::apply(bad(
                "  name = \"agents\"\n  cidr_block = terraform_data.block.output\n}\n\nresource \"terraform_data\" \"block\" {\n  input = \"127.0.0.0/16\"",
            ))
            .expect_error("127.0.0.0/16 is in the loopback"),
        )
        // The terraform_data alone, so that the destroy plans a valid
        // configuration; before it, the refused apply must have made no VPC.
        .step(
            Step::apply(config(&format!(
                "{}\nresource \"terraform_data\" \"block\" {{\n  input = \"127.0.0.0/16\"\n}}\n",
                emulator.provider_block("")
            )))
            .before(out_of_band(&emulator, |e| async move {
                let vpcs = e.ec2().await.describe_vpcs().send().await.map_err(err)?;
                match vpcs.vpcs().iter().find(|v| v.cidr_block() == Some("127.0.0.0/16")) {
                    None => Ok(()),
                    Some(vpc) => Err(format!("a VPC was made: {:?}", vpc.vpc_id())),
                }
            })),
        )
        .check_destroy(sdk_check(&emulator, |e, _| async move {
            let s = seen(&e, "agents").await?;
            if s.vpcs.is_empty() && s.subnets.is_empty() {
                Ok(())
            } else {
                Err("an invalid configuration created AWS objects".into())
            }
        }));
    run(
        "network::invalid_values_fail_early_and_create_nothing",
        case,
    )
    .await;
}
