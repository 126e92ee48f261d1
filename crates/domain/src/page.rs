//! Keyset pagination requests shared by every list in every store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::AlbumId;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

/// "Give me up to `limit` items strictly after `after` in `order`."
///
/// Stores return at most `limit` items; callers that want to know whether
/// more exist ask for one extra.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest<K> {
    pub after: Option<K>,
    pub limit: u32,
    pub order: SortOrder,
}

/// Albums have random ids, so they are ordered by creation time, then id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbumCursor {
    pub created_at: DateTime<Utc>,
    pub id: AlbumId,
}

/// One page of a walk over a whole store, every user's rows (for
/// `image-service migrate-storage`). Items come in the store's own order;
/// `next` is an opaque cursor for the following page, `None` once the walk is
/// done. A page may hold fewer than `limit` items, or none, and still have a
/// `next` (a DynamoDB scan filters after it reads).
#[derive(Clone, Debug, PartialEq)]
pub struct ScanPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}
