//! Audit events (docs/API.md, Audit): one per change, denial and refusal.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One audit event, serialised exactly as docs/API.md, Audit, shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// A ULID, so events sort by time.
    pub id: String,
    pub at: DateTime<Utc>,
    pub request_id: String,
    /// The acting user's id, `anonymous`, or `erased` once GDPR erasure
    /// redacted it (`audit_chain::REDACTED`).
    pub actor: String,
    pub action: AuditAction,
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<serde_json::Value>,
}

/// Filters of `GET /audit`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<AuditAction>,
    pub since: Option<DateTime<Utc>>,
}

/// Defines a closed set of audit names: the enum, its dotted names (stored,
/// hashed by the chain and serialised, so they never change), `as_str`,
/// `FromStr`, `Display` and serde through those names.
macro_rules! audit_names {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownName { what: $what, name: s.to_owned() })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

audit_names! {
    /// What an audit event records.
    AuditAction, "audit action" {
        ImageCreate = "image.create",
        ImageUpdate = "image.update",
        ImageDelete = "image.delete",
        AlbumCreate = "album.create",
        AlbumUpdate = "album.update",
        AlbumDelete = "album.delete",
        /// GDPR erasure of a user (`DELETE /users/{id}`).
        UserErase = "user.erase",
        /// A signed-in caller touched someone else's resource.
        AccessDenied = "access.denied",
        /// A request with a missing or invalid token on a protected route.
        AuthFailed = "auth.failed",
        /// A request refused by a rate limit.
        RateLimited = "rate.limited",
        /// Incident controls (`crate::incident`), set or lifted.
        IncidentReadOnly = "incident.read_only",
        IncidentUploads = "incident.uploads",
        IncidentBlock = "incident.block",
        IncidentUnblock = "incident.unblock",
        IncidentRevokeTokens = "incident.revoke_tokens",
        /// Old events pruned behind a retention checkpoint (`audit prune`).
        AuditPrune = "audit.prune",
    }
}

audit_names! {
    /// How the recorded action ended.
    AuditOutcome, "audit outcome" {
        Success = "success",
        /// Refused: denied access, failed authentication, rate limit.
        Denied = "denied",
    }
}

/// A name that is not one of a closed set (`AuditAction`, `AuditOutcome`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(*action));
            let json = serde_json::to_string(action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(serde_json::from_str::<AuditAction>(&json).unwrap(), *action);
        }
        assert_eq!(AuditAction::ImageUpdate.as_str(), "image.update");
        assert_eq!(AuditOutcome::Denied.as_str(), "denied");
        assert!("image.upload".parse::<AuditAction>().is_err());
        assert!(serde_json::from_str::<AuditOutcome>("\"failure\"").is_err());
    }
}
