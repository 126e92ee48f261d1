//! Defaults that fail safe: an audience must be named with an issuer, an empty
//! issuer is an error, `crit` headers and overlong token lifetimes are
//! refused, the development CORS origin only comes with development
//! authentication, and `/metrics` is not served beyond loopback unprotected.

use serde_json::json;

use crate::config_errors::{assert_blames, image_service};
use crate::support::{assert_error, spawn_with};

const ISSUER: &str = "https://issuer.example.test";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn an_issuer_without_an_audience_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for audience in ["", " , "] {
        let output = image_service(
            &["check-config"],
            dir.path(),
            &[
                ("IMAGE_SERVICE_AUTH_ISSUER", ISSUER),
                ("IMAGE_SERVICE_AUTH_AUDIENCE", audience),
            ],
        );
        assert_blames(
            &output,
            "IMAGE_SERVICE_AUTH_AUDIENCE",
            "IMAGE_SERVICE_AUTH_JWKS",
        );
    }
    let mixed = image_service(
        &["check-config"],
        dir.path(),
        &[
            ("IMAGE_SERVICE_AUTH_ISSUER", ISSUER),
            ("IMAGE_SERVICE_AUTH_AUDIENCE", "*,api"),
        ],
    );
    assert_blames(
        &mixed,
        "IMAGE_SERVICE_AUTH_AUDIENCE",
        "IMAGE_SERVICE_AUTH_JWKS",
    );
}

#[test]
fn an_empty_issuer_is_an_error_not_development_authentication() {
    let dir = tempfile::tempdir().unwrap();
    for issuer in ["", "  "] {
        let output = image_service(
            &["check-config"],
            dir.path(),
            &[("IMAGE_SERVICE_AUTH_ISSUER", issuer)],
        );
        assert_blames(
            &output,
            "IMAGE_SERVICE_AUTH_ISSUER",
            "IMAGE_SERVICE_AUTH_AUDIENCE",
        );
    }
}

#[tokio::test]
async fn any_audience_only_when_said_and_then_warned_about() {
    let other_client = |app: &crate::support::TestApp| {
        let mut claims = app.issuer.claims("alice");
        claims["aud"] = json!("some-other-client");
        app.issuer.token_with(claims)
    };
    let strict = spawn_with(&[]).await;
    let refused = strict
        .get("/images", &other_client(&strict))
        .send()
        .await
        .unwrap();
    assert_error(refused, 401, "INVALID_TOKEN").await;

    let any = spawn_with(&[("IMAGE_SERVICE_AUTH_AUDIENCE", "*")]).await;
    let accepted = any
        .get("/images", &other_client(&any))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    assert!(
        any.logs()
            .lines()
            .any(|l| l.contains("WARN") && l.contains("IMAGE_SERVICE_AUTH_AUDIENCE=*")),
        "no warning:\n{}",
        any.logs()
    );
}

#[tokio::test]
async fn a_critical_header_extension_is_refused() {
    let app = spawn_with(&[]).await;
    let claims = app.issuer.claims("alice");
    for crit in [json!(["exp"]), json!(["b64"]), json!([]), json!("b64")] {
        let token = app
            .issuer
            .token_with_header(claims.clone(), json!({ "crit": crit }));
        let response = app.get("/images", &token).send().await.unwrap();
        assert_error(response, 401, "INVALID_TOKEN").await;
    }
    let plain = app.issuer.token_with(claims);
    assert_eq!(
        app.get("/images", &plain).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn token_lifetimes_are_capped() {
    let app = spawn_with(&[]).await;
    let now = now();
    let mut long = app.issuer.claims("alice");
    long["exp"] = json!(now + 2 * 86_400);
    let mut no_iat = long.clone();
    no_iat.as_object_mut().unwrap().remove("iat");
    for claims in [long.clone(), no_iat] {
        let token = app.issuer.token_with(claims);
        let response = app.get("/images", &token).send().await.unwrap();
        assert_error(response, 401, "INVALID_TOKEN").await;
    }
    let longer_limit =
        spawn_with(&[("IMAGE_SERVICE_AUTH_MAX_TOKEN_LIFETIME_SECS", "259200")]).await;
    let token = longer_limit.issuer.token_with(long);
    let response = longer_limit.get("/images", &token).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[test]
fn development_tokens_are_capped_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let refused = image_service(
        &["dev-token", "--sub", "bob", "--ttl", "36500d"],
        dir.path(),
        &[],
    );
    assert_blames(
        &refused,
        "IMAGE_SERVICE_AUTH_MAX_TOKEN_LIFETIME_SECS",
        "panicked",
    );
    let minted = image_service(
        &["dev-token", "--sub", "bob", "--ttl", "1d"],
        dir.path(),
        &[],
    );
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
}

#[tokio::test]
async fn the_development_cors_origin_comes_only_with_development_authentication() {
    let dev_origin = "http://localhost:3002";
    let allowed = |app: crate::support::TestApp| async move {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("origin", dev_origin)
            .send()
            .await
            .unwrap();
        response
            .headers()
            .get("access-control-allow-origin")
            .is_some()
    };
    let with_issuer = spawn_with(&[("IMAGE_SERVICE_CORS_ORIGINS", "")]).await;
    assert!(!allowed(with_issuer).await, "allowed with a real issuer");
    let dev = spawn_with(&[
        ("IMAGE_SERVICE_CORS_ORIGINS", ""),
        ("IMAGE_SERVICE_AUTH_ISSUER", ""),
        ("IMAGE_SERVICE_AUTH_AUDIENCE", ""),
        ("IMAGE_SERVICE_AUTH_JWKS_FILE", ""),
    ])
    .await;
    assert!(
        allowed(dev).await,
        "refused under development authentication"
    );
}

#[test]
fn an_unprotected_admin_listener_stays_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let open = [("IMAGE_SERVICE_ADMIN_LISTEN", "0.0.0.0:0")];
    let refused = image_service(&["check-config"], dir.path(), &open);
    assert_blames(
        &refused,
        "IMAGE_SERVICE_ADMIN_LISTEN",
        "IMAGE_SERVICE_LISTEN:",
    );
    let opted_in = image_service(
        &["check-config"],
        dir.path(),
        &[open[0], ("IMAGE_SERVICE_ADMIN_ALLOW_REMOTE", "1")],
    );
    assert!(
        opted_in.status.success(),
        "{}",
        String::from_utf8_lossy(&opted_in.stderr)
    );
    let token = "0123456789abcdef0123456789abcdef";
    let with_token = image_service(
        &["check-config"],
        dir.path(),
        &[open[0], ("IMAGE_SERVICE_ADMIN_TOKEN", token)],
    );
    let stdout = String::from_utf8_lossy(&with_token.stdout);
    assert!(
        with_token.status.success(),
        "{}",
        String::from_utf8_lossy(&with_token.stderr)
    );
    assert!(!stdout.contains(token), "the token was printed: {stdout}");
}

#[tokio::test]
async fn an_admin_token_guards_metrics_but_not_health() {
    let token = "0123456789abcdef0123456789abcdef";
    let app = spawn_with(&[("IMAGE_SERVICE_ADMIN_TOKEN", token)]).await;
    let admin = app.admin_addr().await;
    let metrics = format!("http://{admin}/metrics");
    let bare = app.client.get(&metrics).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let wrong = app
        .client
        .get(&metrics)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(&metrics)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let health = app
        .client
        .get(format!("http://{admin}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(!app.logs().contains(token), "the token reached the log");
}
