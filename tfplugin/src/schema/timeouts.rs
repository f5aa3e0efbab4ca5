//! The conventional `timeouts { create = "30m" ... }` block: how long an
//! operation may wait for the cloud before giving up.

use std::time::Duration;

use super::{Attribute, Block, NestedBlock, validators};
use crate::diag::Diagnostic;
use crate::path::AttributePath;
use crate::value::Value;

/// The block, with one optional duration attribute per operation
/// (`create`, `update`, `delete`, `read`).
pub fn block(operations: &[&str]) -> NestedBlock {
    let mut block =
        Block::new("How long operations may take, as durations like `30s`, `10m` or `1h30m`.");
    for op in operations {
        block = block.attribute(
            Attribute::string(*op)
                .optional()
                .description(format!("How long `{op}` may take."))
                .validator(validators::string_check(
                    "a duration such as 30s, 10m or 1h30m",
                    |s| parse_duration(s).map(|_| ()),
                )),
        );
    }
    NestedBlock::single("timeouts", block)
}

/// The timeout for `operation` from a resource's value (configuration,
/// plan or state), or `default` when unset.
pub fn get(resource: &Value, operation: &str, default: Duration) -> Result<Duration, Diagnostic> {
    let Some(Value::String(text)) = resource
        .get_attr("timeouts")
        .and_then(|t| t.get_attr(operation))
    else {
        return Ok(default);
    };
    parse_duration(text).map_err(|why| {
        Diagnostic::error("Invalid timeout", why)
            .at(AttributePath::attr("timeouts").push_attr(operation))
    })
}

/// Parses Go-style durations: `90s`, `10m`, `1h30m`, `1.5h`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("{text:?} is not a duration such as 30s, 10m or 1h30m");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(invalid()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 7.0 * 24.0 * 3600.0 {
        return Err(format!("{text:?} is longer than a week"));
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "10", "m", "10x", "1h-5m", "9999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
