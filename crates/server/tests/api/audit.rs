//! The audit trail: every change, denial and refusal is an event, admins can
//! query it with filters and cursors, and updates carry old and new values.

use serde_json::{Value, json};

use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn changes_and_denials_are_audited_and_queryable_by_admins() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    let image = app.upload_ok(&alice, &[("title", "before")]).await;
    let id = image["id"].as_str().unwrap();
    let path = format!("/images/{id}");
    app.patch_json(&path, &alice, json!({ "title": "after", "version": 1 }))
        .send()
        .await
        .unwrap();
    app.get(&path, &app.token("mallory")).send().await.unwrap();
    app.get("/images", "forged.token.x").send().await.unwrap();
    app.delete(&path, &alice).send().await.unwrap();
    let album = app.create_album(&alice, "Space").await;
    let album_path = format!("/albums/{}", album["id"].as_str().unwrap());
    let renamed = app
        .patch_json(
            &album_path,
            &alice,
            json!({ "title": "Classic Space", "version": 1 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);

    assert_error(
        app.get("/audit", &alice).send().await.unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;
    let admin = app.token_as("root", "admin");
    // Security events are persisted in the background; give the writer a moment.
    let mut events = Vec::new();
    for _ in 0..50 {
        let page: Value = app
            .get("/audit?limit=100", &admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        events = page["items"].as_array().unwrap().clone();
        let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
        if actions.contains(&"auth.failed") && actions.contains(&"access.denied") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    for action in [
        "image.create",
        "image.update",
        "image.delete",
        "access.denied",
        "auth.failed",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    let update = events
        .iter()
        .find(|e| e["action"] == "image.update")
        .unwrap();
    assert_eq!(
        update["changes"]["title"],
        json!({ "old": "before", "new": "after" })
    );
    assert_eq!(update["actor"], "alice");
    let album_update = events
        .iter()
        .find(|e| e["action"] == "album.update")
        .expect("album.update audited");
    assert_eq!(
        album_update["changes"]["title"],
        json!({ "old": "Space", "new": "Classic Space" })
    );
    assert_eq!(update["target"], id);
    assert!(update["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(update["at"].is_string());

    let filtered: Value = app
        .get(&format!("/audit?target={id}&action=image.update"), &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    let by_actor: Value = app
        .get("/audit?actor=alice", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        by_actor["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "alice")
    );
    let future: Value = app
        .get("/audit?since=2999-01-01T00:00:00Z", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(future["items"].as_array().unwrap().len(), 0);
    assert_error(
        app.get("/audit?since=yesterday", &admin)
            .send()
            .await
            .unwrap(),
        400,
        "VALIDATION_ERROR",
    )
    .await;

    // Cursor pagination walks every event once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = "/audit?limit=2".to_owned();
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app
            .get(&url, &admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    assert!(seen.len() >= events.len());
}

/// The first JSON log line of `app` that `wanted` accepts, waiting briefly
/// for the reader thread to collect it.
async fn log_line(app: &crate::support::TestApp, wanted: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        let found = app
            .logs()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| wanted(l));
        if let Some(line) = found {
            return line;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no such log line:\n{}", app.logs());
}

#[tokio::test]
async fn the_audit_log_line_carries_the_event_as_an_object() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    let image = app.upload_ok(&alice, &[("title", "before")]).await;
    let id = image["id"].as_str().unwrap();
    let updated = app
        .patch_json(
            &format!("/images/{id}"),
            &alice,
            json!({ "title": "after", "version": 1 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let request_id = updated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let line = log_line(&app, |l| {
        l["target"] == "audit" && l["audit"]["action"] == "image.update"
    })
    .await;
    assert_eq!(line["level"], "INFO", "{line}");
    assert!(line["timestamp"].is_string(), "{line}");
    let event = &line["audit"];
    assert!(event.is_object(), "{line}");
    assert_eq!(event["requestId"], request_id.as_str(), "{line}");
    assert_eq!(event["actor"], "alice", "{line}");
    assert_eq!(event["target"], id, "{line}");
    assert_eq!(event["changes"]["title"]["new"], "after", "{line}");
    // Every other line keeps its flat shape.
    let access = log_line(&app, |l| {
        l["target"] == "access" && l["requestId"] == request_id.as_str()
    })
    .await;
    assert_eq!(access["operation"], "PATCH /images/{id}", "{access}");
    assert_eq!(access["status"], 200, "{access}");
}

#[tokio::test]
async fn the_action_filter_takes_only_known_actions_and_the_openapi_lists_them() {
    let app = spawn_app().await;
    let admin = app.token_as("root", "admin");
    let refused = assert_error(
        app.get("/audit?action=image.upload", &admin)
            .send()
            .await
            .unwrap(),
        400,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(refused["details"][0]["field"], "action", "{refused}");
    let known = app
        .get("/audit?action=user.erase", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(known.status(), 200);

    let spec: Value = app.openapi().await;
    let parameter = spec["paths"]["/audit"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "action")
        .cloned()
        .unwrap();
    let listed = parameter["schema"]["enum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for action in ["image.create", "image.update", "user.erase", "rate.limited"] {
        assert!(
            listed.contains(&json!(action)),
            "{action} not in {parameter}"
        );
    }
}
