//! The operator's choice of encoder effort: `IMAGE_SERVICE_DISPLAY_EFFORT` and
//! `IMAGE_SERVICE_THUMBNAIL_EFFORT` (libwebp method 0–6, default 4) change
//! the stored bytes, and anything else stops start-up naming the key.

use crate::config_errors::{assert_blames, image_service};
use crate::support::{images, spawn_with};

#[test]
fn an_effort_outside_0_to_6_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("IMAGE_SERVICE_DISPLAY_EFFORT", "7"),
        ("IMAGE_SERVICE_THUMBNAIL_EFFORT", "-1"),
        ("IMAGE_SERVICE_DISPLAY_EFFORT", "fast"),
    ] {
        let output = image_service(&["check-config"], dir.path(), &[(key, value)]);
        assert_blames(&output, key, "QUALITY");
    }
}

#[tokio::test]
async fn the_effort_changes_the_stored_bytes() {
    let photo = images::grainy_jpeg(1200, 800, 12);
    let mut sizes = Vec::new();
    for effort in ["0", "6"] {
        let app = spawn_with(&[
            ("IMAGE_SERVICE_DISPLAY_EFFORT", effort),
            ("IMAGE_SERVICE_THUMBNAIL_EFFORT", effort),
        ])
        .await;
        let token = app.token("alice");
        let response = app
            .upload_with(&token, photo.clone(), "image/jpeg", &[])
            .await;
        assert_eq!(response.status(), 201);
        let image: serde_json::Value = response.json().await.unwrap();
        let id = image["id"].as_str().unwrap();
        let display = app
            .get(&format!("/images/{id}/file"), &token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(display.starts_with(b"RIFF"));
        sizes.push(display.len());
    }
    assert!(
        sizes[1] < sizes[0],
        "effort 6 is not smaller than 0: {sizes:?}"
    );
}
