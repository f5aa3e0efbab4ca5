//! Checks of `swarm_failover_pair` values that need no AWS call; the
//! instance settings' own checks are shared (`crate::instances::checks`).

use crate::ec2::Subnet;
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

/// `active`: which node holds the endpoint.
pub fn active(text: &str) -> Result<(), String> {
    match text {
        "primary" | "secondary" => Ok(()),
        other => Err(format!(
            "{other:?} is neither \"primary\" nor \"secondary\""
        )),
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
