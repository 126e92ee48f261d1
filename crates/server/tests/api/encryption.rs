//! Encryption at rest, seen from outside: the files on disk hold no image
//! bytes, a flipped bit is refused rather than served, and `rotate-key`
//! moves every image to a new master key without losing one.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use crate::images::walk;
use crate::support::{TestApp, assert_error, spawn_with};

fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

async fn display_bytes(app: &TestApp, token: &str, image: &Value) -> reqwest::Response {
    let id = image["id"].as_str().unwrap();
    app.get(&format!("/images/{id}/file"), token)
        .send()
        .await
        .unwrap()
}

/// The display blob of `image` under the blob root.
fn blob_file(app: &TestApp, image: &Value) -> PathBuf {
    let name = format!("{}.webp", image["id"].as_str().unwrap());
    walk(&app.data_dir().join("blobs"))
        .into_iter()
        .find(|p| p.to_string_lossy().contains("/images/") && p.ends_with(&name))
        .expect("display blob on disk")
}

/// A photo-like JPEG (pseudo-random texture), so its WebP is kilobytes, not bytes.
fn noisy_jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn blobs_on_disk_hold_no_image_bytes_and_a_flipped_bit_is_never_served() {
    let app = spawn_with(&[]).await;
    let token = app.token("alice");
    let response = app
        .upload_with(&token, noisy_jpeg(320, 240), "image/jpeg", &[])
        .await;
    assert_eq!(response.status(), 201);
    let image: Value = response.json().await.unwrap();
    let served = display_bytes(&app, &token, &image).await;
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.unwrap();
    assert!(served.len() > 1024, "a real WebP: {} bytes", served.len());

    let path = blob_file(&app, &image);
    let mut on_disk = std::fs::read(&path).unwrap();
    assert!(!contains(&on_disk, b"RIFF") && !contains(&on_disk, b"WEBP"));
    for at in [16, served.len() / 2, served.len() - 40] {
        assert!(
            !contains(&on_disk, &served[at..at + 32]),
            "plaintext at {at} found on disk"
        );
    }

    let middle = on_disk.len() / 2;
    on_disk[middle] ^= 0x01;
    std::fs::write(&path, &on_disk).unwrap();
    let refused = display_bytes(&app, &token, &image).await;
    let body = assert_error(refused, 500, "INTERNAL_ERROR").await;
    assert!(!body.to_string().contains("tag"), "no internals: {body}");
    let signed = image["urls"]["display"].as_str().unwrap();
    let by_url = app.client.get(app.url(signed)).send().await.unwrap();
    assert_ne!(by_url.status(), 200);
}

fn rotate_key(data: &Path, current: &str, previous: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_image-service"))
        .arg("rotate-key")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_DATA_DIR", data)
        .env("IMAGE_SERVICE_ENCRYPTION_KEY", current)
        .env("IMAGE_SERVICE_ENCRYPTION_PREVIOUS_KEYS", previous)
        .output()
        .expect("run rotate-key")
}

#[tokio::test]
async fn rotate_key_keeps_every_image_readable_under_the_new_key_alone() {
    let (old, new) = (key(1), key(2));
    let mut app = spawn_with(&[("IMAGE_SERVICE_ENCRYPTION_KEY", &old)]).await;
    let mut images = Vec::new();
    for user in ["alice", "alice", "bob"] {
        let token = app.token(user);
        let image = app.upload_ok(&token, &[]).await;
        let bytes = display_bytes(&app, &token, &image)
            .await
            .bytes()
            .await
            .unwrap();
        images.push((token, image, bytes));
    }
    app.stop();

    let output = rotate_key(&app.data_dir(), &new, &old);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "rotate-key failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !stdout.contains(&old) && !stdout.contains(&new),
        "keys echoed"
    );

    // The new key alone opens everything…
    let rotated = app
        .restart_on_same_data(&[("IMAGE_SERVICE_ENCRYPTION_KEY", &new)])
        .await;
    for (token, image, bytes) in &images {
        let response = display_bytes(&rotated, token, image).await;
        assert_eq!(response.status(), 200);
        assert_eq!(&response.bytes().await.unwrap(), bytes);
    }
    drop(rotated);
    // …and the old key alone no longer does: the data keys really moved.
    let stale = app
        .restart_on_same_data(&[("IMAGE_SERVICE_ENCRYPTION_KEY", &old)])
        .await;
    let (token, image, _) = &images[0];
    assert_ne!(display_bytes(&stale, token, image).await.status(), 200);
}
