//! What the S3 store sends and how it reacts, checked against a scripted fake server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use domain::keys::Variant;
use domain::ports::BlobStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use blobs::{RetryPolicy, S3BlobStore, S3Credentials, S3Settings, S3Url};

use crate::suite::{fresh_user, key_for};

/// Answers each request with the next status in `script` (then 200), recording request heads.
async fn fake_s3(script: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut script = script.into_iter();
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then as much body as Content-Length says.
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let head_len = buf
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(buf.len(), |p| p + 4);
            let head = String::from_utf8_lossy(&buf[..head_len]).to_lowercase();
            let body_len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < head_len + body_len {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            log.lock().unwrap().push(head);
            let status = script.next().unwrap_or(200);
            let reply = format!(
                "HTTP/1.1 {status} X\r\netag: \"abc\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    (endpoint, seen)
}

fn store(endpoint: String) -> S3BlobStore {
    let url = S3Url {
        bucket: "b".into(),
        region: Some("us-east-1".into()),
        endpoint: Some(endpoint),
        path_style: true,
    };
    let settings = S3Settings {
        retry: RetryPolicy {
            base: Duration::from_millis(5),
            max: Duration::from_millis(20),
            attempts: 4,
            budget: None,
        },
        credentials: Some(S3Credentials {
            access_key_id: "ak".into(),
            secret_access_key: "sk".into(),
        }),
    };
    S3BlobStore::new(&url, settings).unwrap()
}

#[tokio::test]
async fn every_put_asks_for_server_side_encryption() {
    let (endpoint, seen) = fake_s3(vec![]).await;
    store(endpoint)
        .put(
            &key_for(&fresh_user(), Variant::Display),
            Bytes::from_static(b"x"),
        )
        .await
        .unwrap();
    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].starts_with("put "), "{}", heads[0]);
    assert!(
        heads[0].contains("x-amz-server-side-encryption: aes256"),
        "{}",
        heads[0]
    );
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let (endpoint, seen) = fake_s3(vec![503, 500, 429]).await;
    store(endpoint)
        .put(
            &key_for(&fresh_user(), Variant::Display),
            Bytes::from_static(b"x"),
        )
        .await
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().len(),
        4,
        "three failures, then success"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (endpoint, seen) = fake_s3(vec![403]).await;
    let result = store(endpoint)
        .put(
            &key_for(&fresh_user(), Variant::Display),
            Bytes::from_static(b"x"),
        )
        .await;
    assert!(
        matches!(result, Err(domain::ports::StoreError::Internal(_))),
        "{result:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}
