//! Checks of values that several resources take: AWS ids, instance
//! classes, IPv4 CIDR blocks, daily windows (tag keys are checked in
//! `crate::tags`). They need no AWS call, so they run at `terraform
//! validate` and bad input never reaches AWS. Each returns why a value is
//! wrong, for a diagnostic on the attribute.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

/// `<prefix><hex>`: an EC2 id such as `subnet-0123abcd` or `sg-0a1b…`
/// (AWS's ids have 8 or 17 hexadecimal digits; emulators' may differ).
pub fn aws_id(text: &str, prefix: &str) -> Result<(), String> {
    let ok = text.strip_prefix(prefix).is_some_and(|hex| {
        (1..=17).contains(&hex.len())
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{text:?} is not an id like {prefix}0123abcd"))
    }
}

/// `<prefix>.<family>.<size>` (`db.t3.medium`, `cache.r7g.large`), or
/// `<family>.<size>` without a prefix (`t3.large`, `m7i-flex.xlarge`,
/// `c7i.metal-48xl`).
pub fn instance_class(text: &str, prefix: Option<&str>, example: &str) -> Result<(), String> {
    let word = |p: &str| {
        !p.is_empty()
            && !p.starts_with('-')
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let rest = match prefix {
        Some(prefix) => text
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.')),
        None => Some(text),
    };
    match rest.and_then(|rest| rest.split_once('.')) {
        Some((family, size))
            if word(family)
                && family.starts_with(|c: char| c.is_ascii_lowercase())
                && word(size) =>
        {
            Ok(())
        }
        _ => Err(format!("{text:?} is not a type such as {example}")),
    }
}

/// An IPv4 CIDR block: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

/// Why a text is not an IPv4 CIDR block. Each resource words it its own
/// way (its messages are what its users and tests know).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidrError<'a> {
    /// No `/`.
    Form,
    /// The text before `/` is not an IPv4 address.
    Address(&'a str),
    /// The text after `/` is not a prefix length (as [`PrefixDigits`] reads it).
    Prefix(&'a str),
    /// A prefix length outside the range the caller takes.
    PrefixRange(u8),
    /// Host bits are set: the block with them cleared.
    HostBits(Ipv4Cidr),
}

/// How the prefix length after the `/` may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixDigits {
    /// Decimal without sign or leading zeros, as AWS writes it: `16`.
    Canonical,
    /// Whatever `u8` parses, `+16` and `016` too: what `swarm_network`'s
    /// `cidr_block` has always taken (kept so that no configuration that
    /// validated before fails now).
    Lenient,
}

/// Parses `<address>/<prefix>` with a prefix in `prefixes` (within 0 to
/// 32) and no host bits set, e.g. `10.20.0.0/16`. The address is a dotted
/// quad of decimal octets without leading zeros.
pub fn ipv4_cidr(
    text: &str,
    prefixes: RangeInclusive<u8>,
    digits: PrefixDigits,
) -> Result<Ipv4Cidr, CidrError<'_>> {
    let (address, prefix_text) = text.split_once('/').ok_or(CidrError::Form)?;
    let address: Ipv4Addr = address.parse().map_err(|_| CidrError::Address(address))?;
    let prefix = match digits {
        PrefixDigits::Canonical => canonical_decimal(prefix_text),
        PrefixDigits::Lenient => prefix_text.parse().ok(),
    }
    .ok_or(CidrError::Prefix(prefix_text))?;
    if !prefixes.contains(&prefix) {
        return Err(CidrError::PrefixRange(prefix));
    }
    // `checked_shr` is `None` for a shift of 32 or more: no host bits.
    let host_mask = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    let bits = u32::from(address);
    if bits & host_mask != 0 {
        return Err(CidrError::HostBits(Ipv4Cidr {
            address: Ipv4Addr::from(bits & !host_mask),
            prefix,
        }));
    }
    Ok(Ipv4Cidr { address, prefix })
}

impl Ipv4Cidr {
    /// The first and last address of the block, as numbers.
    fn range(self) -> (u32, u32) {
        let first = u32::from(self.address);
        let host_mask = u32::MAX.checked_shr(u32::from(self.prefix)).unwrap_or(0);
        (first, first | host_mask)
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(self, other: Ipv4Cidr) -> bool {
        let ((a_first, a_last), (b_first, b_last)) = (self.range(), other.range());
        a_first <= b_last && b_first <= a_last
    }
}

/// The IPv4 ranges CreateVpc refuses for a VPC's block, and why: they
/// cannot carry a VPC's unicast traffic. (100.64.0.0/10 and 198.19.0.0/16
/// are not here: AWS takes them as a VPC's first block and restricts them
/// only as additional blocks, which the provider does not add.)
const NOT_FOR_A_VPC: [([u8; 4], u8, &str); 5] = [
    ([0, 0, 0, 0], 8, "\"this network\" (0.0.0.0/8)"),
    ([127, 0, 0, 0], 8, "loopback (127.0.0.0/8)"),
    (
        [169, 254, 0, 0],
        16,
        "link-local (169.254.0.0/16, where the instance metadata service and the Amazon DNS server answer)",
    ),
    ([224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"),
    (
        [240, 0, 0, 0],
        4,
        "reserved (240.0.0.0/4, broadcast included)",
    ),
];

/// Why AWS refuses `block` as a VPC's address block, when it does.
pub fn not_for_a_vpc(block: Ipv4Cidr) -> Option<String> {
    NOT_FOR_A_VPC.iter().find_map(|(address, prefix, what)| {
        let reserved = Ipv4Cidr {
            address: Ipv4Addr::from(*address),
            prefix: *prefix,
        };
        block.overlaps(reserved).then(|| {
            format!(
                "{}/{} is in the {what} range, which AWS does not allow for a VPC; use a private range such as 10.0.0.0/16, 172.16.0.0/16 or 192.168.0.0/16",
                block.address, block.prefix
            )
        })
    })
}

/// A decimal number up to 255, without sign or leading zeros.
fn canonical_decimal(text: &str) -> Option<u8> {
    let ok = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    ok.then(|| text.parse().ok()).flatten()
}

pub const MINUTES_PER_DAY: u32 = 24 * 60;

/// Minutes since midnight of `HH:MM`.
pub fn clock(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A daily window `HH:MM-HH:MM` (UTC) of at least `min_minutes`, as
/// (start, length) in minutes; it may run past midnight.
pub fn daily_window(text: &str, min_minutes: u32) -> Result<(u32, u32), String> {
    let parsed = text
        .split_once('-')
        .and_then(|(a, b)| Some((clock(a)?, clock(b)?)));
    let Some((start, end)) = parsed else {
        return Err(format!(
            "{text:?} is not a daily window such as 03:00-04:00 (HH:MM-HH:MM, UTC)"
        ));
    };
    let length = (end + MINUTES_PER_DAY - start) % MINUTES_PER_DAY;
    if length < min_minutes {
        return Err(format!(
            "{text:?} is {length} minutes long; it must be at least {min_minutes}"
        ));
    }
    Ok((start, length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(aws_id("subnet-0123abcd", "subnet-").is_ok());
        assert!(aws_id("sg-0b2906fbe96599a89", "sg-").is_ok());
        assert!(aws_id("ami-0123", "ami-").is_ok());
        for bad in [
            "subnet-",
            "sg-0123",
            "subnet-XYZ",
            "subnet-0123ABCD",
            "subnet-0b2906fbe96599a890",
        ] {
            assert!(aws_id(bad, "subnet-").is_err(), "{bad}");
        }
    }

    #[test]
    fn instance_classes() {
        let db = |t| instance_class(t, Some("db"), "db.t3.medium");
        assert!(db("db.t3.medium").is_ok());
        assert!(db("db.r6g.2xlarge").is_ok());
        assert!(db("t3.medium").is_err());
        assert!(db("db.t3").is_err());
        assert!(db("db..medium").is_err());
        assert!(db("db.T3.medium").is_err());
        let cache = |t| instance_class(t, Some("cache"), "cache.t3.micro");
        assert!(cache("cache.t3.micro").is_ok());
        assert!(cache("db.t3.micro").is_err());
        let ec2 = |t| instance_class(t, None, "t3.large");
        assert!(ec2("t3.large").is_ok());
        assert!(ec2("m7i-flex.xlarge").is_ok());
        assert!(ec2("t3").is_err());
        assert!(ec2("c7i.metal-48xl").is_ok());
        assert!(ec2("t3.large.x").is_err());
        assert!(ec2("t3.-large").is_err());
    }

    #[test]
    fn cidrs() {
        let canonical = |t| ipv4_cidr(t, 0..=32, PrefixDigits::Canonical);
        let cidr = |a: [u8; 4], prefix| Ipv4Cidr {
            address: Ipv4Addr::from(a),
            prefix,
        };
        assert_eq!(canonical("10.20.0.0/16"), Ok(cidr([10, 20, 0, 0], 16)));
        assert_eq!(canonical("0.0.0.0/0"), Ok(cidr([0, 0, 0, 0], 0)));
        assert_eq!(canonical("192.168.1.7/32"), Ok(cidr([192, 168, 1, 7], 32)));
        assert_eq!(canonical("10.20.0.0"), Err(CidrError::Form));
        assert_eq!(
            canonical("10.256.0.0/16"),
            Err(CidrError::Address("10.256.0.0"))
        );
        assert_eq!(
            canonical("010.0.0.0/8"),
            Err(CidrError::Address("010.0.0.0"))
        );
        assert_eq!(canonical("10.0.0/16"), Err(CidrError::Address("10.0.0")));
        assert_eq!(canonical("10.0.0.0/-1"), Err(CidrError::Prefix("-1")));
        assert_eq!(canonical("10.0.0.0/016"), Err(CidrError::Prefix("016")));
        assert_eq!(canonical("10.0.0.0/+16"), Err(CidrError::Prefix("+16")));
        assert_eq!(canonical("10.0.0.0/256"), Err(CidrError::Prefix("256")));
        assert_eq!(canonical("10.0.0.0/33"), Err(CidrError::PrefixRange(33)));
        assert_eq!(
            canonical("10.20.3.4/16"),
            Err(CidrError::HostBits(cidr([10, 20, 0, 0], 16)))
        );

        let lenient = |t| ipv4_cidr(t, 16..=24, PrefixDigits::Lenient);
        assert_eq!(lenient("10.0.0.0/016"), Ok(cidr([10, 0, 0, 0], 16)));
        assert_eq!(lenient("10.0.0.0/+16"), Ok(cidr([10, 0, 0, 0], 16)));
        assert_eq!(lenient("10.0.0.0/8"), Err(CidrError::PrefixRange(8)));
        assert_eq!(lenient("10.0.0.0/25"), Err(CidrError::PrefixRange(25)));
        assert_eq!(lenient("10.0.0.0/256"), Err(CidrError::Prefix("256")));
    }

    #[test]
    fn ranges_a_vpc_cannot_have() {
        let block = |t| ipv4_cidr(t, 0..=32, PrefixDigits::Canonical).unwrap();
        for refused in [
            "127.0.0.0/16",
            "224.0.0.0/16",
            "239.255.255.0/24",
            "169.254.0.0/16",
            "0.0.0.0/16",
            "240.0.0.0/16",
            "255.255.255.0/24",
            // A block that holds a reserved range is refused as well.
            "168.0.0.0/6",
        ] {
            assert!(not_for_a_vpc(block(refused)).is_some(), "{refused}");
        }
        for taken in [
            "10.0.0.0/16",
            "172.31.0.0/16",
            "192.168.4.0/24",
            "100.64.0.0/16",
            "198.19.0.0/16",
            "169.253.0.0/16",
            "169.255.0.0/16",
            "223.255.0.0/16",
            "1.0.0.0/16",
        ] {
            assert_eq!(not_for_a_vpc(block(taken)), None, "{taken}");
        }
        let why = not_for_a_vpc(block("127.0.0.0/16")).unwrap();
        assert!(why.contains("loopback"), "{why}");
    }

    #[test]
    fn windows() {
        assert_eq!(daily_window("03:00-04:00", 30), Ok((180, 60)));
        assert_eq!(daily_window("23:45-00:15", 30), Ok((1425, 30)));
        assert!(
            daily_window("05:00-05:30", 60)
                .unwrap_err()
                .contains("30 minutes long")
        );
        for bad in [
            "3:00-04:00",
            "03:00",
            "24:00-01:00",
            "03:60-04:00",
            "03:00-04:00-05:00",
            "",
        ] {
            assert!(daily_window(bad, 30).is_err(), "{bad}");
        }
    }
}
