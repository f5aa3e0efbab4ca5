//! Objects a test makes through the SDK before Terraform runs, for its
//! configurations to name: VPCs, subnets, client security groups. They
//! are set-up, not checks, so a failure panics with the request's name.

use aws_sdk_ec2::types::Filter;

type Ec2 = aws_sdk_ec2::Client;

/// An EC2 filter on `name` with `values`.
pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .build()
}

/// A new VPC; its id.
pub async fn vpc(ec2: &Ec2, cidr: &str) -> String {
    ec2.create_vpc()
        .cidr_block(cidr)
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("CreateVpc answered no VPC id")
        .to_owned()
}

/// A new subnet of `vpc` in `zone`; its id.
pub async fn subnet(ec2: &Ec2, vpc: &str, cidr: &str, zone: &str) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(zone)
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("CreateSubnet answered no subnet id")
        .to_owned()
}

/// A new security group of `vpc` (e.g. of a resource's clients); its id.
pub async fn security_group(ec2: &Ec2, vpc: &str, name: &str, description: &str) -> String {
    ec2.create_security_group()
        .group_name(name)
        .description(description)
        .vpc_id(vpc)
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id()
        .expect("CreateSecurityGroup answered no group id")
        .to_owned()
}

/// The default VPC: its id and CIDR block.
pub async fn default_vpc(ec2: &Ec2) -> (String, String) {
    let out = ec2
        .describe_vpcs()
        .filters(filter("is-default", &["true"]))
        .send()
        .await
        .expect("DescribeVpcs");
    let vpc = out.vpcs().first().expect("the emulator has no default VPC");
    (
        vpc.vpc_id().unwrap_or_default().to_owned(),
        vpc.cidr_block().unwrap_or_default().to_owned(),
    )
}

/// The default VPC's default subnets as (id, zone), in zone order.
pub async fn default_subnets(ec2: &Ec2) -> Vec<(String, String)> {
    let out = ec2
        .describe_subnets()
        .filters(filter("default-for-az", &["true"]))
        .send()
        .await
        .expect("DescribeSubnets");
    let mut subnets: Vec<(String, String)> = out
        .subnets()
        .iter()
        .map(|s| {
            (
                s.subnet_id().unwrap_or_default().to_owned(),
                s.availability_zone().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    subnets.sort_by(|a, b| a.1.cmp(&b.1));
    assert!(
        subnets.len() >= 2,
        "the emulator has too few default subnets: {subnets:?}"
    );
    subnets
}

/// Gives `vpc`'s main route table a default route to a new internet
/// gateway, as AWS's default VPC has (moto's has none): its subnets
/// without tables of their own are then public.
pub async fn internet_route(ec2: &Ec2, vpc: &str) {
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("CreateInternetGateway")
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .expect("CreateInternetGateway answered no id")
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(vpc)
        .send()
        .await
        .expect("AttachInternetGateway");
    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &[vpc]))
        .filters(filter("association.main", &["true"]))
        .send()
        .await
        .expect("DescribeRouteTables");
    let main = tables
        .route_tables()
        .first()
        .and_then(|t| t.route_table_id())
        .expect("the VPC has no main route table")
        .to_owned();
    ec2.create_route()
        .route_table_id(main)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(igw)
        .send()
        .await
        .expect("CreateRoute");
}
