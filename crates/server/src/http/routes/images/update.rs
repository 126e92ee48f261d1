//! `PATCH /images/{id}`: optimistic locking on `version`; `albumId: null` detaches.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use domain::fields;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Access, load, to_dto};
use crate::audit::Entry;
use crate::http::dto::{ImageDto, schema};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictJson};
use crate::http::patch::{Changes, integer, nullable};
use crate::http::routes::albums::owned_album;
use crate::state::AppState;
use domain::{AuditAction, AuditOutcome};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchImage {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = schema::image_title, required = false)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = schema::image_description, required = false)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = schema::alt_text, required = false)]
    pub alt_text: Option<Option<String>>,
    /// `null` clears the tags, like `[]`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = schema::nullable_tags, required = false)]
    pub tags: Option<Option<Vec<String>>>,
    /// An album UUID the caller owns, or null to detach.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = schema::nullable_album_id, required = false)]
    pub album_id: Option<Option<String>>,
    /// The version the change is based on.
    #[serde(deserialize_with = "integer")]
    #[schema(schema_with = schema::version)]
    pub version: i64,
}

#[utoipa::path(patch, path = "/images/{id}", tag = "images",
    params(("id" = String, Path, pattern = "^[0-9A-HJKMNP-TV-Z]{26}$", description = "Image ULID")),
    request_body = PatchImage,
    responses(
        (status = 200, body = ImageDto, description = "Updated; version + 1"),
        (status = 400, description = "VALIDATION_ERROR: a field rule, an unknown field, malformed JSON, an album the caller does not own"),
        (status = 403, description = "NOT_AUTHORIZED: someone else's image"),
        (status = 404, description = "NOT_FOUND"),
        (status = 409, description = "VERSION_CONFLICT, with currentVersion"),
        (status = 413, description = "FILE_TOO_LARGE: a body over 1 MiB"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not application/json"),
    ),
    security(("bearer" = [])))]
pub async fn update_image(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    StrictJson(patch): StrictJson<PatchImage>,
) -> ApiResult<Json<ImageDto>> {
    let mut image = load(&state, &caller, &id, Access::Modify).await?;
    let expected = fields::version(patch.version).map_err(|e| ApiError::Validation(vec![e]))?;

    let mut errors = Vec::new();
    let mut check = |r: Result<String, fields::FieldError>| r.map_err(|e| errors.push(e)).ok();
    let title = patch.title.map(|t| t.and_then(|t| check(fields::title(t))));
    let description = patch
        .description
        .map(|t| t.and_then(|t| check(fields::description(t))));
    let alt_text = patch
        .alt_text
        .map(|t| t.and_then(|t| check(fields::alt_text(t))));
    let tags = match patch.tags.map(|t| fields::tags(t.unwrap_or_default())) {
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        other => other.map(Result::unwrap_or_default),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let album_id = match patch.album_id {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => Some(Some(
            owned_album(&state, image.user_id.clone(), &raw).await?.id,
        )),
    };
    if image.version != expected {
        return Err(ApiError::VersionConflict {
            current: image.version,
        });
    }

    let mut changes = Changes::default();
    if let Some(v) = title {
        changes.set("title", &mut image.title, v);
    }
    if let Some(v) = description {
        changes.set("description", &mut image.description, v);
    }
    if let Some(v) = alt_text {
        changes.set("altText", &mut image.alt_text, v);
    }
    if let Some(v) = tags {
        changes.set("tags", &mut image.tags, v);
    }
    if let Some(v) = album_id {
        changes.set("albumId", &mut image.album_id, v);
    }
    image.version = expected + 1;
    image.updated_at = Utc::now();
    state.metadata.update_image(&image, expected).await?;

    state
        .audit
        .record(Entry {
            actor: caller.user().as_str(),
            action: AuditAction::ImageUpdate,
            target: Some(image.id.to_string()),
            outcome: AuditOutcome::Success,
            changes: Some(changes.into_value()),
        })
        .await;
    Ok(Json(to_dto(&state, image)))
}
