//! Property tests of the value codecs: round trips through msgpack and JSON
//! for arbitrary (type, value) pairs, with null and unknown at any depth,
//! nested sets, big and very precise numbers and unicode strings; and the
//! msgpack decoder never panicking on arbitrary or corrupted input.

use std::collections::{BTreeMap, HashSet};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use tfplugin::value::{Number, Type, Value, json, msgpack};

fn parse_number(text: &str) -> Number {
    text.parse()
        .unwrap_or_else(|e| panic!("test number {text:?}: {e}"))
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", |f| Number::try_from(f).ok()),
        // Integers beyond 64 bits.
        "-?[1-9][0-9]{19,60}".prop_map(|s| parse_number(&s)),
        // Decimals with many digits.
        "-?[0-9]{1,30}\\.[0-9]{1,40}".prop_map(|s| parse_number(&s)),
        // Large and small exponents.
        ("-?[1-9][0-9]{0,5}", -400i32..400).prop_map(|(m, e)| parse_number(&format!("{m}e{e}"))),
    ]
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![".{0,8}", "[a-z\"\\\\\n\t\u{1}é😀]{0,6}", any::<String>(),]
}

fn attr_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}"
}

/// A type; with `dynamic`, `Type::Dynamic` may appear anywhere in it.
fn type_strategy(dynamic: bool) -> BoxedStrategy<Type> {
    let leaf = if dynamic {
        prop_oneof![
            Just(Type::String),
            Just(Type::Number),
            Just(Type::Bool),
            Just(Type::Dynamic),
        ]
        .boxed()
    } else {
        prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)].boxed()
    };
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            btree_map(attr_name(), inner.clone(), 0..4).prop_map(Type::Object),
            vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
    .boxed()
}

/// Removes duplicate set elements, keeping the first.
fn dedupe(elems: Vec<Value>) -> Vec<Value> {
    let mut seen = HashSet::new();
    elems
        .into_iter()
        .filter(|e| seen.insert(e.clone()))
        .collect()
}

/// A value of type `ty`, with nulls everywhere and, if `unknowns`, unknown
/// values anywhere.
fn value_of(ty: &Type, unknowns: bool) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::String => string().prop_map(Value::String).boxed(),
        Type::Number => number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        // A value of some concrete type (without further dynamic parts, so
        // that the type inferred from the value fits all of it).
        Type::Dynamic => type_strategy(false)
            .prop_flat_map(move |t| value_of(&t, unknowns))
            .boxed(),
        Type::List(t) => vec(value_of(t, unknowns), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(t) => vec(value_of(t, unknowns), 0..4)
            .prop_map(|v| Value::Set(dedupe(v)))
            .boxed(),
        Type::Map(t) => btree_map(string(), value_of(t, unknowns), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => attrs
            .iter()
            .map(|(name, t)| {
                let name = name.clone();
                value_of(t, unknowns).prop_map(move |v| (name.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<BTreeMap<_, _>>()))
            .boxed(),
        Type::Tuple(types) => types
            .iter()
            .map(|t| value_of(t, unknowns))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
    };
    if unknowns {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 8 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 8 => known].boxed()
    }
}

fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    type_strategy(true).prop_flat_map(move |ty| {
        let t = ty.clone();
        value_of(&ty, unknowns).prop_map(move |v| (t.clone(), v))
    })
}

/// Fixed types for throwing arbitrary bytes at the decoder: the same as in
/// the fuzz target (fuzz/fuzz_targets/msgpack_decode.rs), whose first input
/// byte picks one of them.
fn fuzz_types() -> Vec<Type> {
    vec![
        Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("on", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::list(Type::Number))),
            ("any", Type::Dynamic),
            ("pair", Type::tuple([Type::String, Type::Dynamic])),
            (
                "blocks",
                Type::list(Type::object([
                    ("x", Type::set(Type::String)),
                    ("y", Type::Dynamic),
                ])),
            ),
        ]),
        Type::Dynamic,
        Type::list(Type::Dynamic),
        Type::set(Type::set(Type::Number)),
        Type::map(Type::object([("a", Type::String), ("b", Type::tuple([]))])),
        Type::Number,
    ]
}

/// Every seed of the fuzz corpus is valid input that round-trips, so that
/// the fuzzer starts from the interesting shapes.
#[test]
fn fuzz_seeds_decode() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/msgpack_decode");
    let types = fuzz_types();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).expect("corpus file");
        let Some((selector, bytes)) = data.split_first() else {
            continue;
        };
        let ty = &types[usize::from(*selector) % types.len()];
        let value = msgpack::decode(bytes, ty)
            .unwrap_or_else(|e| panic!("seed {} does not decode: {e}", path.display()));
        let again = msgpack::encode(&value, ty).expect("encode");
        assert_eq!(
            msgpack::decode(&again, ty).expect("decode"),
            value,
            "{}",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 10, "only {count} seeds");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_round_trip((ty, value) in typed_value(true)) {
        let bytes = msgpack::encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = msgpack::decode(&bytes, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decoded, value);
    }

    #[test]
    fn json_round_trip((ty, value) in typed_value(false)) {
        let bytes = json::encode(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = json::decode(&bytes, &ty).map_err(|e| {
            TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes)))
        })?;
        prop_assert_eq!(decoded, value);
    }

    #[test]
    fn json_refuses_unknowns((ty, value) in typed_value(true)) {
        prop_assume!(!value.is_wholly_known());
        let result = json::encode(&value, &ty);
        prop_assert!(result.is_err());
    }

    #[test]
    fn type_json_round_trip(ty in type_strategy(true)) {
        let bytes = ty.to_json_bytes();
        prop_assert_eq!(Type::from_json_bytes(&bytes).ok(), Some(ty.clone()));
        prop_assert_eq!(Type::from_json(&ty.to_json()).ok(), Some(ty));
    }

    #[test]
    fn msgpack_decode_arbitrary_bytes(bytes in vec(any::<u8>(), 0..256)) {
        for ty in fuzz_types() {
            if let Ok(value) = msgpack::decode(&bytes, &ty) {
                // Whatever decodes, encodes and decodes to the same value.
                let again = msgpack::encode(&value, &ty)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(msgpack::decode(&again, &ty).ok(), Some(value));
            }
        }
    }

    #[test]
    fn msgpack_decode_corrupted(
        (ty, value) in typed_value(true),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let Ok(mut bytes) = msgpack::encode(&value, &ty) else {
            return Err(TestCaseError::fail("encoding failed"));
        };
        for (index, byte) in flips {
            let i = index.index(bytes.len());
            bytes[i] = byte;
        }
        // Any outcome but a panic will do.
        let _ = msgpack::decode(&bytes, &ty);
        let _ = msgpack::decode(&bytes[..cut.index(bytes.len() + 1)], &ty);
        for fixed in fuzz_types() {
            let _ = msgpack::decode(&bytes, &fixed);
        }
    }
}
