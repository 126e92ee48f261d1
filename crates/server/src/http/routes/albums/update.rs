//! `PATCH /albums/{id}` with optimistic locking on `version`.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use domain::fields;
use serde::Deserialize;
use utoipa::ToSchema;

use super::load;
use crate::audit::Entry;
use crate::http::dto::{AlbumDto, schema};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictJson};
use crate::http::patch::{Changes, integer, nullable};
use crate::state::AppState;
use domain::{AuditAction, AuditOutcome};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchAlbum {
    /// 1..255 characters; `null` leaves it unchanged.
    #[schema(schema_with = schema::nullable_album_title, required = false)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = schema::album_description, required = false)]
    pub description: Option<Option<String>>,
    #[serde(deserialize_with = "integer")]
    #[schema(schema_with = schema::version)]
    pub version: i64,
}

#[utoipa::path(patch, path = "/albums/{id}", tag = "albums",
    params(("id" = String, Path, format = Uuid, description = "Album UUID")),
    request_body = PatchAlbum,
    responses(
        (status = 200, body = AlbumDto, description = "Updated; version + 1"),
        (status = 400, description = "VALIDATION_ERROR: a field rule, an unknown field or malformed JSON"),
        (status = 403, description = "NOT_AUTHORIZED: someone else's album"),
        (status = 404, description = "NOT_FOUND"),
        (status = 409, description = "VERSION_CONFLICT, with currentVersion"),
        (status = 413, description = "FILE_TOO_LARGE: a body over 1 MiB"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not application/json"),
    ),
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
            action: AuditAction::AlbumUpdate,
            target: Some(album.id.to_string()),
            outcome: AuditOutcome::Success,
            changes: Some(changes.into_value()),
        })
        .await;
    Ok(Json(album.into()))
}
