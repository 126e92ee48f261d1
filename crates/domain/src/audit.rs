//! Audit events (docs/API.md, Audit): one per change, denial and refusal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    pub action: String,
    pub target: Option<String>,
    /// `success` or `denied`/`failure`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<serde_json::Value>,
}

/// Filters of `GET /audit`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
}
