//! Decodes arbitrary bytes as msgpack values of a few types (the first byte
//! picks the type). Decoding must never panic; whatever decodes must encode
//! and decode again to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tfplugin::value::{Type, msgpack};

fn types() -> [Type; 6] {
    [
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

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = data.split_first() else {
        return;
    };
    let types = types();
    let ty = &types[usize::from(*selector) % types.len()];
    if let Ok(value) = msgpack::decode(bytes, ty) {
        let encoded = match msgpack::encode(&value, ty) {
            Ok(encoded) => encoded,
            Err(e) => panic!("decoded {value:?} but could not encode it: {e}"),
        };
        match msgpack::decode(&encoded, ty) {
            Ok(again) => assert_eq!(again, value, "round trip changed the value"),
            Err(e) => panic!("could not decode our own encoding of {value:?}: {e}"),
        }
    }
});
