//! Encryption at rest: tampering, moved blobs, crypto-shredding and key rotation.

use std::sync::Arc;

use bytes::Bytes;
use domain::keys::{BlobKey, Variant};
use domain::ports::{BlobStore, StoreError};

use blobs::{
    EncryptedBlobStore, Keyring, MasterKey, MemoryBlobStore, RawBlobStore, RotationReport,
};

use crate::suite::{fresh_user, key_for};

fn master(byte: u8) -> MasterKey {
    MasterKey::from_bytes(&[byte; 32]).unwrap()
}

/// Keys beside the blobs, under `keys/` (the S3 and memory default, and the
/// layout before key stores existed).
fn store_over(inner: &Arc<MemoryBlobStore>, current: u8, previous: &[u8]) -> EncryptedBlobStore {
    let inner: Arc<dyn RawBlobStore> = inner.clone();
    EncryptedBlobStore::new(
        inner.clone(),
        inner,
        Keyring::new(
            master(current),
            previous.iter().map(|b| master(*b)).collect(),
        ),
    )
}

fn is_internal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Internal(_)))
}

#[tokio::test]
async fn tampered_ciphertext_is_an_error() {
    let raw = Arc::new(MemoryBlobStore::new());
    let store = store_over(&raw, 1, &[]);
    let key = key_for(&fresh_user(), Variant::Display);
    store
        .put(&key, Bytes::from_static(b"precious pixels"))
        .await
        .unwrap();
    let sealed = raw.get(&key).await.unwrap().unwrap();
    assert!(!sealed.windows(8).any(|w| w == b"precious"));
    for at in [0, 10, 30, sealed.len() - 1] {
        let mut bad = sealed.to_vec();
        bad[at] ^= 0x01;
        raw.put(&key, Bytes::from(bad)).await.unwrap();
        assert!(is_internal(store.get(&key).await), "flipped byte {at}");
    }
    raw.put(&key, sealed.slice(..20)).await.unwrap();
    assert!(is_internal(store.get(&key).await), "truncated");
}

#[tokio::test]
async fn blobs_moved_between_keys_or_users_do_not_open() {
    let raw = Arc::new(MemoryBlobStore::new());
    let store = store_over(&raw, 1, &[]);
    let (alice, bob) = (fresh_user(), fresh_user());
    let a = key_for(&alice, Variant::Display);
    let b = key_for(&bob, Variant::Display);
    store.put(&a, Bytes::from_static(b"alice")).await.unwrap();
    store.put(&b, Bytes::from_static(b"bob")).await.unwrap();
    let sealed = raw.get(&a).await.unwrap().unwrap();

    let into_bob = key_for(&bob, Variant::Thumbnail);
    raw.put(&into_bob, sealed.clone()).await.unwrap();
    assert!(
        is_internal(store.get(&into_bob).await),
        "alice's blob under bob's key"
    );
    let other_alice_key = key_for(&alice, Variant::Thumbnail);
    raw.put(&other_alice_key, sealed).await.unwrap();
    assert!(
        is_internal(store.get(&other_alice_key).await),
        "alice's blob under another of her keys"
    );

    // Bob's wrapped data key copied over Alice's does not unwrap for Alice.
    let keys = raw.list("keys/").await.unwrap();
    let seg = |u: &domain::ids::UserId| format!("keys/{}/", u.storage_segment());
    let alice_dek = keys
        .iter()
        .find(|(k, _)| k.as_str().starts_with(&seg(&alice)))
        .unwrap()
        .0
        .clone();
    let bob_dek = keys
        .iter()
        .find(|(k, _)| k.as_str().starts_with(&seg(&bob)))
        .unwrap()
        .0
        .clone();
    raw.put(&alice_dek, raw.get(&bob_dek).await.unwrap().unwrap())
        .await
        .unwrap();
    let fresh = store_over(&raw, 1, &[]);
    assert!(is_internal(fresh.get(&a).await));
}

#[tokio::test]
async fn forgotten_users_stay_unreadable_even_from_backups() {
    let raw = Arc::new(MemoryBlobStore::new());
    let store = store_over(&raw, 1, &[]);
    let user = fresh_user();
    let key = key_for(&user, Variant::Display);
    store.put(&key, Bytes::from_static(b"gdpr")).await.unwrap();
    let backup = raw.get(&key).await.unwrap().unwrap();

    store.forget_user(&user).await.unwrap();
    store.user_forgotten(&user).await.unwrap();
    assert!(
        raw.list(&format!("keys/{}/", user.storage_segment()))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(is_internal(store.get(&key).await));
    // Restoring the blob from a backup does not help, on this or another instance.
    raw.put(&key, backup).await.unwrap();
    assert!(is_internal(store.get(&key).await));
    assert!(is_internal(store_over(&raw, 1, &[]).get(&key).await));
}

/// Two replicas over one store: one erases a user whose data key the other
/// holds in its cache. The other's next write must not be sealed with the
/// destroyed key (it would be unreadable for good).
#[tokio::test]
async fn an_erasure_on_one_replica_reaches_the_others_next_write() {
    let raw = Arc::new(MemoryBlobStore::new());
    let (one, two) = (store_over(&raw, 1, &[]), store_over(&raw, 1, &[]));
    let user = fresh_user();
    let first = key_for(&user, Variant::Display);
    two.put(&first, Bytes::from_static(b"cached key"))
        .await
        .unwrap();

    one.forget_user(&user).await.unwrap();
    let during = key_for(&user, Variant::Display);
    assert!(matches!(
        two.put(&during, Bytes::from_static(b"during")).await,
        Err(StoreError::UserErasing)
    ));
    assert!(
        raw.get(&during).await.unwrap().is_none(),
        "nothing left behind"
    );
    one.user_forgotten(&user).await.unwrap();

    let after = key_for(&user, Variant::Display);
    two.put(&after, Bytes::from_static(b"after")).await.unwrap();
    for replica in [&one, &two] {
        assert_eq!(
            replica.get(&after).await.unwrap().unwrap(),
            Bytes::from_static(b"after")
        );
    }
}

#[tokio::test]
async fn data_keys_are_reserved_and_never_listed() {
    let raw = Arc::new(MemoryBlobStore::new());
    let store = store_over(&raw, 1, &[]);
    store
        .put(
            &key_for(&fresh_user(), Variant::Display),
            Bytes::from_static(b"x"),
        )
        .await
        .unwrap();
    assert_eq!(raw.list("keys/").await.unwrap().len(), 1);
    assert!(
        store
            .list("")
            .await
            .unwrap()
            .iter()
            .all(|(k, _)| !k.as_str().starts_with("keys/"))
    );
    let reserved = BlobKey::parse("keys/someone/0011223344556677.key").unwrap();
    assert!(is_internal(store.put(&reserved, Bytes::new()).await));
    assert!(is_internal(store.get(&reserved).await));
    assert!(is_internal(store.delete(&reserved).await));
}

#[tokio::test]
async fn racing_first_writes_share_one_data_key() {
    let raw = Arc::new(MemoryBlobStore::new());
    // Two "replicas" over the same storage, each with its own cache.
    let (one, two) = (
        Arc::new(store_over(&raw, 1, &[])),
        Arc::new(store_over(&raw, 1, &[])),
    );
    let user = fresh_user();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        let key = key_for(&user, Variant::Display);
        tasks.push(tokio::spawn(async move {
            store
                .put(&key, Bytes::from(vec![i as u8; 10]))
                .await
                .unwrap();
            key
        }));
    }
    for task in tasks {
        let key = task.await.unwrap();
        let fresh = store_over(&raw, 1, &[]);
        assert!(fresh.get(&key).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn rotation_keeps_everything_readable_and_frees_the_old_key() {
    let raw = Arc::new(MemoryBlobStore::new());
    let old = store_over(&raw, 1, &[]);
    let users = [fresh_user(), fresh_user(), fresh_user()];
    let mut keys = Vec::new();
    for user in &users {
        let key = key_for(user, Variant::Display);
        old.put(&key, Bytes::from(user.as_str().to_owned()))
            .await
            .unwrap();
        keys.push(key);
    }
    old.forget_user(&users[2]).await.unwrap();

    // New current key, old one kept as previous: everything still readable.
    let rotating = store_over(&raw, 2, &[1]);
    assert_eq!(
        rotating.get(&keys[0]).await.unwrap().unwrap(),
        Bytes::from(users[0].as_str().to_owned())
    );
    // Without the old key nothing opens yet, and the error says why.
    match store_over(&raw, 2, &[]).get(&keys[0]).await {
        Err(StoreError::Internal(msg)) => assert!(msg.contains("not configured"), "{msg}"),
        other => panic!("expected an error, got {other:?}"),
    }

    let report = rotating.rotate().await.unwrap();
    assert_eq!(
        report,
        RotationReport {
            users: 2,
            rewrapped: 2,
            ..RotationReport::default()
        }
    );
    let again = rotating.rotate().await.unwrap();
    assert_eq!(
        again,
        RotationReport {
            users: 2,
            already_current: 2,
            ..RotationReport::default()
        }
    );

    // The old key can now be dropped.
    let new_only = store_over(&raw, 2, &[]);
    for (user, key) in users.iter().zip(&keys).take(2) {
        assert_eq!(
            new_only.get(key).await.unwrap().unwrap(),
            Bytes::from(user.as_str().to_owned())
        );
    }
    assert!(
        is_internal(new_only.get(&keys[2]).await),
        "rotation does not resurrect forgotten users"
    );
    assert!(
        is_internal(store_over(&raw, 1, &[]).get(&keys[0]).await),
        "old key alone no longer opens"
    );
    // New users after rotation are under the new key.
    let later = key_for(&fresh_user(), Variant::Thumbnail);
    new_only
        .put(&later, Bytes::from_static(b"later"))
        .await
        .unwrap();
    assert_eq!(new_only.rotate().await.unwrap().already_current, 3);
}
