//! Cursor pagination: complete, ordered, and bound to its user and query.

use std::collections::HashSet;

use serde_json::Value;

use crate::support::{TestApp, assert_error, spawn_app};

async fn collect(app: &TestApp, token: &str, order: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut path = format!("/images?limit=4&sortOrder={order}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app
            .get(&path, token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 4);
        ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
    panic!("pagination did not end");
}

#[tokio::test]
async fn fifteen_uploads_paginate_in_both_orders_without_gaps_or_duplicates() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let mut uploaded = Vec::new();
    for _ in 0..15 {
        uploaded.push(
            app.upload_ok(&token, &[]).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Someone else's images never show up.
    app.upload_ok(&app.token("bob"), &[]).await;

    let desc = collect(&app, &token, "desc").await;
    let asc = collect(&app, &token, "asc").await;
    assert_eq!(desc.len(), 15);
    assert_eq!(desc.iter().collect::<HashSet<_>>().len(), 15);
    assert_eq!(asc, uploaded, "asc is upload order");
    let mut reversed = uploaded.clone();
    reversed.reverse();
    assert_eq!(desc, reversed, "desc is newest first");

    let default: Value = app
        .get("/images", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(default["items"].as_array().unwrap().len(), 15);
    assert_eq!(default["nextCursor"], Value::Null);
}

#[tokio::test]
async fn cursors_from_another_user_or_query_are_refused() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    for _ in 0..3 {
        app.upload_ok(&alice, &[]).await;
    }
    let page: Value = app
        .get("/images?limit=1", &alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();

    let bob = app.token("bob");
    let stolen = app
        .get(&format!("/images?limit=1&cursor={cursor}"), &bob)
        .send()
        .await
        .unwrap();
    assert_error(stolen, 400, "INVALID_CURSOR").await;
    let other_order = app
        .get(
            &format!("/images?limit=1&sortOrder=asc&cursor={cursor}"),
            &alice,
        )
        .send()
        .await
        .unwrap();
    assert_error(other_order, 400, "INVALID_CURSOR").await;
    let tampered = format!("x{cursor}");
    let tampered = app
        .get(&format!("/images?limit=1&cursor={tampered}"), &alice)
        .send()
        .await
        .unwrap();
    assert_error(tampered, 400, "INVALID_CURSOR").await;
    let ok = app
        .get(&format!("/images?limit=1&cursor={cursor}"), &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn bad_list_parameters_are_validation_errors() {
    let app = spawn_app().await;
    let token = app.token("alice");
    for query in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "sortOrder=up",
        "albumId=nope",
        "color=red",
    ] {
        let response = app
            .get(&format!("/images?{query}"), &token)
            .send()
            .await
            .unwrap();
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
}
