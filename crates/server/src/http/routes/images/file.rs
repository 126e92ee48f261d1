//! `GET /images/{id}/file?variant=display|thumbnail`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::keys::{BlobKey, Variant};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Access, load};
use crate::http::dto::schema;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictQuery};
use crate::http::serve_blob;
use crate::request_context as context;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    #[param(schema_with = schema::variant)]
    pub variant: Option<String>,
}

#[utoipa::path(get, path = "/images/{id}/file", tag = "images",
    params(
        ("id" = String, Path, pattern = "^[0-9A-HJKMNP-TV-Z]{26}$", description = "Image ULID"),
        FileQuery,
        ("If-None-Match" = Option<String>, Header, description = "ETag(s) the client holds: 304 if one matches"),
        ("Range" = Option<String>, Header, description = "One `bytes=` range: 206 (several ranges or another unit: the whole body)"),
        ("If-Range" = Option<String>, Header, description = "Serve the range only if this is the current ETag"),
    ),
    responses(
        (status = 200, description = "The variant's bytes", content_type = "image/webp", body = Vec<u8>,
            headers(("ETag" = String), ("Cache-Control" = String), ("Accept-Ranges" = String), ("Content-Length" = u64))),
        (status = 206, description = "The requested byte range", content_type = "image/webp", body = Vec<u8>,
            headers(("Content-Range" = String), ("ETag" = String), ("Cache-Control" = String), ("Content-Length" = u64))),
        (status = 304, description = "If-None-Match matched the ETag", headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 400, description = "VALIDATION_ERROR: unknown variant or query parameter"),
        (status = 403, description = "NOT_AUTHORIZED: someone else's image"),
        (status = 404, description = "NOT_FOUND"),
        (status = 416, description = "RANGE_NOT_SATISFIABLE"),
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
