//! `StrictQuery<T>`: query strings parsed into `T`; unknown or malformed
//! parameters are 400 `VALIDATION_ERROR` naming the parameter.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::field_name;
use crate::http::error::ApiError;

pub struct StrictQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for StrictQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(StrictQuery)
            .map_err(|e| {
                let message = e.to_string();
                let field = field_name::named_in_message(&message)
                    .unwrap_or("query")
                    .to_owned();
                ApiError::field(&field, message)
            })
    }
}
