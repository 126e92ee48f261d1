//! Back-pressure over HTTP: a full processing queue answers 503, SIGTERM
//! drains uploads in flight and refuses new connections, and an oversized
//! `Content-Length` is refused before the body is read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::TcpStream;

use crate::support::{TestApp, assert_error, images, spawn_with};

/// A 12-megapixel JPEG: takes the pipeline a noticeable time.
fn large_jpeg() -> Vec<u8> {
    images::jpeg(4000, 3000)
}

/// Waits until `pred` holds for the processing queue depth.
async fn wait_for_depth(app: &TestApp, pred: impl Fn(f64) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if app
            .metric("processing_queue_depth")
            .await
            .is_some_and(&pred)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "queue depth never reached:\n{}",
            app.metrics().await
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_full_processing_queue_answers_503_overloaded() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_PROCESSING_WORKERS", "1"),
        ("IMAGE_SERVICE_PROCESSING_QUEUE", "0"),
    ])
    .await;
    let token = app.token("alice");
    let big = large_jpeg();
    let uploads = (0..4).map(|_| app.upload_with(&token, big.clone(), "image/jpeg", &[]));
    let responses = futures::future::join_all(uploads).await;

    let mut created = 0;
    let mut overloaded = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            503 => {
                let retry: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry >= 1);
                assert_error(response, 503, "OVERLOADED").await;
                overloaded += 1;
            }
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }
    assert!(
        created >= 1 && overloaded >= 1,
        "{created} created, {overloaded} refused"
    );
    // The refusal frees nothing it did not take: the pool serves again.
    let response = app
        .upload_with(&token, images::jpeg(64, 48), "image/jpeg", &[])
        .await;
    assert_eq!(response.status(), 201);
    let refused = app
        .metric(r#"uploads_processed_total{outcome="overloaded"}"#)
        .await;
    assert_eq!(refused, Some(f64::from(overloaded)));
    assert_eq!(app.metric("processing_queue_depth").await, Some(0.0));
}

#[tokio::test]
async fn sigterm_finishes_uploads_in_flight_and_refuses_new_connections() {
    let app = spawn_with(&[("IMAGE_SERVICE_PROCESSING_WORKERS", "1")]).await;
    let token = app.token("alice");
    let big = large_jpeg();
    let pid = app.pid();
    let uploads_done = AtomicBool::new(false);

    let uploads = async {
        let responses = futures::future::join(
            app.upload_with(&token, big.clone(), "image/jpeg", &[("title", "first")]),
            app.upload_with(&token, big.clone(), "image/jpeg", &[("title", "second")]),
        )
        .await;
        uploads_done.store(true, Ordering::SeqCst);
        responses
    };
    let control = async {
        // Both uploads are in the pool (one running, one queued behind it).
        wait_for_depth(&app, |d| d >= 2.0).await;
        app.terminate();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(app.addr()).await.is_ok() {
            assert!(Instant::now() < deadline, "still accepting after SIGTERM");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Refused while the uploads were still being worked on.
        assert!(
            !uploads_done.load(Ordering::SeqCst),
            "uploads ended before the listener closed"
        );
    };
    let ((first, second), ()) = tokio::join!(uploads, control);

    let mut ids = Vec::new();
    for response in [first, second] {
        assert_eq!(response.status(), 201, "in-flight upload not finished");
        let image: Value = response.json().await.unwrap();
        ids.push(image["id"].as_str().unwrap().to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.has_exited(pid) {
        assert!(
            Instant::now() < deadline,
            "the service did not exit after draining"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        app.logs().contains("finishing in-flight requests"),
        "{}",
        app.logs()
    );

    // Durable: a new process over the same data dir serves both.
    let again = app.restart_on_same_data(&[]).await;
    for id in &ids {
        let image = again
            .get(&format!("/images/{id}"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(image.status(), 200);
        let file = again
            .get(&format!("/images/{id}/file"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200);
        assert!(!file.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_oversized_content_length_is_refused_before_the_body() {
    let app = spawn_with(&[]).await;
    let token = app.token("alice");
    let head = format!(
        "POST /images HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 104857600",
        app.addr()
    );
    // Only the first bytes of the promised 100 MiB are ever sent.
    let answer = app
        .raw_exchange(&head, b"--XyZ\r\n", Duration::from_secs(10))
        .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "answer: {answer:?}");
    assert!(answer.contains("x-request-id"), "answer: {answer:?}");
}
