//! The Image JSON (docs/API.md, Resources), with freshly signed file URLs.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::ImageRecord;
use domain::image::STORED_CONTENT_TYPE;
use domain::keys::Variant;
use serde::Serialize;
use utoipa::ToSchema;

use crate::signing::Signer;

#[derive(Serialize, ToSchema)]
pub struct VariantDto {
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OriginalDto {
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub filename: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageUrls {
    /// Signed `/files/{token}` link to the display variant; no bearer token needed.
    pub display: String,
    pub thumbnail: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageDto {
    /// ULID.
    #[schema(pattern = "^[0-9A-HJKMNP-TV-Z]{26}$")]
    pub id: String,
    pub user_id: String,
    #[schema(format = Uuid)]
    pub album_id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub alt_text: Option<String>,
    pub tags: Vec<String>,
    /// Always `image/webp`.
    #[schema(pattern = "^image/webp$")]
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub thumbnail: VariantDto,
    pub original: OriginalDto,
    pub urls: ImageUrls,
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl ImageDto {
    pub fn new(record: ImageRecord, signer: &Signer, expires: DateTime<Utc>) -> Self {
        let url = |variant| format!("/files/{}", signer.file_token(record.id, variant, expires));
        Self {
            urls: ImageUrls {
                display: url(Variant::Display),
                thumbnail: url(Variant::Thumbnail),
                expires_at: timestamp(expires),
            },
            id: record.id.to_string(),
            user_id: record.user_id.to_string(),
            album_id: record.album_id.map(|a| a.to_string()),
            title: record.title,
            description: record.description,
            alt_text: record.alt_text,
            tags: record.tags,
            content_type: STORED_CONTENT_TYPE,
            width: record.display.width,
            height: record.display.height,
            size: record.display.size,
            thumbnail: VariantDto {
                width: record.thumbnail.width,
                height: record.thumbnail.height,
                size: record.thumbnail.size,
            },
            original: OriginalDto {
                content_type: record.original.content_type,
                width: record.original.width,
                height: record.original.height,
                size: record.original.size,
                filename: record.original.filename,
            },
            version: record.version,
            created_at: timestamp(record.created_at),
            updated_at: timestamp(record.updated_at),
        }
    }
}
