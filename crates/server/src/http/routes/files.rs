//! `GET /files/{token}`: the signed URLs of `urls`, usable without a bearer
//! token until they expire. A deleted image's links stop working.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;

use crate::http::error::{ApiError, ApiResult};
use crate::http::routes::images::file::send;
use crate::request_context as context;
use crate::state::AppState;

#[utoipa::path(get, path = "/files/{token}", tag = "images",
    params(
        ("token" = String, Path, description = "Signed token from an Image's urls"),
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
        (status = 403, description = "INVALID_SIGNATURE: tampered or expired; ACCOUNT_BLOCKED: the image's owner is blocked"),
        (status = 404, description = "NOT_FOUND: the image was deleted"),
        (status = 416, description = "RANGE_NOT_SATISFIABLE"),
    ))]
pub async fn signed_file(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let grant = state
        .signer
        .verify_file_token(&token, Utc::now())
        .ok_or(ApiError::InvalidSignature)?;
    context::record(|f| f.image_id = Some(grant.image.to_string()));
    let image = state
        .metadata
        .get_image(grant.image)
        .await?
        .ok_or(ApiError::NotFound)?;
    // A blocked account's links stop working with it.
    if state.incident.current().is_blocked(image.user_id.as_str()) {
        return Err(ApiError::AccountBlocked);
    }
    send(&state, &image, grant.variant, &headers).await
}
