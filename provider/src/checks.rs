//! Checks of values that several resources take: AWS ids, instance
//! classes, daily windows (tag keys are checked in `crate::tags`). They
//! need no AWS call, so they run at `terraform validate` and bad input
//! never reaches AWS. Each returns why a value is wrong, for a diagnostic
//! on the attribute.

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
