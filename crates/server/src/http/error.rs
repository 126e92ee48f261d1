//! `ApiError`: every failure a client can see, mapped to the contract's status
//! and code (docs/API.md, Errors). Internal causes are logged here, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::StoreError;
use domain::fields::FieldError;

use super::dto::{ErrorBody, FieldDetail};
pub use super::error_code::ErrorCode;
use crate::processing::ProcessingError;
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
    /// Issued before a revocation (`image-service incident revoke-tokens`).
    #[error("token revoked")]
    TokenRevoked,
    /// The account is blocked (`image-service incident block`).
    #[error("account blocked")]
    AccountBlocked,
    /// Read-only mode or uploads off (`image-service incident`).
    #[error("maintenance: {0}")]
    Maintenance(&'static str),
    #[error("not authorized")]
    NotAuthorized,
    /// The token lacks the scope named (`IMAGE_SERVICE_AUTH_SCOPES=1`).
    #[error("insufficient scope: {0}")]
    InsufficientScope(String),
    #[error("invalid signature")]
    InvalidSignature,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body too slow")]
    RequestTimeout,
    /// A valid image in a form not taken (`INVALID_IMAGE`, naming it).
    #[error("{0} is not supported")]
    UnsupportedImage(&'static str),
    #[error("version conflict")]
    VersionConflict { current: i64 },
    /// The account's erasure is under way (`DELETE /users/{id}`).
    #[error("account being erased")]
    AccountErasing,
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

    /// The contract code this error answers with.
    pub fn code(&self) -> ErrorCode {
        use ApiError::*;
        match self {
            Validation(_) => ErrorCode::Validation,
            UnsupportedFileType => ErrorCode::UnsupportedFileType,
            InvalidImage(_) | UnsupportedImage(_) => ErrorCode::InvalidImage,
            ImageTooLarge(_) => ErrorCode::ImageTooLarge,
            InvalidCursor => ErrorCode::InvalidCursor,
            MissingToken => ErrorCode::MissingToken,
            TokenExpired => ErrorCode::TokenExpired,
            InvalidToken(_) => ErrorCode::InvalidToken,
            TokenRevoked => ErrorCode::TokenRevoked,
            AccountBlocked => ErrorCode::AccountBlocked,
            Maintenance(_) => ErrorCode::Maintenance,
            NotAuthorized => ErrorCode::NotAuthorized,
            InsufficientScope(_) => ErrorCode::InsufficientScope,
            InvalidSignature => ErrorCode::InvalidSignature,
            NotFound => ErrorCode::NotFound,
            MethodNotAllowed => ErrorCode::MethodNotAllowed,
            RequestTimeout => ErrorCode::RequestTimeout,
            VersionConflict { .. } => ErrorCode::VersionConflict,
            AccountErasing => ErrorCode::AccountErasing,
            FileTooLarge(_) => ErrorCode::FileTooLarge,
            UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            RateLimited { .. } => ErrorCode::RateLimited,
            Overloaded => ErrorCode::Overloaded,
            Unavailable(_) => ErrorCode::Unavailable,
            Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.code().status()
    }

    /// What the client reads: never an internal cause.
    fn message(&self) -> String {
        use ApiError::*;
        match self {
            Validation(_) => "The request is invalid".into(),
            UnsupportedFileType => "Only JPEG, PNG and WebP images are accepted".into(),
            InvalidImage(_) => "The file is not a valid still image".into(),
            UnsupportedImage(what) => {
                let mut message = format!("{what} is not supported");
                if let Some(first) = message.get(..1) {
                    message.replace_range(..1, &first.to_uppercase());
                }
                message
            }
            ImageTooLarge(why) => why.clone(),
            InvalidCursor => "The cursor is invalid for this query".into(),
            MissingToken => "A bearer token is required".into(),
            TokenExpired => "The token has expired".into(),
            InvalidToken(_) => "The token is invalid".into(),
            TokenRevoked => "The token has been revoked; sign in again".into(),
            AccountBlocked => "This account is blocked".into(),
            Maintenance(what) => format!("{what}; retry later"),
            NotAuthorized => "You may not access this resource".into(),
            InsufficientScope(scope) => format!("The token lacks the scope {scope}"),
            InvalidSignature => "The link is invalid or has expired".into(),
            NotFound => "Not found".into(),
            MethodNotAllowed => "Method not allowed".into(),
            RequestTimeout => "The request body arrived too slowly".into(),
            VersionConflict { .. } => "The resource was changed by someone else".into(),
            AccountErasing => {
                "This account is being erased; nothing new is stored until that finishes".into()
            }
            FileTooLarge(max) => format!("The file exceeds {max} bytes"),
            UnsupportedMediaType(expected) => format!("Expected {expected}"),
            RangeNotSatisfiable { .. } => "The requested range is not satisfiable".into(),
            RateLimited { .. } => "Too many requests".into(),
            Overloaded => "The service is busy; retry later".into(),
            Unavailable(_) => "A backing service is unavailable; retry later".into(),
            Internal(_) => "Internal error".into(),
        }
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
            StoreError::UserErasing => ApiError::AccountErasing,
            StoreError::Unavailable(why) => ApiError::Unavailable(why),
            StoreError::Internal(why) => ApiError::Internal(why),
        }
    }
}

impl From<ProcessingError> for ApiError {
    fn from(err: ProcessingError) -> Self {
        match err {
            ProcessingError::UnsupportedType => ApiError::UnsupportedFileType,
            ProcessingError::TooLarge {
                width,
                height,
                max_pixels,
                max_side,
            } => ApiError::ImageTooLarge(format!(
                "The image is {width}x{height}; at most {} pixels and {max_side} px a side are accepted",
                thousands(max_pixels)
            )),
            ProcessingError::Invalid(why) => ApiError::InvalidImage(why),
            ProcessingError::Unsupported(what) => ApiError::UnsupportedImage(what),
            ProcessingError::Overloaded => ApiError::Overloaded,
            ProcessingError::Internal(why) => ApiError::Internal(why),
        }
    }
}

/// `50000000` as `50,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let message = self.message();
        let request_id = context::request_id();
        match &self {
            ApiError::Internal(cause) => {
                tracing::error!(requestId = %request_id, cause = %cause, "internal error")
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(requestId = %request_id, cause = %cause, "backing service unavailable")
            }
            ApiError::InvalidImage(cause) | ApiError::ImageTooLarge(cause) => {
                tracing::info!(requestId = %request_id, cause = %cause, "image refused")
            }
            _ => {}
        }
        let body = ErrorBody {
            error: code.class(),
            code: code.as_str(),
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
        let mut response = (code.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::MissingToken => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TokenExpired | ApiError::InvalidToken(_) | ApiError::TokenRevoked => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            ApiError::InsufficientScope(scope) => {
                // RFC 6750 3.1; scope names are configured tokens, but never trust them into a header unchecked.
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
                )) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Maintenance(_) => {
                // Incidents last minutes, not seconds: do not invite a retry storm.
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
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
        response.extensions_mut().insert(code);
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(50_000_000), "50,000,000");
        assert_eq!(thousands(123_456), "123,456");
    }
}
