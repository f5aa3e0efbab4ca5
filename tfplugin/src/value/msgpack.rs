//! go-cty's msgpack encoding of values, which Terraform uses on the wire
//! (`DynamicValue.msgpack`).
//!
//! - null is nil at any position; an unknown value is extension type 0
//!   (written as `d4 00 00`); when decoding, any extension value is taken
//!   as unknown (Terraform 1.6+ sends refined unknowns as extension type 12,
//!   whose refinements are ignored here);
//! - a number is an int when it is an integer that fits 64 bits, a float64
//!   when that is exact, and otherwise a string of its decimal text;
//! - lists, sets and tuples are arrays; maps and objects are maps with
//!   string keys (objects always with all the type's attributes, sorted);
//! - where the type is `dynamic`, a known value is a two-element array: the
//!   type's JSON encoding (as bin) and the value encoded with that type.
//!
//! Decoding never panics, whatever the input: nesting is limited to
//! [`MAX_DEPTH`] levels and lengths are checked against
//! the bytes actually there.

use std::collections::BTreeMap;
use std::convert::Infallible;

use rmp::encode::{ByteBuf, ValueWriteError};

use crate::path::PathStep;

use super::{MAX_DEPTH, Number, Type, Value, ValueError, dedupe_set, describe_type, error_at};

/// Encodes `value`, of type `ty`, as msgpack.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut encoder = Encoder {
        out: ByteBuf::new(),
        path: Vec::new(),
    };
    encoder.value(value, ty)?;
    Ok(encoder.out.into_vec())
}

/// Decodes msgpack `bytes` as a value of type `ty`. The whole input must be
/// one value.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut decoder = Decoder {
        input: bytes,
        pos: 0,
        path: Vec::new(),
        depth: 0,
    };
    let value = decoder.value(ty)?;
    if decoder.pos != bytes.len() {
        return Err(super::error(format!(
            "unexpected data after the value ({} bytes)",
            bytes.len().saturating_sub(decoder.pos)
        )));
    }
    Ok(value)
}

/// The encoding of an unknown value.
const UNKNOWN: [u8; 3] = [0xd4, 0, 0];

fn index_step(i: usize) -> PathStep {
    PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------
// Encoding

struct Encoder {
    out: ByteBuf,
    path: Vec<PathStep>,
}

/// Writes to a `ByteBuf` cannot fail.
fn infallible<T>(result: Result<T, ValueWriteError<Infallible>>) {
    match result {
        Ok(_) => {}
        Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) => {
            match e {}
        }
    }
}

impl Encoder {
    fn error(&self, message: impl Into<String>) -> ValueError {
        error_at(&self.path, message)
    }

    fn length(&self, len: usize) -> Result<u32, ValueError> {
        u32::try_from(len).map_err(|_| self.error("too many elements to encode"))
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), ValueError> {
        if self.path.len() > MAX_DEPTH {
            return Err(self.error("value is nested too deeply"));
        }
        match (value, ty) {
            (Value::Null, _) => {
                let Ok(()) = rmp::encode::write_nil(&mut self.out);
            }
            (Value::Unknown, _) => self.out.as_mut_vec().extend_from_slice(&UNKNOWN),
            (value, Type::Dynamic) => {
                let inferred = value.infer_type();
                infallible(rmp::encode::write_array_len(&mut self.out, 2));
                infallible(rmp::encode::write_bin(
                    &mut self.out,
                    &inferred.to_json_bytes(),
                ));
                self.value(value, &inferred)?;
            }
            (Value::String(s), Type::String) => {
                infallible(rmp::encode::write_str(&mut self.out, s))
            }
            (Value::Number(n), Type::Number) => self.number(n),
            (Value::Bool(b), Type::Bool) => {
                let Ok(()) = rmp::encode::write_bool(&mut self.out, *b);
            }
            (
                Value::List(v) | Value::Set(v) | Value::Tuple(v),
                Type::List(elem) | Type::Set(elem),
            ) => {
                let len = self.length(v.len())?;
                infallible(rmp::encode::write_array_len(&mut self.out, len));
                for (i, e) in v.iter().enumerate() {
                    self.path.push(index_step(i));
                    self.value(e, elem)?;
                    self.path.pop();
                }
            }
            (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::Tuple(types)) => {
                if v.len() != types.len() {
                    return Err(self.error(format!(
                        "expected a tuple of {} elements, found {}",
                        types.len(),
                        v.len()
                    )));
                }
                let len = self.length(v.len())?;
                infallible(rmp::encode::write_array_len(&mut self.out, len));
                for (i, (e, t)) in v.iter().zip(types).enumerate() {
                    self.path.push(index_step(i));
                    self.value(e, t)?;
                    self.path.pop();
                }
            }
            (Value::Map(m) | Value::Object(m), Type::Map(elem)) => {
                let len = self.length(m.len())?;
                infallible(rmp::encode::write_map_len(&mut self.out, len));
                for (k, v) in m {
                    infallible(rmp::encode::write_str(&mut self.out, k));
                    self.path.push(PathStep::Key(k.clone()));
                    self.value(v, elem)?;
                    self.path.pop();
                }
            }
            (Value::Map(m) | Value::Object(m), Type::Object(attrs)) => {
                if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                    self.path.push(PathStep::Attribute(extra.clone()));
                    return Err(self.error(format!("unsupported attribute {extra:?}")));
                }
                let len = self.length(attrs.len())?;
                infallible(rmp::encode::write_map_len(&mut self.out, len));
                for (name, t) in attrs {
                    infallible(rmp::encode::write_str(&mut self.out, name));
                    self.path.push(PathStep::Attribute(name.clone()));
                    self.value(m.get(name).unwrap_or(&Value::Null), t)?;
                    self.path.pop();
                }
            }
            (value, ty) => {
                return Err(self.error(format!(
                    "expected {}, found {}",
                    describe_type(ty),
                    value.kind()
                )));
            }
        }
        Ok(())
    }

    fn number(&mut self, n: &Number) {
        if let Some(i) = n.as_i64() {
            infallible(rmp::encode::write_sint(&mut self.out, i));
        } else if let Some(f) = n.as_f64_exact() {
            infallible(rmp::encode::write_f64(&mut self.out, f));
        } else {
            infallible(rmp::encode::write_str(&mut self.out, &n.to_string()));
        }
    }
}

// ---------------------------------------------------------------------------
// Decoding

/// One msgpack item's header; strings and binaries come with their bytes.
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

impl Item<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Item::Nil => "nil",
            Item::Bool(_) => "a bool",
            Item::Int(_) | Item::Uint(_) => "an integer",
            Item::F32(_) | Item::F64(_) => "a float",
            Item::Str(_) => "a string",
            Item::Bin(_) => "binary data",
            Item::Array(_) => "an array",
            Item::Map(_) => "a map",
            Item::Ext => "an extension value",
        }
    }
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    path: Vec<PathStep>,
    depth: usize,
}

impl<'a> Decoder<'a> {
    fn error(&self, message: impl Into<String>) -> ValueError {
        error_at(&self.path, message)
    }

    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ValueError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.input.get(self.pos..end).map(|s| (s, end))) {
            Some((slice, end)) => {
                self.pos = end;
                Ok(slice)
            }
            None => Err(self.error("unexpected end of msgpack data")),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ValueError> {
        let slice = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, ValueError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, ValueError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, ValueError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len8(&mut self) -> Result<usize, ValueError> {
        Ok(usize::from(self.u8()?))
    }

    fn len16(&mut self) -> Result<usize, ValueError> {
        Ok(usize::from(self.u16()?))
    }

    fn len32(&mut self) -> Result<usize, ValueError> {
        usize::try_from(self.u32()?).map_err(|_| self.error("length too large"))
    }

    /// Skips an extension value's type byte and data.
    fn skip_ext(&mut self, data_len: usize) -> Result<Item<'a>, ValueError> {
        self.take(data_len.saturating_add(1))?;
        Ok(Item::Ext)
    }

    fn item(&mut self) -> Result<Item<'a>, ValueError> {
        let marker = self.u8()?;
        Ok(match marker {
            0x00..=0x7f => Item::Int(i64::from(marker)),
            0x80..=0x8f => Item::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => {
                let len = usize::from(marker & 0x1f);
                Item::Str(self.take(len)?)
            }
            0xc0 => Item::Nil,
            0xc1 => return Err(self.error("invalid msgpack marker 0xc1")),
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4 => {
                let len = self.len8()?;
                Item::Bin(self.take(len)?)
            }
            0xc5 => {
                let len = self.len16()?;
                Item::Bin(self.take(len)?)
            }
            0xc6 => {
                let len = self.len32()?;
                Item::Bin(self.take(len)?)
            }
            0xc7 => {
                let len = self.len8()?;
                self.skip_ext(len)?
            }
            0xc8 => {
                let len = self.len16()?;
                self.skip_ext(len)?
            }
            0xc9 => {
                let len = self.len32()?;
                self.skip_ext(len)?
            }
            0xca => Item::F32(f32::from_be_bytes(self.array()?)),
            0xcb => Item::F64(f64::from_be_bytes(self.array()?)),
            0xcc => Item::Uint(u64::from(self.u8()?)),
            0xcd => Item::Uint(u64::from(self.u16()?)),
            0xce => Item::Uint(u64::from(self.u32()?)),
            0xcf => Item::Uint(u64::from_be_bytes(self.array()?)),
            0xd0 => Item::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Item::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Item::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Item::Int(i64::from_be_bytes(self.array()?)),
            0xd4 => self.skip_ext(1)?,
            0xd5 => self.skip_ext(2)?,
            0xd6 => self.skip_ext(4)?,
            0xd7 => self.skip_ext(8)?,
            0xd8 => self.skip_ext(16)?,
            0xd9 => {
                let len = self.len8()?;
                Item::Str(self.take(len)?)
            }
            0xda => {
                let len = self.len16()?;
                Item::Str(self.take(len)?)
            }
            0xdb => {
                let len = self.len32()?;
                Item::Str(self.take(len)?)
            }
            0xdc => Item::Array(self.len16()?),
            0xdd => Item::Array(self.len32()?),
            0xde => Item::Map(self.len16()?),
            0xdf => Item::Map(self.len32()?),
            0xe0..=0xff => Item::Int(i64::from(i8::from_be_bytes([marker]))),
        })
    }

    fn mismatch(&self, ty: &Type, item: &Item<'_>) -> ValueError {
        self.error(format!(
            "expected {}, found {}",
            describe_type(ty),
            item.kind()
        ))
    }

    fn utf8(&self, bytes: &'a [u8]) -> Result<&'a str, ValueError> {
        std::str::from_utf8(bytes).map_err(|_| self.error("string is not valid UTF-8"))
    }

    fn enter(&mut self) -> Result<(), ValueError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("value is nested too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A map key: a string.
    fn key(&mut self) -> Result<String, ValueError> {
        match self.item()? {
            Item::Str(bytes) => Ok(self.utf8(bytes)?.to_owned()),
            other => Err(self.error(format!("expected a string key, found {}", other.kind()))),
        }
    }

    fn value(&mut self, ty: &Type) -> Result<Value, ValueError> {
        let item = self.item()?;
        match item {
            Item::Nil => return Ok(Value::Null),
            Item::Ext => return Ok(Value::Unknown),
            _ => {}
        }
        self.enter()?;
        let value = self.known_value(item, ty)?;
        self.leave();
        Ok(value)
    }

    fn known_value(&mut self, item: Item<'a>, ty: &Type) -> Result<Value, ValueError> {
        match (item, ty) {
            (Item::Array(len), Type::Dynamic) => {
                if len != 2 {
                    return Err(self.error(format!(
                        "a dynamically-typed value must be an array of 2 elements, found {len}"
                    )));
                }
                let type_json = match self.item()? {
                    Item::Bin(bytes) | Item::Str(bytes) => bytes,
                    other => {
                        return Err(self.error(format!(
                            "expected the JSON type of a dynamic value, found {}",
                            other.kind()
                        )));
                    }
                };
                let inner = Type::from_json_bytes(type_json).map_err(|e| {
                    self.error(format!("invalid type of a dynamic value: {}", e.message))
                })?;
                self.value(&inner)
            }
            (item, Type::Dynamic) => Err(self.error(format!(
                "expected a dynamically-typed value (an array of 2 elements), found {}",
                item.kind()
            ))),
            (Item::Str(bytes) | Item::Bin(bytes), Type::String) => {
                Ok(Value::String(self.utf8(bytes)?.to_owned()))
            }
            (Item::Bool(b), Type::Bool) => Ok(Value::Bool(b)),
            (Item::Int(i), Type::Number) => Ok(Value::Number(Number::from(i))),
            (Item::Uint(u), Type::Number) => Ok(Value::Number(Number::from(u))),
            (Item::F64(f), Type::Number) => Number::try_from(f)
                .map(Value::Number)
                .map_err(|e| self.error(e.to_string())),
            (Item::F32(f), Type::Number) => Number::try_from(f)
                .map(Value::Number)
                .map_err(|e| self.error(e.to_string())),
            (Item::Str(bytes), Type::Number) => {
                let text = self.utf8(bytes)?;
                text.parse::<Number>()
                    .map(Value::Number)
                    .map_err(|e| match text {
                        "Infinity" | "-Infinity" | "+Infinity" => self.error(e.to_string()),
                        _ => self.error(format!("invalid number {text:?}: {e}")),
                    })
            }
            (Item::Array(len), Type::List(elem) | Type::Set(elem)) => {
                // Every element takes at least one byte.
                let mut out = Vec::with_capacity(len.min(self.remaining()));
                for i in 0..len {
                    self.path.push(index_step(i));
                    out.push(self.value(elem)?);
                    self.path.pop();
                }
                Ok(if matches!(ty, Type::Set(_)) {
                    Value::Set(dedupe_set(out))
                } else {
                    Value::List(out)
                })
            }
            (Item::Array(len), Type::Tuple(types)) => {
                if len != types.len() {
                    return Err(self.error(format!(
                        "expected a tuple of {} elements, found {len}",
                        types.len()
                    )));
                }
                let mut out = Vec::with_capacity(types.len());
                for (i, t) in types.iter().enumerate() {
                    self.path.push(index_step(i));
                    out.push(self.value(t)?);
                    self.path.pop();
                }
                Ok(Value::Tuple(out))
            }
            (Item::Map(len), Type::Map(elem)) => {
                let mut out = BTreeMap::new();
                for _ in 0..len {
                    let key = self.key()?;
                    self.path.push(PathStep::Key(key.clone()));
                    let v = self.value(elem)?;
                    self.path.pop();
                    out.insert(key, v);
                }
                Ok(Value::Map(out))
            }
            (Item::Map(len), Type::Object(attrs)) => {
                let mut out = BTreeMap::new();
                for _ in 0..len {
                    let key = self.key()?;
                    self.path.push(PathStep::Attribute(key.clone()));
                    let Some(t) = attrs.get(&key) else {
                        return Err(self.error(format!("unsupported attribute {key:?}")));
                    };
                    let v = self.value(t)?;
                    self.path.pop();
                    out.insert(key, v);
                }
                for name in attrs.keys() {
                    if !out.contains_key(name) {
                        out.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Object(out))
            }
            (item, ty) => Err(self.mismatch(ty, &item)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::AttributePath;
    use crate::value::test_values::{num, obj};

    fn round_trip(v: &Value, ty: &Type) {
        let bytes = encode(v, ty).unwrap();
        assert_eq!(&decode(&bytes, ty).unwrap(), v, "{bytes:02x?}");
    }

    #[test]
    fn primitives_match_go_cty() {
        assert_eq!(encode(&Value::Null, &Type::String).unwrap(), [0xc0]);
        assert_eq!(
            encode(&Value::Unknown, &Type::String).unwrap(),
            [0xd4, 0, 0]
        );
        assert_eq!(
            encode(&Value::from("hi"), &Type::String).unwrap(),
            [0xa2, b'h', b'i']
        );
        assert_eq!(encode(&Value::Bool(true), &Type::Bool).unwrap(), [0xc3]);
        assert_eq!(encode(&num("5"), &Type::Number).unwrap(), [0x05]);
        assert_eq!(encode(&num("-1"), &Type::Number).unwrap(), [0xff]);
        assert_eq!(encode(&num("200"), &Type::Number).unwrap(), [0xcc, 200]);
        assert_eq!(
            encode(&num("-200"), &Type::Number).unwrap(),
            [0xd1, 0xff, 0x38]
        );
        let mut f = vec![0xcb];
        f.extend_from_slice(&0.1f64.to_be_bytes());
        assert_eq!(encode(&num("0.1"), &Type::Number).unwrap(), f);
    }

    #[test]
    fn big_numbers() {
        // 2^64 + 1: not an i64, not exact as f64: a string.
        let v = num("18446744073709551617");
        let bytes = encode(&v, &Type::Number).unwrap();
        assert_eq!(bytes[0], 0xb4);
        assert_eq!(&bytes[1..], b"18446744073709551617");
        round_trip(&v, &Type::Number);
        // 2^64 is a float, but its shortest round-trip text is
        // 18446744073709552000: a string too.
        let v = num("18446744073709551616");
        assert_eq!(encode(&v, &Type::Number).unwrap()[0], 0xb4);
        // 2^70 as 1180591620717411303424 is no float either; 1.5e300 is.
        let v = num("1.5e300");
        assert_eq!(encode(&v, &Type::Number).unwrap()[0], 0xcb);
        round_trip(&v, &Type::Number);
        round_trip(&v, &Type::Number);
        for n in [
            "1e400",
            "-1e400",
            "123456789012345678901234567890.123",
            "0.1000000000000000055511151231257827",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "1e-300",
            "0",
        ] {
            round_trip(&num(n), &Type::Number);
        }
        // u64 beyond i64 on the wire.
        let mut bytes = vec![0xcf];
        bytes.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(
            decode(&bytes, &Type::Number).unwrap(),
            num("18446744073709551615")
        );
        // 1e400 as a string on the wire.
        let mut bytes = vec![0xa5];
        bytes.extend_from_slice(b"1e400");
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), num("1e400"));
        // float32
        let mut bytes = vec![0xca];
        bytes.extend_from_slice(&0.1f32.to_be_bytes());
        assert_eq!(decode(&bytes, &Type::Number).unwrap(), num("0.1"));
        let mut bytes = vec![0xa8];
        bytes.extend_from_slice(b"Infinity");
        let err = decode(&bytes, &Type::Number).unwrap_err();
        assert_eq!(err.message, "infinite numbers are not supported");
        let mut bytes = vec![0xcb];
        bytes.extend_from_slice(&f64::NAN.to_be_bytes());
        assert!(decode(&bytes, &Type::Number).is_err());
    }

    #[test]
    fn unknowns_anywhere() {
        // Refined unknown: ext type 12 with a msgpack payload.
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(decode(&refined, &Type::String).unwrap(), Value::Unknown);
        assert_eq!(
            decode(&[0xd4, 0x00, 0x00], &Type::Dynamic).unwrap(),
            Value::Unknown
        );
        assert_eq!(
            decode(&[0xd6, 0x05, 1, 2, 3, 4], &Type::Number).unwrap(),
            Value::Unknown
        );
        let ty = Type::object([
            ("l", Type::list(Type::String)),
            ("s", Type::set(Type::Number)),
            ("m", Type::map(Type::Bool)),
            ("o", Type::object([("x", Type::String)])),
            ("u", Type::Dynamic),
        ]);
        let v = obj([
            ("l", Value::List(vec![Value::Unknown, Value::from("a")])),
            ("s", Value::Set(vec![Value::Unknown, num("1")])),
            ("m", Value::Map([("k".to_owned(), Value::Unknown)].into())),
            ("o", obj([("x", Value::Unknown)])),
            ("u", Value::Unknown),
        ]);
        round_trip(&v, &ty);
        round_trip(&Value::Unknown, &ty);
        // A refined unknown inside a list.
        let bytes = [0x92, 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2, 0xa1, b'a'];
        assert_eq!(
            decode(&bytes, &Type::list(Type::String)).unwrap(),
            Value::List(vec![Value::Unknown, Value::from("a")])
        );
    }

    #[test]
    fn objects_sorted_and_complete() {
        let ty = Type::object([("b", Type::String), ("a", Type::Number)]);
        let bytes = encode(&obj([("b", Value::from("x"))]), &ty).unwrap();
        assert_eq!(bytes, [0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xa1, b'x']);
        // Missing attributes decode as null.
        assert_eq!(
            decode(&[0x81, 0xa1, b'b', 0xa1, b'x'], &ty).unwrap(),
            obj([("a", Value::Null), ("b", Value::from("x"))])
        );
        // Extra attributes are an error naming them.
        let err = decode(&[0x81, 0xa1, b'z', 0xc0], &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("z"));
        assert!(err.message.contains("unsupported attribute"));
        let err = encode(&obj([("z", Value::Null)]), &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("z"));
    }

    #[test]
    fn nested_sets_and_tuples() {
        let ty = Type::set(Type::set(Type::tuple([Type::String, Type::Number])));
        let v = Value::Set(vec![
            Value::Set(vec![
                Value::Tuple(vec![Value::from("a"), num("1")]),
                Value::Tuple(vec![Value::from("b"), Value::Null]),
            ]),
            Value::Set(vec![]),
        ]);
        round_trip(&v, &ty);
        // Duplicates on the wire are removed.
        let bytes = [0x93, 0x91, 0xa1, b'a', 0x91, 0xa1, b'a', 0x90];
        assert_eq!(
            decode(&bytes, &Type::set(Type::set(Type::String))).unwrap(),
            Value::Set(vec![Value::Set(vec![Value::from("a")]), Value::Set(vec![])])
        );
    }

    #[test]
    fn dynamic_positions() {
        let ty = Type::object([("d", Type::Dynamic)]);
        let v = obj([(
            "d",
            obj([
                ("x", Value::List(vec![num("1"), Value::Unknown])),
                ("y", Value::Null),
            ]),
        )]);
        let bytes = encode(&v, &ty).unwrap();
        // 81 a1 'd' 92 c4 <len> <type json> ...
        assert_eq!(&bytes[..5], &[0x81, 0xa1, b'd', 0x92, 0xc4]);
        let type_json = br#"["object",{"x":["list","number"],"y":"dynamic"}]"#;
        assert_eq!(usize::from(bytes[5]), type_json.len());
        assert_eq!(&bytes[6..6 + type_json.len()], type_json);
        assert_eq!(decode(&bytes, &ty).unwrap(), v);
        // The type may also come as a str, and the value may be nil.
        let mut bytes = vec![0x92, 0xa8];
        bytes.extend_from_slice(b"\"string\"");
        bytes.push(0xc0);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), Value::Null);
        assert_eq!(decode(&[0xc0], &Type::Dynamic).unwrap(), Value::Null);
        round_trip(&Value::List(vec![Value::Null]), &Type::Dynamic);
        round_trip(&Value::List(vec![Value::Null]), &Type::list(Type::Dynamic));
        // Elements of differing types each carry their own type.
        let mixed = Value::List(vec![Value::from("a"), num("1"), Value::Null]);
        let bytes = encode(&mixed, &Type::Dynamic).unwrap();
        assert_eq!(&bytes[..3], &[0x92, 0xc4, 18]);
        assert_eq!(&bytes[3..21], br#"["list","dynamic"]"#.as_slice());
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), mixed);
        // A plain value in a dynamic position is an error.
        assert!(decode(&[0xa1, b'x'], &Type::Dynamic).is_err());
        assert!(decode(&[0x91, 0xc0], &Type::Dynamic).is_err());
    }

    #[test]
    fn errors_name_paths() {
        let ty = Type::object([("a", Type::list(Type::map(Type::String)))]);
        // {"a": [{"k": 5}]}
        let bytes = [0x81, 0xa1, b'a', 0x91, 0x81, 0xa1, b'k', 0x05];
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(err.path.to_string(), r#"a[0]["k"]"#);
        assert_eq!(err.message, "expected a string, found an integer");
        assert_eq!(
            err.to_string(),
            r#"expected a string, found an integer (at a[0]["k"])"#
        );
        let err = encode(
            &obj([(
                "a",
                Value::List(vec![Value::Map(
                    [("k".to_owned(), Value::Bool(true))].into(),
                )]),
            )]),
            &ty,
        )
        .unwrap_err();
        assert_eq!(err.path.to_string(), r#"a[0]["k"]"#);
    }

    #[test]
    fn rejects_malformed_input() {
        let cases: &[(&[u8], Type)] = &[
            (&[], Type::String),
            (&[0xc1], Type::String),
            (&[0xa3, b'a'], Type::String),
            (&[0xa1, 0xff], Type::String),
            (&[0xdd, 0xff, 0xff, 0xff, 0xff], Type::list(Type::String)),
            (&[0xdf, 0xff, 0xff, 0xff, 0xff], Type::map(Type::String)),
            (&[0xc9, 0xff, 0xff, 0xff, 0xff, 0x00], Type::String),
            (&[0x05, 0x06], Type::Number),
            (&[0x81, 0x01, 0x02], Type::map(Type::Number)),
            (&[0x92, 0x01], Type::tuple([Type::Number])),
            (&[0x92, 0xc4, 0x01, b'x', 0xc0], Type::Dynamic),
        ];
        for (bytes, ty) in cases {
            assert!(decode(bytes, ty).is_err(), "{bytes:02x?} as {ty}");
        }
        // Deep nesting is refused, not a stack overflow.
        let mut ty = Type::String;
        for _ in 0..400 {
            ty = Type::list(ty);
        }
        let mut bytes = vec![0x91; 400];
        bytes.push(0xc0);
        let err = decode(&bytes, &ty).unwrap_err();
        assert!(err.message.contains("nested too deeply"));
        let mut bytes = Vec::new();
        for _ in 0..400 {
            bytes.extend_from_slice(&[0x92, 0xa9]);
            bytes.extend_from_slice(b"\"dynamic\"");
        }
        bytes.push(0xc0);
        assert!(decode(&bytes, &Type::Dynamic).is_err());
    }
}
