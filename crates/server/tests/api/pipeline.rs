//! What the pipeline does to real images, seen over HTTP: orientation applied,
//! metadata stripped, alpha kept, oversized headers refused before decoding.

use serde_json::Value;

use crate::support::images::{decode_webp, jpeg, png_header_only, png_with_alpha, with_exif};
use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn an_exif_rotated_jpeg_comes_back_upright_without_gps() {
    let app = spawn_app().await;
    let token = app.token("alice");
    // Stored 200×100, left red / right blue; orientation 6 = rotate 90° clockwise to display.
    let bytes = with_exif(&jpeg(200, 100), 6);
    assert!(bytes.windows(4).any(|w| w == b"Exif"));
    let response = app.upload_with(&token, bytes, "image/jpeg", &[]).await;
    let image: Value = response.json().await.unwrap();
    assert_eq!(
        (
            image["original"]["width"].as_u64(),
            image["original"]["height"].as_u64()
        ),
        (Some(100), Some(200))
    );
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(100), Some(200))
    );

    let webp = app.stored_display(&token, &image).await;
    let pixels = decode_webp(&webp).to_rgb8();
    assert_eq!(pixels.dimensions(), (100, 200));
    // After a clockwise turn the red left half is on top, blue at the bottom.
    let top = pixels.get_pixel(50, 20);
    let bottom = pixels.get_pixel(50, 180);
    assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom should be blue: {bottom:?}"
    );
    for needle in [&b"Exif"[..], b"EXIF", b"XMP ", b"GPS"] {
        assert!(
            !webp.windows(needle.len()).any(|w| w == needle),
            "stored WebP carries {needle:?}"
        );
    }
}

#[tokio::test]
async fn png_alpha_survives() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let response = app
        .upload_with(&token, png_with_alpha(64, 64), "image/png", &[])
        .await;
    assert_eq!(response.status(), 201);
    let image: Value = response.json().await.unwrap();
    let pixels = decode_webp(&app.stored_display(&token, &image).await).to_rgba8();
    let opaque = pixels.get_pixel(8, 32);
    let clear = pixels.get_pixel(56, 32);
    assert!(
        opaque[3] > 240 && opaque[1] > 150,
        "left stays opaque green: {opaque:?}"
    );
    assert!(clear[3] < 15, "right stays transparent: {clear:?}");
}

#[tokio::test]
async fn a_huge_png_header_is_refused_before_decoding() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let started = std::time::Instant::now();
    let response = app
        .upload_with(&token, png_header_only(20_000, 20_000), "image/png", &[])
        .await;
    assert_error(response, 400, "IMAGE_TOO_LARGE").await;
    // 400 million RGBA pixels would need 1.6 GB; refusing from the header needs none.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let response = app
        .upload_with(&token, png_header_only(16_385, 10), "image/png", &[])
        .await;
    assert_error(response, 400, "IMAGE_TOO_LARGE").await;
    let listed: Value = app
        .get("/images", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );
}

#[tokio::test]
async fn large_images_are_scaled_down_never_up() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let big = app
        .upload_with(&token, jpeg(3000, 1500), "image/jpeg", &[])
        .await;
    let big: Value = big.json().await.unwrap();
    assert_eq!(
        (big["width"].as_u64(), big["height"].as_u64()),
        (Some(2048), Some(1024))
    );
    assert_eq!(
        (
            big["thumbnail"]["width"].as_u64(),
            big["thumbnail"]["height"].as_u64()
        ),
        (Some(400), Some(200))
    );
    let small = app.upload_ok(&token, &[]).await;
    assert_eq!(
        (
            small["width"].as_u64(),
            small["thumbnail"]["width"].as_u64()
        ),
        (Some(64), Some(64))
    );
}
