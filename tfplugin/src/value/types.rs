//! Terraform's type system, and its JSON encoding (as in schemas and in
//! dynamically-typed values).

use std::collections::BTreeMap;
use std::fmt;

use super::ValueError;

/// A Terraform type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `string`.
    String,
    /// `number`: arbitrary precision.
    Number,
    /// `bool`.
    Bool,
    /// `dynamic` (cty's `DynamicPseudoType`): any type, decided by the value.
    Dynamic,
    /// `list(T)`: ordered elements of one type.
    List(Box<Type>),
    /// `set(T)`: unordered unique elements of one type.
    Set(Box<Type>),
    /// `map(T)`: string keys to elements of one type.
    Map(Box<Type>),
    /// `object({...})`: named attributes, each of its own type.
    Object(BTreeMap<String, Type>),
    /// `tuple([...])`: a fixed number of elements, each of its own type.
    Tuple(Vec<Type>),
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `object({...})` from `(name, type)` pairs.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }

    /// `tuple([...])`.
    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    /// Whether this is `string`, `number` or `bool`.
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }

    /// Whether `dynamic` appears anywhere in this type.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::String | Type::Number | Type::Bool => false,
            Type::Dynamic => true,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.has_dynamic(),
            Type::Object(attrs) => attrs.values().any(Type::has_dynamic),
            Type::Tuple(elems) => elems.iter().any(Type::has_dynamic),
        }
    }

    /// Terraform's JSON encoding of the type: `"string"`, `["list","number"]`,
    /// `["object",{"a":"bool"}]`, `["tuple",["string"]]`, ...
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Type::String => J::from("string"),
            Type::Number => J::from("number"),
            Type::Bool => J::from("bool"),
            Type::Dynamic => J::from("dynamic"),
            Type::List(t) => J::Array(vec![J::from("list"), t.to_json()]),
            Type::Set(t) => J::Array(vec![J::from("set"), t.to_json()]),
            Type::Map(t) => J::Array(vec![J::from("map"), t.to_json()]),
            Type::Object(attrs) => {
                let map = attrs
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                J::Array(vec![J::from("object"), J::Object(map)])
            }
            Type::Tuple(elems) => J::Array(vec![
                J::from("tuple"),
                J::Array(elems.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// [`Type::to_json`] as compact JSON text (object attributes sorted).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        self.write_json(&mut out);
        out.into_bytes()
    }

    /// Appends [`Type::to_json_bytes`]'s text to `out`.
    pub(crate) fn write_json(&self, out: &mut String) {
        match self {
            Type::String => out.push_str("\"string\""),
            Type::Number => out.push_str("\"number\""),
            Type::Bool => out.push_str("\"bool\""),
            Type::Dynamic => out.push_str("\"dynamic\""),
            Type::List(t) | Type::Set(t) | Type::Map(t) => {
                out.push_str(match self {
                    Type::List(_) => "[\"list\",",
                    Type::Set(_) => "[\"set\",",
                    _ => "[\"map\",",
                });
                t.write_json(out);
                out.push(']');
            }
            Type::Object(attrs) => {
                out.push_str("[\"object\",{");
                for (i, (name, ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    super::json::write_json_string(out, name);
                    out.push(':');
                    ty.write_json(out);
                }
                out.push_str("}]");
            }
            Type::Tuple(elems) => {
                out.push_str("[\"tuple\",[");
                for (i, ty) in elems.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ty.write_json(out);
                }
                out.push_str("]]");
            }
        }
    }

    /// Parses Terraform's JSON encoding of a type. The optional third element
    /// of an object type (the names of optional attributes) is accepted and
    /// ignored.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, ValueError> {
        let tree = super::json::parse(bytes)?;
        super::json::type_from_tree(&tree)
    }

    /// Parses Terraform's JSON encoding of a type from a JSON value.
    pub fn from_json(json: &serde_json::Value) -> Result<Type, ValueError> {
        let bytes = serde_json::to_vec(json).map_err(|e| super::error(e.to_string()))?;
        Self::from_json_bytes(&bytes)
    }
}

impl fmt::Display for Type {
    /// Terraform's type constraint syntax: `list(string)`,
    /// `object({a=number,b=bool})`, `tuple([string,number])`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (name, ty)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}={ty}")?;
                }
                f.write_str("})")
            }
            Type::Tuple(elems) => {
                f.write_str("tuple([")?;
                for (i, ty) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{ty}")?;
                }
                f.write_str("])")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Type {
        Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("on", Type::Bool),
            ("any", Type::Dynamic),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::list(Type::Number))),
            ("pair", Type::tuple([Type::String, Type::Bool])),
            ("nested \"q\"", Type::object([("x", Type::String)])),
        ])
    }

    #[test]
    fn json_encoding() {
        assert_eq!(Type::String.to_json_bytes(), b"\"string\"");
        assert_eq!(
            Type::list(Type::Number).to_json_bytes(),
            b"[\"list\",\"number\"]"
        );
        assert_eq!(
            String::from_utf8(
                Type::object([("b", Type::Bool), ("a", Type::Dynamic)]).to_json_bytes()
            )
            .unwrap(),
            r#"["object",{"a":"dynamic","b":"bool"}]"#
        );
        assert_eq!(
            Type::tuple([Type::String, Type::set(Type::Bool)]).to_json_bytes(),
            br#"["tuple",["string",["set","bool"]]]"#
        );
        assert_eq!(Type::Tuple(vec![]).to_json_bytes(), br#"["tuple",[]]"#);
        let ty = sample();
        assert_eq!(
            serde_json::to_vec(&ty.to_json()).unwrap(),
            ty.to_json_bytes()
        );
    }

    #[test]
    fn json_round_trip() {
        let ty = sample();
        assert_eq!(Type::from_json_bytes(&ty.to_json_bytes()).unwrap(), ty);
        assert_eq!(Type::from_json(&ty.to_json()).unwrap(), ty);
    }

    #[test]
    fn parses_optional_attributes_and_whitespace() {
        let ty = Type::from_json_bytes(
            br#" [ "object" , { "a" : "string", "b": ["list", "number"] }, ["b"] ] "#,
        )
        .unwrap();
        assert_eq!(
            ty,
            Type::object([("a", Type::String), ("b", Type::list(Type::Number))])
        );
    }

    #[test]
    fn rejects_bad_types() {
        for bad in [
            &b""[..],
            b"\"strin\"",
            b"[\"list\"]",
            b"[\"list\",\"string\",1]",
            b"[\"object\",[]]",
            b"[\"tuple\",{}]",
            b"[\"frob\",\"string\"]",
            b"42",
            b"\"string\" x",
            b"[\"object\",{\"a\":\"string\"},[1]]",
        ] {
            assert!(
                Type::from_json_bytes(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn displays_constraint_syntax() {
        assert_eq!(
            Type::object([
                ("a", Type::list(Type::String)),
                ("b", Type::tuple([Type::Number]))
            ])
            .to_string(),
            "object({a=list(string),b=tuple([number])})"
        );
    }
}
