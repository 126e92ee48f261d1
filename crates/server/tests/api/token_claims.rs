//! What a verified token grants, over HTTP (docs/API.md, Authentication and
//! Roles): the role claim shapes real providers send, the role map, scopes,
//! and the tokens that are not access tokens for this API.

use serde_json::{Value, json};

use crate::support::{TestApp, assert_error, spawn_app, spawn_with};

/// The test issuer's good claims for `alice` with `extra` merged in.
fn claims(app: &TestApp, extra: Value) -> Value {
    let mut claims = app.issuer.claims("alice");
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

/// The status of `GET /audit` (admins only): 200 for an admin, 403 for anyone else.
async fn audit_status(app: &TestApp, token: &str) -> u16 {
    app.get("/audit", token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn role_claims_of_every_provider_shape() {
    let app = spawn_app().await;
    let admin_shapes = [
        json!({ "role": "admin" }),
        json!({ "role": ["user", "admin"] }),
        json!({ "roles": ["Admin"] }),
        json!({ "groups": "admin" }),
        json!({ "cognito:groups": ["photographers", "admin"] }),
        json!({ "realm_access": { "roles": ["offline_access", "admin"] } }),
    ];
    for shape in admin_shapes {
        let token = app.issuer.token_with(claims(&app, shape.clone()));
        assert_eq!(audit_status(&app, &token).await, 200, "{shape}");
    }
    // Wrong types and unknown names grant nothing, and never make the token invalid.
    let no_role_shapes = [
        json!({ "role": 42 }),
        json!({ "roles": { "admin": true } }),
        json!({ "groups": [1, null] }),
        json!({ "realm_access": "admin" }),
        json!({ "role": "root" }),
        json!({ "resource_access": { "web": { "roles": ["admin"] } } }),
    ];
    for shape in no_role_shapes {
        let token = app.issuer.token_with(claims(&app, shape.clone()));
        let response = app.get("/audit", &token).send().await.unwrap();
        assert_error(response, 403, "NOT_AUTHORIZED").await;
        let mine = app.get("/images", &token).send().await.unwrap();
        assert_eq!(mine.status(), 200, "{shape} is still a user");
    }
}

#[tokio::test]
async fn a_configured_claim_path_and_role_map() {
    let app = spawn_with(&[
        (
            "IMAGE_SERVICE_AUTH_ROLE_CLAIM",
            "https://images.example.com/roles,resource_access.image-web.roles",
        ),
        (
            "IMAGE_SERVICE_AUTH_ROLE_MAP",
            "ImageAdmins=admin,Reviewers=moderator",
        ),
    ])
    .await;
    let auth0 = json!({ "https://images.example.com/roles": ["ImageAdmins"] });
    let keycloak_client = json!({ "resource_access": { "image-web": { "roles": "ImageAdmins" } } });
    for shape in [auth0, keycloak_client] {
        let token = app.issuer.token_with(claims(&app, shape.clone()));
        assert_eq!(audit_status(&app, &token).await, 200, "{shape}");
    }
    // A claim left out of IMAGE_SERVICE_AUTH_ROLE_CLAIM is not read.
    let unread = app
        .issuer
        .token_with(claims(&app, json!({ "role": "admin" })));
    assert_eq!(audit_status(&app, &unread).await, 403);

    // A mapped moderator may read another user's image.
    let owner = app.token("bob");
    let image = app.upload_ok(&owner, &[]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    let reviewer = app.issuer.token_with(claims(
        &app,
        json!({ "https://images.example.com/roles": "Reviewers" }),
    ));
    assert_eq!(
        app.get(&path, &reviewer).send().await.unwrap().status(),
        200
    );
    let plain = app.token("carol");
    assert_eq!(app.get(&path, &plain).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn tokens_that_are_not_access_tokens_for_this_api_are_refused() {
    let app = spawn_app().await;
    let audience = app.issuer.audience().to_owned();
    let refused = [
        ("Cognito ID token", json!({ "token_use": "id" })),
        ("ID token with nonce", json!({ "nonce": "abc" })),
        ("ID token with at_hash", json!({ "at_hash": "x9fGA" })),
        ("Keycloak ID token", json!({ "typ": "ID" })),
        (
            "another API's token from our client",
            json!({ "aud": "https://other-api.example", "client_id": audience }),
        ),
    ];
    for (what, shape) in refused {
        let token = app.issuer.token_with(claims(&app, shape));
        let response = app.get("/images", &token).send().await.unwrap();
        assert_eq!(response.status(), 401, "{what}");
        assert_error(response, 401, "INVALID_TOKEN").await;
    }
    // A Cognito access token: no `aud`, the client in `client_id`.
    let cognito = app.issuer.token_with(claims(
        &app,
        json!({ "aud": null, "client_id": audience, "token_use": "access" }),
    ));
    assert_eq!(
        app.get("/images", &cognito).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn require_at_jwt_accepts_only_rfc9068_access_tokens() {
    let app = spawn_with(&[("IMAGE_SERVICE_AUTH_REQUIRE_AT_JWT", "1")]).await;
    let good = claims(&app, json!({}));
    let at_jwt = app
        .issuer
        .token_with_header(good.clone(), json!({ "typ": "at+jwt" }));
    assert_eq!(
        app.get("/images", &at_jwt).send().await.unwrap().status(),
        200
    );
    for typ in [json!("JWT"), Value::Null] {
        let token = app
            .issuer
            .token_with_header(good.clone(), json!({ "typ": typ }));
        let response = app.get("/images", &token).send().await.unwrap();
        assert_error(response, 401, "INVALID_TOKEN").await;
    }
}

#[tokio::test]
async fn scopes_split_reads_from_changes() {
    let app = spawn_with(&[("IMAGE_SERVICE_AUTH_SCOPES", "1")]).await;
    let read_only = app
        .issuer
        .token_with(claims(&app, json!({ "scope": "openid images:read" })));
    assert_eq!(
        app.get("/images", &read_only)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = app
        .post_json("/albums", &read_only, json!({ "title": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"insufficient_scope\", scope=\"images:write\""
    );
    assert_error(response, 403, "INSUFFICIENT_SCOPE").await;

    // Okta sends `scp` as an array; Entra ID as a string.
    for scp in [
        json!(["images:write", "images:read"]),
        json!("images:read images:write"),
    ] {
        let token = app.issuer.token_with(claims(&app, json!({ "scp": scp })));
        let created = app
            .post_json("/albums", &token, json!({ "title": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    let none = app.issuer.token_with(claims(&app, json!({})));
    let response = app.get("/images", &none).send().await.unwrap();
    assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
}

#[tokio::test]
async fn names_of_scopes_are_configurable() {
    let app = spawn_with(&[
        ("IMAGE_SERVICE_AUTH_SCOPES", "1"),
        ("IMAGE_SERVICE_AUTH_SCOPE_READ", "api://images/Read"),
        ("IMAGE_SERVICE_AUTH_SCOPE_WRITE", "api://images/Write"),
    ])
    .await;
    let token = app
        .issuer
        .token_with(claims(&app, json!({ "scp": "api://images/Read" })));
    assert_eq!(
        app.get("/images", &token).send().await.unwrap().status(),
        200
    );
    let default_name = app
        .issuer
        .token_with(claims(&app, json!({ "scope": "images:read" })));
    let response = app.get("/images", &default_name).send().await.unwrap();
    assert_error(response, 403, "INSUFFICIENT_SCOPE").await;
}
