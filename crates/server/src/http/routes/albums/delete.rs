//! `DELETE /albums/{id}[?deleteImages=true]`: detaches its images, or deletes them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use domain::{PageRequest, SortOrder};
use serde::Deserialize;
use utoipa::IntoParams;

use super::load;
use crate::audit::Entry;
use crate::http::dto::schema;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictQuery};
use crate::http::routes::images::delete::remove;
use crate::state::AppState;
use domain::{AuditAction, AuditOutcome};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeleteAlbumQuery {
    #[param(schema_with = schema::delete_images)]
    pub delete_images: Option<String>,
}

#[utoipa::path(delete, path = "/albums/{id}", tag = "albums",
    params(("id" = String, Path, format = Uuid, description = "Album UUID"), DeleteAlbumQuery),
    responses(
        (status = 204, description = "Deleted; its images detached, or deleted with deleteImages=true"),
        (status = 400, description = "VALIDATION_ERROR: bad or unknown query parameter"),
        (status = 403, description = "NOT_AUTHORIZED: someone else's album"),
        (status = 404, description = "NOT_FOUND"),
    ),
    security(("bearer" = [])))]
pub async fn delete_album(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    StrictQuery(query): StrictQuery<DeleteAlbumQuery>,
) -> ApiResult<StatusCode> {
    let delete_images = match query.delete_images.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::field("deleteImages", "must be true or false")),
    };
    let album = load(&state, &caller, &id).await?;
    if delete_images {
        loop {
            let page = PageRequest {
                after: None,
                limit: 100,
                order: SortOrder::Asc,
            };
            let images = state
                .metadata
                .list_images(&album.user_id, Some(album.id), &page)
                .await?;
            if images.is_empty() {
                break;
            }
            for image in &images {
                remove(&state, image).await?;
            }
        }
    }
    state.metadata.delete_album(album.id, Utc::now()).await?;
    state
        .audit
        .record(Entry {
            actor: caller.user().as_str(),
            action: AuditAction::AlbumDelete,
            target: Some(album.id.to_string()),
            outcome: AuditOutcome::Success,
            changes: delete_images.then(|| serde_json::json!({ "deleteImages": true })),
        })
        .await;
    Ok(StatusCode::NO_CONTENT)
}
