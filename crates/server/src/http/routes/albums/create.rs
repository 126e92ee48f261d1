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
use crate::http::dto::AlbumDto;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictJson};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlbum {
    /// 1..255 characters.
    pub title: String,
    /// At most 5000 characters.
    pub description: Option<String>,
}

#[utoipa::path(post, path = "/albums", tag = "albums", request_body = CreateAlbum,
    responses((status = 201, body = AlbumDto, headers(("Location" = String))), (status = 400, description = "VALIDATION_ERROR")),
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
            action: "album.create",
            target: Some(album.id.to_string()),
            outcome: "success",
            changes: None,
        })
        .await;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/albums/{}", album.id)) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(AlbumDto::from(album))))
}
