//! The service against a real OpenID Connect provider (oidc-provider, see
//! support/identity_provider.rs) on loopback: discovery, both grants, RS256
//! and ES256, key rotation and withdrawal, ID tokens and other APIs' tokens,
//! role claims as the provider sends them, readiness and `check-config`.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::provider_outage::closed_port;
use crate::support::identity_provider::{API, ClientSpec, IdentityProvider, OTHER_API};
use crate::support::poll::eventually;
use crate::support::{TestApp, assert_error, spawn_with};

async fn service_for(provider: &IdentityProvider, extra: &[(&str, &str)]) -> TestApp {
    let env = provider.service_env();
    let mut settings: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.extend_from_slice(extra);
    spawn_with(&settings).await
}

/// Upload, list, read, download and delete with `token`, as the user it names.
async fn full_round_trip(app: &TestApp, token: &str, what: &str) {
    let image = app.upload_ok(token, &[("title", what)]).await;
    let id = image["id"].as_str().unwrap();
    let list = app.get_json("/images", token).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id),
        "{what}: uploaded image not listed: {list}"
    );
    let read = app
        .get(&format!("/images/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "{what}: read");
    let file = app
        .get(&format!("/images/{id}/file"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200, "{what}: download");
    assert_eq!(&file.bytes().await.unwrap()[8..12], b"WEBP");
    let deleted = app
        .delete(&format!("/images/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204, "{what}: delete");
}

#[tokio::test]
async fn tokens_from_both_grants_and_both_algorithms_work_end_to_end() {
    let Some(provider) = IdentityProvider::start(&[
        ClientSpec::machine("batch-rs", "RS256", json!({})),
        ClientSpec::machine("batch-es", "ES256", json!({})),
        ClientSpec::browser("web-rs", "RS256"),
        ClientSpec::browser("web-es", "ES256"),
    ]) else {
        return;
    };
    let app = service_for(&provider, &[("IMAGE_SERVICE_AUTH_REQUIRE_AT_JWT", "1")]).await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    for client in ["batch-rs", "batch-es"] {
        let token = provider.client_credentials(client, API).await;
        full_round_trip(&app, &token, client).await;
    }
    for client in ["web-rs", "web-es"] {
        let (token, _id_token) = provider.authorization_code(client, "alice").await;
        full_round_trip(&app, &token, client).await;
    }
    // The login name is the user: a second sign-in sees the same images.
    let (first, _) = provider.authorization_code("web-rs", "bob").await;
    let image = app.upload_ok(&first, &[]).await;
    let (second, _) = provider.authorization_code("web-es", "bob").await;
    let mine = app.get(
        &format!("/images/{}", image["id"].as_str().unwrap()),
        &second,
    );
    assert_eq!(mine.send().await.unwrap().status(), 200);
    let (carol, _) = provider.authorization_code("web-rs", "carol").await;
    let theirs = app.get(
        &format!("/images/{}", image["id"].as_str().unwrap()),
        &carol,
    );
    assert_eq!(theirs.send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn id_tokens_and_tokens_for_another_api_are_refused() {
    let Some(provider) = IdentityProvider::start(&[
        ClientSpec::machine("batch", "RS256", json!({})),
        ClientSpec::browser("web", "RS256"),
    ]) else {
        return;
    };
    // The clients' ids are audiences too (as a Cognito setup has it), so
    // only the rules on `client_id` and on ID tokens can refuse these.
    let audiences = format!("{API},web,batch");
    let app = service_for(&provider, &[("IMAGE_SERVICE_AUTH_AUDIENCE", &audiences)]).await;
    let (access, id_token) = provider.authorization_code("web", "alice").await;
    assert_eq!(
        app.get("/images", &access).send().await.unwrap().status(),
        200
    );
    let response = app.get("/images", &id_token).send().await.unwrap();
    assert_error(response, 401, "INVALID_TOKEN").await;

    let other = provider.client_credentials("batch", OTHER_API).await;
    let response = app.get("/images", &other).send().await.unwrap();
    assert_error(response, 401, "INVALID_TOKEN").await;
    let ours = provider.client_credentials("batch", API).await;
    assert_eq!(
        app.get("/images", &ours).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn role_claims_as_the_provider_sends_them() {
    let shapes = [
        (
            "keycloak-admin",
            json!({ "realm_access": { "roles": ["admin"] } }),
            200,
        ),
        ("okta-moderator", json!({ "groups": "moderator" }), 403),
        (
            "auth0-admin",
            json!({ "https://images.example.com/roles": ["ImageAdmins"] }),
            200,
        ),
        ("entra-admin", json!({ "roles": ["Admin"] }), 200),
        (
            "wrong-type",
            json!({ "roles": 42, "groups": { "admin": true } }),
            403,
        ),
        ("no-role", json!({}), 403),
    ];
    let clients: Vec<ClientSpec> = shapes
        .iter()
        .map(|(id, claims, _)| ClientSpec::machine(id, "ES256", claims.clone()))
        .collect();
    let Some(provider) = IdentityProvider::start(&clients) else {
        return;
    };
    let app = service_for(
        &provider,
        &[
            (
                "IMAGE_SERVICE_AUTH_ROLE_CLAIM",
                "roles,groups,realm_access.roles,https://images.example.com/roles",
            ),
            ("IMAGE_SERVICE_AUTH_ROLE_MAP", "ImageAdmins=admin"),
            ("IMAGE_SERVICE_AUTH_SCOPES", "1"),
        ],
    )
    .await;
    let owner = provider.client_credentials("no-role", API).await;
    let image = app.upload_ok(&owner, &[]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    for (client, _, audit_status) in shapes {
        let token = provider.client_credentials(client, API).await;
        let audit = app.get("/audit", &token).send().await.unwrap();
        assert_eq!(audit.status(), audit_status, "{client}: GET /audit");
        // Moderators and admins may read another client's image; the rest may not.
        let read = app.get(&path, &token).send().await.unwrap().status();
        let expected = match client {
            "wrong-type" => 403,
            "no-role" => 200,
            _ => 200,
        };
        assert_eq!(read, expected, "{client}: read another's image");
    }
}

#[tokio::test]
async fn rotated_keys_are_picked_up_and_withdrawn_keys_stop_within_the_refresh_period() {
    let Some(mut provider) = IdentityProvider::start(&[
        ClientSpec::machine("batch-rs", "RS256", json!({})),
        ClientSpec::machine("batch-es", "ES256", json!({})),
    ]) else {
        return;
    };
    let app = service_for(&provider, &[("IMAGE_SERVICE_AUTH_JWKS_REFRESH_SECS", "30")]).await;
    let before = provider.client_credentials("batch-rs", API).await;
    assert_eq!(
        app.get("/images", &before).send().await.unwrap().status(),
        200
    );

    // Rotation: new keys, new kids. A token signed by a new key works at once
    // (an unknown kid makes the service refetch); one signed by the old key,
    // now gone, no longer does.
    provider.restart_with_keys(None);
    let rotated = provider.client_credentials("batch-rs", API).await;
    assert_eq!(
        app.get("/images", &rotated).send().await.unwrap().status(),
        200
    );
    let response = app.get("/images", &before).send().await.unwrap();
    assert_error(response, 401, "INVALID_TOKEN").await;

    // Withdrawal: the RSA key disappears, the EC key stays. No token names
    // an unknown kid, so only the periodic refresh can notice.
    let ec_token = provider.client_credentials("batch-es", API).await;
    let mut keys: Value = provider.keys();
    keys["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|key| key["kty"] != "RSA");
    provider.restart_with_keys(Some(keys));
    let took = eventually(
        "the withdrawn key's token is refused",
        Duration::from_secs(45),
        async || app.get("/images", &rotated).send().await.unwrap().status() == 401,
    )
    .await;
    assert!(took <= Duration::from_secs(35), "took {took:?}");
    assert_eq!(
        app.get("/images", &ec_token).send().await.unwrap().status(),
        200
    );
    let age = app.metric("auth_jwks_age_seconds").await.unwrap();
    assert!((0.0..35.0).contains(&age), "keys {age}s old");
}

#[tokio::test]
async fn not_ready_until_the_provider_answers_then_tokens_work() {
    let port = closed_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_with(&[
        ("IMAGE_SERVICE_AUTH_ISSUER", &issuer),
        ("IMAGE_SERVICE_AUTH_AUDIENCE", API),
        ("IMAGE_SERVICE_AUTH_JWKS_FILE", ""),
    ])
    .await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_error(ready, 503, "UNAVAILABLE").await;

    let Some(provider) =
        IdentityProvider::start_on(port, &[ClientSpec::machine("batch", "RS256", json!({}))])
    else {
        return;
    };
    assert_eq!(provider.issuer, issuer);
    eventually("/readyz answers 200", Duration::from_secs(40), async || {
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        ready.status() == 200
    })
    .await;
    let token = provider.client_credentials("batch", API).await;
    assert_eq!(
        app.get("/images", &token).send().await.unwrap().status(),
        200
    );
    assert_eq!(app.metric("auth_jwks_stale").await, Some(0.0));
    assert_eq!(app.metric("auth_jwks_keys").await, Some(2.0));
}

#[tokio::test]
async fn check_config_reports_what_the_provider_publishes() {
    let Some(provider) = IdentityProvider::start(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |issuer: &str| {
        Command::new(env!("CARGO_BIN_EXE_image-service"))
            .arg("check-config")
            .env_clear()
            .env("IMAGE_SERVICE_DATA_DIR", dir.path())
            .env("IMAGE_SERVICE_AUTH_ISSUER", issuer)
            .env("IMAGE_SERVICE_AUTH_AUDIENCE", API)
            .output()
            .unwrap()
    };
    let output = run(&provider.issuer);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        format!(
            "discovery: {}/.well-known/openid-configuration: issuer matches",
            provider.issuer
        ),
        format!("jwks_uri {}/jwks", provider.issuer),
        "signing algorithms advertised: RS256".to_owned(),
        "signing keys: 2 usable".to_owned(),
    ] {
        assert!(stdout.contains(&expected), "no `{expected}` in:\n{stdout}");
    }
    // One character off the discovery document's issuer is refused.
    let output = run(&format!("{}/", provider.issuer));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("names the issuer"), "{stderr}");
}
