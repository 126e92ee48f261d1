//! The web gallery's files over HTTP: a strict policy of their own, the page
//! never cached and its files cached for a year under a versioned path, the
//! development sign-in only under development authentication, and all of it
//! off with `IMAGE_SERVICE_WEB=0`.

use serde_json::json;

use crate::support::{assert_error, spawn_with};

#[tokio::test]
async fn the_page_and_its_files_are_served_with_a_strict_policy() {
    let app = spawn_with(&[]).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["cache-control"], "no-cache");
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "frame-ancestors 'none'",
        // The test issuer's origin, for sign-in.
        "connect-src 'self' https://issuer.image-service.test",
    ] {
        assert!(policy.contains(part), "{part} missing from {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "inline code"
    );
    let script = html
        .split('"')
        .find(|s| s.starts_with("/assets/") && s.ends_with("/app.js"))
        .expect("the app's script")
        .to_owned();
    let file = app.client.get(app.url(&script)).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(
        file.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        file.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // Every module the app imports is served beside it.
    let app_js = file.text().await.unwrap();
    let base = script.trim_end_matches("app.js").to_owned();
    let mut modules: Vec<String> = app_js
        .split("from \"./")
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect();
    modules.push("style.css".to_owned());
    assert!(modules.len() >= 3, "{modules:?}");
    for module in modules {
        let served = app
            .client
            .get(app.url(&format!("{base}{module}")))
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), 200, "{module}");
    }
    // Another version's path (a page from before a deploy) is not found.
    let other = "/assets/0123456789abcdef/app.js".to_owned();
    assert_ne!(script, other);
    assert_error(
        app.client.get(app.url(&other)).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;

    // A real issuer: no development sign-in.
    let refused = app
        .client
        .post(app.url("/web/dev-sign-in"))
        .json(&json!({ "sub": "mallory", "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_error(refused, 404, "NOT_FOUND").await;
    let config: serde_json::Value = app
        .client
        .get(app.url("/web/config.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["devSignIn"], false);
}

#[tokio::test]
async fn development_sign_in_mints_a_working_token() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_AUTH_ISSUER", ""),
        ("IMAGE_SERVICE_AUTH_AUDIENCE", ""),
        ("IMAGE_SERVICE_AUTH_JWKS_FILE", ""),
    ])
    .await;
    let signed: serde_json::Value = app
        .client
        .post(app.url("/web/dev-sign-in"))
        .json(&json!({ "sub": "dana", "role": "moderator" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signed["accessToken"].as_str().expect("a token");
    assert_eq!(
        app.get("/images", token).send().await.unwrap().status(),
        200
    );
    let bad_role = app
        .client
        .post(app.url("/web/dev-sign-in"))
        .json(&json!({ "sub": "dana", "role": "owner" }))
        .send()
        .await
        .unwrap();
    assert_error(bad_role, 400, "VALIDATION_ERROR").await;
}

#[tokio::test]
async fn the_gallery_can_be_switched_off() {
    let app = spawn_with(&[("IMAGE_SERVICE_WEB", "0")]).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_error(page, 404, "NOT_FOUND").await;
}
