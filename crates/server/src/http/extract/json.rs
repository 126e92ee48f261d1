//! `StrictJson<T>`: `application/json` only (else 415), unknown fields and
//! malformed bodies are 400 `VALIDATION_ERROR`, bodies over 1 MiB are 413.
//! The error names the field at fault (`version` when it is missing, `title`
//! when it is not a string); only a body that is not a JSON object at all,
//! or not JSON, is blamed on `body`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::field_name;
use crate::http::error::ApiError;

const MAX_JSON_BYTES: usize = 1024 * 1024;

pub struct StrictJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType("application/json"));
        }
        let req = req
            .map(|body| axum::body::Body::new(http_body_util::Limited::new(body, MAX_JSON_BYTES)));
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::FileTooLarge(MAX_JSON_BYTES as u64))?;
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut json).map_err(refusal)?;
        json.end()
            .map_err(|e| ApiError::field("body", json_message(&e)))?;
        Ok(StrictJson(value))
    }
}

/// A 400 naming the field: the first object key on the error's path, or the
/// one a missing- or unknown-field message names, else the whole `body`.
fn refusal(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let message = json_message(err.inner());
    // Broken or cut-off JSON is the body's fault, wherever the parser was.
    if !err.inner().is_data() {
        return ApiError::field("body", message);
    }
    let on_path = err.path().iter().find_map(|segment| match segment {
        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
        _ => None,
    });
    let field = on_path
        .or_else(|| field_name::named_in_message(&message).map(str::to_owned))
        .unwrap_or_else(|| "body".to_owned());
    ApiError::field(&field, message)
}

/// serde_json's message without the line/column suffix noise.
fn json_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(pos) => text[..pos].to_owned(),
        None => text,
    }
}
