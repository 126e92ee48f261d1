//! The outermost middleware: picks the request id, runs the request inside its
//! context, stamps security headers, `X-Request-Id` and `RateLimit-*` on the
//! response, records metrics, and writes the one JSON access-log line
//! (docs/API.md, Audit). Never logs tokens, bodies or raw paths.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header::HeaderName};
use axum::middleware::Next;
use axum::response::Response;

use super::security_headers;
use crate::request_context::RequestContext;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_valid_request_id(id))
        .map(str::to_owned)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let method = request.method().clone();

    let context = RequestContext::new(request_id.clone());
    let fields = context.fields.clone();
    let mut response = context.scope(next.run(request)).await;
    let fields = fields.lock().map(|f| f.clone()).unwrap_or_default();

    let headers = response.headers_mut();
    security_headers::apply(headers);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID.clone(), value);
    }
    if let Some(limit) = fields.rate_limit {
        rate_limit_headers(headers, limit);
    }

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    // Unmatched paths are named by method only: a path may carry a secret.
    let operation = fields.operation.as_deref().unwrap_or(method.as_str());
    metrics::counter!("http_requests_total", "route" => operation.to_owned(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => operation.to_owned(), "status" => status.to_string())
        .record(elapsed.as_secs_f64());
    tracing::info!(
        target: "access",
        requestId = %request_id,
        userId = fields.user_id.as_deref(),
        operation = %operation,
        imageId = fields.image_id.as_deref(),
        key = fields.key.as_deref(),
        fileSize = fields.file_size,
        status,
        durationMs = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// 1..128 characters of `A-Za-z0-9._:-`; anything else is replaced.
pub fn is_valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// `RateLimit-Limit/Remaining/Reset` (integers; Reset in seconds from now).
fn rate_limit_headers(headers: &mut HeaderMap, limit: ratelimit::Decision) {
    let reset = limit.reset_after.as_secs() + u64::from(limit.reset_after.subsec_nanos() > 0);
    for (name, value) in [
        ("ratelimit-limit", u64::from(limit.limit)),
        ("ratelimit-remaining", u64::from(limit.remaining)),
        ("ratelimit-reset", reset),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}
