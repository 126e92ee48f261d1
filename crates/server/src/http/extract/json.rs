//! `StrictJson<T>`: `application/json` only (else 415), unknown fields and
//! malformed or truncated bodies are 400 `VALIDATION_ERROR`, bodies over
//! 1 MiB are 413, a body that stalls is 408 `REQUEST_TIMEOUT`.
//! The error names the field at fault (`version` when it is missing, `title`
//! when it is not a string); only a body that is not a JSON object at all,
//! or not JSON, is blamed on `body`.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use http_body_util::BodyExt as _;

use super::{body_error, field_name};
use crate::http::error::ApiError;

const MAX_JSON_BYTES: usize = 1024 * 1024;

pub struct StrictJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType("application/json"));
        }
        // A declared length over the limit is refused before reading any of it.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > MAX_JSON_BYTES as u64) {
            return Err(ApiError::FileTooLarge(MAX_JSON_BYTES as u64));
        }
        let bytes = http_body_util::Limited::new(req.into_body(), MAX_JSON_BYTES)
            .collect()
            .await
            .map_err(|e| body_error::refusal(&*e, "body", MAX_JSON_BYTES as u64))?
            .to_bytes();
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
