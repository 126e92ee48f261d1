//! CORS (docs/API.md, Headers): only configured origins are echoed (never `*`), a wildcard
//! `https://*.example.com` matches subdomains at any depth but never
//! `example.com` itself nor `example.com.evil.net`. Preflights answer 204.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::origin::OriginPattern;

#[derive(Clone, Debug)]
pub struct CorsPolicy {
    patterns: Arc<[OriginPattern]>,
}

impl CorsPolicy {
    pub fn new(origins: &[String]) -> Self {
        Self {
            patterns: origins
                .iter()
                .filter_map(|o| OriginPattern::parse(o))
                .collect(),
        }
    }

    fn allows(&self, origin: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(origin))
    }
}

pub async fn cors(State(policy): State<CorsPolicy>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| policy.allows(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    let mut response = if is_preflight {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        if origin.is_some() {
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization, Content-Type, X-Requested-With"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            );
        }
        response
    } else {
        next.run(request).await
    };
    stamp(response.headers_mut(), origin);
    response
}

fn stamp(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "Location, ETag, X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset",
            ),
        );
    }
}
