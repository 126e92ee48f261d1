//! Retention: the oldest events of the chain may be pruned once a
//! checkpoint names the last pruned link (its `seq` and `hash`). The first
//! kept event's `prev_hash` must equal that hash, so verification starts at
//! the checkpoint instead of genesis and still proves every kept event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The last pruned link of the chain, and who pruned up to it when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// The `seq` of the last pruned event: kept events start at `seq + 1`.
    pub seq: i64,
    /// Its hash (hex), the `prev_hash` of the first kept event.
    pub hash: String,
    pub at: DateTime<Utc>,
    pub by: String,
    /// Events pruned so far, across every prune.
    pub pruned: u64,
}
