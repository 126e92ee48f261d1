//! Idle connections cannot exhaust the process: HTTP/2 and HTTP/1.1
//! connections with nothing in flight are closed after the idle timeout, and
//! a flood of idle HTTP/2 connections larger than the open-file limit leaves
//! `/healthz` answering, even from the flooding address.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::{TestApp, spawn_with, spawn_with_open_files};

/// The HTTP/2 client preface and an empty SETTINGS frame: a connection in
/// prior-knowledge cleartext HTTP/2 that then sends nothing.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

async fn idle_h2(app: &TestApp) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(app.addr()).await.ok()?;
    stream.write_all(H2_PREFACE).await.ok()?;
    Some(stream)
}

/// Reads whatever comes until the server closes; the bytes received.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()
    .map(|()| received)
}

/// The types of the HTTP/2 frames in `bytes` (each frame: a 3-byte length,
/// then its type).
fn frame_types(mut bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    while bytes.len() >= 9 {
        let length =
            usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
        types.push(bytes[3]);
        bytes = &bytes[(9 + length).min(bytes.len())..];
    }
    types
}

/// The HTTP/2 GOAWAY frame type.
const GOAWAY: u8 = 0x7;

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let app = spawn_with(&[("IMAGE_SERVICE_IDLE_TIMEOUT_SECS", "1")]).await;
    let mut h2 = idle_h2(&app).await.expect("connect");
    let closed = until_closed(&mut h2, Duration::from_secs(15)).await;
    let received = closed.expect("an idle HTTP/2 connection stayed open");
    // Told why, so a client knows no request was lost and reconnects.
    assert!(
        frame_types(&received).contains(&GOAWAY),
        "closed without a GOAWAY: frames {:?}",
        frame_types(&received)
    );

    let mut h1 = TcpStream::connect(app.addr()).await.unwrap();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr());
    h1.write_all(request.as_bytes()).await.unwrap();
    let closed = until_closed(&mut h1, Duration::from_secs(15)).await;
    assert!(
        closed.is_some(),
        "an idle HTTP/1.1 keep-alive connection stayed open"
    );
}

#[tokio::test]
async fn a_flood_of_idle_http2_connections_leaves_health_answering() {
    // 256 files: the service caps itself at (256 - 128) * 3/4 = 96 connections.
    let app = spawn_with_open_files(256, &[]).await;
    let mut flood = Vec::new();
    for _ in 0..300 {
        if let Some(stream) = idle_h2(&app).await {
            flood.push(stream);
        }
    }
    for attempt in 0..3 {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let health = client
            .get(app.url("/healthz"))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        let status = health.map(|r| r.status().as_u16());
        assert_eq!(
            status.as_ref().ok(),
            Some(&200),
            "attempt {attempt}: {status:?} after {:?}",
            started.elapsed()
        );
    }
    let logs = app.logs();
    assert!(!logs.contains("Too many open files"), "{logs}");
    let shed = app
        .metric("http_connections_shed_total{reason=\"per_ip\"}")
        .await
        .unwrap_or(0.0)
        + app
            .metric("http_connections_shed_total{reason=\"total\"}")
            .await
            .unwrap_or(0.0);
    assert!(shed >= 200.0, "only {shed} connections shed");
    drop(flood);
}
