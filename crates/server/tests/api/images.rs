//! Image CRUD over HTTP: upload, read, update with optimistic locking, delete,
//! and who may do what.

use serde_json::{Value, json};

use crate::support::images::{jpeg, png_with_alpha};
use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn upload_returns_the_contract_shape() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let response = app
        .upload_with(
            &token,
            jpeg(640, 480),
            "image/jpeg",
            &[
                ("title", "Castle"),
                ("tags", "castle"),
                ("tags", "grey"),
                ("altText", "A castle"),
            ],
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let image: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/images/{}", image["id"].as_str().unwrap())
    );
    assert_eq!(image["id"].as_str().unwrap().len(), 26);
    assert_eq!(image["userId"], "alice");
    assert_eq!(image["albumId"], Value::Null);
    assert_eq!(image["title"], "Castle");
    assert_eq!(image["description"], Value::Null);
    assert_eq!(image["altText"], "A castle");
    assert_eq!(image["tags"], json!(["castle", "grey"]));
    assert_eq!(image["contentType"], "image/webp");
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(
        (
            image["thumbnail"]["width"].as_u64(),
            image["thumbnail"]["height"].as_u64()
        ),
        (Some(400), Some(300))
    );
    assert!(image["size"].as_u64().unwrap() > 0);
    assert_eq!(image["original"]["contentType"], "image/jpeg");
    assert_eq!(image["original"]["filename"], "photo.bin");
    assert_eq!(image["version"], 1);
    assert!(
        image["urls"]["display"]
            .as_str()
            .unwrap()
            .starts_with("/files/")
    );
    assert!(image["createdAt"].as_str().unwrap().ends_with('Z'));

    let fetched: Value = app
        .get(&location, &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["id"], image["id"]);
    assert_eq!(fetched["tags"], image["tags"]);
}

#[tokio::test]
async fn tags_may_be_one_json_array_and_fields_may_follow_the_file() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let image = app
        .upload_ok(
            &token,
            &[("tags", r#"["a","b"]"#), ("description", "after the file")],
        )
        .await;
    assert_eq!(image["tags"], json!(["a", "b"]));
    assert_eq!(image["description"], "after the file");
}

#[tokio::test]
async fn the_type_is_decided_by_the_bytes() {
    let app = spawn_app().await;
    let response = app
        .upload_with(
            &app.token("alice"),
            png_with_alpha(32, 32),
            "image/jpeg",
            &[],
        )
        .await;
    assert_eq!(response.status(), 201);
    let image: Value = response.json().await.unwrap();
    assert_eq!(image["original"]["contentType"], "image/png");
}

#[tokio::test]
async fn patch_updates_fields_and_bumps_the_version() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[("title", "old")]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    let response = app
        .patch_json(
            &path,
            &token,
            json!({ "title": "new", "tags": ["x"], "version": 1 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["title"], "new");
    assert_eq!(updated["tags"], json!(["x"]));
    assert_eq!(updated["version"], 2);

    let stale = app
        .patch_json(&path, &token, json!({ "title": "stale", "version": 1 }))
        .send()
        .await
        .unwrap();
    let body = assert_error(stale, 409, "VERSION_CONFLICT").await;
    assert_eq!(body["currentVersion"], 2);
}

#[tokio::test]
async fn concurrent_patches_on_one_version_give_one_winner() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    for round in 0..5 {
        let version = round + 1;
        let a = app
            .patch_json(
                &path,
                &token,
                json!({ "title": format!("a{round}"), "version": version }),
            )
            .send();
        let b = app
            .patch_json(
                &path,
                &token,
                json!({ "title": format!("b{round}"), "version": version }),
            )
            .send();
        let (a, b) = tokio::join!(a, b);
        let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}");
    }
}

#[tokio::test]
async fn delete_removes_metadata_and_blobs() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[]).await;
    let id = image["id"].as_str().unwrap();
    let blobs_before = count_files(&app.data_dir().join("blobs"));
    assert!(blobs_before >= 2);
    let response = app
        .delete(&format!("/images/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let gone = app
        .get(&format!("/images/{id}"), &token)
        .send()
        .await
        .unwrap();
    assert_error(gone, 404, "NOT_FOUND").await;
    let file = app
        .get(&format!("/images/{id}/file"), &token)
        .send()
        .await
        .unwrap();
    assert_error(file, 404, "NOT_FOUND").await;
    let leftover: Vec<_> = walk(&app.data_dir().join("blobs"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(id))
        .collect();
    assert!(leftover.is_empty(), "blobs left: {leftover:?}");
}

#[tokio::test]
async fn owners_moderators_and_admins() {
    let app = spawn_app().await;
    let alice = app.token("alice");
    let image = app.upload_ok(&alice, &[]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());

    let bob = app.token("bob");
    assert_error(
        app.get(&path, &bob).send().await.unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;
    assert_error(
        app.get(&format!("{path}/file"), &bob).send().await.unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;
    assert_error(
        app.patch_json(&path, &bob, json!({ "title": "x", "version": 1 }))
            .send()
            .await
            .unwrap(),
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

    let moderator = app.token_as("mo", "moderator");
    assert_eq!(
        app.get(&path, &moderator).send().await.unwrap().status(),
        200
    );
    assert_error(
        app.patch_json(&path, &moderator, json!({ "title": "x", "version": 1 }))
            .send()
            .await
            .unwrap(),
        403,
        "NOT_AUTHORIZED",
    )
    .await;

    let admin = app.token_as("root", "admin");
    let patched = app
        .patch_json(&path, &admin, json!({ "title": "by admin", "version": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(
        app.delete(&path, &moderator).send().await.unwrap().status(),
        204
    );
    assert_error(
        app.get(&path, &admin).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_hostile_sub_stores_nothing_outside_the_blob_root() {
    let app = spawn_app().await;
    let token = app.token("../../etc");
    let outside_before = walk(app.dir.path())
        .into_iter()
        .filter(|p| !p.starts_with(app.data_dir()))
        .collect::<Vec<_>>();
    let image = app.upload_ok(&token, &[]).await;
    assert_eq!(image["userId"], "../../etc");
    let blob_root = app.data_dir().join("blobs");
    let stored = walk(&blob_root);
    assert!(
        stored
            .iter()
            .any(|p| p.to_string_lossy().contains(image["id"].as_str().unwrap()))
    );
    for path in walk(app.dir.path()) {
        let inside = path.starts_with(app.data_dir()) || outside_before.contains(&path);
        assert!(
            inside,
            "{} was written outside the data dir",
            path.display()
        );
    }
    for path in stored {
        let relative = path.strip_prefix(&blob_root).unwrap();
        assert!(
            !relative.components().any(|c| c.as_os_str() == ".."),
            "{}",
            path.display()
        );
    }
    let fetched = app
        .get(
            &format!("/images/{}/file", image["id"].as_str().unwrap()),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn count_files(dir: &std::path::Path) -> usize {
    walk(dir).len()
}
