//! The one list of error codes a client can see: each with its HTTP status
//! and error class. `ApiError` answers with these, and the OpenAPI document's
//! `code` enum is built from [`ErrorCode::ALL`], so neither can drift.

use axum::http::StatusCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Validation,
    UnsupportedFileType,
    InvalidImage,
    ImageTooLarge,
    InvalidCursor,
    MissingToken,
    TokenExpired,
    InvalidToken,
    TokenRevoked,
    NotAuthorized,
    AccountBlocked,
    InsufficientScope,
    InvalidSignature,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    VersionConflict,
    AccountErasing,
    FileTooLarge,
    UnsupportedMediaType,
    RangeNotSatisfiable,
    RateLimited,
    Overloaded,
    Maintenance,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// Every code, in the order the OpenAPI document lists them.
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::Validation,
        ErrorCode::UnsupportedFileType,
        ErrorCode::InvalidImage,
        ErrorCode::ImageTooLarge,
        ErrorCode::InvalidCursor,
        ErrorCode::MissingToken,
        ErrorCode::TokenExpired,
        ErrorCode::InvalidToken,
        ErrorCode::TokenRevoked,
        ErrorCode::NotAuthorized,
        ErrorCode::AccountBlocked,
        ErrorCode::InsufficientScope,
        ErrorCode::InvalidSignature,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::RequestTimeout,
        ErrorCode::VersionConflict,
        ErrorCode::AccountErasing,
        ErrorCode::FileTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RangeNotSatisfiable,
        ErrorCode::RateLimited,
        ErrorCode::Overloaded,
        ErrorCode::Maintenance,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// `(status, error class, code)` as the error body carries them.
    const fn parts(self) -> (StatusCode, &'static str, &'static str) {
        use ErrorCode::*;
        match self {
            Validation => (
                StatusCode::BAD_REQUEST,
                "ValidationError",
                "VALIDATION_ERROR",
            ),
            UnsupportedFileType => (
                StatusCode::BAD_REQUEST,
                "UnsupportedFileTypeError",
                "UNSUPPORTED_FILE_TYPE",
            ),
            InvalidImage => (
                StatusCode::BAD_REQUEST,
                "InvalidImageError",
                "INVALID_IMAGE",
            ),
            ImageTooLarge => (
                StatusCode::BAD_REQUEST,
                "ImageTooLargeError",
                "IMAGE_TOO_LARGE",
            ),
            InvalidCursor => (
                StatusCode::BAD_REQUEST,
                "InvalidCursorError",
                "INVALID_CURSOR",
            ),
            MissingToken => (
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "MISSING_TOKEN",
            ),
            TokenExpired => (
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "TOKEN_EXPIRED",
            ),
            InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "INVALID_TOKEN",
            ),
            TokenRevoked => (
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
                "TOKEN_REVOKED",
            ),
            AccountBlocked => (
                StatusCode::FORBIDDEN,
                "AuthorizationError",
                "ACCOUNT_BLOCKED",
            ),
            NotAuthorized => (
                StatusCode::FORBIDDEN,
                "AuthorizationError",
                "NOT_AUTHORIZED",
            ),
            InsufficientScope => (
                StatusCode::FORBIDDEN,
                "AuthorizationError",
                "INSUFFICIENT_SCOPE",
            ),
            InvalidSignature => (
                StatusCode::FORBIDDEN,
                "AuthorizationError",
                "INVALID_SIGNATURE",
            ),
            NotFound => (StatusCode::NOT_FOUND, "NotFoundError", "NOT_FOUND"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowedError",
                "METHOD_NOT_ALLOWED",
            ),
            RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeoutError",
                "REQUEST_TIMEOUT",
            ),
            VersionConflict => (StatusCode::CONFLICT, "ConflictError", "VERSION_CONFLICT"),
            AccountErasing => (StatusCode::CONFLICT, "ConflictError", "ACCOUNT_ERASING"),
            FileTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "FileTooLargeError",
                "FILE_TOO_LARGE",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaTypeError",
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            RangeNotSatisfiable => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "RangeError",
                "RANGE_NOT_SATISFIABLE",
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimitError",
                "RATE_LIMITED",
            ),
            Overloaded => (
                StatusCode::SERVICE_UNAVAILABLE,
                "OverloadedError",
                "OVERLOADED",
            ),
            Maintenance => (
                StatusCode::SERVICE_UNAVAILABLE,
                "MaintenanceError",
                "MAINTENANCE",
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "UnavailableError",
                "UNAVAILABLE",
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "INTERNAL_ERROR",
            ),
        }
    }

    pub const fn status(self) -> StatusCode {
        self.parts().0
    }

    /// The error class, e.g. `ValidationError`.
    pub const fn class(self) -> &'static str {
        self.parts().1
    }

    /// The machine-readable code, e.g. `VALIDATION_ERROR`.
    pub const fn as_str(self) -> &'static str {
        self.parts().2
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_are_unique_and_errors_only() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code:?} listed twice");
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }
}
