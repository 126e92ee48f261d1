//! Faults on our side while processing an upload are 500 `INTERNAL_ERROR`,
//! never a 400 that blames the image: each fault is injected into the debug
//! binary through `IMAGE_PIPELINE_FAULT` (a hook compiled out of release
//! builds), and the answer carries the request id and nothing of the cause,
//! the log line carries the cause, and nothing is stored.

use serde_json::Value;

use crate::support::images::jpeg;
use crate::support::{TestApp, assert_error, spawn_with};

/// Large enough that the thumbnail is resized, so the resizer runs.
fn photo() -> Vec<u8> {
    jpeg(640, 480)
}

async fn listed(app: &TestApp, token: &str) -> usize {
    let body: Value = app.get_json("/images", token).await;
    body["items"].as_array().unwrap().len()
}

/// Uploads under `fault`: a 500 whose cause (`cause_has`) is only in the log.
async fn assert_internal_fault(fault: &str, cause_has: &str) {
    let app = spawn_with(&[("IMAGE_PIPELINE_FAULT", fault)]).await;
    let token = app.token("alice");
    let response = app.upload_with(&token, photo(), "image/jpeg", &[]).await;
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("X-Request-Id")
        .to_owned();
    let body = assert_error(response, 500, "INTERNAL_ERROR").await;
    assert_eq!(body["requestId"], request_id.as_str(), "{fault}");
    assert_eq!(body["error"], "InternalError");
    let text = body.to_string().to_lowercase();
    for internal in ["inject", "panic", "encod", "resiz", "memory", cause_has] {
        assert!(
            !text.contains(internal),
            "{fault}: body leaks {internal}: {body}"
        );
    }
    // The log is read from the child's stdout by another thread: give it a moment.
    let logged = |logs: &str| {
        logs.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .any(|line| {
                line["requestId"] == request_id.as_str()
                    && line["cause"]
                        .as_str()
                        .is_some_and(|cause| cause.contains(cause_has))
            })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !logged(&app.logs()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let logs = app.logs();
    assert!(
        logged(&logs),
        "{fault}: no log line with the cause `{cause_has}`:\n{logs}"
    );
    assert_eq!(
        listed(&app, &token).await,
        0,
        "{fault}: something was stored"
    );
    let variants: Vec<_> = crate::images::walk(&app.data_dir().join("blobs"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "webp"))
        .collect();
    assert!(variants.is_empty(), "{fault}: blobs left: {variants:?}");
}

#[tokio::test]
async fn an_encoder_failure_is_an_internal_error() {
    assert_internal_fault("encoder", "WebP encoding failed").await;
}

/// The thumbnail is stored while the display variant is still encoding; when
/// the display encode then fails, that thumbnail is removed again.
#[tokio::test]
async fn a_display_encoder_failure_leaves_no_thumbnail_behind() {
    assert_internal_fault("display-encoder", "display encoder fault").await;
}

#[tokio::test]
async fn running_out_of_memory_is_an_internal_error() {
    assert_internal_fault("out-of-memory", "out of memory").await;
}

#[tokio::test]
async fn a_worker_panic_is_an_internal_error() {
    assert_internal_fault("panic", "panicked").await;
}

#[tokio::test]
async fn a_resizer_failure_is_an_internal_error() {
    assert_internal_fault("resizer", "resize failed").await;
}

#[tokio::test]
async fn a_corrupt_image_is_still_the_clients_fault() {
    let app = spawn_with(&[]).await;
    let token = app.token("alice");
    let mut corrupt = photo();
    let middle = corrupt.len() / 2;
    corrupt.truncate(middle);
    let response = app.upload_with(&token, corrupt, "image/jpeg", &[]).await;
    assert_error(response, 400, "INVALID_IMAGE").await;
    assert_eq!(listed(&app, &token).await, 0);
}
