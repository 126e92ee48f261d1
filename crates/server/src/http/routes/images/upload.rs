//! `POST /images`: a streamed multipart upload. The file is cut off at the
//! size limit without buffering the rest; the type is decided by the bytes;
//! both variants are durable before the metadata that points at them, and
//! the metadata before the 201.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use chrono::Utc;
use domain::keys::{BlobKey, Variant};
use domain::{ImageId, ImageRecord, OriginalInfo, VariantInfo, fields};

use super::to_dto;
use crate::audit::Entry;
use crate::http::dto::ImageDto;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Caller;
use crate::http::extract::upload_form::{FORM_OVERHEAD, multipart_boundary, read_form};
use crate::http::middleware::limits::refuse;
use crate::http::routes::albums::owned_album;
use crate::request_context as context;
use crate::state::AppState;
use domain::{AuditAction, AuditOutcome};

const ALLOWED_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// The form's schema in the OpenAPI document (`schema::upload_form`).
struct UploadFormDoc;

impl utoipa::PartialSchema for UploadFormDoc {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        crate::http::dto::schema::upload_form().into()
    }
}

impl utoipa::ToSchema for UploadFormDoc {
    fn name() -> std::borrow::Cow<'static, str> {
        "UploadForm".into()
    }
}

#[utoipa::path(post, path = "/images", tag = "images",
    request_body(content_type = "multipart/form-data", content = inline(UploadFormDoc),
        description = "`file` (required), `albumId`, `title`, `description`, `altText`, `tags` (repeat the field, or one JSON array); in any order; unknown fields are refused"),
    responses(
        (status = 201, body = ImageDto, description = "Stored: both variants and the metadata are durable", headers(("Location" = String, description = "/images/{id}"))),
        (status = 400, description = "VALIDATION_ERROR, UNSUPPORTED_FILE_TYPE, INVALID_IMAGE or IMAGE_TOO_LARGE"),
        (status = 409, description = "ACCOUNT_ERASING: the user's erasure is under way"),
        (status = 413, description = "FILE_TOO_LARGE"),
        (status = 408, description = "REQUEST_TIMEOUT: the body paused too long, arrived too slowly, or was not complete within the request timeout"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not multipart/form-data"),
        (status = 429, description = "RATE_LIMITED: the upload rate, or the uploads one user may have in flight"),
    ),
    security(("bearer" = [])))]
pub async fn upload_image(
    caller: Caller,
    State(state): State<AppState>,
    request: Request,
) -> ApiResult<impl IntoResponse> {
    let max = state.config.processing.max_upload_bytes;
    let boundary = multipart_boundary(request.headers())?;
    // Held until the response: slow bodies cannot pile up for one user.
    let _slot = match state.limits.upload_slot(caller.user()) {
        Ok(slot) => slot,
        Err(refusal) => return Err(refuse(&state, caller.user().as_str(), refusal).await),
    };
    if content_length(request.headers()).is_some_and(|len| len > max + FORM_OVERHEAD) {
        return Err(ApiError::FileTooLarge(max));
    }
    let form = read_form(request.into_body(), boundary, max).await?;

    let (bytes, declared, filename) = form
        .file
        .ok_or_else(|| ApiError::field("file", "is required"))?;
    context::record(|f| f.file_size = Some(bytes.len() as u64));
    if declared
        .as_deref()
        .is_some_and(|t| !ALLOWED_TYPES.contains(&t))
    {
        return Err(ApiError::UnsupportedFileType);
    }

    let mut errors = Vec::new();
    let mut check = |r: Result<String, fields::FieldError>| r.map_err(|e| errors.push(e)).ok();
    let title = form.title.and_then(|t| check(fields::title(t)));
    let description = form.description.and_then(|t| check(fields::description(t)));
    let alt_text = form.alt_text.and_then(|t| check(fields::alt_text(t)));
    let filename = filename.and_then(|t| check(fields::filename(t)));
    let tags = fields::tags(form.tags)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let album_id = match form.album_id {
        Some(raw) => Some(owned_album(&state, caller.user().clone(), &raw).await?.id),
        None => None,
    };
    if bytes.is_empty() {
        return Err(ApiError::InvalidImage("empty file".into()));
    }

    let original_size = bytes.len() as u64;
    let id = ImageId::new();
    let user = caller.user().clone();
    context::record(|f| f.image_id = Some(id.to_string()));
    let display_key = BlobKey::for_variant(&user, id, Variant::Display);
    let thumb_key = BlobKey::for_variant(&user, id, Variant::Thumbnail);
    context::record(|f| f.key = Some(display_key.to_string()));

    // The thumbnail is encoded first: it is encrypted and written while the
    // display variant is still being encoded.
    let (thumb_tx, thumb_rx) = tokio::sync::oneshot::channel();
    let ready = move |thumb: &pipeline::Encoded| {
        let _ = thumb_tx.send(Bytes::copy_from_slice(&thumb.bytes));
    };
    let early_thumb = async {
        let bytes = thumb_rx.await.ok()?;
        Some(state.blobs.put(&thumb_key, bytes).await)
    };
    let (processed, thumb_put) = tokio::join!(state.processor.process(bytes, ready), early_thumb);
    let processed = match (processed, thumb_put) {
        (Ok(processed), Some(Ok(()))) => processed,
        // The pipeline hands the thumbnail over before it can succeed.
        (Ok(_), None) => return Err(ApiError::Internal("thumbnail never handed over".into())),
        (Err(err), thumb_put) => {
            if thumb_put.is_some() {
                discard_blobs(&state, &[&thumb_key]).await;
            }
            return Err(err.into());
        }
        (Ok(_), Some(Err(err))) => {
            discard_blobs(&state, &[&thumb_key]).await;
            return Err(err.into());
        }
    };

    let now = Utc::now();
    let record = ImageRecord {
        id,
        user_id: user.clone(),
        album_id,
        title,
        description,
        alt_text,
        tags,
        display: VariantInfo {
            width: processed.display.width,
            height: processed.display.height,
            size: processed.display.bytes.len() as u64,
        },
        thumbnail: VariantInfo {
            width: processed.thumbnail.width,
            height: processed.thumbnail.height,
            size: processed.thumbnail.bytes.len() as u64,
        },
        original: OriginalInfo {
            content_type: processed.format.content_type().to_owned(),
            width: processed.width,
            height: processed.height,
            size: original_size,
            filename,
        },
        version: 1,
        created_at: now,
        updated_at: now,
    };

    if let Err(err) = state
        .blobs
        .put(&display_key, Bytes::from(processed.display.bytes))
        .await
    {
        discard_blobs(&state, &[&display_key, &thumb_key]).await;
        return Err(err.into());
    }
    if let Err(err) = state.metadata.insert_image(&record).await {
        discard_blobs(&state, &[&display_key, &thumb_key]).await;
        return Err(err.into());
    }

    state
        .audit
        .record(Entry {
            actor: user.as_str(),
            action: AuditAction::ImageCreate,
            target: Some(id.to_string()),
            outcome: AuditOutcome::Success,
            changes: None,
        })
        .await;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/images/{id}")) {
        headers.insert(header::LOCATION, location);
    }
    let dto: ImageDto = to_dto(&state, record);
    Ok((StatusCode::CREATED, headers, Json(dto)))
}

async fn discard_blobs(state: &AppState, keys: &[&BlobKey]) {
    for key in keys {
        if let Err(err) = state.blobs.delete(key).await {
            tracing::warn!(key = %key, error = %err, "blob left behind for gc");
        }
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}
