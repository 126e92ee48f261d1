//! The scaled-out deployment: two `image-service` processes sharing one
//! PostgreSQL schema, one S3 bucket (s3s-fs), Redis and the same keys behave as
//! one service — whatever one replica writes, the other reads, updates and
//! deletes, and optimistic locking, signed URLs and cursors hold across them.
//!
//! The shared upload limit through Redis is covered by
//! `limits::redis_shares_one_users_limit_across_two_processes`.

use serde_json::{Value, json};

use crate::support::backends::{self, PgSchema, S3Target, SharedKeys, as_settings, fresh_user};
use crate::support::{TestApp, assert_error, spawn_with};

/// Both replicas of one deployment: same stores, same keys, same issuer (the
/// test issuer's keys are shared by every `TestApp` of this test binary).
async fn two_replicas(s3: &S3Target, schema: &PgSchema) -> (TestApp, TestApp) {
    let keys = SharedKeys::new();
    let mut env = vec![
        ("IMAGE_SERVICE_METADATA_URL", schema.url()),
        ("IMAGE_SERVICE_BLOB_URL", s3.blob_url()),
        ("IMAGE_SERVICE_REDIS_URL", backends::REDIS_URL.to_owned()),
    ];
    env.extend(keys.env());
    env.extend(s3.env());
    let settings = as_settings(&env);
    // Started together on purpose: both migrate the empty schema at once.
    tokio::join!(spawn_with(&settings), spawn_with(&settings))
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status; body: {body}");
    body
}

async fn file_bytes(app: &TestApp, id: &str, variant: &str, token: &str) -> bytes::Bytes {
    let response = app
        .get(&format!("/images/{id}/file?variant={variant}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "file of {id} on {}; logs:\n{}",
        app.base,
        app.logs()
    );
    response.bytes().await.unwrap()
}

#[tokio::test]
async fn an_image_written_by_one_replica_is_read_updated_and_deleted_by_the_other() {
    let Some(s3) = backends::s3() else { return };
    let schema = PgSchema::create("replicas");
    let (one, two) = two_replicas(s3, &schema).await;
    let user = fresh_user("replica");
    let token = one.token(&user);

    let created = one.upload_ok(&token, &[("title", "from one")]).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/images/{id}");

    // Read on the other replica: the same metadata and the same plaintext bytes
    // (so the per-user data key one created in the bucket is found by two).
    let read = json_of(two.get(&path, &token).send().await.unwrap(), 200).await;
    for field in [
        "id",
        "userId",
        "title",
        "width",
        "height",
        "size",
        "version",
        "createdAt",
    ] {
        assert_eq!(read[field], created[field], "{field}");
    }
    for variant in ["display", "thumbnail"] {
        assert_eq!(
            file_bytes(&two, &id, variant, &token).await,
            file_bytes(&one, &id, variant, &token).await,
            "{variant} bytes differ between replicas"
        );
    }
    let listed = json_of(two.get("/images", &token).send().await.unwrap(), 200).await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|image| image["id"].as_str())
        .collect();
    assert_eq!(ids, [id.as_str()]);

    // A signed URL minted by one opens on two (shared URL-signing key).
    let display = created["urls"]["display"].as_str().unwrap();
    let signed = two.client.get(two.url(display)).send().await.unwrap();
    assert_eq!(signed.status(), 200);
    assert_eq!(
        signed.bytes().await.unwrap(),
        file_bytes(&one, &id, "display", &token).await
    );

    // Optimistic locking is the store's: a version spent on two is stale on one.
    let updated = json_of(
        two.patch_json(&path, &token, json!({ "title": "from two", "version": 1 }))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(updated["version"], 2);
    let stale = one
        .patch_json(&path, &token, json!({ "title": "stale", "version": 1 }))
        .send()
        .await
        .unwrap();
    let body = assert_error(stale, 409, "VERSION_CONFLICT").await;
    assert_eq!(body["currentVersion"], 2);
    let seen = json_of(one.get(&path, &token).send().await.unwrap(), 200).await;
    assert_eq!(seen["title"], "from two");

    // Deleted through two: gone on one, blobs and signed URL included.
    assert_eq!(
        two.delete(&path, &token).send().await.unwrap().status(),
        204
    );
    assert_error(
        one.get(&path, &token).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    let file = one
        .get(&format!("{path}/file"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 404);
    let signed = one.client.get(one.url(display)).send().await.unwrap();
    assert_ne!(signed.status(), 200);
}

#[tokio::test]
async fn replicas_share_data_keys_and_agree_on_concurrent_patches_and_cursors() {
    let Some(s3) = backends::s3() else { return };
    let schema = PgSchema::create("replicas");
    let (one, two) = two_replicas(s3, &schema).await;
    let user = fresh_user("replica-race");
    let token = one.token(&user);

    // The user's data key is created by one replica first. Racing two *first*
    // uploads would test the S3 server's create-if-absent rather than ours:
    // s3s-fs checks `If-None-Match: *` and then writes, not atomically, so both
    // replicas can "win" (AWS S3 and MinIO settle the race atomically).
    let first = one.upload_ok(&token, &[]).await;
    // Then uploads on both at once: two finds the key one made, and images
    // sealed by either replica open on both.
    let (a, b) = tokio::join!(one.upload_ok(&token, &[]), two.upload_ok(&token, &[]));
    for image in [&first, &a, &b] {
        let id = image["id"].as_str().unwrap();
        assert_eq!(
            file_bytes(&one, id, "display", &token).await,
            file_bytes(&two, id, "display", &token).await
        );
    }

    // Two PATCHes of one version, one per replica: exactly one wins.
    let path = format!("/images/{}", a["id"].as_str().unwrap());
    let (x, y) = tokio::join!(
        one.patch_json(&path, &token, json!({ "title": "one", "version": 1 }))
            .send(),
        two.patch_json(&path, &token, json!({ "title": "two", "version": 1 }))
            .send(),
    );
    let mut statuses = [x.unwrap().status().as_u16(), y.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);

    // A cursor signed by one pages on two, and two's on one.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for app in [&one, &two, &one] {
        let path = match &cursor {
            Some(cursor) => format!("/images?limit=1&cursor={cursor}"),
            None => "/images?limit=1".to_owned(),
        };
        let page = json_of(app.get(&path, &token).send().await.unwrap(), 200).await;
        seen.push(page["items"][0]["id"].as_str().unwrap().to_owned());
        cursor = page["nextCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(cursor, None);
    let mut expected: Vec<String> = [&first, &a, &b]
        .iter()
        .map(|image| image["id"].as_str().unwrap().to_owned())
        .collect();
    // Newest first: ULIDs sort by creation time.
    expected.sort_unstable_by(|x, y| y.cmp(x));
    assert_eq!(seen, expected);
}

/// An erasure on one replica reaches the other before its next upload for the
/// user: the other replica held the user's data key in its cache, and an
/// upload sealed with that destroyed key would be unreadable (500) for good.
#[tokio::test]
async fn an_erasure_on_one_replica_reaches_the_others_next_upload() {
    let Some(s3) = backends::s3() else { return };
    let schema = PgSchema::create("replica_erase");
    let (one, two) = two_replicas(s3, &schema).await;
    let user = fresh_user("erased");
    let token = one.token(&user);
    // Two caches the user's data key.
    two.upload_ok(&token, &[("title", "before")]).await;

    let erased = one
        .delete(&format!("/users/{user}"), &token)
        .send()
        .await
        .unwrap();
    json_of(erased, 200).await;

    let after = two.upload_ok(&token, &[("title", "after")]).await;
    let id = after["id"].as_str().unwrap();
    for replica in [&one, &two] {
        let bytes = file_bytes(replica, id, "display", &token).await;
        assert!(bytes.starts_with(b"RIFF"));
    }
    let listed = json_of(one.get("/images", &token).send().await.unwrap(), 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}
