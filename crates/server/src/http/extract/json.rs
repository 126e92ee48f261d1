//! `StrictJson<T>`: `application/json` only (else 415), unknown fields and
//! malformed bodies are 400 `VALIDATION_ERROR`, bodies over 1 MiB are 413.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

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
        serde_json::from_slice(&bytes)
            .map(StrictJson)
            .map_err(|e| ApiError::field("body", json_message(&e)))
    }
}

/// serde_json's message without the line/column suffix noise.
fn json_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(pos) => text[..pos].to_owned(),
        None => text,
    }
}
