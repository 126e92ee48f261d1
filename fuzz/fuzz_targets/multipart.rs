//! Fuzzes the streamed multipart form of `POST /images`. The input is a
//! `Content-Type` line, one byte choosing the body's chunk size (so field and
//! boundary splits land anywhere), then the body. Parsing may refuse, never
//! panic, and what it accepts respects the size limits.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use image_service::http::extract::upload_form::{TEXT_FIELD_MAX, multipart_boundary, read_form};
use libfuzzer_sys::fuzz_target;

/// Small, so inputs of a few kilobytes reach the file-size refusal.
const MAX_FILE: u64 = 2048;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(line_end) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (content_type, rest) = (&data[..line_end], &data[line_end + 1..]);
    let Some((&chunk_seed, body)) = rest.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let Ok(boundary) = multipart_boundary(&headers) else {
        return;
    };
    let chunks: Vec<Result<Bytes, std::io::Error>> = body
        .chunks(usize::from(chunk_seed).max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let body = Body::from_stream(futures::stream::iter(chunks));
    let Ok(form) = runtime().block_on(read_form(body, boundary, MAX_FILE)) else {
        return;
    };
    if let Some((bytes, declared, _)) = &form.file {
        assert!(bytes.len() as u64 <= MAX_FILE);
        if let Some(declared) = declared {
            assert_eq!(declared, &declared.to_ascii_lowercase());
        }
    }
    for text in [
        &form.album_id,
        &form.title,
        &form.description,
        &form.alt_text,
    ]
    .into_iter()
    .flatten()
    {
        assert!(text.len() <= TEXT_FIELD_MAX);
    }
});
