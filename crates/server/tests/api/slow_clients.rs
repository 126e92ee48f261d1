//! Slow clients cannot hold requests open: a body must be complete within
//! the request timeout and, after a grace period, arrive at a minimum rate;
//! one user cannot have more than a few uploads in flight at once.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::{TestApp, assert_error, spawn_with};

/// An upload whose headers are sent and whose body (declared much longer)
/// starts arriving; the caller trickles the rest.
async fn start_upload(app: &TestApp, token: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr()).await.expect("connect");
    let head = format!(
        "POST /images HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 100000\r\n\r\n\
         --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n",
        app.addr()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Sends one byte every `every` until the server answers; returns the
/// status line and when it came.
async fn trickle_until_answered(
    stream: &mut TcpStream,
    every: Duration,
    limit: Duration,
) -> String {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < limit {
        // A closed socket fails the write once the server has answered.
        let _ = stream.write_all(b"x").await;
        if let Ok(Ok(n)) = tokio::time::timeout(every, stream.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_trickled_body_ends_at_the_request_timeout() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_REQUEST_TIMEOUT_SECS", "3"),
        ("IMAGE_SERVICE_MIN_BODY_RATE_BYTES_PER_SEC", "0"),
    ])
    .await;
    let token = app.token("trickler");
    let mut stream = start_upload(&app, &token).await;
    let started = Instant::now();
    // A byte every 300 ms never pauses long enough for the 30 s body timeout.
    let answer = trickle_until_answered(
        &mut stream,
        Duration::from_millis(300),
        Duration::from_secs(20),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "answer: {answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_slower_than_the_minimum_rate_is_cut_off() {
    let app = spawn_with(&[("IMAGE_SERVICE_MIN_BODY_RATE_BYTES_PER_SEC", "1000")]).await;
    let token = app.token("slowpoke");
    let mut stream = start_upload(&app, &token).await;
    let started = Instant::now();
    // ~5 bytes a second: far under 1000, yet never a pause.
    let answer = trickle_until_answered(
        &mut stream,
        Duration::from_millis(200),
        Duration::from_secs(40),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "answer: {answer:?}");
    // After the grace period, well before the request timeout (120 s).
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn one_user_has_at_most_a_few_uploads_in_flight() {
    let app = spawn_with(&[("IMAGE_SERVICE_UPLOADS_IN_FLIGHT_PER_USER", "2")]).await;
    let token = app.token("batcher");
    let held = [
        start_upload(&app, &token).await,
        start_upload(&app, &token).await,
    ];
    // Both held uploads are past authentication before the third arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let third = app.upload_request(
        &token,
        crate::support::images::jpeg(32, 32),
        "image/jpeg",
        &[],
    );
    let refused = assert_error(third.send().await.unwrap(), 429, "RATE_LIMITED").await;
    assert!(refused.get("message").is_some());
    // Another user is not affected.
    app.upload_ok(&app.token("someone-else"), &[]).await;

    drop(held);
    crate::support::poll::eventually(
        "a slot is free again",
        Duration::from_secs(10),
        async || {
            let again = app.upload_request(
                &token,
                crate::support::images::jpeg(32, 32),
                "image/jpeg",
                &[],
            );
            again.send().await.unwrap().status() == 201
        },
    )
    .await;
}
