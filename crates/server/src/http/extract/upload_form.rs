//! The multipart form of `POST /images`, streamed: the file is cut off at the
//! size limit without buffering the rest, text fields are bounded, unknown or
//! repeated fields are refused. Public so the fuzz target can drive it.
//!
//! A body that breaks off (no closing boundary, a connection that ends
//! early, a Content-Length larger than what arrives) is 400
//! `VALIDATION_ERROR` naming the field being read when it ended (`file`
//! when it is the file part: a cut-off upload says nothing about the image,
//! so it is not `INVALID_IMAGE`), or `body` between fields. Only passing the
//! size limit is 413; a body that stalls is 408 `REQUEST_TIMEOUT`.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::{Bytes, BytesMut};

use super::body_error;
use crate::http::error::{ApiError, ApiResult};

/// Room for the text fields and multipart framing around the file.
pub const FORM_OVERHEAD: u64 = 256 * 1024;
/// The most bytes a text field may carry.
pub const TEXT_FIELD_MAX: usize = 64 * 1024;

/// The uploaded file: its bytes, the declared content type (lower-cased essence) and file name.
pub type UploadedFile = (Bytes, Option<String>, Option<String>);

/// The parsed form, before validation.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub file: Option<UploadedFile>,
    pub album_id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub alt_text: Option<String>,
    pub tags: Vec<String>,
}

/// The boundary of a `multipart/form-data` request; 415 for any other type.
pub fn multipart_boundary(headers: &HeaderMap) -> ApiResult<String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let is_form = content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"));
    if !is_form {
        return Err(ApiError::UnsupportedMediaType("multipart/form-data"));
    }
    multer::parse_boundary(content_type)
        .map_err(|_| ApiError::field("body", "multipart boundary missing"))
}

/// Streams the form, refusing unknown fields and cutting the file off at `max`.
pub async fn read_form(body: Body, boundary: String, max: u64) -> ApiResult<UploadForm> {
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().whole_stream(max + FORM_OVERHEAD));
    let mut multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut form = UploadForm::default();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(multipart_error(max, "body"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if form.file.is_some() {
                return Err(ApiError::field("file", "only one file per upload"));
            }
            let declared = field
                .content_type()
                .map(|m| m.essence_str().to_ascii_lowercase());
            let filename = field.file_name().map(str::to_owned);
            let mut buf = BytesMut::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error(max, "file"))? {
                if (buf.len() + chunk.len()) as u64 > max {
                    return Err(ApiError::FileTooLarge(max));
                }
                buf.extend_from_slice(&chunk);
            }
            form.file = Some((buf.freeze(), declared, filename));
            continue;
        }
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error(max, &name))? {
            if text.len() + chunk.len() > TEXT_FIELD_MAX {
                return Err(ApiError::field(&name, "is too long"));
            }
            text.extend_from_slice(&chunk);
        }
        let text =
            String::from_utf8(text).map_err(|_| ApiError::field(&name, "must be UTF-8 text"))?;
        let slot = match name.as_str() {
            "albumId" => &mut form.album_id,
            "title" => &mut form.title,
            "description" => &mut form.description,
            "altText" => &mut form.alt_text,
            "tags" => {
                form.tags.extend(parse_tags(text)?);
                continue;
            }
            _ => return Err(ApiError::field(&name, "unknown field")),
        };
        if slot.replace(text).is_some() {
            return Err(ApiError::field(&name, "given more than once"));
        }
    }
    Ok(form)
}

/// One tag per repeated field, or one JSON array of strings.
fn parse_tags(text: String) -> ApiResult<Vec<String>> {
    if text.trim_start().starts_with('[') {
        serde_json::from_str(&text)
            .map_err(|_| ApiError::field("tags", "must be a JSON array of strings"))
    } else {
        Ok(vec![text])
    }
}

/// The answer to a multipart failure while reading `field`.
fn multipart_error(max: u64, field: &str) -> impl Fn(multer::Error) -> ApiError + '_ {
    move |err| match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::FileTooLarge(max)
        }
        multer::Error::StreamReadFailed(cause) => body_error::refusal(&*cause, field, max),
        multer::Error::IncompleteFieldData { field_name } => ApiError::field(
            field_name.as_deref().unwrap_or(field),
            "the body ended before this field did (no closing boundary)",
        ),
        multer::Error::IncompleteStream => ApiError::field(
            field,
            "the body ended before the closing multipart boundary",
        ),
        other => ApiError::field(field, format!("malformed multipart body: {other}")),
    }
}
