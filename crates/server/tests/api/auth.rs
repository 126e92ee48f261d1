//! Every token refusal (docs/API.md, Authentication) over HTTP, with real RSA and EC keys, and the
//! rule that authentication is answered before 404/405/validation.

use serde_json::json;

use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn valid_rs256_and_es256_tokens_pass() {
    let app = spawn_app().await;
    for token in [app.token("alice"), app.issuer.es256_token("alice")] {
        let response = app.get("/images", &token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("www-authenticate").is_none());
    }
}

#[tokio::test]
async fn missing_credentials_are_missing_token() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/images")).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_error(response, 401, "MISSING_TOKEN").await;
    let basic = app
        .client
        .get(app.url("/images"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_error(basic, 401, "MISSING_TOKEN").await;
}

#[tokio::test]
async fn expired_tokens_are_token_expired() {
    let app = spawn_app().await;
    let response = app
        .get("/images", &app.issuer.expired_token("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    assert_error(response, 401, "TOKEN_EXPIRED").await;
}

#[tokio::test]
async fn every_forged_or_wrong_token_is_invalid_token() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let base = json!({ "sub": "alice", "iss": app.issuer.issuer(), "aud": app.issuer.audience(), "exp": now + 3600 });
    let with = |patch: serde_json::Value| {
        let mut claims = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        app.issuer.token_with(claims)
    };
    let cases = [
        ("alg none", app.issuer.alg_none_token("alice")),
        (
            "HS256 keyed with the public key",
            app.issuer.hs256_with_public_key("alice"),
        ),
        (
            "wrong issuer",
            with(json!({ "iss": "https://evil.example" })),
        ),
        ("wrong audience", with(json!({ "aud": "someone-else" }))),
        ("no exp", with(json!({ "exp": null }))),
        ("no sub", with(json!({ "sub": null }))),
        ("future nbf", with(json!({ "nbf": now + 600 }))),
        ("refresh token_use", with(json!({ "token_use": "refresh" }))),
        ("garbage", "not.a.jwt".to_owned()),
        (
            "oversized",
            format!("{}.{}", with(json!({})), "A".repeat(9000)),
        ),
    ];
    for (name, token) in cases {
        let response = app.get("/images", &token).send().await.unwrap();
        assert_eq!(response.status(), 401, "{name}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\"",
            "{name}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "INVALID_TOKEN", "{name}: {body}");
    }
}

#[tokio::test]
async fn audience_may_come_from_an_array_or_client_id() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let array = app.issuer.token_with(json!({ "sub": "a", "iss": app.issuer.issuer(), "aud": ["x", app.issuer.audience()], "exp": now + 60 }));
    let access = app.issuer.token_with(json!({ "sub": "a", "iss": app.issuer.issuer(), "client_id": app.issuer.audience(), "token_use": "access", "exp": now + 60 }));
    let leeway = app.issuer.token_with(json!({ "sub": "a", "iss": app.issuer.issuer(), "aud": app.issuer.audience(), "exp": now - 30 }));
    for token in [array, access, leeway] {
        assert_eq!(
            app.get("/images", &token).send().await.unwrap().status(),
            200
        );
    }
}

#[tokio::test]
async fn roles_come_from_cognito_groups_too() {
    let app = spawn_app().await;
    let image = app.upload_ok(&app.token("alice"), &[]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    let now = chrono::Utc::now().timestamp();
    let moderator = app.issuer.token_with(json!({ "sub": "m", "iss": app.issuer.issuer(), "aud": app.issuer.audience(), "exp": now + 60, "cognito:groups": ["moderator"] }));
    assert_eq!(
        app.get(&path, &moderator).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn authentication_is_answered_first() {
    let app = spawn_app().await;
    let bad = "bad.token.here";
    assert_error(
        app.get("/images/unknown-id", bad).send().await.unwrap(),
        401,
        "INVALID_TOKEN",
    )
    .await;
    assert_error(
        app.get("/albums/nope/deeper", bad).send().await.unwrap(),
        401,
        "INVALID_TOKEN",
    )
    .await;
    let put = app
        .client
        .put(app.url("/images/x"))
        .bearer_auth(bad)
        .send()
        .await
        .unwrap();
    assert_error(put, 401, "INVALID_TOKEN").await;
    let patch = app
        .patch_json("/images/x", bad, json!({ "nonsense": true }))
        .send()
        .await
        .unwrap();
    assert_error(patch, 401, "INVALID_TOKEN").await;
    let upload = app
        .client
        .post(app.url("/images"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_error(upload, 401, "MISSING_TOKEN").await;
    // Open routes need nothing.
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let doc: serde_json::Value = app.openapi().await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/images/{id}"]["patch"].is_object());
}

#[tokio::test]
async fn tokens_never_reach_the_log() {
    let app = spawn_app().await;
    let token = app.token("alice");
    app.upload_ok(&token, &[]).await;
    let _ = app
        .get("/images", "forged.token.value")
        .send()
        .await
        .unwrap();
    let signature = token.rsplit('.').next().unwrap();
    let logs = app.logs();
    assert!(logs.contains("\"requestId\""), "access log lines exist");
    assert!(!logs.contains(signature));
    assert!(!logs.contains("forged.token.value"));
}

/// At debug level, after uploads, signed-URL fetches (good, tampered and
/// expired-looking), forged tokens and errors: no bearer token, token
/// signature, URL signature or configured key appears anywhere in the output.
#[tokio::test]
async fn no_token_key_or_url_signature_reaches_the_log_even_at_debug() {
    use base64::Engine as _;
    let encryption_key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let signing_key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let app = crate::support::spawn_with(&[
        ("IMAGE_SERVICE_LOG", "debug"),
        ("IMAGE_SERVICE_ENCRYPTION_KEY", &encryption_key),
        ("IMAGE_SERVICE_URL_SIGNING_KEY", &signing_key),
    ])
    .await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[("title", "secret-free")]).await;
    let display = image["urls"]["display"].as_str().unwrap().to_owned();
    let url_signature = display.rsplit('.').next().unwrap().to_owned();
    assert!(url_signature.len() >= 20, "a signature part: {display}");

    let ok = app.client.get(app.url(&display)).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let mut tampered = display.clone();
    tampered.pop();
    tampered.push(if display.ends_with('A') { 'B' } else { 'A' });
    let refused = app.client.get(app.url(&tampered)).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let id = image["id"].as_str().unwrap();
    let patched = app
        .patch_json(
            &format!("/images/{id}"),
            &token,
            serde_json::json!({"title": "t", "version": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let _ = app
        .get(
            "/images",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
        )
        .send()
        .await
        .unwrap();
    let _ = app
        .get(&format!("/images/{id}"), &format!("{token}x"))
        .send()
        .await
        .unwrap();

    // Give the log threads a moment to drain what the service wrote.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = app.logs();
    assert!(logs.contains("\"requestId\""), "access log lines exist");
    let token_signature = token.rsplit('.').next().unwrap();
    for (what, secret) in [
        ("bearer token", token.as_str()),
        ("token signature", token_signature),
        ("URL signature", url_signature.as_str()),
        (
            "tampered URL signature",
            tampered.rsplit('.').next().unwrap(),
        ),
        ("forged token signature", "c2lnbmF0dXJl"),
        ("encryption key", encryption_key.as_str()),
        ("URL signing key", signing_key.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} reached the log");
    }
}
