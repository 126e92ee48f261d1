//! The Album JSON (docs/API.md, Resources).

use domain::AlbumRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::image::timestamp;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlbumDto {
    /// UUID v4.
    #[schema(format = Uuid)]
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub image_count: u64,
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<AlbumRecord> for AlbumDto {
    fn from(album: AlbumRecord) -> Self {
        Self {
            id: album.id.to_string(),
            user_id: album.user_id.to_string(),
            title: album.title,
            description: album.description,
            image_count: album.image_count,
            version: album.version,
            created_at: timestamp(album.created_at),
            updated_at: timestamp(album.updated_at),
        }
    }
}
