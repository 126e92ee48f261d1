//! An identity provider that cannot be reached (docs/API.md, Signing keys):
//! the service starts, but `/readyz` says 503, every token is refused, the
//! log says why at error level, the metrics count the failures, and
//! `check-config` fails naming what it could not fetch.

use std::process::Command;

use crate::support::{assert_error, spawn_with};

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_provider_is_not_ready_and_refuses_every_token() {
    let issuer = format!("http://127.0.0.1:{}", closed_port());
    let app = spawn_with(&[
        ("IMAGE_SERVICE_AUTH_ISSUER", &issuer),
        ("IMAGE_SERVICE_AUTH_JWKS_FILE", ""),
    ])
    .await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_error(ready, 503, "UNAVAILABLE").await;

    let mut claims = app.issuer.claims("alice");
    claims["iss"] = issuer.clone().into();
    let token = app.issuer.token_with(claims);
    let response = app.get("/images", &token).send().await.unwrap();
    assert_error(response, 401, "INVALID_TOKEN").await;

    let failures = app
        .metric("auth_jwks_fetch_failures_total{stage=\"discovery\"}")
        .await
        .expect("failure counter");
    assert!(failures >= 1.0, "{failures}");
    assert_eq!(app.metric("auth_jwks_keys").await, Some(0.0));
    assert_eq!(app.metric("auth_jwks_age_seconds").await, Some(-1.0));

    let discovery_url = format!("{issuer}/.well-known/openid-configuration");
    let logs = app.logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("\"level\":\"ERROR\"") && l.contains(&discovery_url)),
        "no error line naming {discovery_url}:\n{logs}"
    );
}

#[test]
fn check_config_fails_when_the_provider_cannot_be_reached() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = format!("http://127.0.0.1:{}", closed_port());
    let output = Command::new(env!("CARGO_BIN_EXE_image-service"))
        .arg("check-config")
        .env_clear()
        .env("IMAGE_SERVICE_DATA_DIR", dir.path())
        .env("IMAGE_SERVICE_AUTH_ISSUER", &issuer)
        .env("IMAGE_SERVICE_AUTH_AUDIENCE", "image-service-api")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{issuer}/.well-known/openid-configuration")),
        "{stderr}"
    );
}
