//! Serving a stored variant: strong `ETag` (variants never change once
//! written), `If-None-Match` → 304, one `Range` → 206, `Cache-Control: private`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use domain::ImageId;
use domain::keys::Variant;

use crate::http::error::ApiError;

pub fn etag(image: ImageId, variant: Variant) -> String {
    format!("\"{image}-{}\"", variant.as_str())
}

pub fn respond(request: &HeaderMap, etag: &str, bytes: Bytes) -> Result<Response, ApiError> {
    let size = bytes.len() as u64;
    let mut builder = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "private, max-age=3600")
        .header(header::ACCEPT_RANGES, "bytes");

    if if_none_match(request, etag) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(ApiError::internal);
    }
    builder = builder.header(header::CONTENT_TYPE, "image/webp");
    let range = request
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_matches(request, etag));
    let response = match range.map(|r| parse_range(r, size)) {
        None | Some(RangeSpec::Ignore) => builder
            .status(StatusCode::OK)
            .header(header::CONTENT_LENGTH, size)
            .body(Body::from(bytes)),
        Some(RangeSpec::Unsatisfiable) => return Err(ApiError::RangeNotSatisfiable { size }),
        Some(RangeSpec::Bytes(start, end)) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"))
            .header(header::CONTENT_LENGTH, end - start + 1)
            .body(Body::from(bytes.slice(start as usize..=end as usize))),
    };
    response.map_err(ApiError::internal)
}

fn if_none_match(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// `If-Range` with another validator means "send it all".
fn if_range_matches(request: &HeaderMap, etag: &str) -> bool {
    request
        .get(header::IF_RANGE)
        .is_none_or(|v| v == HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("")))
}

#[derive(Debug, PartialEq, Eq)]
enum RangeSpec {
    /// Not a single byte range we serve: answer with the whole body.
    Ignore,
    Unsatisfiable,
    /// Inclusive offsets.
    Bytes(u64, u64),
}

fn parse_range(header: &str, size: u64) -> RangeSpec {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeSpec::Ignore;
    };
    if spec.contains(',') {
        return RangeSpec::Ignore;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeSpec::Ignore;
    };
    let (start, end) = (start.trim(), end.trim());
    let parsed = match (start.is_empty(), end.is_empty()) {
        (true, true) => return RangeSpec::Ignore,
        (true, false) => match end.parse::<u64>() {
            Ok(0) => return RangeSpec::Unsatisfiable,
            Ok(n) => Some((size.saturating_sub(n), size.saturating_sub(1))),
            Err(_) => None,
        },
        (false, _) => match (start.parse::<u64>(), end.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => Some((s, e.min(size.saturating_sub(1)))),
            (Ok(s), Err(_)) if end.is_empty() => Some((s, size.saturating_sub(1))),
            _ => None,
        },
    };
    match parsed {
        None => RangeSpec::Ignore,
        Some((s, _)) if size == 0 || s >= size => RangeSpec::Unsatisfiable,
        Some((s, e)) => RangeSpec::Bytes(s, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeSpec::Bytes(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), RangeSpec::Bytes(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), RangeSpec::Bytes(90, 99));
        assert_eq!(parse_range("bytes=95-200", 100), RangeSpec::Bytes(95, 99));
        assert_eq!(parse_range("bytes=100-", 100), RangeSpec::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeSpec::Ignore);
        assert_eq!(parse_range("items=0-1", 100), RangeSpec::Ignore);
        assert_eq!(parse_range("bytes=5-1", 100), RangeSpec::Ignore);
    }
}
