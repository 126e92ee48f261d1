//! GDPR: erasure (self or admin, idempotent, nothing left behind, backups of
//! the blob dir stay sealed) and export.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use blobs::{EncryptedBlobStore, FileBlobStore, Keyring, MasterKey, RawBlobStore};
use domain::BlobStore;
use domain::ids::{ImageId, UserId};
use domain::keys::{BlobKey, Variant};
use serde_json::Value;

use crate::images::walk;
use crate::support::{TestApp, assert_error, spawn_app};

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

/// Alice's `sub`: distinctive, so finding its bytes anywhere means it is hers.
const ALICE: &str = "alice-gdpr-5e0c9a71";
/// Text only alice's images and albums hold (titles, descriptions, tags).
const MARKER: &str = "zqxmarker";

/// `cp -r from to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file *and directory* under `dir`.
fn entries_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(entries_under(&path));
        }
        out.push(path);
    }
    out
}

/// The service's own encryption over `blob_dir`, with the data keys of `data/keys`.
fn service_store(app: &TestApp, blob_dir: &Path) -> EncryptedBlobStore {
    let master = MasterKey::load_or_generate(&app.data_dir()).unwrap();
    let blobs: Arc<dyn RawBlobStore> = Arc::new(FileBlobStore::new(blob_dir).unwrap());
    let keys: Arc<dyn RawBlobStore> =
        Arc::new(FileBlobStore::new(app.data_dir().join("keys")).unwrap());
    EncryptedBlobStore::new(blobs, keys, Keyring::new(master, vec![]))
}

/// Where `needle` occurs in `haystack`.
fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

#[tokio::test]
async fn erasure_leaves_nothing_of_the_user_and_old_blob_copies_stay_sealed() {
    erasure_leaves_nothing(Eraser::Admin).await;
}

#[tokio::test]
async fn self_erasure_leaves_nothing_of_the_user_either() {
    erasure_leaves_nothing(Eraser::Herself).await;
}

/// Who sends the `DELETE /users/{id}`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Eraser {
    Admin,
    Herself,
}

/// Erasure of alice: no byte of hers is left in the metadata files (rows,
/// indexes, audit trail), nothing is named after her under data/, and a
/// backup of her blobs taken before no longer opens.
async fn erasure_leaves_nothing(eraser: Eraser) {
    let app = spawn_app().await;
    let data = app.data_dir();
    let alice = app.token(ALICE);
    let marked = |what: &str| format!("{MARKER}-{what}");
    let response = app
        .post_json(
            "/albums",
            &alice,
            serde_json::json!({ "title": marked("album"), "description": marked("album-text") }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let album: Value = response.json().await.unwrap();
    let (title, description, alt, tag) = (
        marked("title"),
        marked("description"),
        marked("alt"),
        marked("tag"),
    );
    let image = app
        .upload_ok(
            &alice,
            &[
                ("albumId", album["id"].as_str().unwrap()),
                ("title", &title),
                ("description", &description),
                ("altText", &alt),
                ("tags", &tag),
            ],
        )
        .await;
    let other = app.upload_ok(&alice, &[("title", &title)]).await;
    // An update: the audit trail keeps its old and new values.
    let patched = app
        .patch_json(
            &format!("/images/{}", other["id"].as_str().unwrap()),
            &alice,
            serde_json::json!({ "title": marked("new-title"), "description": marked("new-text"), "version": 1 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let bob = app.token("bob");
    let bobs = app.upload_ok(&bob, &[]).await;
    // Denied attempts on her: security events naming her as the target, and
    // one of hers naming her as the actor.
    assert_eq!(
        app.delete(&format!("/users/{ALICE}"), &bob)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.get(&format!("/images/{}", bobs["id"].as_str().unwrap()), &alice)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let image_ids: Vec<String> = [&image, &other]
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let segment = UserId::new(ALICE).unwrap().storage_segment();
    let display = |id: &str| {
        BlobKey::for_variant(
            &UserId::new(ALICE).unwrap(),
            id.parse::<ImageId>().unwrap(),
            Variant::Display,
        )
    };
    let served = app
        .get(&format!("/images/{}/file", image_ids[0]), &alice)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    // A backup of the blob dir, taken before the erasure. It holds no data key,
    // and today it opens with the service's keys.
    assert!(
        data.join("keys").join(&segment).is_dir(),
        "her data key is in data/keys"
    );
    let backup = app.dir.path().join("backup-of-blobs");
    copy_dir(&data.join("blobs"), &backup);
    assert!(
        entries_under(&backup)
            .iter()
            .all(|p| !p.to_string_lossy().ends_with(".key")),
        "data keys inside the blob dir"
    );
    assert_eq!(
        service_store(&app, &backup)
            .get(&display(&image_ids[0]))
            .await
            .unwrap()
            .unwrap(),
        served
    );

    let admin = app.token_as("root-admin", "admin");
    let eraser_token = match eraser {
        Eraser::Admin => &admin,
        Eraser::Herself => &alice,
    };
    let response = app
        .delete(&format!("/users/{ALICE}"), eraser_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (
            body["deletedImages"].as_u64(),
            body["deletedAlbums"].as_u64()
        ),
        (Some(2), Some(1))
    );

    // (a) Nothing under data/ (blobs, keys, anything) is named after her.
    let named: Vec<_> = entries_under(&data)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&segment))
        .collect();
    assert!(named.is_empty(), "{named:?}");

    // (b) No byte of the metadata files (db, -wal, -shm) holds her images,
    // her albums or her id: not the rows, not their indexes, not the audit
    // trail (her own events, the denials that targeted her, the old and new
    // values of her update, the erasure itself).
    let mut scanned = 0;
    for path in entries_under(&data) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("metadata.db") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        let text = find_all(&bytes, MARKER.as_bytes());
        assert!(text.is_empty(), "{name}: her image/album text at {text:?}");
        let id = find_all(&bytes, ALICE.as_bytes());
        assert!(
            id.is_empty(),
            "{name}: her id at {id:?}, e.g. {:?}",
            id.first().map(|&at| String::from_utf8_lossy(
                &bytes[at.saturating_sub(40)..bytes.len().min(at + 80)]
            ))
        );
    }
    assert!(scanned >= 1, "no metadata.db under {}", data.display());

    // What the audit trail keeps: that an erasure happened, when, by whom
    // (the admin, or `erased` when she erased herself), and how much.
    let audit: Value = app
        .get("/audit?action=user.erase", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let erasures = audit["items"].as_array().unwrap();
    assert_eq!(erasures.len(), 1, "{audit}");
    let expected_actor = match eraser {
        Eraser::Admin => "root-admin",
        Eraser::Herself => "erased",
    };
    assert_eq!(erasures[0]["actor"], expected_actor);
    let target = erasures[0]["target"].as_str().unwrap();
    assert!(target.starts_with("erased:"), "{target}");
    assert_eq!(erasures[0]["changes"]["deletedImages"], 2);
    assert_eq!(erasures[0]["changes"]["deletedAlbums"], 1);
    let redacted: Value = app
        .get("/audit?actor=erased", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        redacted["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "image.update" && e.get("changes").is_none()),
        "{redacted}"
    );

    // The backup no longer opens with the service's keys: crypto-shredded.
    for id in &image_ids {
        match service_store(&app, &backup).get(&display(id)).await {
            Err(_) | Ok(None) => {}
            Ok(Some(bytes)) => panic!(
                "a pre-erasure copy of {id} still decrypts: {} bytes",
                bytes.len()
            ),
        }
    }
    // Bob is untouched, in the service and in the backup.
    let bob_id = bobs["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/images/{bob_id}"), &bob)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let bob_key = BlobKey::for_variant(
        &UserId::new("bob").unwrap(),
        bob_id.parse::<ImageId>().unwrap(),
        Variant::Display,
    );
    assert!(
        service_store(&app, &backup)
            .get(&bob_key)
            .await
            .unwrap()
            .is_some()
    );
}
