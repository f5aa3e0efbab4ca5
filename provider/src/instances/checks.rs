//! Checks of instance settings that need no AWS call, shared by the
//! resources that launch instances: they run at `terraform validate`.

use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::schema::Validator;
use tfplugin::value::Value;

use crate::checks::{self, CidrError, PrefixDigits};

/// EC2 takes at most 16 KiB of user data; the bootstrap needs the rest.
pub const MAX_USER_DATA: usize = 14 * 1024;

/// The name of a resource that runs hosts: it names the AWS objects
/// (`<name>-1`, `swarm-node-<name>-<marker>`, `<name>-primary`).
pub fn name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(1..=64).contains(&len) {
        return Err(format!("{name:?} has {len} characters"));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        Some(c) => Err(format!("{name:?} contains {c:?}")),
        None => Ok(()),
    }
}

/// An IPv4 CIDR block in canonical form (no host bits set), e.g. `10.20.0.0/16`.
pub fn ipv4_cidr(text: &str) -> Result<(), String> {
    match checks::ipv4_cidr(text, 0..=32, PrefixDigits::Canonical) {
        Ok(_) => Ok(()),
        Err(CidrError::HostBits(block)) => Err(format!(
            "{text:?} has host bits set; the block is {}/{}",
            block.address, block.prefix
        )),
        Err(_) => Err(format!(
            "{text:?} is not an IPv4 CIDR block such as 10.20.0.0/16"
        )),
    }
}

/// `ami-` and hexadecimal digits.
pub fn ami(text: &str) -> Result<(), String> {
    checks::aws_id(text, "ami-")
}

/// `subnet-` and hexadecimal digits.
pub fn subnet_id(text: &str) -> Result<(), String> {
    checks::aws_id(text, "subnet-")
}

/// An instance type such as `t3.large` or `m7i-flex.xlarge`.
pub fn instance_type(text: &str) -> Result<(), String> {
    checks::instance_class(text, None, "t3.large")
}

pub fn user_data(text: &str) -> Result<(), String> {
    if text.len() > MAX_USER_DATA {
        Err(format!("it has {} bytes", text.len()))
    } else {
        Ok(())
    }
}

/// A list or set of `min` to `max` elements.
pub struct Size {
    pub min: usize,
    pub max: usize,
}

impl Validator for Size {
    fn description(&self) -> String {
        format!("{} to {} elements", self.min, self.max)
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(len) = value.as_elements().map(<[Value]>::len) else {
            return;
        };
        if len < self.min || len > self.max {
            diags.attribute_error(
                path.clone(),
                "Wrong number of elements",
                format!("{path} must have {}, got {len}.", self.description()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        for ok in [
            "10.20.0.0/16",
            "0.0.0.0/0",
            "192.168.1.7/32",
            "172.31.0.0/16",
        ] {
            assert_eq!(ipv4_cidr(ok), Ok(()), "{ok}");
        }
        for bad in [
            "10.20.0.0",
            "10.20.0.0/33",
            "10.20.0/16",
            "10.256.0.0/16",
            "010.0.0.0/8",
            "10.0.0.0/-1",
            "::/0",
            "10.0.0.0/16 ",
            "a.b.c.d/8",
        ] {
            assert!(ipv4_cidr(bad).is_err(), "{bad}");
        }
        let err = ipv4_cidr("10.20.3.4/16").unwrap_err();
        assert!(err.contains("10.20.0.0/16"), "{err}");
    }

    #[test]
    fn ids_and_types() {
        assert!(ami("ami-0123abcd").is_ok());
        assert!(ami("ami-").is_err());
        assert!(ami("ami-XYZ").is_err());
        assert!(ami("img-0123").is_err());
        assert!(subnet_id("subnet-0a1b").is_ok());
        assert!(subnet_id("sub-0a1b").is_err());
        assert!(instance_type("t3.large").is_ok());
        assert!(instance_type("m7i-flex.xlarge").is_ok());
        assert!(instance_type("t3").is_err());
        assert!(instance_type("T3.large").is_err());
    }
}
