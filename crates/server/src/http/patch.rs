//! Helpers for PATCH bodies: telling "absent" from "null", and recording
//! old/new values of changed fields for the audit trail.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

/// `Some(None)` for an explicit `null`, `None` when the field is absent
/// (with `#[serde(default)]`).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Collects `{ field: { old, new } }` for fields whose value changed.
#[derive(Default)]
pub struct Changes(Map<String, Value>);

impl Changes {
    pub fn set<T: Serialize + PartialEq>(&mut self, field: &str, slot: &mut T, new: T) {
        if *slot != new {
            self.0
                .insert(field.to_owned(), json!({ "old": &*slot, "new": &new }));
            *slot = new;
        }
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// An integer given as a JSON number, `3` or `3.0` alike: JSON (and JSON
/// Schema's `integer`) does not tell them apart, so neither does the API.
/// A fraction, or a value outside `i64`, is refused.
pub fn integer<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    use serde::de::{Error, Unexpected};
    // 2^63: the first f64 outside i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match serde_json::Number::deserialize(deserializer)? {
        n if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        n => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) => Ok(f as i64),
            Some(f) => Err(D::Error::invalid_value(Unexpected::Float(f), &"an integer")),
            None => Err(D::Error::invalid_value(
                Unexpected::Other("number"),
                &"an integer",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct V {
        #[serde(deserialize_with = "super::integer")]
        v: i64,
    }

    fn parse(json: &str) -> Option<i64> {
        serde_json::from_str::<V>(json).ok().map(|x| x.v)
    }

    #[test]
    fn integers_in_either_notation() {
        assert_eq!(parse(r#"{"v": 3}"#), Some(3));
        assert_eq!(parse(r#"{"v": 3.0}"#), Some(3));
        assert_eq!(parse(r#"{"v": -2.0}"#), Some(-2));
        assert_eq!(parse(r#"{"v": 1e2}"#), Some(100));
        assert_eq!(parse(r#"{"v": 3.5}"#), None);
        assert_eq!(parse(r#"{"v": 18446744073709551615}"#), None);
        assert_eq!(parse(r#"{"v": 1e19}"#), None);
        assert_eq!(parse(r#"{"v": "3"}"#), None);
    }
}
