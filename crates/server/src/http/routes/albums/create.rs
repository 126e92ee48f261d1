//! `POST /albums`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::Utc;
use domain::{AlbumId, AlbumRecord, fields};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::audit::Entry;
use crate::http::dto::{AlbumDto, schema};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictJson};
use crate::state::AppState;
use domain::{AuditAction, AuditOutcome};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlbum {
    #[schema(schema_with = schema::album_title)]
    pub title: String,
    #[schema(schema_with = schema::album_description, required = false)]
    pub description: Option<String>,
}

#[utoipa::path(post, path = "/albums", tag = "albums", request_body = CreateAlbum,
    responses(
        (status = 201, body = AlbumDto, description = "Created", headers(("Location" = String, description = "/albums/{id}"))),
        (status = 400, description = "VALIDATION_ERROR: a field rule, an unknown field or malformed JSON"),
        (status = 413, description = "FILE_TOO_LARGE: a body over 1 MiB"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not application/json"),
    ),
    security(("bearer" = [])))]
pub async fn create_album(
    caller: Caller,
    State(state): State<AppState>,
    StrictJson(body): StrictJson<CreateAlbum>,
) -> ApiResult<impl IntoResponse> {
    let mut errors = Vec::new();
    let title = fields::album_title(body.title)
        .map_err(|e| errors.push(e))
        .ok();
    let description = body
        .description
        .and_then(|d| fields::description(d).map_err(|e| errors.push(e)).ok());
    let Some(title) = title.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let now = Utc::now();
    let album = AlbumRecord {
        id: AlbumId::new(),
        user_id: caller.user().clone(),
        title,
        description,
        image_count: 0,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    state.metadata.insert_album(&album).await?;
    state
        .audit
        .record(Entry {
            actor: caller.user().as_str(),
            action: AuditAction::AlbumCreate,
            target: Some(album.id.to_string()),
            outcome: AuditOutcome::Success,
            changes: None,
        })
        .await;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/albums/{}", album.id)) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(AlbumDto::from(album))))
}
