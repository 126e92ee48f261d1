//! The web gallery in a real browser (headless Chromium): development
//! sign-in, uploads with a progress bar each, plain-words errors, the next
//! page on scroll, and one person never seeing another's photos.
//! Screenshots at 1280 px and 375 px go to `$CARGO_TARGET_DIR/screenshots/`.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::browser::{Browser, browser};
use crate::support::{TestApp, images, spawn_with};

/// Development authentication, as `cargo run --release` starts.
pub(crate) async fn dev_app() -> TestApp {
    spawn_with(&[
        ("IMAGE_SERVICE_AUTH_ISSUER", ""),
        ("IMAGE_SERVICE_AUTH_AUDIENCE", ""),
        ("IMAGE_SERVICE_AUTH_JWKS_FILE", ""),
        ("IMAGE_SERVICE_CORS_ORIGINS", ""),
    ])
    .await
}

async fn sign_in(browser: &Browser, app: &TestApp, user: &str) {
    sign_in_as(browser, app, user, "user").await;
}

async fn sign_in_as(browser: &Browser, app: &TestApp, user: &str, role: &str) {
    browser.goto(&app.url("/")).await;
    browser
        .wait_for(
            "the sign-in form",
            "return !document.getElementById('dev-sign-in').hidden",
        )
        .await;
    if user == "alice" && role == "user" {
        assert_accessible(browser, "the sign-in page").await;
    }
    browser.type_into("#dev-user", user).await;
    browser
        .run(
            "document.getElementById('dev-role').value = arguments[0]",
            json!([role]),
        )
        .await;
    browser.click("#dev-sign-in button[type=submit]").await;
    browser
        .wait_for(
            "the gallery",
            "return !document.getElementById('gallery-view').hidden",
        )
        .await;
}

pub(crate) async fn assert_accessible(browser: &Browser, page: &str) {
    let violations = browser.accessibility_violations().await;
    assert!(violations.is_empty(), "{page}: {violations:#?}");
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

/// Screenshots `<name>-1280.png` and `<name>-375.png` of the page as it is;
/// the window is left 1280 px wide.
async fn both_widths(browser: &Browser, name: &str) {
    for width in [375, 1280] {
        browser.set_width(width).await;
        browser
            .screenshot(&screenshots().join(format!("{name}-{width}.png")))
            .await;
    }
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

    assert_accessible(&browser, "the gallery").await;
    both_widths(&browser, "gallery").await;

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
    let token = dev_token(&app, "carol", "user").await;
    let token = token.as_str();
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

/// A development token for `sub`, as the page's sign-in gets one.
pub(crate) async fn dev_token(app: &TestApp, sub: &str, role: &str) -> String {
    let signed: Value = app
        .client
        .post(app.url("/web/dev-sign-in"))
        .json(&json!({ "sub": sub, "role": role }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    signed["accessToken"].as_str().unwrap().to_owned()
}

async fn open_image(browser: &Browser, app: &TestApp, id: &str) {
    browser.goto(&app.url(&format!("/#/images/{id}"))).await;
}

/// Replaces the value of the input at `css` by typing `text`.
async fn fill(browser: &Browser, css: &str, text: &str) {
    browser
        .run(
            "document.querySelector(arguments[0]).value = ''",
            json!([css]),
        )
        .await;
    browser.type_into(css, text).await;
}

pub(crate) async fn wait_text(browser: &Browser, what: &str, id: &str, text: &str) {
    let script = format!(
        "return document.getElementById('{id}').textContent.includes({})",
        json!(text)
    );
    browser.wait_for(what, &script).await;
}

pub(crate) async fn wait_shown(browser: &Browser, what: &str, id: &str) {
    let script = format!("return !document.getElementById('{id}').hidden");
    browser.wait_for(what, &script).await;
}

async fn wait_image_page(browser: &Browser) {
    browser
        .wait_for(
            "the image page",
            "return !document.getElementById('image-view').hidden \
             && document.getElementById('display').complete \
             && document.getElementById('display').naturalWidth > 0",
        )
        .await;
}

#[tokio::test]
async fn editing_a_conflict_from_a_second_window_deleting_and_the_account() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = dev_app().await;
    let alice = dev_token(&app, "alice", "user").await;
    let image = app.upload_ok(&alice, &[("title", "First")]).await;
    let id = image["id"].as_str().unwrap().to_owned();
    app.upload_ok(&alice, &[("title", "Second")]).await;

    // Window one opens the image page and edits.
    sign_in(&browser, &app, "alice").await;
    let first = browser.window().await;
    open_image(&browser, &app, &id).await;
    wait_image_page(&browser).await;
    assert_accessible(&browser, "the image page").await;
    both_widths(&browser, "image").await;
    fill(&browser, "#edit-title", "Castle").await;
    browser.click("#image-form button[type=submit]").await;
    wait_text(&browser, "saved", "image-message", "Saved.").await;

    // Window two, the same person, changes the title meanwhile.
    browser.new_tab().await;
    sign_in(&browser, &app, "alice").await;
    open_image(&browser, &app, &id).await;
    wait_image_page(&browser).await;
    fill(&browser, "#edit-title", "Theirs").await;
    browser.click("#image-form button[type=submit]").await;
    wait_text(&browser, "saved in window two", "image-message", "Saved.").await;

    // Back in window one: saving on the old version shows the conflict.
    browser.switch_to(&first).await;
    browser
        .run(
            "document.getElementById('image-message').textContent = ''",
            json!([]),
        )
        .await;
    fill(&browser, "#edit-title", "Mine").await;
    browser.click("#image-form button[type=submit]").await;
    wait_shown(&browser, "the conflict", "conflict").await;
    wait_text(&browser, "their title", "conflict-values", "title: Theirs").await;
    browser.click("#keep-mine").await;
    wait_text(&browser, "kept mine", "image-message", "Saved.").await;
    let stored = app.get_json(&format!("/images/{id}"), &alice).await;
    assert_eq!(stored["title"], "Mine");
    assert_eq!(stored["version"], 4);

    // Delete, with its second step.
    browser.click("#delete").await;
    wait_shown(&browser, "the confirmation", "confirm-delete").await;
    browser.click("#really-delete").await;
    browser
        .wait_for(
            "back to a gallery of one",
            "return !document.getElementById('gallery-view').hidden \
             && document.querySelectorAll('#grid li').length === 1",
        )
        .await;
    let gone = app
        .get(&format!("/images/{id}"), &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // The account: export, then erase once the name is typed right.
    browser.goto(&app.url("/#/account")).await;
    wait_shown(&browser, "the account page", "account-view").await;
    browser.click("#export").await;
    wait_text(
        &browser,
        "the export",
        "account-message",
        "Exported 1 photos and 0 albums.",
    )
    .await;
    assert_accessible(&browser, "the account page").await;
    both_widths(&browser, "account").await;
    browser.type_into("#erase-confirm", "alicia").await;
    browser.click("#erase-form button[type=submit]").await;
    wait_text(
        &browser,
        "the mismatch",
        "account-message",
        "does not match",
    )
    .await;
    let images = app.get_json("/images", &alice).await;
    assert_eq!(images["items"].as_array().unwrap().len(), 1);
    fill(&browser, "#erase-confirm", "alice").await;
    browser.click("#erase-form button[type=submit]").await;
    wait_text(&browser, "the erasure", "no-sign-in", "erased").await;
    let images = app.get_json("/images", &alice).await;
    assert_eq!(images["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_moderator_removes_another_users_image() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = dev_app().await;
    let alice = dev_token(&app, "alice", "user").await;
    let image = app
        .upload_ok(&alice, &[("title", "Against the rules")])
        .await;
    let id = image["id"].as_str().unwrap().to_owned();

    // Another user is refused.
    sign_in(&browser, &app, "bob").await;
    open_image(&browser, &app, &id).await;
    wait_text(&browser, "bob refused", "image-message", "You may not").await;
    browser.click("#sign-out").await;

    sign_in_as(&browser, &app, "mod", "moderator").await;
    open_image(&browser, &app, &id).await;
    wait_image_page(&browser).await;
    browser.click("#delete").await;
    browser.click("#really-delete").await;
    wait_shown(&browser, "back to the gallery", "gallery-view").await;
    let gone = app
        .get(&format!("/images/{id}"), &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

/// A measurement, not a check (run with `--ignored`, see docs/benchmarks.md).
/// Largest Contentful Paint stops at a page's first user input, and the
/// gallery is always behind a sign-in (tokens live in memory only), so two
/// figures: the page's LCP as loaded (the sign-in screen), and from the
/// sign-in click to the last of the first page's 24 thumbnails received, of
/// a gallery holding 100 photos, in headless Chromium on loopback.
#[tokio::test]
async fn albums_and_the_audit_trail() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = dev_app().await;
    let dave = dev_token(&app, "dave", "user").await;
    let first = app.upload_ok(&dave, &[("title", "Keep")]).await;
    app.upload_ok(&dave, &[("title", "Other")]).await;
    let id = first["id"].as_str().unwrap().to_owned();

    sign_in(&browser, &app, "dave").await;
    browser.goto(&app.url("/#/albums")).await;
    wait_shown(&browser, "the albums page", "albums-view").await;
    browser.type_into("#album-title", "Castles").await;
    browser.click("#album-create button[type=submit]").await;
    wait_text(&browser, "created", "album-message", "Created.").await;
    browser
        .wait_for(
            "the new album",
            "return document.querySelectorAll('#album-list li').length === 1",
        )
        .await;
    fill(&browser, "#album-list li input", "Grey castles").await;
    browser.click("#album-list li button").await;
    wait_text(&browser, "renamed", "album-message", "Renamed.").await;
    assert_accessible(&browser, "the albums page").await;
    let albums = app.get_json("/albums", &dave).await;
    assert_eq!(albums["items"][0]["title"], "Grey castles");
    let album = albums["items"][0]["id"].as_str().unwrap().to_owned();

    // Move a photo into it from the photo's page; the gallery filter finds it.
    open_image(&browser, &app, &id).await;
    wait_image_page(&browser).await;
    browser
        .wait_for(
            "the album choice",
            "return document.getElementById('edit-album').options.length === 2",
        )
        .await;
    browser
        .run(
            "const s = document.getElementById('edit-album'); s.value = arguments[0];",
            json!([album]),
        )
        .await;
    browser.click("#image-form button[type=submit]").await;
    wait_text(&browser, "moved", "image-message", "Saved.").await;
    assert_eq!(
        app.get_json(&format!("/images/{id}"), &dave).await["albumId"],
        album.as_str()
    );
    browser.goto(&app.url(&format!("/#/?album={album}"))).await;
    browser
        .wait_for(
            "the album's photos only",
            "return !document.getElementById('gallery-view').hidden \
             && document.querySelectorAll('#grid li').length === 1",
        )
        .await;

    // Deleting the album keeps its photo.
    browser.goto(&app.url("/#/albums")).await;
    wait_shown(&browser, "the albums page", "albums-view").await;
    browser
        .wait_for(
            "the album",
            "return document.querySelectorAll('#album-list li').length === 1",
        )
        .await;
    browser.click("#album-list li button.danger").await;
    wait_text(&browser, "deleted", "album-message", "Deleted").await;
    assert_eq!(
        app.get_json("/images", &dave).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The audit trail: refused to a user, shown to an admin with its filters.
    browser.goto(&app.url("/#/audit")).await;
    wait_text(&browser, "refused", "audit-message", "You may not").await;
    browser.click("#sign-out").await;
    sign_in_as(&browser, &app, "root", "admin").await;
    browser.goto(&app.url("/#/audit")).await;
    wait_text(&browser, "events", "audit-message", "events shown").await;
    browser.type_into("#audit-action", "album.update").await;
    browser.click("#audit-filter button[type=submit]").await;
    wait_text(&browser, "filtered", "audit-message", "1 events shown.").await;
    assert_accessible(&browser, "the audit trail").await;
    both_widths(&browser, "audit").await;
}
