//! Values as plan-time code reads them from a configuration or a plan:
//! unknown until apply, null, or known. Shared by every resource's
//! `plan.rs` (typed models decoded with `config_as`/`plan_as`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use tfplugin::diag::Diagnostics;
use tfplugin::resource::PlanRequest;
use tfplugin::value::MaybeUnknown;

/// A planned or configured value: unknown until apply, null, or known.
pub type Maybe<T> = MaybeUnknown<Option<T>>;

/// For `#[serde(deserialize_with = "planned::wholly_known")]` on a set or
/// list of strings: ids from resources not yet created leave a set partly
/// unknown at plan, and checks that need the whole set treat such a set as
/// unknown (`Maybe<Vec<String>>` alone would fail to decode it).
pub fn wholly_known<'de, D: Deserializer<'de>>(d: D) -> Result<Maybe<Vec<String>>, D::Error> {
    Ok(match Maybe::<Vec<MaybeUnknown<String>>>::deserialize(d)? {
        MaybeUnknown::Known(Some(items)) => items
            .into_iter()
            .map(MaybeUnknown::into_known)
            .collect::<Option<Vec<String>>>()
            .map_or(MaybeUnknown::Unknown, |ids| MaybeUnknown::Known(Some(ids))),
        MaybeUnknown::Known(None) => MaybeUnknown::Known(None),
        MaybeUnknown::Unknown => MaybeUnknown::Unknown,
    })
}

/// The prior state as the resource's model; `None` on create, whose prior
/// state is null (and would not decode).
pub fn prior_state<T: DeserializeOwned>(req: &PlanRequest) -> Result<Option<T>, Diagnostics> {
    if req.creating() {
        Ok(None)
    } else {
        req.prior_state_as().map(Some)
    }
}

/// A value when it is known and not null.
pub fn given<T>(value: &Maybe<T>) -> Option<&T> {
    value.known().and_then(Option::as_ref)
}

/// Whether the configuration leaves a value out (null; unknown is not).
pub fn left_out<T>(value: &Maybe<T>) -> bool {
    matches!(value, MaybeUnknown::Known(None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::value::{self, Value};

    #[derive(Debug, Deserialize)]
    struct Model {
        #[serde(deserialize_with = "wholly_known")]
        ids: Maybe<Vec<String>>,
    }

    fn decode(ids: Value) -> Maybe<Vec<String>> {
        let object = Value::Object([("ids".to_owned(), ids)].into());
        value::from_value::<Model>(&object).expect("decodes").ids
    }

    #[test]
    fn a_partly_unknown_set_reads_as_unknown() {
        let known = Value::Set(vec![Value::from("a"), Value::from("b")]);
        assert_eq!(
            decode(known),
            MaybeUnknown::Known(Some(vec!["a".to_owned(), "b".to_owned()]))
        );
        let partly = Value::Set(vec![Value::from("a"), Value::Unknown]);
        assert_eq!(decode(partly), MaybeUnknown::Unknown);
        assert_eq!(decode(Value::Unknown), MaybeUnknown::Unknown);
        assert_eq!(decode(Value::Null), MaybeUnknown::Known(None));
        assert!(left_out(&decode(Value::Null)));
        assert_eq!(given(&decode(Value::Null)), None);
    }
}
