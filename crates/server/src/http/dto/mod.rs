//! The JSON shapes of spec 4, built from domain records.

pub mod album;
pub mod image;

pub use album::AlbumDto;
pub use image::{ImageDto, ImageUrls, OriginalDto, VariantDto};

use serde::Serialize;
use utoipa::ToSchema;

/// A page of a list: `{ items, nextCursor }`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
