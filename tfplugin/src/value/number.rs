//! Arbitrary-precision decimal numbers, as Terraform uses them.

use std::fmt;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use num_bigint::{BigInt, Sign};

/// How far the decimal exponent of a [`Number`] may go either way: a number
/// may not be `10^4097` or larger in magnitude, nor have a non-zero digit
/// beyond the 4096th place after the decimal point (apart from the digits
/// that were actually written).
///
/// This keeps the plain decimal text of any number proportional to the input
/// it came from, so that a tiny input such as `"1e999999999"` cannot make us
/// write gigabytes of zeros.
pub const MAX_DECIMAL_EXPONENT: i64 = 4096;

/// An arbitrary-precision decimal number.
///
/// Terraform numbers are arbitrary precision: `0.1` is exactly one tenth and
/// `2^100` is exact. A `Number` is always normalized, so numbers that are
/// equal compare equal and hash alike however they were written (`1`, `1.0`
/// and `1e0` are the same number).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Number(BigDecimal);

/// Why text or a float could not be turned into a [`Number`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NumberError {
    message: String,
}

impl NumberError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl Number {
    /// Zero.
    pub fn zero() -> Self {
        Self::default()
    }

    /// Builds a number from its sign, its decimal digits (ASCII `0`-`9` only)
    /// and its scale: the value is `digits * 10^-scale`.
    fn from_digits(negative: bool, digits: &[u8], scale: i64) -> Result<Self, NumberError> {
        let first = digits.iter().position(|d| *d != b'0');
        let Some(first) = first else {
            return Ok(Self::zero());
        };
        let last = digits.iter().rposition(|d| *d != b'0').unwrap_or(first);
        let significant = digits.get(first..=last).unwrap_or_default();
        let trailing = i64::try_from(digits.len() - 1 - last).unwrap_or(i64::MAX);
        let scale = scale.saturating_sub(trailing);
        let count = i64::try_from(significant.len()).unwrap_or(i64::MAX);
        if scale < -MAX_DECIMAL_EXPONENT {
            return Err(NumberError::new("number is too large"));
        }
        if scale.saturating_sub(count) > MAX_DECIMAL_EXPONENT {
            return Err(NumberError::new("number is too small"));
        }
        let magnitude = BigInt::parse_bytes(significant, 10)
            .ok_or_else(|| NumberError::new("invalid number"))?;
        let int = if negative { -magnitude } else { magnitude };
        Ok(Self(BigDecimal::new(int, scale)))
    }

    /// Normalizes an unbounded big decimal; fails if it is outside the range
    /// allowed by [`MAX_DECIMAL_EXPONENT`].
    fn from_bigint(int: &BigInt, scale: i64) -> Result<Self, NumberError> {
        let negative = int.sign() == Sign::Minus;
        let digits = int.magnitude().to_str_radix(10);
        Self::from_digits(negative, digits.as_bytes(), scale)
    }

    /// The underlying big decimal (always normalized).
    pub fn as_big_decimal(&self) -> &BigDecimal {
        &self.0
    }

    /// Whether the number has no fractional part.
    pub fn is_integer(&self) -> bool {
        let (_, scale) = self.0.as_bigint_and_scale();
        scale <= 0
    }

    /// Whether the number is below zero.
    pub fn is_negative(&self) -> bool {
        self.0.sign() == Sign::Minus
    }

    /// The number as an exact big integer, if it is an integer.
    pub fn to_bigint(&self) -> Option<BigInt> {
        let (int, scale) = self.0.as_bigint_and_scale();
        if scale > 0 {
            return None;
        }
        let shift = u32::try_from(scale.unsigned_abs()).ok()?;
        Some(int.as_ref() * BigInt::from(10u8).pow(shift))
    }

    /// The number as an `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.small_integer().and_then(|i| i64::try_from(&i).ok())
    }

    /// The number as a `u64`, if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.small_integer().and_then(|i| u64::try_from(&i).ok())
    }

    /// The number as an `i128`, if it is an integer in range.
    pub fn as_i128(&self) -> Option<i128> {
        self.small_integer().and_then(|i| i128::try_from(&i).ok())
    }

    /// The number as a `u128`, if it is a non-negative integer in range.
    pub fn as_u128(&self) -> Option<u128> {
        self.small_integer().and_then(|i| u128::try_from(&i).ok())
    }

    /// The integer value when it has at most 40 digits (so that it may fit a
    /// 128-bit integer), cheaply rejecting anything larger.
    fn small_integer(&self) -> Option<BigInt> {
        let (int, scale) = self.0.as_bigint_and_scale();
        if !(-40..=0).contains(&scale) || int.bits() > 130 {
            return None;
        }
        self.to_bigint()
    }

    /// The nearest `f64`; `±inf` if the number is beyond the range of `f64`,
    /// `±0.0` if it is too small.
    pub fn as_f64(&self) -> f64 {
        let (int, scale) = self.0.as_bigint_and_scale();
        // "<digits>e<exponent>" is parsed with correct rounding by Rust.
        let text = format!("{}e{}", int, scale.saturating_neg());
        text.parse::<f64>().unwrap_or(f64::NAN)
    }

    /// The `f64` with exactly this value, when there is one, in the sense of
    /// shortest round-trip formatting: `0.1` is `Some(0.1)`, `2^64 + 1` is
    /// `None`.
    pub fn as_f64_exact(&self) -> Option<f64> {
        let f = self.as_f64();
        if !f.is_finite() {
            return None;
        }
        match Number::try_from(f) {
            Ok(n) if n == *self => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation, never an exponent: `0.1`, `-12`,
    /// `1267650600228229401496703205376`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, scale) = self.0.as_bigint_and_scale();
        if int.sign() == Sign::Minus {
            f.write_str("-")?;
        }
        let digits = int.magnitude().to_str_radix(10);
        if scale <= 0 {
            f.write_str(&digits)?;
            for _ in 0..scale.unsigned_abs() {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let scale = usize::try_from(scale).unwrap_or(usize::MAX);
        if scale >= digits.len() {
            f.write_str("0.")?;
            for _ in 0..(scale - digits.len()) {
                f.write_str("0")?;
            }
            f.write_str(&digits)
        } else {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            write!(f, "{whole}.{fraction}")
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl FromStr for Number {
    type Err = NumberError;

    /// Parses decimal text with an optional sign, fraction and exponent:
    /// `12`, `-0.5`, `+1.5e-3`, `1E400`, `.5`, `5.`.
    fn from_str(s: &str) -> Result<Self, NumberError> {
        let invalid = || NumberError::new(format!("invalid number {s:?}"));
        let bytes = s.as_bytes();
        let (negative, rest) = match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, bytes),
        };
        if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
            return Err(NumberError::new("infinite numbers are not supported"));
        }
        if rest.eq_ignore_ascii_case(b"nan") {
            return Err(NumberError::new("NaN is not a number"));
        }
        let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (int_digits, rest) = rest.split_at(int_len);
        let (frac_digits, rest) = match rest.split_first() {
            Some((b'.', after)) => {
                let len = after.iter().take_while(|b| b.is_ascii_digit()).count();
                after.split_at(len)
            }
            _ => (&[][..], rest),
        };
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(invalid());
        }
        let exponent = match rest.split_first() {
            None => 0,
            Some((b'e' | b'E', after)) => {
                let (exp_negative, digits) = match after.split_first() {
                    Some((b'-', digits)) => (true, digits),
                    Some((b'+', digits)) => (false, digits),
                    _ => (false, after),
                };
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return Err(invalid());
                }
                let significant = digits
                    .iter()
                    .position(|d| *d != b'0')
                    .and_then(|start| digits.get(start..))
                    .unwrap_or_default();
                // Anything this long is out of range anyway (unless the
                // mantissa is zero); saturate rather than overflow.
                let magnitude: i64 = if significant.len() > 15 {
                    i64::MAX / 4
                } else {
                    significant
                        .iter()
                        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
                };
                if exp_negative { -magnitude } else { magnitude }
            }
            Some(_) => return Err(invalid()),
        };
        let mut digits = Vec::with_capacity(int_digits.len() + frac_digits.len());
        digits.extend_from_slice(int_digits);
        digits.extend_from_slice(frac_digits);
        let frac_len = i64::try_from(frac_digits.len()).unwrap_or(i64::MAX / 4);
        Self::from_digits(negative, &digits, frac_len.saturating_sub(exponent))
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Self {
                let int = BigInt::from(value);
                Self::from_bigint(&int, 0).unwrap_or_default()
            }
        }
    )*};
}

from_integer!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl TryFrom<f64> for Number {
    type Error = NumberError;

    /// The decimal with the fewest digits that round-trips to `value`
    /// (`0.1f64` becomes exactly `0.1`); NaN and infinities are rejected.
    fn try_from(value: f64) -> Result<Self, NumberError> {
        if value.is_nan() {
            return Err(NumberError::new("NaN is not a number"));
        }
        if value.is_infinite() {
            return Err(NumberError::new("infinite numbers are not supported"));
        }
        format!("{value}").parse()
    }
}

impl TryFrom<f32> for Number {
    type Error = NumberError;

    /// The decimal with the fewest digits that round-trips to `value` as an
    /// `f32` (`0.1f32` becomes exactly `0.1`).
    fn try_from(value: f32) -> Result<Self, NumberError> {
        if value.is_nan() {
            return Err(NumberError::new("NaN is not a number"));
        }
        if value.is_infinite() {
            return Err(NumberError::new("infinite numbers are not supported"));
        }
        format!("{value}").parse()
    }
}

impl TryFrom<BigDecimal> for Number {
    type Error = NumberError;

    /// Normalizes a big decimal; fails outside the supported exponent range.
    fn try_from(value: BigDecimal) -> Result<Self, NumberError> {
        let (int, scale) = value.as_bigint_and_scale();
        Self::from_bigint(int.as_ref(), scale)
    }
}

impl From<Number> for BigDecimal {
    fn from(value: Number) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    fn hash(n: &Number) -> u64 {
        let mut h = DefaultHasher::new();
        n.hash(&mut h);
        h.finish()
    }

    #[test]
    fn normalizes_equal_numbers() {
        let forms = ["1", "1.0", "1e0", "10e-1", "0.1e1", "+1.000", "001"];
        for form in forms {
            assert_eq!(n(form), Number::from(1), "{form}");
            assert_eq!(hash(&n(form)), hash(&Number::from(1)), "{form}");
            assert_eq!(n(form).to_string(), "1");
        }
        assert_eq!(n("-0"), Number::zero());
        assert_eq!(n("0e999999999999999999999"), Number::zero());
        assert_eq!(n("-0.000").to_string(), "0");
        assert_eq!(Number::from(100).to_string(), "100");
        assert_eq!(n("1e2"), Number::from(100));
    }

    #[test]
    fn displays_plain_decimals() {
        assert_eq!(n("0.1").to_string(), "0.1");
        assert_eq!(n("-12").to_string(), "-12");
        assert_eq!(n("-0.0012").to_string(), "-0.0012");
        assert_eq!(n("1.5e-3").to_string(), "0.0015");
        assert_eq!(n("12.5E2").to_string(), "1250");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("5.").to_string(), "5");
        assert_eq!(
            n("1267650600228229401496703205376").to_string(),
            "1267650600228229401496703205376"
        );
        assert_eq!(
            n("123456789012345678901234567890.123").to_string(),
            "123456789012345678901234567890.123"
        );
        let big = n("1e400").to_string();
        assert_eq!(big.len(), 401);
        assert!(big.starts_with("10000"));
    }

    #[test]
    fn rejects_bad_text() {
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x10", " 1", "1 ", "1_000", "--1", "1e5x",
        ] {
            assert!(bad.parse::<Number>().is_err(), "{bad:?}");
        }
        let err = "-Infinity".parse::<Number>().unwrap_err();
        assert_eq!(err.to_string(), "infinite numbers are not supported");
        assert!("NaN".parse::<Number>().is_err());
        assert!("1e5000".parse::<Number>().is_err());
        assert!("1e-5000".parse::<Number>().is_err());
        assert!("1e99999999999999999999999999".parse::<Number>().is_err());
        assert!(n("1e4096").to_string().len() == 4097);
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(Number::from(i64::MIN).as_i64(), Some(i64::MIN));
        assert_eq!(Number::from(u64::MAX).as_u64(), Some(u64::MAX));
        assert_eq!(Number::from(u64::MAX).as_i64(), None);
        assert_eq!(Number::from(-1).as_u64(), None);
        assert_eq!(n("2.5").as_i64(), None);
        assert_eq!(n("1e3").as_i64(), Some(1000));
        assert_eq!(n("1e30").as_i64(), None);
        assert_eq!(n("1e30").as_i128(), Some(10i128.pow(30)));
        assert_eq!(n("1e300").as_i128(), None);
        assert!(n("1e300").is_integer());
        assert!(!n("0.5").is_integer());
        let two_100 = Number::from(1u128 << 100);
        assert_eq!(two_100.to_string(), "1267650600228229401496703205376");
        assert_eq!(two_100.as_u128(), Some(1u128 << 100));
        assert!(n("-3").is_negative());
    }

    #[test]
    fn float_conversions() {
        assert_eq!(Number::try_from(0.1f64).unwrap(), n("0.1"));
        assert_eq!(Number::try_from(0.1f32).unwrap(), n("0.1"));
        assert_eq!(Number::try_from(-0.0f64).unwrap(), Number::zero());
        assert_eq!(Number::try_from(1e300f64).unwrap(), n("1e300"));
        assert_eq!(Number::try_from(5e-324f64).unwrap(), n("5e-324"));
        assert!(Number::try_from(f64::NAN).is_err());
        assert!(Number::try_from(f64::INFINITY).is_err());
        assert_eq!(n("0.1").as_f64(), 0.1);
        assert_eq!(n("1e400").as_f64(), f64::INFINITY);
        assert_eq!(n("-1e400").as_f64(), f64::NEG_INFINITY);
        assert_eq!(n("0.1").as_f64_exact(), Some(0.1));
        assert_eq!(n("1.5").as_f64_exact(), Some(1.5));
        assert_eq!(n("18446744073709551617").as_f64_exact(), None);
        assert_eq!(
            n("0.1000000000000000055511151231257827").as_f64_exact(),
            None
        );
        assert_eq!(n("1e400").as_f64_exact(), None);
    }

    #[test]
    fn orders_numerically() {
        assert!(n("0.1") < n("0.2"));
        assert!(n("-5") < n("1e-10"));
        assert!(n("1e100") > Number::from(u64::MAX));
        assert_eq!(n("2.50").cmp(&n("2.5")), std::cmp::Ordering::Equal);
    }

    #[test]
    fn big_decimal_round_trip() {
        let bd: BigDecimal = "1.2300".parse().unwrap();
        let num = Number::try_from(bd).unwrap();
        assert_eq!(num.to_string(), "1.23");
        assert_eq!(BigDecimal::from(num.clone()), *num.as_big_decimal());
    }
}
