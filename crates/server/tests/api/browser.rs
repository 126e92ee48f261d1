//! The web gallery in a real browser (headless Chromium): development
//! sign-in, uploads with a progress bar each, plain-words errors, the next
//! page on scroll, and one person never seeing another's photos.
//! Screenshots at 1280 px and 375 px go to `$CARGO_TARGET_DIR/screenshots/`.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::browser::{Browser, browser};
use crate::support::{TestApp, images, spawn_with};

/// Development authentication, as `cargo run --release` starts.
async fn dev_app() -> TestApp {
    spawn_with(&[
        ("IMAGE_SERVICE_AUTH_ISSUER", ""),
        ("IMAGE_SERVICE_AUTH_AUDIENCE", ""),
        ("IMAGE_SERVICE_AUTH_JWKS_FILE", ""),
        ("IMAGE_SERVICE_CORS_ORIGINS", ""),
    ])
    .await
}

async fn sign_in(browser: &Browser, app: &TestApp, user: &str) {
    browser.goto(&app.url("/")).await;
    browser
        .wait_for(
            "the sign-in form",
            "return !document.getElementById('dev-sign-in').hidden",
        )
        .await;
    browser.type_into("#dev-user", user).await;
    browser.click("#dev-sign-in button[type=submit]").await;
    browser
        .wait_for(
            "the gallery",
            "return !document.getElementById('gallery-view').hidden",
        )
        .await;
}

async fn tiles(browser: &Browser) -> u64 {
    browser
        .run(
            "return document.querySelectorAll('#grid li').length",
            json!([]),
        )
        .await
        .as_u64()
        .unwrap()
}

fn screenshots() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

#[tokio::test]
async fn a_person_signs_in_uploads_sees_errors_and_only_their_photos() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = dev_app().await;
    sign_in(&browser, &app, "alice").await;
    browser
        .wait_for(
            "the empty gallery",
            "return !document.getElementById('empty').hidden",
        )
        .await;

    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (n, (w, h)) in [(640, 480), (480, 640), (800, 600)].into_iter().enumerate() {
        let path = dir.path().join(format!("photo-{n}.jpg"));
        std::fs::write(&path, images::jpeg(w, h)).unwrap();
        paths.push(path.display().to_string());
    }
    browser.type_into("#alt", "A red and blue test card").await;
    browser.type_into("#files", &paths.join("\n")).await;
    browser.click("#upload button[type=submit]").await;
    browser
        .wait_for(
            "three uploads done and shown",
            "return document.querySelectorAll('#progress li[data-state=done]').length === 3 \
             && document.querySelectorAll('#grid li').length === 3",
        )
        .await;
    let bars = browser
        .run(
            "return [...document.querySelectorAll('#progress progress')].map(p => p.value)",
            json!([]),
        )
        .await;
    assert_eq!(bars, json!([100, 100, 100]));
    let alt = browser
        .run("return document.querySelector('#grid img').alt", json!([]))
        .await;
    assert_eq!(alt, "A red and blue test card");

    browser.set_width(1280).await;
    browser
        .screenshot(&screenshots().join("gallery-1280.png"))
        .await;
    browser.set_width(375).await;
    browser
        .screenshot(&screenshots().join("gallery-375.png"))
        .await;
    browser.set_width(1280).await;

    // A text file named like a photo: its error in plain words, nothing added.
    let fake = dir.path().join("notes.jpg");
    std::fs::write(&fake, "these are my notes, not a photo\n").unwrap();
    browser
        .type_into("#files", &fake.display().to_string())
        .await;
    browser.click("#upload button[type=submit]").await;
    browser
        .wait_for(
            "the refused upload's message",
            "return document.querySelectorAll('#progress li[data-state=error]').length === 1",
        )
        .await;
    let said = browser
        .run(
            "return document.querySelector('#progress li[data-state=error] .error').textContent",
            json!([]),
        )
        .await;
    let said = said.as_str().unwrap();
    assert!(said.contains("not an image type we take"), "{said}");
    browser
        .screenshot(&screenshots().join("upload-error-1280.png"))
        .await;
    assert_eq!(tiles(&browser).await, 3);

    // Someone else sees none of it.
    browser.click("#sign-out").await;
    sign_in(&browser, &app, "bob").await;
    browser
        .wait_for(
            "bob's empty gallery",
            "return !document.getElementById('empty').hidden",
        )
        .await;
    assert_eq!(tiles(&browser).await, 0);
}

#[tokio::test]
async fn scrolling_loads_the_next_page() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = dev_app().await;
    let signed: Value = app
        .client
        .post(app.url("/web/dev-sign-in"))
        .json(&json!({ "sub": "carol", "role": "user" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed["accessToken"].as_str().unwrap();
    for _ in 0..30 {
        app.upload_ok(token, &[]).await;
    }
    sign_in(&browser, &app, "carol").await;
    browser
        .wait_for(
            "the first page",
            "return document.querySelectorAll('#grid li').length === 24",
        )
        .await;
    browser
        .run("window.scrollTo(0, document.body.scrollHeight)", json!([]))
        .await;
    browser
        .wait_for(
            "the second page",
            "return document.querySelectorAll('#grid li').length === 30",
        )
        .await;
}
