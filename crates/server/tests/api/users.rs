//! GDPR: erasure (self or admin, idempotent, nothing left behind) and export.

use serde_json::Value;

use crate::images::walk;
use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn erasure_removes_everything_of_the_user_and_only_theirs() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    let album = app.create_album(&alice, "Trip").await;
    let image = app
        .upload_ok(&alice, &[("albumId", album["id"].as_str().unwrap())])
        .await;
    app.upload_ok(&alice, &[]).await;
    let bob = app.token("bob");
    let bobs = app.upload_ok(&bob, &[]).await;
    let display_url = image["urls"]["display"].as_str().unwrap().to_owned();

    assert_error(
        app.delete("/users/alice", &bob).send().await.unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;

    let response = app.delete("/users/alice", &alice).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["deletedImages"], 2);
    assert_eq!(body["deletedAlbums"], 1);

    let listed: Value = app
        .get("/images", &alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    let albums: Value = app
        .get("/albums", &alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(albums["items"].as_array().unwrap().len(), 0);
    assert_ne!(
        app.client
            .get(app.url(&display_url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let leftovers: Vec<_> = walk(&app.data_dir().join("blobs"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/alice/"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Bob is untouched; erasure is idempotent; an admin may erase anyone.
    let path = format!("/images/{}", bobs["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &bob).send().await.unwrap().status(), 200);
    let again: Value = app
        .delete("/users/alice", &alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            again["deletedImages"].as_u64(),
            again["deletedAlbums"].as_u64()
        ),
        (Some(0), Some(0))
    );
    let admin = app.token_as("root", "admin");
    let by_admin: Value = app
        .delete("/users/bob", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_admin["deletedImages"], 1);
    assert!(app.logs().contains("user.erase"));
}

#[tokio::test]
async fn export_returns_all_metadata_with_signed_urls() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    app.create_album(&alice, "A").await;
    for _ in 0..3 {
        app.upload_ok(&alice, &[("title", "mine")]).await;
    }
    app.upload_ok(&app.token("bob"), &[]).await;
    let response = app.get("/users/alice/export", &alice).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["userId"], "alice");
    assert!(export["exportedAt"].is_string());
    let images = export["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    assert!(
        images
            .iter()
            .all(|i| i["userId"] == "alice" && i["title"] == "mine")
    );
    assert_eq!(export["albums"].as_array().unwrap().len(), 1);
    let url = images[0]["urls"]["thumbnail"].as_str().unwrap();
    assert_eq!(
        app.client.get(app.url(url)).send().await.unwrap().status(),
        200
    );
    assert_error(
        app.get("/users/alice/export", &app.token("bob"))
            .send()
            .await
            .unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;
}
