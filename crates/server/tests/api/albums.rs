//! Albums: CRUD, counts, ownership, and what deleting one does to its images.

use serde_json::{Value, json};

use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn album_lifecycle_with_counts() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let album = app.create_album(&token, "Castles").await;
    let id = album["id"].as_str().unwrap();
    assert_eq!(album["imageCount"], 0);
    assert_eq!(album["version"], 1);
    assert_eq!(album["userId"], "alice");
    assert!(uuid_like(id));

    let image = app.upload_ok(&token, &[("albumId", id)]).await;
    assert_eq!(image["albumId"], id);
    app.upload_ok(&token, &[("albumId", id)]).await;
    let fetched: Value = app
        .get(&format!("/albums/{id}"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["imageCount"], 2);

    let in_album: Value = app
        .get(&format!("/images?albumId={id}"), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(in_album["items"].as_array().unwrap().len(), 2);

    let patched = app
        .patch_json(
            &format!("/albums/{id}"),
            &token,
            json!({ "title": "Forts", "version": 1 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (patched["title"].as_str(), patched["version"].as_i64()),
        (Some("Forts"), Some(2))
    );
    let stale = app
        .patch_json(
            &format!("/albums/{id}"),
            &token,
            json!({ "title": "x", "version": 1 }),
        )
        .send()
        .await
        .unwrap();
    assert_error(stale, 409, "VERSION_CONFLICT").await;

    // Detach one image by PATCH with null.
    let image_path = format!("/images/{}", image["id"].as_str().unwrap());
    let detached: Value = app
        .patch_json(
            &image_path,
            &token,
            json!({ "albumId": null, "version": 1 }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detached["albumId"], Value::Null);

    let list: Value = app
        .get("/albums", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["imageCount"], 1);

    assert_eq!(
        app.delete(&format!("/albums/{id}"), &token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_error(
        app.get(&format!("/albums/{id}"), &token)
            .send()
            .await
            .unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    let remaining: Value = app
        .get("/images", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = remaining["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "deleting an album keeps its images");
    assert!(items.iter().all(|i| i["albumId"].is_null()));
}

#[tokio::test]
async fn delete_images_true_removes_the_albums_images() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let album = app.create_album(&token, "Doomed").await;
    let id = album["id"].as_str().unwrap();
    app.upload_ok(&token, &[("albumId", id)]).await;
    app.upload_ok(&token, &[("albumId", id)]).await;
    let keep = app.upload_ok(&token, &[]).await;
    let response = app
        .delete(&format!("/albums/{id}?deleteImages=true"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let remaining: Value = app
        .get("/images", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = remaining["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], keep["id"]);
}

#[tokio::test]
async fn albums_are_private_and_validated() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    let album = app.create_album(&alice, "Mine").await;
    let path = format!("/albums/{}", album["id"].as_str().unwrap());
    let bob = app.token("bob");
    assert_error(
        app.get(&path, &bob).send().await.unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;
    assert_error(
        app.delete(&path, &bob).send().await.unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;
    let admin = app.token_as("root", "admin");
    assert_eq!(app.get(&path, &admin).send().await.unwrap().status(), 200);
    for body in [
        json!({}),
        json!({ "title": "" }),
        json!({ "title": "x".repeat(256) }),
        json!({ "title": "ok", "extra": 1 }),
        json!({ "title": "ok", "description": "d".repeat(5001) }),
    ] {
        let response = app.post_json("/albums", &alice, body).send().await.unwrap();
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
    assert_error(
        app.get("/albums/not-a-uuid", &alice).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}
