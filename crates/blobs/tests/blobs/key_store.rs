//! Wrapped data keys in a store of their own: crypto-shredding holds against
//! copies of the blob directory, and keys from the old layout (inside the blob
//! store, under `keys/`) are moved over and keep opening the old blobs.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use domain::ids::UserId;
use domain::keys::Variant;
use domain::ports::BlobStore;

use blobs::{EncryptedBlobStore, FileBlobStore, Keyring, MasterKey, RawBlobStore, RotationReport};

use crate::suite::{fresh_user, key_for};

fn keyring(current: u8, previous: &[u8]) -> Keyring {
    Keyring::new(
        MasterKey::from_bytes(&[current; 32]).unwrap(),
        previous
            .iter()
            .map(|b| MasterKey::from_bytes(&[*b; 32]).unwrap())
            .collect(),
    )
}

fn file_store(dir: &Path) -> Arc<dyn RawBlobStore> {
    Arc::new(FileBlobStore::new(dir).unwrap())
}

/// A fresh instance (empty cache) with blobs in `blobs` and keys in `keys`.
fn separate(blobs: &Path, keys: &Path, ring: Keyring) -> EncryptedBlobStore {
    EncryptedBlobStore::new(file_store(blobs), file_store(keys), ring)
}

/// The layout before key stores: keys inside the blob dir, under `keys/`.
fn legacy(blobs: &Path, ring: Keyring) -> EncryptedBlobStore {
    let store = file_store(blobs);
    EncryptedBlobStore::new(store.clone(), store, ring)
}

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

/// Every file and directory under `dir`, relative to it.
fn paths_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if path.is_dir() {
                walk(&path, root, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

fn mentions(paths: &[String], user: &UserId) -> Vec<String> {
    let segment = user.storage_segment();
    paths
        .iter()
        .filter(|p| p.contains(&segment))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_copy_of_the_blob_dir_taken_before_erasure_stays_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let (blob_dir, key_dir, copy) = (
        dir.path().join("blobs"),
        dir.path().join("keys"),
        dir.path().join("backup"),
    );
    let live = separate(&blob_dir, &key_dir, keyring(1, &[]));
    let (alice, bob) = (fresh_user(), fresh_user());
    let (a, b) = (
        key_for(&alice, Variant::Display),
        key_for(&bob, Variant::Display),
    );
    let secret = Bytes::from_static(b"alice's precious pixels");
    live.put(&a, secret.clone()).await.unwrap();
    live.put(&b, Bytes::from_static(b"bob")).await.unwrap();

    copy_dir(&blob_dir, &copy);
    assert!(
        !paths_under(&copy).iter().any(|p| p.ends_with(".key")),
        "the blob dir holds no data key: {:?}",
        paths_under(&copy)
    );
    // Before the erasure the copy opens with the service's keys: the check
    // below can tell "sealed" from "broken".
    let restored = separate(&copy, &key_dir, keyring(1, &[]));
    assert_eq!(restored.get(&a).await.unwrap().unwrap(), secret);

    live.forget_user(&alice).await.unwrap();

    let restored = separate(&copy, &key_dir, keyring(1, &[]));
    match restored.get(&a).await {
        Err(_) | Ok(None) => {}
        Ok(Some(bytes)) => panic!("the copy still opens after erasure: {bytes:?}"),
    }
    // The copy is not mistaken for a key store either.
    let (copy_as_keys, copy_as_both) = (
        separate(&copy, &copy, keyring(1, &[])),
        legacy(&copy, keyring(1, &[])),
    );
    for store in [&copy_as_keys, &copy_as_both] {
        assert!(!matches!(store.get(&a).await, Ok(Some(_))));
    }
    // Other users in the copy are still restorable.
    assert_eq!(
        restored.get(&b).await.unwrap().unwrap(),
        Bytes::from_static(b"bob")
    );
    // Nothing named after alice is left in the live blob or key dir once her
    // blobs are deleted too (as the erasure does after forgetting her) and
    // the erasure has finished.
    live.delete(&a).await.unwrap();
    live.user_forgotten(&alice).await.unwrap();
    for dir in [&blob_dir, &key_dir] {
        let left = mentions(&paths_under(dir), &alice);
        assert!(left.is_empty(), "{}: {left:?}", dir.display());
    }
}

#[tokio::test]
async fn legacy_keys_are_moved_to_the_key_store_and_still_open_old_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let (blob_dir, key_dir) = (dir.path().join("blobs"), dir.path().join("keys"));
    let old = legacy(&blob_dir, keyring(1, &[]));
    let (alice, bob, carol) = (fresh_user(), fresh_user(), fresh_user());
    let mut blobs = Vec::new();
    for user in [&alice, &bob, &carol] {
        let key = key_for(user, Variant::Display);
        old.put(&key, Bytes::from(user.as_str().to_owned()))
            .await
            .unwrap();
        blobs.push(key);
    }
    let legacy_dir = |u: &UserId| blob_dir.join("keys").join(u.storage_segment());
    let new_dir = |u: &UserId| key_dir.join(u.storage_segment());
    assert!(legacy_dir(&alice).is_dir());

    // Reading moves alice's key: written to the key store, then deleted here.
    let upgraded = separate(&blob_dir, &key_dir, keyring(1, &[]));
    assert_eq!(
        upgraded.get(&blobs[0]).await.unwrap().unwrap(),
        Bytes::from(alice.as_str().to_owned())
    );
    assert!(!legacy_dir(&alice).exists(), "old copy deleted");
    assert_eq!(std::fs::read_dir(new_dir(&alice)).unwrap().count(), 1);
    // A fresh instance finds it in the key store.
    let fresh = separate(&blob_dir, &key_dir, keyring(1, &[]));
    assert_eq!(
        fresh.get(&blobs[0]).await.unwrap().unwrap(),
        Bytes::from(alice.as_str().to_owned())
    );

    // A write for a user still in the old layout reuses (and moves) their key:
    // their old blobs stay readable.
    let more = key_for(&bob, Variant::Thumbnail);
    fresh
        .put(&more, Bytes::from_static(b"bob again"))
        .await
        .unwrap();
    assert!(!legacy_dir(&bob).exists() && new_dir(&bob).is_dir());
    let fresh = separate(&blob_dir, &key_dir, keyring(1, &[]));
    assert_eq!(
        fresh.get(&blobs[1]).await.unwrap().unwrap(),
        Bytes::from(bob.as_str().to_owned())
    );
    assert_eq!(
        fresh.get(&more).await.unwrap().unwrap(),
        Bytes::from_static(b"bob again")
    );
    // Legacy keys are never listed as blobs.
    assert!(
        fresh
            .list("")
            .await
            .unwrap()
            .iter()
            .all(|(k, _)| !k.as_str().starts_with("keys/"))
    );

    // Forgetting a user whose key was never moved deletes it where it is.
    assert!(legacy_dir(&carol).is_dir());
    fresh.forget_user(&carol).await.unwrap();
    fresh.user_forgotten(&carol).await.unwrap();
    assert!(!legacy_dir(&carol).exists() && !new_dir(&carol).exists());
    let fresh = separate(&blob_dir, &key_dir, keyring(1, &[]));
    assert!(fresh.get(&blobs[2]).await.is_err());
    assert!(
        legacy(&blob_dir, keyring(1, &[]))
            .get(&blobs[2])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn forgetting_deletes_keys_in_both_places() {
    let dir = tempfile::tempdir().unwrap();
    let (blob_dir, key_dir) = (dir.path().join("blobs"), dir.path().join("keys"));
    let user = fresh_user();
    let key = key_for(&user, Variant::Display);
    legacy(&blob_dir, keyring(1, &[]))
        .put(&key, Bytes::from_static(b"x"))
        .await
        .unwrap();
    // What a crash between "write new" and "delete old" leaves: both copies.
    let segment = user.storage_segment();
    copy_dir(
        &blob_dir.join("keys").join(&segment),
        &key_dir.join(&segment),
    );
    let store = separate(&blob_dir, &key_dir, keyring(1, &[]));
    assert_eq!(
        store.get(&key).await.unwrap().unwrap(),
        Bytes::from_static(b"x")
    );
    store.forget_user(&user).await.unwrap();
    store.user_forgotten(&user).await.unwrap();
    assert!(
        mentions(&paths_under(dir.path()), &user)
            .iter()
            .all(|p| p.starts_with("blobs/images/"))
    );
    assert!(store.get(&key).await.is_err());
    assert!(legacy(&blob_dir, keyring(1, &[])).get(&key).await.is_err());
}

#[tokio::test]
async fn rotation_moves_legacy_keys_before_the_old_master_key_goes() {
    let dir = tempfile::tempdir().unwrap();
    let (blob_dir, key_dir) = (dir.path().join("blobs"), dir.path().join("keys"));
    let old = legacy(&blob_dir, keyring(1, &[]));
    let users = [fresh_user(), fresh_user(), fresh_user()];
    let mut blobs = Vec::new();
    for user in &users {
        let key = key_for(user, Variant::Display);
        old.put(&key, Bytes::from(user.as_str().to_owned()))
            .await
            .unwrap();
        blobs.push(key);
    }
    // One user already moved (by a read) before the rotation.
    let rotating = separate(&blob_dir, &key_dir, keyring(2, &[1]));
    rotating.get(&blobs[0]).await.unwrap().unwrap();

    let report = rotating.rotate().await.unwrap();
    assert_eq!(
        report,
        RotationReport {
            users: 3,
            rewrapped: 3,
            moved: 2,
            ..RotationReport::default()
        }
    );
    assert!(
        !blob_dir.join("keys").exists()
            || paths_under(&blob_dir.join("keys"))
                .iter()
                .all(|p| !p.ends_with(".key")),
        "no data key left in the blob dir"
    );
    // The old master key can go: everything opens with the new one alone.
    let new_only = separate(&blob_dir, &key_dir, keyring(2, &[]));
    for (user, key) in users.iter().zip(&blobs) {
        assert_eq!(
            new_only.get(key).await.unwrap().unwrap(),
            Bytes::from(user.as_str().to_owned())
        );
    }
    assert_eq!(
        new_only.rotate().await.unwrap(),
        RotationReport {
            users: 3,
            already_current: 3,
            ..RotationReport::default()
        }
    );
}
