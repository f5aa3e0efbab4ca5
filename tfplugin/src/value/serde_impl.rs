//! Conversion between [`Value`] and Rust types through serde.
//!
//! [`to_value`] makes a loosely shaped value (sequences are lists, maps are
//! maps, structs are objects) to be fitted to a schema type with
//! [`Value::conform`]. [`from_value`] reads a value into any
//! `DeserializeOwned` type; errors carry the path where they happened.
//!
//! Null reads as `None` into an `Option` and is an error elsewhere (except
//! for `()`); an unknown value is an error except where the target is a
//! [`MaybeUnknown`]. Struct fields missing from an object read as null, so
//! that `Option` and `MaybeUnknown<Option<_>>` fields may be left out.
//!
//! Limitation: an unknown value cannot be seen through `#[serde(flatten)]`
//! or untagged enums, which buffer their input through `deserialize_any`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use serde::{Deserialize, Deserializer as _};

use crate::path::AttributePath;

use super::{Number, Value, ValueError};

/// The newtype-struct name by which [`MaybeUnknown`] recognizes this
/// module's serializer and deserializer.
const MAYBE_UNKNOWN: &str = "$tfplugin::MaybeUnknown";

/// Converts a serializable Rust value into a loosely shaped [`Value`]:
///
/// - `None` and `()` are null; numbers are numbers (floats must be finite);
///   strings and chars are strings; bools are bools;
/// - sequences and tuples are lists; maps (with string keys) are maps;
///   structs are objects (fields by their serde names);
/// - unit enum variants are the variant's name as a string; other variants
///   are an object with the variant's name as the only attribute;
/// - newtype structs are their content; [`MaybeUnknown::Unknown`] is
///   unknown.
///
/// Fit the result to a schema type with [`Value::conform`].
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
    value
        .serialize(Serializer {
            path: AttributePath::root(),
        })
        .map_err(Error::into_value_error)
}

/// Reads a Rust value from a [`Value`]; see the module documentation.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, ValueError> {
    let path = AttributePath::root();
    T::deserialize(Deserializer { value, path: &path }).map_err(Error::into_value_error)
}

/// A value that may not be known yet ("known after apply").
///
/// As a field of a struct read with [`from_value`], it receives
/// `Unknown` where the value is unknown instead of failing; with
/// [`to_value`], `Unknown` becomes an unknown value. Other serializers see
/// `Unknown` as a unit (`null` in JSON).
///
/// ```
/// # use tfplugin::value::{from_value, MaybeUnknown, Value};
/// #[derive(serde::Deserialize)]
/// struct Config {
///     region: MaybeUnknown<Option<String>>,
/// }
/// let value = Value::Object([("region".to_owned(), Value::Unknown)].into());
/// let config: Config = from_value(&value).unwrap();
/// assert!(config.region.is_unknown());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MaybeUnknown<T> {
    /// Not known until apply.
    #[default]
    Unknown,
    /// Known.
    Known(T),
}

impl<T> MaybeUnknown<T> {
    /// The value, if known.
    pub fn known(&self) -> Option<&T> {
        match self {
            MaybeUnknown::Known(v) => Some(v),
            MaybeUnknown::Unknown => None,
        }
    }

    /// The value, if known.
    pub fn into_known(self) -> Option<T> {
        match self {
            MaybeUnknown::Known(v) => Some(v),
            MaybeUnknown::Unknown => None,
        }
    }

    /// Whether the value is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, MaybeUnknown::Unknown)
    }

    /// Whether the value is known.
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Applies `f` to a known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> MaybeUnknown<U> {
        match self {
            MaybeUnknown::Known(v) => MaybeUnknown::Known(f(v)),
            MaybeUnknown::Unknown => MaybeUnknown::Unknown,
        }
    }
}

impl<T> From<T> for MaybeUnknown<T> {
    fn from(value: T) -> Self {
        MaybeUnknown::Known(value)
    }
}

impl<T: Serialize> Serialize for MaybeUnknown<T> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MaybeUnknown::Known(v) => v.serialize(serializer),
            MaybeUnknown::Unknown => serializer.serialize_newtype_struct(MAYBE_UNKNOWN, &()),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MaybeUnknown<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaybeUnknownVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for MaybeUnknownVisitor<T> {
            type Value = MaybeUnknown<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value that may be unknown")
            }

            /// Only this module's deserializer calls this, for unknown.
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeUnknown::Unknown)
            }

            fn visit_newtype_struct<D: de::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                T::deserialize(deserializer).map(MaybeUnknown::Known)
            }
        }

        deserializer.deserialize_newtype_struct(MAYBE_UNKNOWN, MaybeUnknownVisitor(PhantomData))
    }
}

// ---------------------------------------------------------------------------
// The error type used inside serde, where the path may not be known yet.

/// An error inside serde; errors raised by `Serialize`/`Deserialize` impls
/// have no path until the (de)serializer that called them fills it in.
#[derive(Debug)]
struct Error {
    path: Option<AttributePath>,
    message: String,
}

impl Error {
    fn at(path: &AttributePath, message: impl Into<String>) -> Self {
        Self {
            path: Some(path.clone()),
            message: message.into(),
        }
    }

    /// Gives a path to an error that has none yet.
    fn or_path(mut self, path: &AttributePath) -> Self {
        if self.path.is_none() {
            self.path = Some(path.clone());
        }
        self
    }

    fn into_value_error(self) -> ValueError {
        ValueError::new(self.path.unwrap_or_default(), self.message)
    }
}

/// For `map_err`: gives a path to an error that has none yet.
fn or_path(path: &AttributePath) -> impl FnOnce(Error) -> Error + '_ {
    move |e| e.or_path(path)
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self {
            path: None,
            message: msg.to_string(),
        }
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self {
            path: None,
            message: msg.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------
// Serializer

struct Serializer {
    path: AttributePath,
}

fn number_error(path: &AttributePath, e: super::NumberError) -> Error {
    Error::at(path, e.to_string())
}

impl ser::Serializer for Serializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SerializeVec;
    type SerializeTuple = SerializeVec;
    type SerializeTupleStruct = SerializeVec;
    type SerializeTupleVariant = SerializeVariant<SerializeVec>;
    type SerializeMap = SerializeMap;
    type SerializeStruct = SerializeStruct;
    type SerializeStructVariant = SerializeVariant<SerializeStruct>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Number::try_from(v)
            .map(Value::Number)
            .map_err(|e| number_error(&self.path, e))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Number::try_from(v)
            .map(Value::Number)
            .map_err(|e| number_error(&self.path, e))
    }

    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::List(
            v.iter().map(|b| Value::Number((*b).into())).collect(),
        ))
    }

    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::String(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        if name == MAYBE_UNKNOWN {
            return Ok(Value::Unknown);
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let path = self.path.push_attr(variant);
        let inner = value
            .serialize(Serializer { path: path.clone() })
            .map_err(or_path(&path))?;
        Ok(Value::Object([(variant.to_owned(), inner)].into()))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SerializeVec, Error> {
        Ok(SerializeVec {
            path: self.path,
            items: Vec::with_capacity(len.unwrap_or(0).min(4096)),
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<SerializeVec, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SerializeVec, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SerializeVariant<SerializeVec>, Error> {
        let path = self.path.push_attr(variant);
        Ok(SerializeVariant {
            variant,
            inner: Serializer { path }.serialize_seq(Some(len))?,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<SerializeMap, Error> {
        Ok(SerializeMap {
            path: self.path,
            map: BTreeMap::new(),
            key: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<SerializeStruct, Error> {
        Ok(SerializeStruct {
            path: self.path,
            map: BTreeMap::new(),
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<SerializeVariant<SerializeStruct>, Error> {
        Ok(SerializeVariant {
            variant,
            inner: SerializeStruct {
                path: self.path.push_attr(variant),
                map: BTreeMap::new(),
            },
        })
    }
}

struct SerializeVec {
    path: AttributePath,
    items: Vec<Value>,
}

impl SerializeVec {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let index = i64::try_from(self.items.len()).unwrap_or(i64::MAX);
        let path = self.path.push_index(index);
        let value = value
            .serialize(Serializer { path: path.clone() })
            .map_err(or_path(&path))?;
        self.items.push(value);
        Ok(())
    }
}

impl ser::SerializeSeq for SerializeVec {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::List(self.items))
    }
}

impl ser::SerializeTuple for SerializeVec {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::List(self.items))
    }
}

impl ser::SerializeTupleStruct for SerializeVec {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::List(self.items))
    }
}

/// An enum variant with content: `{variant: content}`.
struct SerializeVariant<S> {
    variant: &'static str,
    inner: S,
}

impl ser::SerializeTupleVariant for SerializeVariant<SerializeVec> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        let inner = Value::List(self.inner.items);
        Ok(Value::Object([(self.variant.to_owned(), inner)].into()))
    }
}

impl ser::SerializeStructVariant for SerializeVariant<SerializeStruct> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }

    fn end(self) -> Result<Value, Error> {
        let inner = Value::Object(self.inner.map);
        Ok(Value::Object([(self.variant.to_owned(), inner)].into()))
    }
}

struct SerializeMap {
    path: AttributePath,
    map: BTreeMap<String, Value>,
    key: Option<String>,
}

impl ser::SerializeMap for SerializeMap {
    type Ok = Value;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let key = key.serialize(KeySerializer).map_err(or_path(&self.path))?;
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let Some(key) = self.key.take() else {
            return Err(Error::at(&self.path, "map value without a key"));
        };
        let path = self.path.push_key(key.clone());
        let value = value
            .serialize(Serializer { path: path.clone() })
            .map_err(or_path(&path))?;
        self.map.insert(key, value);
        Ok(())
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::Map(self.map))
    }
}

struct SerializeStruct {
    path: AttributePath,
    map: BTreeMap<String, Value>,
}

impl ser::SerializeStruct for SerializeStruct {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let path = self.path.push_attr(key);
        let value = value
            .serialize(Serializer { path: path.clone() })
            .map_err(or_path(&path))?;
        self.map.insert(key.to_owned(), value);
        Ok(())
    }

    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(self.map))
    }
}

/// Map keys: strings (and chars, unit variants and newtypes of those).
struct KeySerializer;

fn key_error() -> Error {
    <Error as ser::Error>::custom("map keys must be strings")
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }

    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }

    fn serialize_bool(self, _v: bool) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_i8(self, _v: i8) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_i16(self, _v: i16) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_i32(self, _v: i32) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_i64(self, _v: i64) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_u8(self, _v: u8) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_u16(self, _v: u16) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_u32(self, _v: u32) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_u64(self, _v: u64) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_f32(self, _v: f32) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_f64(self, _v: f64) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_none(self) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(key_error())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_error())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error())
    }
}

// ---------------------------------------------------------------------------
// Deserializer

struct Deserializer<'de, 'p> {
    value: &'de Value,
    path: &'p AttributePath,
}

impl Deserializer<'_, '_> {
    /// The error for a value that is not what the target wants.
    fn unexpected(&self, expected: &str) -> Error {
        let message = match self.value {
            Value::Null => "value is null".to_owned(),
            Value::Unknown => "value is not known yet".to_owned(),
            other => format!("expected {expected}, found {}", other.kind()),
        };
        Error::at(self.path, message)
    }

    fn number(&self, expected: &str) -> Result<&Number, Error> {
        match self.value {
            Value::Number(n) => Ok(n),
            _ => Err(self.unexpected(expected)),
        }
    }

    fn integer<T: TryFrom<i128> + TryFrom<u128>>(&self, name: &str) -> Result<T, Error> {
        let n = self.number(&format!("a number ({name})"))?;
        if !n.is_integer() {
            return Err(Error::at(
                self.path,
                format!("expected an integer ({name}), found {n}"),
            ));
        }
        let converted = match (n.as_i128(), n.as_u128()) {
            (_, Some(u)) => <T as TryFrom<u128>>::try_from(u).ok(),
            (Some(i), None) => <T as TryFrom<i128>>::try_from(i).ok(),
            (None, None) => None,
        };
        converted
            .ok_or_else(|| Error::at(self.path, format!("number {n} is out of range for {name}")))
    }
}

macro_rules! deserialize_integer {
    ($($method:ident => $visit:ident($t:ty)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let v: $t = self.integer(stringify!($t))?;
            visitor.$visit(v).map_err(or_path(self.path))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Deserializer<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let path = self.path;
        let result = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Unknown => return Err(self.unexpected("a known value")),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_f64(n.as_f64())
                }
            }
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => visit_seq(v, path, visitor),
            Value::Map(m) => visit_map(m, false, path, visitor),
            Value::Object(m) => visit_map(m, true, path, visitor),
        };
        result.map_err(or_path(path))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b).map_err(or_path(self.path)),
            _ => Err(self.unexpected("a bool")),
        }
    }

    deserialize_integer! {
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let n = self.number("a number")?;
        // Narrowing to the nearest f32 is the point here.
        #[allow(clippy::cast_possible_truncation)]
        let f = n.as_f64() as f32;
        visitor.visit_f32(f).map_err(or_path(self.path))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let n = self.number("a number")?;
        visitor.visit_f64(n.as_f64()).map_err(or_path(self.path))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => visitor.visit_char(c).map_err(or_path(self.path)),
                    _ => Err(Error::at(
                        self.path,
                        format!("expected a single character, found {s:?}"),
                    )),
                }
            }
            _ => Err(self.unexpected("a string")),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_borrowed_str(s).map_err(or_path(self.path)),
            _ => Err(self.unexpected("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor
                .visit_borrowed_bytes(s.as_bytes())
                .map_err(or_path(self.path)),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                visit_seq(v, self.path, visitor).map_err(or_path(self.path))
            }
            _ => Err(self.unexpected("a string or a list of bytes")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let path = self.path;
        match self.value {
            Value::Null => visitor.visit_none().map_err(or_path(path)),
            Value::Unknown => Err(self.unexpected("a known value")),
            _ => visitor.visit_some(self).map_err(or_path(path)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit().map_err(or_path(self.path)),
            _ => Err(self.unexpected("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let path = self.path;
        if name == MAYBE_UNKNOWN && self.value.is_unknown() {
            return visitor.visit_unit().map_err(or_path(path));
        }
        visitor.visit_newtype_struct(self).map_err(or_path(path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                visit_seq(v, self.path, visitor).map_err(or_path(self.path))
            }
            _ => Err(self.unexpected("a list, set or tuple")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.value {
            Value::Map(m) => visit_map(m, false, self.path, visitor),
            Value::Object(m) => visit_map(m, true, self.path, visitor),
            _ => return Err(self.unexpected("a map or an object")),
        };
        result.map_err(or_path(self.path))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (entries, attributes) = match self.value {
            Value::Object(m) => (m, true),
            Value::Map(m) => (m, false),
            _ => return Err(self.unexpected("an object")),
        };
        let access = MapAccess {
            entries: entries.iter(),
            missing: fields
                .iter()
                .filter(|f| !entries.contains_key(**f))
                .copied()
                .collect::<Vec<_>>()
                .into_iter(),
            attributes,
            parent: self.path,
            pending: None,
        };
        visitor.visit_map(access).map_err(or_path(self.path))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let access = match self.value {
            Value::String(s) => EnumAccess {
                variant: s,
                content: None,
                path: self.path.clone(),
            },
            Value::Object(m) | Value::Map(m) if m.len() == 1 => match m.iter().next() {
                Some((k, v)) => EnumAccess {
                    variant: k,
                    content: Some(v),
                    path: self.path.push_attr(k.clone()),
                },
                None => return Err(self.unexpected("an enum variant")),
            },
            _ => {
                return Err(
                    self.unexpected("an enum variant (a string, or an object with one attribute)")
                );
            }
        };
        visitor.visit_enum(access).map_err(or_path(self.path))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

fn visit_seq<'de, V: Visitor<'de>>(
    elems: &'de [Value],
    parent: &AttributePath,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut access = SeqAccess {
        elems: elems.iter().enumerate(),
        parent,
    };
    let value = visitor.visit_seq(&mut access)?;
    let remaining = access.elems.len();
    if remaining > 0 {
        return Err(Error::at(
            parent,
            format!(
                "expected {} element(s), found {}",
                elems.len().saturating_sub(remaining),
                elems.len()
            ),
        ));
    }
    Ok(value)
}

fn visit_map<'de, V: Visitor<'de>>(
    entries: &'de BTreeMap<String, Value>,
    attributes: bool,
    parent: &AttributePath,
    visitor: V,
) -> Result<V::Value, Error> {
    visitor.visit_map(MapAccess {
        entries: entries.iter(),
        missing: Vec::new().into_iter(),
        attributes,
        parent,
        pending: None,
    })
}

struct SeqAccess<'de, 'p> {
    elems: std::iter::Enumerate<std::slice::Iter<'de, Value>>,
    parent: &'p AttributePath,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'de, '_> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((i, value)) = self.elems.next() else {
            return Ok(None);
        };
        let path = self.parent.push_index(i64::try_from(i).unwrap_or(i64::MAX));
        seed.deserialize(Deserializer { value, path: &path })
            .map(Some)
            .map_err(or_path(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.elems.len())
    }
}

static NULL: Value = Value::Null;

/// Entries of a map or object; for structs, then the fields that are
/// missing, as null.
struct MapAccess<'de, 'p> {
    entries: std::collections::btree_map::Iter<'de, String, Value>,
    missing: std::vec::IntoIter<&'static str>,
    attributes: bool,
    parent: &'p AttributePath,
    pending: Option<(AttributePath, &'de Value)>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'de, '_> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let (key, value): (&'de str, &'de Value) = match self.entries.next() {
            Some((k, v)) => (k.as_str(), v),
            None => match self.missing.next() {
                Some(field) => (field, &NULL),
                None => return Ok(None),
            },
        };
        let path = if self.attributes {
            self.parent.push_attr(key)
        } else {
            self.parent.push_key(key)
        };
        let key = seed
            .deserialize(KeyDeserializer { key, path: &path })
            .map_err(or_path(&path))?;
        self.pending = Some((path, value));
        Ok(Some(key))
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((path, value)) = self.pending.take() else {
            return Err(Error::at(self.parent, "map value requested before its key"));
        };
        seed.deserialize(Deserializer { value, path: &path })
            .map_err(or_path(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() + self.missing.len())
    }
}

/// A map key or field name; integer and bool keys are parsed from it.
struct KeyDeserializer<'de, 'p> {
    key: &'de str,
    path: &'p AttributePath,
}

macro_rules! deserialize_parsed_key {
    ($($method:ident => $visit:ident($t:ty)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.key.parse::<$t>() {
                Ok(v) => visitor.$visit(v),
                Err(_) => Err(Error::at(
                    self.path,
                    format!("expected a key of type {}, found {:?}", stringify!($t), self.key),
                )),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDeserializer<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.key)
    }

    deserialize_parsed_key! {
        deserialize_bool => visit_bool(bool),
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.key.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct EnumAccess<'de> {
    variant: &'de str,
    content: Option<&'de Value>,
    path: AttributePath,
}

impl<'de> de::EnumAccess<'de> for EnumAccess<'de> {
    type Error = Error;
    type Variant = VariantAccess<'de>;

    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantAccess<'de>), Error> {
        let variant = seed
            .deserialize(KeyDeserializer {
                key: self.variant,
                path: &self.path,
            })
            .map_err(or_path(&self.path))?;
        Ok((
            variant,
            VariantAccess {
                content: self.content,
                path: self.path,
            },
        ))
    }
}

struct VariantAccess<'de> {
    content: Option<&'de Value>,
    path: AttributePath,
}

impl<'de> VariantAccess<'de> {
    fn content(&self, expected: &str) -> Result<Deserializer<'de, '_>, Error> {
        match self.content {
            Some(value) => Ok(Deserializer {
                value,
                path: &self.path,
            }),
            None => Err(Error::at(
                &self.path,
                format!("expected {expected}, found a unit variant"),
            )),
        }
    }
}

impl<'de> de::VariantAccess<'de> for VariantAccess<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(Error::at(
                &self.path,
                format!("expected a unit variant, found {}", other.kind()),
            )),
        }
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        let de = self.content("a newtype variant")?;
        seed.deserialize(de).map_err(or_path(&self.path))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.content("a tuple variant")?.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.content("a struct variant")?
            .deserialize_struct("", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use crate::value::test_values::{num, obj};
    use std::collections::{BTreeMap, HashMap};

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::value::Type;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Fast,
        SlowAndSteady,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Rule {
        port: u16,
        cidrs: Vec<String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Config {
        name: String,
        region: MaybeUnknown<Option<String>>,
        tags: Option<BTreeMap<String, String>>,
        count: i64,
        ratio: f64,
        enabled: bool,
        mode: Mode,
        rules: Vec<Rule>,
        #[serde(rename = "type")]
        kind: Option<String>,
        nested: Option<Box<Config>>,
    }

    fn config_type() -> Type {
        let rule = Type::object([("port", Type::Number), ("cidrs", Type::list(Type::String))]);
        Type::object([
            ("name", Type::String),
            ("region", Type::String),
            ("tags", Type::map(Type::String)),
            ("count", Type::Number),
            ("ratio", Type::Number),
            ("enabled", Type::Bool),
            ("mode", Type::String),
            ("rules", Type::set(rule)),
            ("type", Type::String),
            ("nested", Type::Dynamic),
        ])
    }

    fn sample() -> Config {
        Config {
            name: "web".into(),
            region: MaybeUnknown::Unknown,
            tags: Some([("team".to_owned(), "infra".to_owned())].into()),
            count: -3,
            ratio: 0.1,
            enabled: true,
            mode: Mode::SlowAndSteady,
            rules: vec![Rule {
                port: 443,
                cidrs: vec!["0.0.0.0/0".into()],
            }],
            kind: None,
            nested: None,
        }
    }

    #[test]
    fn struct_round_trip_with_unknown() {
        let config = sample();
        let value = to_value(&config).unwrap();
        assert_eq!(value.get_attr("region"), Some(&Value::Unknown));
        assert_eq!(value.get_attr("ratio"), Some(&num("0.1")));
        assert_eq!(
            value.get_attr("mode"),
            Some(&Value::from("slow_and_steady"))
        );
        assert_eq!(value.get_attr("type"), Some(&Value::Null));
        let conformed = value.conform(&config_type()).unwrap();
        assert!(matches!(conformed.get_attr("rules"), Some(Value::Set(_))));
        let back: Config = from_value(&conformed).unwrap();
        assert_eq!(back, config);

        // Through the wire format and back.
        let bytes = crate::value::msgpack::encode(&conformed, &config_type()).unwrap();
        let decoded = crate::value::msgpack::decode(&bytes, &config_type()).unwrap();
        assert_eq!(from_value::<Config>(&decoded).unwrap(), config);
    }

    #[test]
    fn maybe_unknown_both_ways() {
        let known: MaybeUnknown<Option<String>> = from_value(&Value::from("x")).unwrap();
        assert_eq!(known, MaybeUnknown::Known(Some("x".into())));
        assert_eq!(known.known(), Some(&Some("x".to_owned())));
        let null: MaybeUnknown<Option<String>> = from_value(&Value::Null).unwrap();
        assert_eq!(null, MaybeUnknown::Known(None));
        let unknown: MaybeUnknown<Option<String>> = from_value(&Value::Unknown).unwrap();
        assert!(unknown.is_unknown());
        assert_eq!(unknown.clone().into_known(), None);
        assert_eq!(to_value(&unknown).unwrap(), Value::Unknown);
        assert_eq!(to_value(&known).unwrap(), Value::from("x"));
        // Nested: a list of maybe-unknown numbers.
        let v = Value::List(vec![num("1"), Value::Unknown]);
        let list: Vec<MaybeUnknown<u8>> = from_value(&v).unwrap();
        assert_eq!(list, vec![MaybeUnknown::Known(1), MaybeUnknown::Unknown]);
        assert_eq!(to_value(&list).unwrap(), v);
        // Other serializers see unit.
        assert_eq!(serde_json::to_string(&unknown).unwrap(), "null");
        assert_eq!(serde_json::to_string(&known).unwrap(), "\"x\"");
        let from_json: MaybeUnknown<Option<u8>> = serde_json::from_str("null").unwrap();
        assert_eq!(from_json, MaybeUnknown::Known(None));
        let from_json: MaybeUnknown<u8> = serde_json::from_str("7").unwrap();
        assert_eq!(from_json, MaybeUnknown::Known(7));
    }

    #[test]
    fn unknown_and_null_errors_carry_paths() {
        let mut value = to_value(&sample()).unwrap();
        *value
            .get_path_mut(&AttributePath::attr("rules").push_index(0).push_attr("port"))
            .unwrap() = Value::Unknown;
        let err = from_value::<Config>(&value).unwrap_err();
        assert_eq!(err.path.to_string(), "rules[0].port");
        assert_eq!(err.message, "value is not known yet");

        *value
            .get_path_mut(&AttributePath::attr("rules").push_index(0).push_attr("port"))
            .unwrap() = Value::Null;
        let err = from_value::<Config>(&value).unwrap_err();
        assert_eq!(err.path.to_string(), "rules[0].port");
        assert_eq!(err.message, "value is null");

        *value
            .get_path_mut(&AttributePath::attr("rules").push_index(0).push_attr("port"))
            .unwrap() = num("70000");
        let err = from_value::<Config>(&value).unwrap_err();
        assert_eq!(err.path.to_string(), "rules[0].port");
        assert!(err.message.contains("out of range for u16"), "{err}");

        *value
            .get_path_mut(&AttributePath::attr("rules").push_index(0).push_attr("port"))
            .unwrap() = num("1.5");
        let err = from_value::<Config>(&value).unwrap_err();
        assert!(err.message.contains("expected an integer"), "{err}");

        // Errors raised by derived code get the path where they happened.
        *value.get_path_mut(&AttributePath::attr("mode")).unwrap() = Value::from("warp");
        let err = from_value::<Config>(&value).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("mode"));
        assert!(err.message.contains("unknown variant"), "{err}");

        let err = from_value::<Config>(&obj([("name", Value::from("x"))])).unwrap_err();
        assert_eq!(err.path, AttributePath::attr("count"));
        assert_eq!(err.message, "value is null");

        let err = from_value::<BTreeMap<String, u8>>(&Value::Map(
            [("k".to_owned(), Value::from("v"))].into(),
        ))
        .unwrap_err();
        assert_eq!(err.path, AttributePath::root().push_key("k"));
        assert_eq!(err.message, "expected a number (u8), found a string");
        assert_eq!(
            err.to_string(),
            "expected a number (u8), found a string (at [\"k\"])"
        );
    }

    #[test]
    fn missing_fields_are_null() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Sparse {
            a: Option<String>,
            b: MaybeUnknown<Option<u32>>,
            #[serde(default)]
            c: Option<bool>,
        }
        let got: Sparse = from_value(&Value::Object(BTreeMap::new())).unwrap();
        assert_eq!(
            got,
            Sparse {
                a: None,
                b: MaybeUnknown::Known(None),
                c: None
            }
        );
        // Extra attributes, even unknown ones, are ignored.
        let got: Sparse =
            from_value(&obj([("zzz", Value::Unknown), ("b", Value::Unknown)])).unwrap();
        assert!(got.b.is_unknown());
    }

    #[test]
    fn primitives_and_collections() {
        assert_eq!(
            from_value::<u64>(&num("18446744073709551615")).unwrap(),
            u64::MAX
        );
        assert_eq!(
            from_value::<i128>(&num("-1e30")).unwrap(),
            -(10i128.pow(30))
        );
        assert!(from_value::<u64>(&num("-1")).is_err());
        assert!(from_value::<i8>(&num("128")).is_err());
        assert_eq!(from_value::<f64>(&num("0.1")).unwrap(), 0.1);
        assert_eq!(from_value::<f32>(&num("0.1")).unwrap(), 0.1f32);
        assert_eq!(from_value::<char>(&Value::from("é")).unwrap(), 'é');
        assert!(from_value::<char>(&Value::from("ab")).is_err());
        assert_eq!(from_value::<()>(&Value::Null).unwrap(), ());
        assert!(from_value::<String>(&Value::Null).is_err());
        assert_eq!(from_value::<Option<String>>(&Value::Null).unwrap(), None);
        assert!(from_value::<Option<String>>(&Value::Unknown).is_err());
        let set = Value::Set(vec![Value::from("a"), Value::from("b")]);
        assert_eq!(from_value::<Vec<String>>(&set).unwrap(), vec!["a", "b"]);
        let tuple = Value::Tuple(vec![Value::from("a"), num("2")]);
        assert_eq!(
            from_value::<(String, u8)>(&tuple).unwrap(),
            ("a".to_owned(), 2)
        );
        assert!(from_value::<(String,)>(&tuple).is_err());
        let map = Value::Map([("1".to_owned(), Value::Bool(true))].into());
        assert_eq!(
            from_value::<HashMap<u32, bool>>(&map).unwrap(),
            [(1, true)].into()
        );
        assert_eq!(
            to_value(&u128::MAX).unwrap(),
            num("340282366920938463463374607431768211455")
        );
        assert_eq!(to_value(&1.5f32).unwrap(), num("1.5"));
        assert!(to_value(&f64::NAN).is_err());
        assert_eq!(to_value(&'x').unwrap(), Value::from("x"));
        assert_eq!(to_value(&()).unwrap(), Value::Null);
        assert_eq!(
            to_value(&(1, "a")).unwrap(),
            Value::List(vec![num("1"), Value::from("a")])
        );
        let err = to_value(&HashMap::from([(1, 2)])).unwrap_err();
        assert!(err.message.contains("map keys must be strings"));
        let err = to_value(&vec![Some(f64::INFINITY)]).unwrap_err();
        assert_eq!(err.path, AttributePath::root().push_index(0));
        // serde_json values read from values (e.g. for dynamic attributes).
        let v = obj([(
            "a",
            Value::List(vec![num("1.5"), Value::Null, Value::from("s")]),
        )]);
        let json: serde_json::Value = from_value(&v).unwrap();
        assert_eq!(json, serde_json::json!({"a": [1.5, null, "s"]}));
    }

    #[test]
    fn enums() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        enum E {
            Unit,
            New(u8),
            Tup(u8, String),
            Rec { x: bool },
        }
        for e in [
            E::Unit,
            E::New(3),
            E::Tup(1, "a".into()),
            E::Rec { x: true },
        ] {
            let v = to_value(&e).unwrap();
            assert_eq!(from_value::<E>(&v).unwrap(), e);
        }
        assert_eq!(to_value(&E::New(3)).unwrap(), obj([("New", num("3"))]));
        let err = from_value::<E>(&obj([("Rec", obj([("x", Value::from("no"))]))])).unwrap_err();
        assert_eq!(err.path.to_string(), "Rec.x");
        assert!(from_value::<E>(&Value::from("New")).is_err());
        assert!(from_value::<E>(&num("1")).is_err());
    }
}
