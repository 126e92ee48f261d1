//! The conformance suite against a real S3-compatible server (s3s-fs).
//!
//! Uses `IMAGE_SERVICE_TEST_S3_ENDPOINT` (+ `_BUCKET`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`) when set; otherwise starts s3s-fs once per test run
//! through `scripts/start-s3.sh`. If neither works the tests say so loudly and
//! skip, unless `IMAGE_SERVICE_TEST_S3_REQUIRED=1` (CI), where they fail.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use domain::keys::{BlobKey, Variant};
use domain::ports::{BlobStore, StoreError};

use blobs::{
    EncryptedBlobStore, RawBlobStore, RetryPolicy, S3BlobStore, S3Credentials, S3Settings, S3Url,
};

use crate::stores::keyring;
use crate::suite::{self, Shredding, fresh_user, key_for};

struct Target {
    endpoint: String,
    bucket: String,
    credentials: S3Credentials,
}

fn target() -> Option<&'static Target> {
    static TARGET: OnceLock<Option<Target>> = OnceLock::new();
    let found = TARGET.get_or_init(|| match std::env::var("IMAGE_SERVICE_TEST_S3_ENDPOINT") {
        Ok(endpoint) => Some(Target {
            endpoint,
            bucket: std::env::var("IMAGE_SERVICE_TEST_S3_BUCKET")
                .unwrap_or_else(|_| "image-service-test".into()),
            credentials: S3Credentials {
                access_key_id: std::env::var("AWS_ACCESS_KEY_ID")
                    .unwrap_or_else(|_| "image-service-test".into()),
                secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY")
                    .unwrap_or_else(|_| "image-service-test-secret".into()),
            },
        }),
        Err(_) => start_server(),
    });
    if found.is_none() {
        let message =
            "S3 TESTS SKIPPED: no IMAGE_SERVICE_TEST_S3_ENDPOINT and scripts/start-s3.sh failed";
        assert!(
            std::env::var("IMAGE_SERVICE_TEST_S3_REQUIRED").as_deref() != Ok("1"),
            "{message}"
        );
        eprintln!("\n!!!!!!!! {message} !!!!!!!!\n");
    }
    found.as_ref()
}

/// Starts s3s-fs for this test process; the script stops it when we exit.
fn start_server() -> Option<Target> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/start-s3.sh");
    let data = std::env::temp_dir().join(format!("blobs-s3-test-{}", std::process::id()));
    let output = std::process::Command::new("bash")
        .arg(script)
        .arg(&data)
        .arg("")
        .arg(std::process::id().to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .ok()?;
    let endpoint = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && endpoint.starts_with("http://")).then(|| Target {
        endpoint,
        bucket: "image-service-test".into(),
        credentials: S3Credentials {
            access_key_id: "image-service-test".into(),
            secret_access_key: "image-service-test-secret".into(),
        },
    })
}

fn s3_store(target: &Target) -> Arc<S3BlobStore> {
    let url = S3Url {
        bucket: target.bucket.clone(),
        region: Some("us-east-1".into()),
        endpoint: Some(target.endpoint.clone()),
        path_style: true,
    };
    let settings = S3Settings {
        credentials: Some(target.credentials.clone()),
        ..S3Settings::default()
    };
    Arc::new(S3BlobStore::new(&url, settings).unwrap())
}

#[tokio::test]
async fn s3_store_conforms() {
    let Some(target) = target() else { return };
    suite::run(s3_store(target).as_ref(), Shredding::No).await;
}

#[tokio::test]
async fn encrypted_s3_store_conforms() {
    let Some(target) = target() else { return };
    // Keys beside the blobs (the S3 default) under `keys/`.
    let inner: Arc<dyn RawBlobStore> = s3_store(target);
    suite::run(
        &EncryptedBlobStore::new(inner.clone(), inner, keyring(3)),
        Shredding::Yes,
    )
    .await;
}

#[tokio::test]
async fn s3_create_if_absent_keeps_the_first_object() {
    let Some(target) = target() else { return };
    let store = s3_store(target);
    let key = BlobKey::parse(&format!(
        "keys/{}/0011223344556677.key",
        fresh_user().storage_segment()
    ))
    .unwrap();
    assert!(
        store
            .put_if_absent(&key, Bytes::from_static(b"first"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_if_absent(&key, Bytes::from_static(b"second"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&key).await.unwrap().unwrap(),
        Bytes::from_static(b"first")
    );
    store.delete(&key).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_store_is_unavailable_after_bounded_retries() {
    let url = S3Url {
        bucket: "nowhere".into(),
        region: Some("us-east-1".into()),
        // Port 9 (discard) on loopback: connection refused at once.
        endpoint: Some("http://127.0.0.1:9".into()),
        path_style: true,
    };
    let settings = S3Settings {
        retry: RetryPolicy {
            base: Duration::from_millis(5),
            max: Duration::from_millis(20),
            attempts: 3,
            budget: None,
        },
        credentials: Some(S3Credentials {
            access_key_id: "x".into(),
            secret_access_key: "y".into(),
        }),
    };
    let store = S3BlobStore::new(&url, settings).unwrap();
    let started = std::time::Instant::now();
    let key = key_for(&fresh_user(), Variant::Display);
    let got = store.get(&key).await;
    assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
    let got = store.ping().await;
    assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
    let got = store.put(&key, Bytes::new()).await;
    assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
