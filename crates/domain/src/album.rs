//! The album entity.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AlbumId, UserId};

/// One album as the metadata store keeps it; `image_count` is filled in by the store on reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbumRecord {
    pub id: AlbumId,
    pub user_id: UserId,
    pub title: String,
    pub description: Option<String>,
    pub image_count: u64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
