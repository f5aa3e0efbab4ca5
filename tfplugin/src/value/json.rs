//! go-cty's JSON encoding of values, which Terraform uses for stored state
//! (`RawState.json` in `UpgradeResourceState` and `MoveResourceState`).
//!
//! Numbers keep their full precision: the reader here keeps number text as
//! text and never goes through `f64`.
//!
//! - null is `null` at any position; unknown values cannot be encoded;
//! - lists, sets and tuples are arrays, maps and objects are JSON objects;
//! - where the type is `dynamic`, a value is `{"value": ..., "type": ...}`
//!   with the type in Terraform's JSON type encoding;
//! - when decoding an object, attributes the type does not have are ignored
//!   (state written with an older schema may still carry them), and
//!   attributes that are missing are null.

use std::collections::BTreeMap;

use crate::path::PathStep;

use super::{MAX_DEPTH, Number, Type, Value, ValueError, dedupe_set, describe_type, error_at};

/// Encodes `value`, of type `ty`, as JSON.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = String::new();
    let mut path = Vec::new();
    encode_value(&mut out, value, ty, &mut path)?;
    Ok(out.into_bytes())
}

/// Decodes JSON `bytes` as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let tree = parse(bytes)?;
    let mut path = Vec::new();
    decode_value(&tree, ty, &mut path)
}

// ---------------------------------------------------------------------------
// Encoding

fn index_step(i: usize) -> PathStep {
    PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX))
}

fn mismatch(path: &[PathStep], ty: &Type, value: &Value) -> ValueError {
    error_at(
        path,
        format!("expected {}, found {}", describe_type(ty), value.kind()),
    )
}

fn encode_value(
    out: &mut String,
    value: &Value,
    ty: &Type,
    path: &mut Vec<PathStep>,
) -> Result<(), ValueError> {
    if path.len() > MAX_DEPTH {
        return Err(error_at(path, "value is nested too deeply"));
    }
    match (value, ty) {
        (Value::Unknown, _) => Err(error_at(
            path,
            "value is not known yet, and unknown values cannot be encoded as JSON",
        )),
        (Value::Null, _) => {
            out.push_str("null");
            Ok(())
        }
        (value, Type::Dynamic) => {
            let inferred = value.infer_type();
            out.push_str("{\"value\":");
            encode_value(out, value, &inferred, path)?;
            out.push_str(",\"type\":");
            inferred.write_json(out);
            out.push('}');
            Ok(())
        }
        (Value::String(s), Type::String) => {
            write_json_string(out, s);
            Ok(())
        }
        (Value::Number(n), Type::Number) => {
            out.push_str(&n.to_string());
            Ok(())
        }
        (Value::Bool(b), Type::Bool) => {
            out.push_str(if *b { "true" } else { "false" });
            Ok(())
        }
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::List(elem) | Type::Set(elem)) => {
            out.push('[');
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                path.push(index_step(i));
                encode_value(out, e, elem, path)?;
                path.pop();
            }
            out.push(']');
            Ok(())
        }
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::Tuple(types)) => {
            if v.len() != types.len() {
                return Err(error_at(
                    path,
                    format!(
                        "expected a tuple of {} elements, found {}",
                        types.len(),
                        v.len()
                    ),
                ));
            }
            out.push('[');
            for (i, (e, t)) in v.iter().zip(types).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                path.push(index_step(i));
                encode_value(out, e, t, path)?;
                path.pop();
            }
            out.push(']');
            Ok(())
        }
        (Value::Map(m) | Value::Object(m), Type::Map(elem)) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                path.push(PathStep::Key(k.clone()));
                encode_value(out, v, elem, path)?;
                path.pop();
            }
            out.push('}');
            Ok(())
        }
        (Value::Map(m) | Value::Object(m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                path.push(PathStep::Attribute(extra.clone()));
                return Err(error_at(path, format!("unsupported attribute {extra:?}")));
            }
            out.push('{');
            for (i, (name, t)) in attrs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, name);
                out.push(':');
                path.push(PathStep::Attribute(name.clone()));
                encode_value(out, m.get(name).unwrap_or(&Value::Null), t, path)?;
                path.pop();
            }
            out.push('}');
            Ok(())
        }
        (value, ty) => Err(mismatch(path, ty, value)),
    }
}

/// Writes `s` as a JSON string literal.
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// A small JSON reader that keeps numbers as text.

/// A parsed JSON document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number's text, already checked against JSON's number syntax.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order (duplicates kept; the last one wins).
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a bool",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// The last member named `name` of an object.
fn member<'a>(members: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    members
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Parses a whole JSON document (nothing but whitespace may follow it).
pub(crate) fn parse(bytes: &[u8]) -> Result<Json, ValueError> {
    let mut parser = Parser { bytes, pos: 0 };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos != bytes.len() {
        return Err(parser.error("unexpected data after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> ValueError {
        super::error(format!("invalid JSON at byte {}: {message}", self.pos))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &[u8]) -> Result<(), ValueError> {
        let end = self.pos.saturating_add(literal.len());
        if self.bytes.get(self.pos..end) == Some(literal) {
            self.pos = end;
            Ok(())
        } else {
            Err(self.error("unexpected character"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, ValueError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_literal(b"null").map(|()| Json::Null),
            Some(b't') => self.expect_literal(b"true").map(|()| Json::Bool(true)),
            Some(b'f') => self.expect_literal(b"false").map(|()| Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b'[') => {
                self.pos += 1;
                let mut elems = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Json::Array(elems));
                }
                loop {
                    self.skip_whitespace();
                    elems.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Array(elems));
                        }
                        _ => return Err(self.error("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                loop {
                    self.skip_whitespace();
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a string key"));
                    }
                    let key = self.string()?;
                    self.skip_whitespace();
                    if self.peek() != Some(b':') {
                        return Err(self.error("expected ':'"));
                    }
                    self.pos += 1;
                    self.skip_whitespace();
                    let value = self.value(depth + 1)?;
                    members.push((key, value));
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Object(members));
                        }
                        _ => return Err(self.error("expected ',' or '}'")),
                    }
                }
            }
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<String, ValueError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let text = self.bytes.get(start..self.pos).unwrap_or_default();
        // Only ASCII was consumed.
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    fn hex4(&mut self) -> Result<u32, ValueError> {
        let end = self.pos.saturating_add(4);
        let Some(hex) = self.bytes.get(self.pos..end) else {
            return Err(self.error("truncated \\u escape"));
        };
        let mut code = 0u32;
        for b in hex {
            let digit = char::from(*b)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            code = code * 16 + digit;
        }
        self.pos = end;
        Ok(code)
    }

    fn string(&mut self) -> Result<String, ValueError> {
        // The opening quote.
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.extend_from_slice(self.bytes.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return String::from_utf8(out)
                        .map_err(|_| self.error("string is not valid UTF-8"));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(escape) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("invalid escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    /// After `\u`: one code point, from a surrogate pair if need be. Lone
    /// surrogates become U+FFFD, as Go's `encoding/json` does.
    fn unicode_escape(&mut self) -> Result<char, ValueError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            if rest.starts_with(b"\\u") {
                let save = self.pos;
                self.pos += 2;
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                // Not a low surrogate: leave it to be read on its own.
                self.pos = save;
            }
            return Ok('\u{FFFD}');
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

// ---------------------------------------------------------------------------
// Decoding a parsed document as a typed value

fn json_mismatch(path: &[PathStep], ty: &Type, json: &Json) -> ValueError {
    error_at(
        path,
        format!("expected {}, found {}", describe_type(ty), json.kind()),
    )
}

fn number_from_text(path: &[PathStep], text: &str) -> Result<Number, ValueError> {
    text.parse::<Number>()
        .map_err(|e| error_at(path, format!("invalid number {text:?}: {e}")))
}

fn decode_value(json: &Json, ty: &Type, path: &mut Vec<PathStep>) -> Result<Value, ValueError> {
    if path.len() > MAX_DEPTH {
        return Err(error_at(path, "value is nested too deeply"));
    }
    match (json, ty) {
        (Json::Null, _) => Ok(Value::Null),
        (Json::Object(members), Type::Dynamic) => {
            let (Some(type_json), Some(value_json)) =
                (member(members, "type"), member(members, "value"))
            else {
                return Err(error_at(
                    path,
                    "a dynamically-typed value must be an object with \"type\" and \"value\"",
                ));
            };
            let inner = type_from_tree(type_json).map_err(|e| {
                error_at(
                    path,
                    format!("invalid type of a dynamic value: {}", e.message),
                )
            })?;
            decode_value(value_json, &inner, path)
        }
        (_, Type::Dynamic) => Err(error_at(
            path,
            format!(
                "a dynamically-typed value must be an object with \"type\" and \"value\", found {}",
                json.kind()
            ),
        )),
        (Json::String(s), Type::String) => Ok(Value::String(s.clone())),
        (Json::Number(n), Type::String) => Ok(Value::String(n.clone())),
        (Json::Bool(b), Type::String) => Ok(Value::String(b.to_string())),
        (Json::Number(n) | Json::String(n), Type::Number) => {
            Ok(Value::Number(number_from_text(path, n)?))
        }
        (Json::Bool(b), Type::Bool) => Ok(Value::Bool(*b)),
        (Json::String(s), Type::Bool) if s == "true" || s == "false" => {
            Ok(Value::Bool(s == "true"))
        }
        (Json::Array(elems), Type::List(elem) | Type::Set(elem)) => {
            let mut out = Vec::with_capacity(elems.len());
            for (i, e) in elems.iter().enumerate() {
                path.push(index_step(i));
                out.push(decode_value(e, elem, path)?);
                path.pop();
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(dedupe_set(out))
            } else {
                Value::List(out)
            })
        }
        (Json::Array(elems), Type::Tuple(types)) => {
            if elems.len() != types.len() {
                return Err(error_at(
                    path,
                    format!(
                        "expected a tuple of {} elements, found {}",
                        types.len(),
                        elems.len()
                    ),
                ));
            }
            let mut out = Vec::with_capacity(elems.len());
            for (i, (e, t)) in elems.iter().zip(types).enumerate() {
                path.push(index_step(i));
                out.push(decode_value(e, t, path)?);
                path.pop();
            }
            Ok(Value::Tuple(out))
        }
        (Json::Object(members), Type::Map(elem)) => {
            let mut out = BTreeMap::new();
            for (k, v) in members {
                path.push(PathStep::Key(k.clone()));
                let v = decode_value(v, elem, path)?;
                path.pop();
                out.insert(k.clone(), v);
            }
            Ok(Value::Map(out))
        }
        (Json::Object(members), Type::Object(attrs)) => {
            let mut out = BTreeMap::new();
            for (k, v) in members {
                // Attributes the type does not have are dropped.
                let Some(t) = attrs.get(k) else { continue };
                path.push(PathStep::Attribute(k.clone()));
                let v = decode_value(v, t, path)?;
                path.pop();
                out.insert(k.clone(), v);
            }
            for name in attrs.keys() {
                if !out.contains_key(name) {
                    out.insert(name.clone(), Value::Null);
                }
            }
            Ok(Value::Object(out))
        }
        (json, ty) => Err(json_mismatch(path, ty, json)),
    }
}

/// A type from its JSON encoding, parsed.
pub(crate) fn type_from_tree(json: &Json) -> Result<Type, ValueError> {
    type_from_tree_at(json, 0)
}

fn type_from_tree_at(json: &Json, depth: usize) -> Result<Type, ValueError> {
    let bad = |what: &str| super::error(format!("invalid type: {what}"));
    if depth > MAX_DEPTH {
        return Err(bad("nested too deeply"));
    }
    match json {
        Json::String(name) => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(bad(&format!("unknown primitive type {other:?}"))),
        },
        Json::Array(items) => {
            let (Some(Json::String(kind)), Some(arg)) = (items.first(), items.get(1)) else {
                return Err(bad("a complex type must be [kind, argument]"));
            };
            let extra = items.get(2);
            let max_len = if kind == "object" { 3 } else { 2 };
            if items.len() > max_len {
                return Err(bad(&format!("too many elements in {kind:?} type")));
            }
            match (kind.as_str(), arg) {
                ("list", t) => Ok(Type::list(type_from_tree_at(t, depth + 1)?)),
                ("set", t) => Ok(Type::set(type_from_tree_at(t, depth + 1)?)),
                ("map", t) => Ok(Type::map(type_from_tree_at(t, depth + 1)?)),
                ("object", Json::Object(members)) => {
                    // The optional third element lists optional attributes.
                    match extra {
                        None => {}
                        Some(Json::Array(names))
                            if names.iter().all(|n| matches!(n, Json::String(_))) => {}
                        Some(_) => {
                            return Err(bad("optional attributes must be a list of names"));
                        }
                    }
                    let mut attrs = BTreeMap::new();
                    for (name, t) in members {
                        attrs.insert(name.clone(), type_from_tree_at(t, depth + 1)?);
                    }
                    Ok(Type::Object(attrs))
                }
                ("tuple", Json::Array(elems)) => Ok(Type::Tuple(
                    elems
                        .iter()
                        .map(|t| type_from_tree_at(t, depth + 1))
                        .collect::<Result<_, _>>()?,
                )),
                ("object", _) => Err(bad("object attributes must be a JSON object")),
                ("tuple", _) => Err(bad("tuple elements must be a JSON array")),
                (other, _) => Err(bad(&format!("unknown type kind {other:?}"))),
            }
        }
        other => Err(bad(&format!("found {}", other.kind()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::AttributePath;
    use crate::value::test_values::{num, obj};

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn numbers_keep_precision() {
        let ty = Type::list(Type::Number);
        let json =
            br#"[0.1, 18446744073709551617, 1e400, -123456789012345678901234567890.123, 1E-3, 0]"#;
        let v = decode(json, &ty).unwrap();
        let want = Value::List(vec![
            num("0.1"),
            num("18446744073709551617"),
            num("1e400"),
            num("-123456789012345678901234567890.123"),
            num("0.001"),
            num("0"),
        ]);
        assert_eq!(v, want);
        let encoded = text(encode(&v, &ty).unwrap());
        assert!(encoded.starts_with("[0.1,18446744073709551617,1000"));
        assert!(encoded.ends_with(",-123456789012345678901234567890.123,0.001,0]"));
        assert_eq!(decode(encoded.as_bytes(), &ty).unwrap(), want);
    }

    #[test]
    fn strings_and_escapes() {
        let v = decode(
            br#""a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 \ud800x \udc00""#,
            &Type::String,
        )
        .unwrap();
        assert_eq!(
            v,
            Value::from("a\"b\\c/d\u{8}\u{c}\n\r\t\u{e9}\u{20ac}\u{1F600} \u{FFFD}x \u{FFFD}")
        );
        let s = "quote\" back\\ nl\n ctl\u{1} uni\u{1F600}é";
        let encoded = encode(&Value::from(s), &Type::String).unwrap();
        assert_eq!(
            text(encoded.clone()),
            r#""quote\" back\\ nl\n ctl\u0001 uni😀é""#
        );
        assert_eq!(decode(&encoded, &Type::String).unwrap(), Value::from(s));
        // Raw control characters and bad escapes are rejected.
        assert!(decode(b"\"a\nb\"", &Type::String).is_err());
        assert!(decode(br#""\x""#, &Type::String).is_err());
        assert!(decode(br#""\u12""#, &Type::String).is_err());
        assert!(decode(b"\"\xff\"", &Type::String).is_err());
    }

    #[test]
    fn objects_ignore_unknown_attributes() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        let v = decode(br#"{"a":"x","removed":{"deep":[1,2]}}"#, &ty).unwrap();
        assert_eq!(v, obj([("a", Value::from("x")), ("b", Value::Null)]));
        assert_eq!(text(encode(&v, &ty).unwrap()), r#"{"a":"x","b":null}"#);
    }

    #[test]
    fn unknown_cannot_be_encoded() {
        let ty = Type::object([("a", Type::list(Type::String))]);
        let v = obj([("a", Value::List(vec![Value::from("x"), Value::Unknown]))]);
        let err = encode(&v, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("a").push_index(1));
        assert!(err.message.contains("not known"));
    }

    #[test]
    fn dynamic_positions() {
        let ty = Type::object([("d", Type::Dynamic), ("n", Type::Dynamic)]);
        let v = obj([
            (
                "d",
                obj([("x", Value::List(vec![num("1")])), ("y", Value::from("s"))]),
            ),
            ("n", Value::Null),
        ]);
        let encoded = text(encode(&v, &ty).unwrap());
        assert_eq!(
            encoded,
            r#"{"d":{"value":{"x":[1],"y":"s"},"type":["object",{"x":["list","number"],"y":"string"}]},"n":null}"#
        );
        assert_eq!(decode(encoded.as_bytes(), &ty).unwrap(), v);
        // Key order does not matter; plain values are not accepted.
        let v2 = decode(br#"{"d":{"type":"number","value":5},"n":null}"#, &ty).unwrap();
        assert_eq!(v2, obj([("d", num("5")), ("n", Value::Null)]));
        let err = decode(br#"{"d":5}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("d"));
        assert!(decode(br#"{"d":{"type":"frob","value":5}}"#, &ty).is_err());
    }

    #[test]
    fn sets_maps_tuples() {
        let ty = Type::object([
            ("s", Type::set(Type::set(Type::String))),
            ("m", Type::map(Type::Bool)),
            ("t", Type::tuple([Type::String, Type::Number])),
        ]);
        let v = decode(
            br#"{"s":[["a"],["b","a"],["a"]],"m":{"k":true,"j":null},"t":["x",2]}"#,
            &ty,
        )
        .unwrap();
        let want = obj([
            (
                "s",
                Value::Set(vec![
                    Value::Set(vec![Value::from("a")]),
                    Value::Set(vec![Value::from("b"), Value::from("a")]),
                ]),
            ),
            (
                "m",
                Value::Map(
                    [
                        ("j".to_owned(), Value::Null),
                        ("k".to_owned(), Value::Bool(true)),
                    ]
                    .into(),
                ),
            ),
            ("t", Value::Tuple(vec![Value::from("x"), num("2")])),
        ]);
        assert_eq!(v, want);
        assert!(decode(br#"{"t":["x"]}"#, &ty).is_err());
        let err = decode(br#"{"m":{"k":"maybe"}}"#, &ty).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("m").push_key("k"));
    }

    #[test]
    fn lenient_primitives() {
        assert_eq!(decode(b"\"12.50\"", &Type::Number).unwrap(), num("12.5"));
        assert_eq!(
            decode(b"12.50", &Type::String).unwrap(),
            Value::from("12.50")
        );
        assert_eq!(decode(b"true", &Type::String).unwrap(), Value::from("true"));
        assert_eq!(
            decode(b"\"false\"", &Type::Bool).unwrap(),
            Value::Bool(false)
        );
        assert!(decode(b"\"Infinity\"", &Type::Number).is_err());
        assert!(decode(b"1", &Type::Bool).is_err());
    }

    #[test]
    fn rejects_bad_json() {
        for bad in [
            &b""[..],
            b"[1,]",
            b"[1 2]",
            b"{\"a\" 1}",
            b"{a:1}",
            b"01",
            b"1.",
            b"-",
            b"1e",
            b"nul",
            b"[1] x",
            b"+1",
            b"NaN",
            b"[",
            b"{\"a\":1,}",
        ] {
            assert!(
                decode(bad, &Type::Dynamic).is_err()
                    && decode(bad, &Type::list(Type::Number)).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(parse(deep.as_bytes()).is_err());
        let ok_deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(ok_deep.as_bytes()).is_ok());
    }
}
