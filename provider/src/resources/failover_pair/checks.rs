//! Checks of `swarm_failover_pair` values that need no AWS call; the
//! instance settings' own checks are shared (`crate::instances::checks`).

use serde::Deserialize;
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::value::{self, Value};

use super::health::{self, HealthCheckModel};
use crate::ec2::Subnet;
use crate::resources::planned::Maybe;
use crate::tags::{Reserved, Service, Tagging};

/// How the pair tags its objects: it names them, and its instances carry
/// the most tags of the provider's (`Name`, `swarm:managed-by`,
/// `swarm:failover-pair`, `swarm:owner`, `swarm:role`, `swarm:index`,
/// `swarm:launch`, `swarm:root-volume-size`).
pub const TAGGING: Tagging = Tagging {
    reserved: Reserved::NAMED,
    service: Service::Ec2,
    own_tags: 8,
};

/// How the pair tags its Route 53 health checks: `Name`,
/// `swarm:managed-by`, `swarm:failover-pair`, `swarm:owner` and
/// `swarm:role`, in Route 53's 10 tags per check.
pub const CHECK_TAGGING: Tagging = Tagging {
    reserved: Reserved::NAMED,
    service: Service::Route53,
    own_tags: 5,
};

/// `active`: which node holds the endpoint.
pub fn active(text: &str) -> Result<(), String> {
    match text {
        "primary" | "secondary" => Ok(()),
        other => Err(format!(
            "{other:?} is neither \"primary\" nor \"secondary\""
        )),
    }
}

/// `health_check.protocol`.
pub fn protocol(text: &str) -> Result<(), String> {
    match crate::route53::Protocol::parse(text) {
        Some(_) => Ok(()),
        None => Err(format!("{text:?} is not HTTP, HTTPS or TCP")),
    }
}

/// `dns.record_name`: a DNS name.
pub fn record_name(text: &str) -> Result<(), String> {
    let name = text.trim_end_matches('.');
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("{text:?} is not a DNS name"))
    }
}

/// `dns.zone_id`: a hosted zone id.
pub fn zone_id(text: &str) -> Result<(), String> {
    let id = health::zone_id(text);
    if !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a hosted zone id such as Z0123456789ABC"
        ))
    }
}

/// What the configuration says of the health check, for `validate`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Configured {
    mcp_port: Maybe<i64>,
    health_check: Maybe<HealthCheckModel>,
}

/// Checks across attributes, at validate: the `health_check` block by
/// Route 53's rules (`route53::Target::problem`), on the attribute at
/// fault. A block with unknown parts is judged at plan (`check_block`).
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let Ok(config) = value::from_value::<Configured>(config) else {
        return;
    };
    let Some(Some(block)) = config.health_check.known() else {
        return;
    };
    check_block(block, config.mcp_port.known().copied().flatten(), diags);
}

/// The `health_check` block's problems, each on its attribute.
pub fn check_block(block: &HealthCheckModel, mcp_port: Option<i64>, diags: &mut Diagnostics) {
    for (attribute, why) in health::problems(block, mcp_port) {
        diags.attribute_error(
            AttributePath::attr("health_check").push_attr(attribute),
            format!("Invalid health_check.{attribute}"),
            format!("health_check.{attribute}: {why}."),
        );
    }
}

/// The primary's and the secondary's subnets: the first subnet of the
/// first zone in the order given, and the first of the next zone. The
/// subnets must exist and be in one VPC; one zone is not a pair.
pub fn placement(ids: &[String], found: &[Subnet]) -> Result<[Subnet; 2], String> {
    let mut ordered: Vec<&Subnet> = Vec::new();
    for id in ids {
        match found.iter().find(|s| &s.id == id) {
            Some(subnet) => ordered.push(subnet),
            None => return Err(format!("subnet {id} does not exist")),
        }
    }
    let Some(first) = ordered.first() else {
        return Err("no subnet given".to_owned());
    };
    if let Some(other) = ordered.iter().find(|s| s.vpc_id != first.vpc_id) {
        return Err(format!(
            "the subnets must be in one VPC; they are in {} and {}",
            first.vpc_id, other.vpc_id
        ));
    }
    match ordered
        .iter()
        .find(|s| s.availability_zone != first.availability_zone)
    {
        Some(second) => Ok([(*first).clone(), (*second).clone()]),
        None => Err(format!(
            "the primary and the secondary must be in two availability zones; every subnet \
             given is in {}. Add a subnet of another zone",
            first.availability_zone
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The own-tag counts are what the provider really puts on the most
    /// tagged instance (`TAGGING`) and on a health check (`CHECK_TAGGING`).
    #[tokio::test]
    async fn own_tags_are_those_of_the_objects() {
        use super::super::cloud::Node;
        use super::super::health::ROLE_HEALTH_CHECK;
        let client = crate::tags::test_client().await;
        let spec = super::super::state::Spec {
            name: "mcp".to_owned(),
            subnet_ids: vec!["subnet-a".to_owned(), "subnet-b".to_owned()],
            ami: "ami-1".to_owned(),
            instance_type: "t3.large".to_owned(),
            agents_per_instance: 1,
            mcp_port: 3000,
            allowed_cidrs: Vec::new(),
            root_volume_size: 20,
            user_data: None,
            active: Node::Primary,
            floating_ip: true,
            tags: None,
            marker: Some(crate::ownership::Marker::from_stored("m")),
            checks: None,
            dns: None,
        };
        let own = |tags: std::collections::BTreeMap<String, String>| {
            tags.keys().filter(|k| TAGGING.reserved.reserves(k)).count()
        };
        let instance = spec.launch_tags(&client, Node::Primary, "f").instance;
        assert_eq!(own(instance), TAGGING.own_tags);
        let check = spec.node_tags(&client, ROLE_HEALTH_CHECK, Node::Primary);
        assert_eq!(own(check), CHECK_TAGGING.own_tags);
    }

    fn s(id: &str, az: &str, vpc: &str) -> Subnet {
        Subnet {
            id: id.into(),
            vpc_id: vpc.into(),
            availability_zone: az.into(),
        }
    }

    #[test]
    fn the_first_two_zones_in_the_order_given() {
        let found = vec![
            s("subnet-a", "us-east-1a", "v"),
            s("subnet-b", "us-east-1b", "v"),
            s("subnet-c", "us-east-1c", "v"),
            s("subnet-d", "us-east-1a", "v"),
        ];
        let ids = |l: &[&str]| l.iter().map(|i| (*i).to_owned()).collect::<Vec<_>>();
        let [p, q] = placement(
            &ids(&["subnet-c", "subnet-d", "subnet-a", "subnet-b"]),
            &found,
        )
        .unwrap();
        assert_eq!((p.id.as_str(), q.id.as_str()), ("subnet-c", "subnet-d"));
        let [p, q] = placement(&ids(&["subnet-a", "subnet-d", "subnet-b"]), &found).unwrap();
        assert_eq!((p.id.as_str(), q.id.as_str()), ("subnet-a", "subnet-b"));
        let err = placement(&ids(&["subnet-a", "subnet-d"]), &found).unwrap_err();
        assert!(err.contains("two availability zones"), "{err}");
        assert!(placement(&ids(&["subnet-x", "subnet-b"]), &found).is_err());
        assert!(placement(&[], &found).is_err());
        let other_vpc = vec![
            s("subnet-a", "us-east-1a", "v"),
            s("subnet-b", "us-east-1b", "w"),
        ];
        assert!(placement(&ids(&["subnet-a", "subnet-b"]), &other_vpc).is_err());
    }

    #[test]
    fn active_is_primary_or_secondary() {
        assert!(active("primary").is_ok());
        assert!(active("secondary").is_ok());
        assert!(active("Primary").is_err());
    }
}
