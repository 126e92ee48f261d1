//! `PATCH /albums/{id}` with optimistic locking on `version`.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use domain::fields;
use serde::Deserialize;
use utoipa::ToSchema;

use super::load;
use crate::audit::Entry;
use crate::http::dto::AlbumDto;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictJson};
use crate::http::patch::{Changes, nullable};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchAlbum {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub version: i64,
}

#[utoipa::path(patch, path = "/albums/{id}", tag = "albums",
    params(("id" = String, Path, description = "Album UUID")),
    request_body = PatchAlbum,
    responses((status = 200, body = AlbumDto), (status = 409, description = "VERSION_CONFLICT")),
    security(("bearer" = [])))]
pub async fn update_album(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    StrictJson(patch): StrictJson<PatchAlbum>,
) -> ApiResult<Json<AlbumDto>> {
    let mut album = load(&state, &caller, &id).await?;
    let expected = fields::version(patch.version).map_err(|e| ApiError::Validation(vec![e]))?;
    let mut errors = Vec::new();
    let title = patch
        .title
        .and_then(|t| fields::album_title(t).map_err(|e| errors.push(e)).ok());
    let description = patch
        .description
        .map(|d| d.and_then(|d| fields::description(d).map_err(|e| errors.push(e)).ok()));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if album.version != expected {
        return Err(ApiError::VersionConflict {
            current: album.version,
        });
    }
    let mut changes = Changes::default();
    if let Some(title) = title {
        changes.set("title", &mut album.title, title);
    }
    if let Some(description) = description {
        changes.set("description", &mut album.description, description);
    }
    album.version = expected + 1;
    album.updated_at = Utc::now();
    state.metadata.update_album(&album, expected).await?;
    state
        .audit
        .record(Entry {
            actor: caller.user().as_str(),
            action: "album.update",
            target: Some(album.id.to_string()),
            outcome: "success",
            changes: Some(changes.into_value()),
        })
        .await;
    Ok(Json(album.into()))
}
