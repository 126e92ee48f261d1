//! `ApiError`: every failure a client can see, mapped to the contract's status
//! and code (docs/API.md, Errors). Internal causes are logged here, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::StoreError;
use domain::fields::FieldError;

use super::dto::{ErrorBody, FieldDetail};
use crate::request_context as context;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unsupported file type")]
    UnsupportedFileType,
    #[error("invalid image: {0}")]
    InvalidImage(String),
    #[error("image too large")]
    ImageTooLarge(String),
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("missing token")]
    MissingToken,
    #[error("token expired")]
    TokenExpired,
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    #[error("not authorized")]
    NotAuthorized,
    #[error("invalid signature")]
    InvalidSignature,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("version conflict")]
    VersionConflict { current: i64 },
    #[error("file too large")]
    FileTooLarge(u64),
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    #[error("range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("overloaded")]
    Overloaded,
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        use ApiError::*;
        match self {
            Validation(_) => (
                StatusCode::BAD_REQUEST,
                "ValidationError",
                "VALIDATION_ERROR",
                "The request is invalid".into(),
            ),
            UnsupportedFileType => (
                StatusCode::BAD_REQUEST,
                "UnsupportedFileTypeError",
                "UNSUPPORTED_FILE_TYPE",
                "Only JPEG, PNG and WebP images are accepted".into(),
            ),
            InvalidImage(_) => (
                StatusCode::BAD_REQUEST,
                "InvalidImageError",
                "INVALID_IMAGE",
                "The file is not a valid still image".into(),
            ),
            ImageTooLarge(why) => (
                StatusCode::BAD_REQUEST,
                "ImageTooLargeError",
                "IMAGE_TOO_LARGE",
                why.clone(),
            ),
            InvalidCursor => (
                StatusCode::BAD_REQUEST,
                "InvalidCursorError",
                "INVALID_CURSOR",
                "The cursor is invalid for this query".into(),
            ),
            MissingToken => (
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "MISSING_TOKEN",
                "A bearer token is required".into(),
            ),
            TokenExpired => (
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "TOKEN_EXPIRED",
                "The token has expired".into(),
            ),
            InvalidToken(_) => (
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "INVALID_TOKEN",
                "The token is invalid".into(),
            ),
            NotAuthorized => (
                StatusCode::FORBIDDEN,
                "AuthorizationError",
                "NOT_AUTHORIZED",
                "You may not access this resource".into(),
            ),
            InvalidSignature => (
                StatusCode::FORBIDDEN,
                "AuthorizationError",
                "INVALID_SIGNATURE",
                "The link is invalid or has expired".into(),
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                "NotFoundError",
                "NOT_FOUND",
                "Not found".into(),
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowedError",
                "METHOD_NOT_ALLOWED",
                "Method not allowed".into(),
            ),
            VersionConflict { .. } => (
                StatusCode::CONFLICT,
                "ConflictError",
                "VERSION_CONFLICT",
                "The resource was changed by someone else".into(),
            ),
            FileTooLarge(max) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "FileTooLargeError",
                "FILE_TOO_LARGE",
                format!("The file exceeds {max} bytes"),
            ),
            UnsupportedMediaType(expected) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaTypeError",
                "UNSUPPORTED_MEDIA_TYPE",
                format!("Expected {expected}"),
            ),
            RangeNotSatisfiable { .. } => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "RangeError",
                "RANGE_NOT_SATISFIABLE",
                "The requested range is not satisfiable".into(),
            ),
            RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimitError",
                "RATE_LIMITED",
                "Too many requests".into(),
            ),
            Overloaded => (
                StatusCode::SERVICE_UNAVAILABLE,
                "OverloadedError",
                "OVERLOADED",
                "The service is busy; retry later".into(),
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "UnavailableError",
                "UNAVAILABLE",
                "A backing store is unavailable; retry later".into(),
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "INTERNAL_ERROR",
                "Internal error".into(),
            ),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    pub fn code(&self) -> &'static str {
        self.parts().2
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::VersionConflict { current } => ApiError::VersionConflict { current },
            StoreError::MissingReference(field) => {
                ApiError::field(field, "does not refer to an album you own")
            }
            StoreError::Unavailable(why) => ApiError::Unavailable(why),
            StoreError::Internal(why) => ApiError::Internal(why),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, code, message) = self.parts();
        let request_id = context::request_id();
        match &self {
            ApiError::Internal(cause) => {
                tracing::error!(requestId = %request_id, cause = %cause, "internal error")
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(requestId = %request_id, cause = %cause, "store unavailable")
            }
            ApiError::InvalidImage(cause) | ApiError::ImageTooLarge(cause) => {
                tracing::info!(requestId = %request_id, cause = %cause, "image refused")
            }
            _ => {}
        }
        let body = ErrorBody {
            error,
            code,
            message,
            request_id,
            details: match &self {
                ApiError::Validation(details) => Some(
                    details
                        .iter()
                        .map(|d| FieldDetail {
                            field: d.field.clone(),
                            message: d.message.clone(),
                        })
                        .collect(),
                ),
                _ => None,
            },
            current_version: match &self {
                ApiError::VersionConflict { current } => Some(*current),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::MissingToken => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TokenExpired | ApiError::InvalidToken(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            ApiError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Overloaded | ApiError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::RangeNotSatisfiable { size } => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        // Lets the access log and audit middleware see what went wrong.
        response.extensions_mut().insert(ErrorCode(code));
        response
    }
}

/// The contract code of an error response, for logging and auditing.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

pub type ApiResult<T> = Result<T, ApiError>;
