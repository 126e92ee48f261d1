//! CORS (docs/API.md, Headers): only configured origins are echoed (never `*`), a wildcard
//! `https://*.example.com` matches subdomains at any depth but never
//! `example.com` itself nor `example.com.evil.net`. Preflights answer 204.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// One configured origin: exact, or a wildcard over subdomains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: String,
    /// Lower-case host; for a wildcard the part after `*.`.
    host: String,
    port: Option<u16>,
    wildcard: bool,
}

impl OriginPattern {
    pub fn parse(pattern: &str) -> Option<Self> {
        let (scheme, host, port) = split_origin(pattern)?;
        let (host, wildcard) = match host.strip_prefix("*.") {
            Some(rest) => (rest.to_owned(), true),
            None => (host, false),
        };
        if host.is_empty() || host.contains('*') {
            return None;
        }
        Some(Self {
            scheme,
            host,
            port,
            wildcard,
        })
    }

    pub fn matches(&self, origin: &str) -> bool {
        let Some((scheme, host, port)) = split_origin(origin) else {
            return false;
        };
        if scheme != self.scheme || port != self.port || host.contains('*') {
            return false;
        }
        if self.wildcard {
            host.strip_suffix(&self.host)
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
        } else {
            host == self.host
        }
    }
}

/// `scheme://host[:port]` with nothing after it; host lower-cased.
fn split_origin(origin: &str) -> Option<(String, String, Option<u16>)> {
    let (scheme, rest) = origin.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains(['/', '?', '#', '@'])
    {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
            (host, Some(port.parse::<u16>().ok()?))
        }
        _ => (rest, None),
    };
    let valid = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.*[]:".contains(&b));
    valid.then(|| (scheme.to_owned(), host.to_ascii_lowercase(), port))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_subdomains_only() {
        let p = OriginPattern::parse("https://*.example.com").unwrap();
        assert!(p.matches("https://app.example.com"));
        assert!(p.matches("https://a.b.example.com"));
        assert!(!p.matches("https://example.com"));
        assert!(!p.matches("https://example.com.evil.net"));
        assert!(!p.matches("https://evilexample.com"));
        assert!(!p.matches("http://app.example.com"));
        assert!(!p.matches("https://app.example.com:8443"));
    }

    #[test]
    fn exact_origins_compare_scheme_host_and_port() {
        let p = OriginPattern::parse("http://localhost:3002").unwrap();
        assert!(p.matches("http://localhost:3002"));
        assert!(p.matches("http://LOCALHOST:3002"));
        assert!(!p.matches("http://localhost:3003"));
        assert!(!p.matches("http://localhost:3002/path"));
        assert!(OriginPattern::parse("*").is_none());
        assert!(OriginPattern::parse("https://*").is_none());
    }
}
