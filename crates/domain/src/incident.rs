//! Incident controls: switches an operator sets at run time to contain an
//! incident, shared by every replica through the metadata store.
//!
//! The store keeps them as `(key, JSON value)` pairs (`ControlEntry`); this
//! module turns those into `Controls` and back, so every backend stores the
//! same few strings and knows nothing of their meaning.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who set a control, when, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Tokens issued before `before` are refused (for everyone, or one `sub`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub before: DateTime<Utc>,
    #[serde(flatten)]
    pub switch: Switch,
}

/// Every control in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Controls {
    /// Every write is refused.
    pub read_only: Option<Switch>,
    /// Only uploads are refused.
    pub uploads_off: Option<Switch>,
    /// Blocked accounts, by `sub`.
    pub blocked: BTreeMap<String, Switch>,
    /// A revocation for every token.
    pub revoked_all: Option<Revocation>,
    /// Revocations for one `sub`.
    pub revoked_users: BTreeMap<String, Revocation>,
}

/// One stored control: its key and its JSON value.
pub type ControlEntry = (String, String);

const READ_ONLY: &str = "read-only";
const UPLOADS_OFF: &str = "uploads-off";
const BLOCK: &str = "block:";
const REVOKE_ALL: &str = "revoke-all";
const REVOKE_USER: &str = "revoke:";

/// A change to one control.
#[derive(Clone, Debug)]
pub enum ControlChange {
    ReadOnly(Option<Switch>),
    UploadsOff(Option<Switch>),
    Block {
        sub: String,
        switch: Option<Switch>,
    },
    Revoke {
        sub: Option<String>,
        revocation: Revocation,
    },
}

impl ControlChange {
    /// The key and the new JSON value (`None`: remove the key).
    pub fn entry(&self) -> (String, Option<String>) {
        fn json(value: &impl Serialize) -> Option<String> {
            Some(serde_json::to_string(value).expect("controls serialize"))
        }
        match self {
            ControlChange::ReadOnly(switch) => (READ_ONLY.into(), switch.as_ref().and_then(json)),
            ControlChange::UploadsOff(switch) => {
                (UPLOADS_OFF.into(), switch.as_ref().and_then(json))
            }
            ControlChange::Block { sub, switch } => {
                (format!("{BLOCK}{sub}"), switch.as_ref().and_then(json))
            }
            ControlChange::Revoke { sub, revocation } => match sub {
                Some(sub) => (format!("{REVOKE_USER}{sub}"), json(revocation)),
                None => (REVOKE_ALL.into(), json(revocation)),
            },
        }
    }
}

impl Controls {
    /// Reads stored entries; an entry that does not parse is skipped and
    /// named in the second value, so one bad row cannot lift every switch.
    pub fn from_entries(entries: &[ControlEntry]) -> (Self, Vec<String>) {
        let mut controls = Controls::default();
        let mut bad = Vec::new();
        for (key, value) in entries {
            let ok = if key == READ_ONLY {
                serde_json::from_str(value)
                    .map(|s| controls.read_only = Some(s))
                    .is_ok()
            } else if key == UPLOADS_OFF {
                serde_json::from_str(value)
                    .map(|s| controls.uploads_off = Some(s))
                    .is_ok()
            } else if let Some(sub) = key.strip_prefix(BLOCK) {
                serde_json::from_str(value)
                    .map(|s| drop(controls.blocked.insert(sub.to_owned(), s)))
                    .is_ok()
            } else if key == REVOKE_ALL {
                serde_json::from_str(value)
                    .map(|r| controls.revoked_all = Some(r))
                    .is_ok()
            } else if let Some(sub) = key.strip_prefix(REVOKE_USER) {
                serde_json::from_str(value)
                    .map(|r| drop(controls.revoked_users.insert(sub.to_owned(), r)))
                    .is_ok()
            } else {
                false
            };
            if !ok {
                bad.push(key.clone());
            }
        }
        (controls, bad)
    }

    /// Whether `sub` is blocked.
    pub fn is_blocked(&self, sub: &str) -> bool {
        self.blocked.contains_key(sub)
    }

    /// Whether a token of `sub` issued at `issued_at` (Unix seconds; `None`
    /// when the token has no `iat`) is revoked. A revocation in force refuses
    /// a token without `iat`, since its age cannot be told.
    pub fn is_revoked(&self, sub: &str, issued_at: Option<i64>) -> bool {
        [self.revoked_all.as_ref(), self.revoked_users.get(sub)]
            .into_iter()
            .flatten()
            .any(|revocation| issued_at.is_none_or(|iat| iat < revocation.before.timestamp()))
    }

    /// Whether any control is in force.
    pub fn is_empty(&self) -> bool {
        *self == Controls::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn switch() -> Switch {
        Switch {
            reason: "incident 42".into(),
            by: "ops".into(),
            at: "2026-12-04T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn entries_round_trip() {
        let before: DateTime<Utc> = "2026-12-04T09:00:00Z".parse().unwrap();
        let changes = [
            ControlChange::ReadOnly(Some(switch())),
            ControlChange::UploadsOff(Some(switch())),
            ControlChange::Block {
                sub: "mallory".into(),
                switch: Some(switch()),
            },
            ControlChange::Revoke {
                sub: None,
                revocation: Revocation {
                    before,
                    switch: switch(),
                },
            },
            ControlChange::Revoke {
                sub: Some("alice".into()),
                revocation: Revocation {
                    before,
                    switch: switch(),
                },
            },
        ];
        let entries: Vec<ControlEntry> = changes
            .iter()
            .map(|c| {
                let (k, v) = c.entry();
                (k, v.unwrap())
            })
            .collect();
        let (controls, bad) = Controls::from_entries(&entries);
        assert!(bad.is_empty());
        assert!(controls.read_only.is_some() && controls.uploads_off.is_some());
        assert!(controls.is_blocked("mallory") && !controls.is_blocked("alice"));
        let iat = before.timestamp();
        assert!(controls.is_revoked("bob", Some(iat - 1)));
        assert!(!controls.is_revoked("bob", Some(iat)));
        assert!(controls.is_revoked("bob", None));

        let (k, v) = ControlChange::Block {
            sub: "mallory".into(),
            switch: None,
        }
        .entry();
        assert_eq!((k.as_str(), v), ("block:mallory", None));
    }

    #[test]
    fn per_user_revocation_and_bad_rows() {
        let before: DateTime<Utc> = "2026-12-04T09:00:00Z".parse().unwrap();
        let (key, value) = ControlChange::Revoke {
            sub: Some("alice".into()),
            revocation: Revocation {
                before,
                switch: switch(),
            },
        }
        .entry();
        let entries = vec![
            (key, value.unwrap()),
            ("read-only".to_owned(), "not json".to_owned()),
            ("mystery".to_owned(), "{}".to_owned()),
        ];
        let (controls, bad) = Controls::from_entries(&entries);
        assert_eq!(bad, vec!["read-only".to_owned(), "mystery".to_owned()]);
        assert!(controls.is_revoked("alice", Some(before.timestamp() - 10)));
        assert!(!controls.is_revoked("bob", Some(0)));
        assert!(!controls.is_revoked("bob", None));
    }
}
