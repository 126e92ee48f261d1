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
