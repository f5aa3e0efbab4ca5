//! Checks of configured values that need no AWS call: the network's name
//! and its address block, reported by `terraform validate` on their line.
//!
//! The network has no checks across attributes: the zone count is the
//! schema's (1 to 5), and any block from /16 to /24 has room for five
//! zones' subnets.

use std::net::Ipv4Addr;

use crate::checks::{self, CidrError, Ipv4Cidr, PrefixDigits};
use crate::tags::{Reserved, Service, Tagging};

/// How the network tags its objects: it names them, and an object of one
/// zone carries six tags of the provider's (`Name`, `swarm:managed-by`,
/// `swarm:network`, `swarm:owner`, `swarm:role`, `swarm:az`).
pub const TAGGING: Tagging = Tagging {
    reserved: Reserved::NAMED,
    service: Service::Ec2,
    own_tags: 6,
};

/// The longest name: it prefixes every object's `Name` tag.
const MAX_NAME: usize = 48;

/// Parses an IPv4 CIDR block that a network can use: a network address
/// with a prefix from /16 to /24 (each subnet is 4 bits longer), outside
/// the ranges AWS refuses for a VPC (loopback, multicast, ...). The
/// prefix is read leniently (`+16`, `016`), as it always was here.
pub fn parse_cidr(text: &str) -> Result<(Ipv4Addr, u8), String> {
    match checks::ipv4_cidr(text, 16..=24, PrefixDigits::Lenient) {
        Ok(block) => match checks::not_for_a_vpc(block) {
            Some(why) => Err(why),
            None => Ok((block.address, block.prefix)),
        },
        Err(CidrError::Form) => Err(format!(
            "{text:?} is not an IPv4 CIDR block like 10.0.0.0/16"
        )),
        Err(CidrError::Address(address)) => Err(format!("{address:?} is not an IPv4 address")),
        Err(CidrError::Prefix(prefix)) => Err(format!("{prefix:?} is not a prefix length")),
        Err(CidrError::PrefixRange(prefix)) => {
            Err(format!("the prefix must be /16 to /24, not /{prefix}"))
        }
        Err(CidrError::HostBits(Ipv4Cidr { address, prefix })) => Err(format!(
            "{text} has host bits set; did you mean {address}/{prefix}?"
        )),
    }
}

/// `cidr_block`'s validator.
pub fn cidr_block(text: &str) -> Result<(), String> {
    parse_cidr(text).map(|_| ())
}

/// `name`'s validator: letters, digits and inner hyphens, as every object
/// of the network is named `<name>-<object>`.
pub fn name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} must be 1 to {MAX_NAME} letters, digits and hyphens, not starting or ending with a hyphen"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_are_checked() {
        assert!(cidr_block("10.0.0.0/16").is_ok());
        assert!(cidr_block("192.168.4.0/24").is_ok());
        assert!(cidr_block("10.0.0.0/8").is_err());
        assert!(cidr_block("10.0.0.0/25").is_err());
        assert!(
            cidr_block("10.0.1.0/16")
                .unwrap_err()
                .contains("did you mean 10.0.0.0/16")
        );
        assert!(cidr_block("10.0.0/16").is_err());
        assert!(cidr_block("banana").is_err());
        for refused in ["127.0.0.0/16", "224.0.0.0/16", "169.254.0.0/16"] {
            assert!(
                cidr_block(refused)
                    .unwrap_err()
                    .contains("which AWS does not allow for a VPC"),
                "{refused}"
            );
        }
    }

    #[test]
    fn prefixes_are_read_leniently() {
        assert_eq!(
            parse_cidr("10.1.0.0/+16"),
            Ok((Ipv4Addr::new(10, 1, 0, 0), 16))
        );
        assert_eq!(
            parse_cidr("10.1.0.0/016"),
            Ok((Ipv4Addr::new(10, 1, 0, 0), 16))
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(name("agents-1").is_ok());
        assert!(name(&"x".repeat(48)).is_ok());
        for bad in ["", "-a", "a-", "a b", "ä", &"x".repeat(49)] {
            assert!(name(bad).is_err(), "{bad}");
        }
    }
}
