//! `GET /users/{userId}/export`: all of a user's metadata, with signed URLs
//! to every variant (GDPR right of access).

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use domain::{AlbumCursor, ImageId, PageRequest, SortOrder};
use serde::Serialize;
use utoipa::ToSchema;

use super::target_user;
use crate::http::dto::image::timestamp;
use crate::http::dto::{AlbumDto, ImageDto};
use crate::http::error::ApiResult;
use crate::http::extract::Caller;
use crate::http::routes::images::to_dto;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Export {
    pub user_id: String,
    #[schema(format = DateTime)]
    pub exported_at: String,
    pub images: Vec<ImageDto>,
    pub albums: Vec<AlbumDto>,
}

#[utoipa::path(get, path = "/users/{userId}/export", tag = "users",
    params(("userId" = String, Path, min_length = 1, description = "The user's id (`sub`)")),
    responses(
        (status = 200, body = Export, description = "All of the user's metadata, with signed file URLs"),
        (status = 403, description = "NOT_AUTHORIZED: neither the user nor an admin"),
        (status = 404, description = "NOT_FOUND: not a user id"),
    ),
    security(("bearer" = [])))]
pub async fn export_user(
    caller: Caller,
    State(state): State<AppState>,
    Path(user): Path<String>,
) -> ApiResult<Json<Export>> {
    let user = target_user(&state, &caller, user).await?;
    let mut images = Vec::new();
    let mut after: Option<ImageId> = None;
    loop {
        let page = PageRequest {
            after,
            limit: 100,
            order: SortOrder::Asc,
        };
        let batch = state.metadata.list_images(&user, None, &page).await?;
        after = batch.last().map(|i| i.id);
        let done = batch.len() < 100;
        images.extend(batch.into_iter().map(|i| to_dto(&state, i)));
        if done {
            break;
        }
    }
    let mut albums = Vec::new();
    let mut after: Option<AlbumCursor> = None;
    loop {
        let page = PageRequest {
            after,
            limit: 100,
            order: SortOrder::Asc,
        };
        let batch = state.metadata.list_albums(&user, &page).await?;
        after = batch.last().map(|a| AlbumCursor {
            created_at: a.created_at,
            id: a.id,
        });
        let done = batch.len() < 100;
        albums.extend(batch.into_iter().map(AlbumDto::from));
        if done {
            break;
        }
    }
    Ok(Json(Export {
        user_id: user.to_string(),
        exported_at: timestamp(Utc::now()),
        images,
        albums,
    }))
}
