//! The stored image entity: metadata of one upload and its two WebP variants.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AlbumId, ImageId, UserId};

/// Dimensions and size of one stored variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantInfo {
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

/// What was uploaded; `width`/`height` are as displayed (after EXIF orientation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalInfo {
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub filename: Option<String>,
}

/// One image's metadata as the metadata store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    pub id: ImageId,
    pub user_id: UserId,
    pub album_id: Option<AlbumId>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub alt_text: Option<String>,
    pub tags: Vec<String>,
    /// The display variant (always `image/webp`).
    pub display: VariantInfo,
    pub thumbnail: VariantInfo,
    pub original: OriginalInfo,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Content type of every stored variant.
pub const STORED_CONTENT_TYPE: &str = "image/webp";
