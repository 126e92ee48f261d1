//! Incident controls over HTTP (docs/API.md, Incident controls): read-only
//! mode, uploads off, blocked accounts and revoked tokens, set through the
//! admin API and through `image-service incident` on the same store, and
//! obeyed by a second replica on PostgreSQL within 5 s.

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::backends::{PgSchema, as_settings, fresh_user};
use crate::support::poll::eventually;
use crate::support::{TestApp, assert_error, spawn_app, spawn_with};

/// `image-service incident ARGS` on the app's data dir (its SQLite store).
fn incident(app: &TestApp, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_image-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("USER", "oncall")
        .env("IMAGE_SERVICE_DATA_DIR", app.data_dir())
        .arg("incident")
        .args(args)
        .output()
        .expect("run image-service");
    assert!(
        output.status.success(),
        "incident {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn put_json(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::RequestBuilder {
    app.client.put(app.url(path)).bearer_auth(token).json(&body)
}

/// Within the 5 s every replica is promised to obey a switch.
const OBEYED_WITHIN: Duration = Duration::from_secs(5);

async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn read_only_mode_refuses_every_write_and_keeps_reads_and_links() {
    let app = spawn_app().await;
    let (alice, root) = (app.token("alice"), app.token_as("root", "admin"));
    let image = app.upload_ok(&alice, &[]).await;
    let id = image["id"].as_str().unwrap().to_owned();
    let link = app.url(image["urls"]["display"].as_str().unwrap());

    // Only admins hold the switch.
    let refused = put_json(
        &app,
        "/admin/incident/read-only",
        &alice,
        json!({ "enabled": true, "reason": "x" }),
    );
    assert_error(refused.send().await.unwrap(), 403, "NOT_AUTHORIZED").await;
    let no_reason = put_json(
        &app,
        "/admin/incident/read-only",
        &root,
        json!({ "enabled": true, "reason": " " }),
    );
    assert_error(no_reason.send().await.unwrap(), 400, "VALIDATION_ERROR").await;

    let on = put_json(
        &app,
        "/admin/incident/read-only",
        &root,
        json!({ "enabled": true, "reason": "INC-7 restore test" }),
    );
    let status: Value = on.send().await.unwrap().json().await.unwrap();
    assert_eq!(status["readOnly"]["enabled"], true);
    assert_eq!(status["readOnly"]["switch"]["reason"], "INC-7 restore test");
    assert_eq!(status["readOnly"]["switch"]["by"], "root");

    let path = format!("/images/{id}");
    let writes = [
        app.upload_request(
            &alice,
            crate::support::images::jpeg(8, 8),
            "image/jpeg",
            &[],
        ),
        app.patch_json(&path, &alice, json!({ "title": "x", "version": 1 })),
        app.delete(&path, &alice),
        app.post_json("/albums", &alice, json!({ "title": "x" })),
        app.delete("/users/alice", &alice),
    ];
    for write in writes {
        let response = write.send().await.unwrap();
        assert_eq!(response.headers()["retry-after"], "60");
        assert_error(response, 503, "MAINTENANCE").await;
    }
    assert_eq!(status_of(app.get(&path, &alice)).await, 200);
    assert_eq!(status_of(app.get("/images", &alice)).await, 200);
    assert_eq!(status_of(app.client.get(&link)).await, 200);

    // The switch is lifted through the same API it was set with.
    let off = put_json(
        &app,
        "/admin/incident/read-only",
        &root,
        json!({ "enabled": false, "reason": "restored" }),
    );
    assert_eq!(status_of(off).await, 200);
    let album = app.post_json("/albums", &alice, json!({ "title": "x" }));
    assert_eq!(status_of(album).await, 201);

    let audit = app
        .get_json("/audit?action=incident.read_only", &root)
        .await;
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{audit}");
    assert_eq!(events[0]["actor"], "root");
    assert_eq!(events[0]["changes"]["reason"], "INC-7 restore test");
}

#[tokio::test]
async fn uploads_paused_from_the_command_line_refuse_only_uploads() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    let output = incident(&app, &["uploads", "off", "--reason", "hostile uploads"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("uploads: OFF"));
    eventually("uploads refused", OBEYED_WITHIN, async || {
        let upload = app.upload_request(
            &alice,
            crate::support::images::jpeg(8, 8),
            "image/jpeg",
            &[],
        );
        status_of(upload).await == 503
    })
    .await;
    let upload = app.upload_request(
        &alice,
        crate::support::images::jpeg(8, 8),
        "image/jpeg",
        &[],
    );
    assert_error(upload.send().await.unwrap(), 503, "MAINTENANCE").await;
    let album = app.post_json("/albums", &alice, json!({ "title": "x" }));
    assert_eq!(status_of(album).await, 201);

    // `status --json` is the admin API's shape.
    let json: Value =
        serde_json::from_slice(&incident(&app, &["status", "--json"]).stdout).unwrap();
    assert_eq!(json["uploads"]["enabled"], false);
    assert_eq!(json["uploads"]["switch"]["by"], "cli:oncall");
    let root = app.token_as("root", "admin");
    assert_eq!(app.get_json("/admin/incident", &root).await, json);
    let paused = app
        .metric("incident_control_active{control=\"uploads_paused\"}")
        .await;
    assert_eq!(paused, Some(1.0));
    assert_eq!(
        app.metric("incident_control_active{control=\"read_only\"}")
            .await,
        Some(0.0)
    );

    incident(&app, &["uploads", "on"]);
    eventually("uploads back", OBEYED_WITHIN, async || {
        let upload = app.upload_request(
            &alice,
            crate::support::images::jpeg(8, 8),
            "image/jpeg",
            &[],
        );
        status_of(upload).await == 201
    })
    .await;
}

#[tokio::test]
async fn a_blocked_account_is_refused_everywhere_until_unblocked() {
    let app = spawn_app().await;
    let (bob, alice) = (app.token("bob"), app.token("alice"));
    let image = app.upload_ok(&bob, &[]).await;
    let link = app.url(image["urls"]["display"].as_str().unwrap());

    incident(&app, &["block", "bob", "--reason", "stolen account"]);
    eventually("bob blocked", OBEYED_WITHIN, async || {
        status_of(app.get("/images", &bob)).await == 403
    })
    .await;
    assert_error(
        app.get("/images", &bob).send().await.unwrap(),
        403,
        "ACCOUNT_BLOCKED",
    )
    .await;
    assert_error(
        app.client.get(&link).send().await.unwrap(),
        403,
        "ACCOUNT_BLOCKED",
    )
    .await;
    assert_eq!(status_of(app.get("/images", &alice)).await, 200);
    let text = String::from_utf8_lossy(&incident(&app, &["status"]).stdout).into_owned();
    assert!(text.contains("blocked: bob (by cli:oncall"), "{text}");

    incident(&app, &["unblock", "bob"]);
    eventually("bob back", OBEYED_WITHIN, async || {
        status_of(app.get("/images", &bob)).await == 200
    })
    .await;
    assert_eq!(status_of(app.client.get(&link)).await, 200);
}

#[tokio::test]
async fn tokens_issued_before_a_revocation_are_refused() {
    let app = spawn_app().await;
    let root = app.token_as("root", "admin");
    let now = chrono::Utc::now().timestamp();
    let issued = |sub: &str, iat: Option<i64>| {
        let mut claims = app.issuer.claims(sub);
        match iat {
            Some(iat) => claims["iat"] = json!(iat),
            None => drop(claims.as_object_mut().unwrap().remove("iat")),
        }
        app.issuer.token_with(claims)
    };
    let (old_carol, old_dave) = (
        issued("carol", Some(now - 600)),
        issued("dave", Some(now - 600)),
    );

    // One user's tokens first.
    let revoke = app
        .client
        .post(app.url("/admin/incident/revocations"))
        .bearer_auth(&root)
        .json(&json!({ "before": chrono::Utc::now().to_rfc3339(), "sub": "carol", "reason": "laptop stolen" }));
    assert_eq!(status_of(revoke).await, 200);
    let response = app.get("/images", &old_carol).send().await.unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    assert_error(response, 401, "TOKEN_REVOKED").await;
    // Who still tries with a revoked token is in the audit trail.
    eventually("the refusal is audited", OBEYED_WITHIN, async || {
        let audit = app
            .get_json("/audit?action=auth.failed&actor=carol", &root)
            .await;
        !audit["items"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(status_of(app.get("/images", &old_dave)).await, 200);
    let fresh_carol = issued("carol", Some(now + 5));
    assert_eq!(status_of(app.get("/images", &fresh_carol)).await, 200);

    // Then everyone's, from the command line: a token without `iat` goes too.
    let before = chrono::DateTime::from_timestamp(now - 60, 0)
        .unwrap()
        .to_rfc3339();
    incident(
        &app,
        &[
            "revoke-tokens",
            "--before",
            &before,
            "--reason",
            "signing key leaked",
        ],
    );
    eventually("dave revoked", OBEYED_WITHIN, async || {
        status_of(app.get("/images", &old_dave)).await == 401
    })
    .await;
    assert_error(
        app.get("/images", &issued("erin", None))
            .send()
            .await
            .unwrap(),
        401,
        "TOKEN_REVOKED",
    )
    .await;
    assert_eq!(
        status_of(app.get("/images", &issued("erin", Some(now)))).await,
        200
    );
}

#[tokio::test]
async fn a_switch_set_through_one_replica_is_obeyed_by_the_other_within_5s() {
    let schema = PgSchema::create("incident");
    let env = vec![("IMAGE_SERVICE_METADATA_URL", schema.url())];
    let settings = as_settings(&env);
    let (one, two) = tokio::join!(spawn_with(&settings), spawn_with(&settings));
    let user = fresh_user("incident");
    let (token, root) = (one.token(&user), one.token_as("root", "admin"));
    assert_eq!(
        status_of(two.post_json("/albums", &token, json!({ "title": "a" }))).await,
        201
    );

    let on = put_json(
        &one,
        "/admin/incident/read-only",
        &root,
        json!({ "enabled": true, "reason": "db failover" }),
    );
    assert_eq!(status_of(on).await, 200);
    let took = eventually(
        "the other replica is read-only",
        OBEYED_WITHIN,
        async || status_of(two.post_json("/albums", &token, json!({ "title": "b" }))).await == 503,
    )
    .await;
    eprintln!("replica two obeyed after {took:?}");
    // And survives a restart of that replica.
    let three = spawn_with(&settings).await;
    let response = three
        .post_json("/albums", &token, json!({ "title": "c" }))
        .send()
        .await
        .unwrap();
    assert_error(response, 503, "MAINTENANCE").await;

    let off = put_json(
        &two,
        "/admin/incident/read-only",
        &root,
        json!({ "enabled": false, "reason": "done" }),
    );
    assert_eq!(status_of(off).await, 200);
    eventually("replica one writable again", OBEYED_WITHIN, async || {
        status_of(one.post_json("/albums", &token, json!({ "title": "d" }))).await == 201
    })
    .await;
}
