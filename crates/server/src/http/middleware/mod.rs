//! Middleware every response passes through: request context and access log,
//! security headers, CORS.

pub mod body_timeout;
pub mod cors;
pub mod limits;
pub mod observe;
pub mod security_headers;
