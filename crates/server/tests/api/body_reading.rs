//! Reading a request body over raw TCP, for what `reqwest` will not send:
//! only passing the size limit is 413; a body that breaks off (no closing
//! multipart boundary, a connection that ends early, a Content-Length larger
//! than what arrives) is 400 `VALIDATION_ERROR` naming the field being read;
//! a client that stalls mid-body is 408 `REQUEST_TIMEOUT`. Nothing is stored.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::images::jpeg;
use crate::support::{TestApp, spawn_with};

const BOUNDARY: &str = "XBOUNDARYX";
/// The body-read idle timeout the apps here run with.
const IDLE: &str = "1";

/// What the client does after writing its (partial) request.
#[derive(Clone, Copy)]
enum Then {
    /// Shuts its sending side: the body ends early.
    HalfClose,
    /// Sends nothing more and waits for the answer.
    Stall,
}

/// Writes `head` and `body`, then reads the whole answer: status and JSON body.
async fn exchange(app: &TestApp, head: &str, body: &[u8], then: Then) -> (u16, Value) {
    let mut stream = TcpStream::connect(app.addr()).await.expect("connect");
    stream
        .write_all(format!("{head}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    stream.write_all(body).await.unwrap();
    if let Then::HalfClose = then {
        stream.shutdown().await.unwrap();
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no complete answer within 20 s");
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

fn upload_head(app: &TestApp, token: &str, content_length: usize) -> String {
    format!(
        "POST /images HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {content_length}\r\nConnection: close",
        app.addr()
    )
}

/// A form with a title and the file, `closed` with its final boundary or not.
fn form(file: &[u8], closed: bool) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    if closed {
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    }
    body
}

fn assert_refused(status: u16, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["requestId"].as_str().is_some_and(|id| !id.is_empty()));
}

async fn nothing_stored(app: &TestApp, token: &str) {
    let listed: Value = app.get_json("/images", token).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_form_without_its_closing_boundary_is_a_validation_error_naming_the_file() {
    let app = spawn_with(&[("IMAGE_SERVICE_BODY_TIMEOUT_SECS", IDLE)]).await;
    let token = app.token("alice");
    let body = form(&jpeg(32, 32), false);
    let head = upload_head(&app, &token, body.len());
    let (status, json) = exchange(&app, &head, &body, Then::Stall).await;
    assert_refused(status, &json, 400, "VALIDATION_ERROR");
    assert_eq!(json["details"][0]["field"], "file", "{json}");
    nothing_stored(&app, &token).await;
}

#[tokio::test]
async fn an_upload_cut_short_is_a_validation_error_not_413() {
    let app = spawn_with(&[("IMAGE_SERVICE_BODY_TIMEOUT_SECS", IDLE)]).await;
    let token = app.token("alice");
    let body = form(&jpeg(64, 64), true);
    // Content-Length promises more than arrives, then the connection ends.
    let head = upload_head(&app, &token, body.len() + 5000);
    let (status, json) = exchange(&app, &head, &body[..body.len() / 2], Then::HalfClose).await;
    assert_refused(status, &json, 400, "VALIDATION_ERROR");
    assert_eq!(json["details"][0]["field"], "file", "{json}");

    // Chunked, and the connection ends before the last chunk.
    let head = format!(
        "POST /images HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\nConnection: close",
        app.addr()
    );
    let part = &body[..body.len() / 2];
    let mut chunked = format!("{:x}\r\n", part.len()).into_bytes();
    chunked.extend_from_slice(part);
    chunked.extend_from_slice(b"\r\n");
    let (status, json) = exchange(&app, &head, &chunked, Then::HalfClose).await;
    assert_refused(status, &json, 400, "VALIDATION_ERROR");
    nothing_stored(&app, &token).await;
}

#[tokio::test]
async fn a_stalled_upload_is_408() {
    let app = spawn_with(&[("IMAGE_SERVICE_BODY_TIMEOUT_SECS", IDLE)]).await;
    let token = app.token("alice");
    let body = form(&jpeg(64, 64), true);
    let head = upload_head(&app, &token, body.len());
    let started = std::time::Instant::now();
    let (status, json) = exchange(&app, &head, &body[..body.len() / 2], Then::Stall).await;
    assert_refused(status, &json, 408, "REQUEST_TIMEOUT");
    assert_eq!(json["error"], "RequestTimeoutError");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    nothing_stored(&app, &token).await;
}

#[tokio::test]
async fn json_bodies_cut_short_are_400_and_stalled_ones_408() {
    let app = spawn_with(&[("IMAGE_SERVICE_BODY_TIMEOUT_SECS", IDLE)]).await;
    let token = app.token("alice");
    let json_head = |length: usize| {
        format!(
            "POST /albums HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close",
            app.addr()
        )
    };
    let body = br#"{"title":"holiday"}"#;
    let (status, json) = exchange(&app, &json_head(body.len() + 100), body, Then::HalfClose).await;
    assert_refused(status, &json, 400, "VALIDATION_ERROR");
    assert_eq!(json["details"][0]["field"], "body", "{json}");

    let (status, json) = exchange(&app, &json_head(body.len() + 100), body, Then::Stall).await;
    assert_refused(status, &json, 408, "REQUEST_TIMEOUT");

    // Only passing the limit is 413.
    let big = 2 * 1024 * 1024;
    let (status, json) = exchange(&app, &json_head(big), b"{\"title\":\"", Then::Stall).await;
    assert_refused(status, &json, 413, "FILE_TOO_LARGE");

    let albums: Value = app.get_json("/albums", &token).await;
    assert_eq!(albums["items"].as_array().unwrap().len(), 0, "{albums}");
}
