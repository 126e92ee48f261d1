//! `GET /images/{id}/file?variant=display|thumbnail`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::keys::{BlobKey, Variant};
use serde::Deserialize;

use super::{Access, load};
use crate::http::context;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictQuery};
use crate::http::serve_blob;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    pub variant: Option<String>,
}

#[utoipa::path(get, path = "/images/{id}/file", tag = "images",
    params(("id" = String, Path, description = "Image ULID"), ("variant" = Option<String>, Query, description = "display (default) or thumbnail")),
    responses(
        (status = 200, description = "image/webp bytes", content_type = "image/webp"),
        (status = 206, description = "Partial content for a Range request"),
        (status = 304, description = "If-None-Match matched the ETag"),
        (status = 400, description = "VALIDATION_ERROR: unknown variant"),
    ),
    security(("bearer" = [])))]
pub async fn download(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    StrictQuery(query): StrictQuery<FileQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let image = load(&state, &caller, &id, Access::Moderate).await?;
    let variant = match query.variant.as_deref() {
        None => Variant::Display,
        Some(v) => Variant::parse(v)
            .ok_or_else(|| ApiError::field("variant", "must be display or thumbnail"))?,
    };
    send(&state, &image, variant, &headers).await
}

/// Reads the variant's blob and answers with caching and range support.
pub async fn send(
    state: &AppState,
    image: &domain::ImageRecord,
    variant: Variant,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let key = BlobKey::for_variant(&image.user_id, image.id, variant);
    context::record(|f| f.key = Some(key.to_string()));
    let etag = serve_blob::etag(image.id, variant);
    let bytes = state
        .blobs
        .get(&key)
        .await?
        .ok_or_else(|| ApiError::internal(format!("metadata points at missing blob {key}")))?;
    context::record(|f| f.file_size = Some(bytes.len() as u64));
    serve_blob::respond(headers, &etag, bytes)
}
