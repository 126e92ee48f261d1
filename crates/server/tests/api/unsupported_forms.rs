//! A valid image in a form the service deliberately does not take is told
//! so by name (`400 INVALID_IMAGE`, "12-bit JPEG is not supported"), not
//! called damaged. The forms are made by rewriting a real JPEG's frame
//! header, and a real PNG gets an animation control chunk.

use crate::support::{assert_error, images, spawn_app};

/// The JPEG with its start-of-frame marker changed to `marker` and its
/// sample precision to `precision`.
fn jpeg_with_frame(marker: u8, precision: u8) -> Vec<u8> {
    let mut bytes = images::jpeg(64, 48);
    let at = bytes
        .windows(2)
        .position(|w| w[0] == 0xFF && matches!(w[1], 0xC0 | 0xC2))
        .expect("a start-of-frame marker");
    bytes[at + 1] = marker;
    bytes[at + 4] = precision;
    bytes
}

/// A PNG with an `acTL` chunk of two frames before its image data: an animated PNG's header.
fn animated_png() -> Vec<u8> {
    let png = images::png_with_alpha(32, 32);
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap() - 4;
    let mut chunk = 8u32.to_be_bytes().to_vec();
    chunk.extend(b"acTL");
    chunk.extend(2u32.to_be_bytes());
    chunk.extend(0u32.to_be_bytes());
    chunk.extend(crc32fast::hash(&chunk[4..]).to_be_bytes());
    [&png[..idat], &chunk, &png[idat..]].concat()
}

#[tokio::test]
async fn each_unsupported_form_is_named() {
    let app = spawn_app().await;
    let token = app.token("alice");
    for (bytes, kind, said) in [
        (
            jpeg_with_frame(0xC0, 12),
            "image/jpeg",
            "12-bit JPEG is not supported",
        ),
        (
            jpeg_with_frame(0xC9, 8),
            "image/jpeg",
            "Arithmetic-coded JPEG is not supported",
        ),
        (
            jpeg_with_frame(0xC3, 8),
            "image/jpeg",
            "Lossless JPEG is not supported",
        ),
        (animated_png(), "image/png", "Animated PNG is not supported"),
    ] {
        let response = app.upload_with(&token, bytes, kind, &[]).await;
        let body = assert_error(response, 400, "INVALID_IMAGE").await;
        assert_eq!(body["message"], said);
    }
    // A damaged file is still just damaged.
    let mut cut = images::jpeg(64, 48);
    cut.truncate(cut.len() / 3);
    let body = assert_error(
        app.upload_with(&token, cut, "image/jpeg", &[]).await,
        400,
        "INVALID_IMAGE",
    )
    .await;
    assert_eq!(body["message"], "The file is not a valid still image");
    let listed = app.get_json("/images", &token).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );
}
