//! The conformance suite every `BlobStore` passes, written once.

use bytes::Bytes;
use chrono::{Duration, Utc};
use domain::ids::{ImageId, UserId};
use domain::keys::{BlobKey, Variant};
use domain::ports::{BlobStore, StoreError};

/// A user no other test (or earlier run against a shared bucket) has used.
pub fn fresh_user() -> UserId {
    UserId::new(format!("conformance/{}", ImageId::new())).unwrap()
}

pub fn key_for(user: &UserId, variant: Variant) -> BlobKey {
    BlobKey::for_variant(user, ImageId::new(), variant)
}

/// Whether `forget_user` must make the user's blobs unreadable.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shredding {
    Yes,
    No,
}

pub async fn run(store: &dyn BlobStore, shredding: Shredding) {
    ping(store).await;
    put_get_delete_list(store).await;
    overwrite(store).await;
    missing(store).await;
    odd_sizes(store).await;
    forget_user(store, shredding).await;
}

async fn ping(store: &dyn BlobStore) {
    store.ping().await.expect("ping");
}

async fn put_get_delete_list(store: &dyn BlobStore) {
    let user = fresh_user();
    let images = format!("images/{}/", user.storage_segment());
    let thumbs = format!("thumbnails/{}/", user.storage_segment());
    let display = key_for(&user, Variant::Display);
    let thumb = key_for(&user, Variant::Thumbnail);
    let before = Utc::now() - Duration::seconds(5);

    store
        .put(&display, Bytes::from_static(b"display bytes"))
        .await
        .unwrap();
    store
        .put(&thumb, Bytes::from_static(b"thumb bytes"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&display).await.unwrap().unwrap(),
        Bytes::from_static(b"display bytes")
    );
    assert_eq!(
        store.get(&thumb).await.unwrap().unwrap(),
        Bytes::from_static(b"thumb bytes")
    );

    let listed = store.list(&images).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].0, display);
    let after = Utc::now() + Duration::seconds(5);
    assert!(
        listed[0].1 > before && listed[0].1 < after,
        "last-modified {}",
        listed[0].1
    );
    assert_eq!(store.list(&thumbs).await.unwrap().len(), 1);

    store.delete(&display).await.unwrap();
    assert!(store.get(&display).await.unwrap().is_none());
    assert!(store.list(&images).await.unwrap().is_empty());
    store
        .delete(&display)
        .await
        .expect("deleting a missing key is fine");
    store.delete(&thumb).await.unwrap();
    assert!(store.list(&thumbs).await.unwrap().is_empty());
}

async fn overwrite(store: &dyn BlobStore) {
    let user = fresh_user();
    let key = key_for(&user, Variant::Display);
    store.put(&key, Bytes::from_static(b"first")).await.unwrap();
    store
        .put(&key, Bytes::from_static(b"second, longer"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&key).await.unwrap().unwrap(),
        Bytes::from_static(b"second, longer")
    );
    let listed = store
        .list(&format!("images/{}/", user.storage_segment()))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "overwrite leaves one object: {listed:?}");
    store.delete(&key).await.unwrap();
}

async fn missing(store: &dyn BlobStore) {
    let user = fresh_user();
    assert!(
        store
            .get(&key_for(&user, Variant::Display))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .list(&format!("images/{}/", user.storage_segment()))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn odd_sizes(store: &dyn BlobStore) {
    let user = fresh_user();
    let empty = key_for(&user, Variant::Display);
    let big = key_for(&user, Variant::Thumbnail);
    let big_bytes = Bytes::from(
        (0..3 * 1024 * 1024)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    store.put(&empty, Bytes::new()).await.unwrap();
    store.put(&big, big_bytes.clone()).await.unwrap();
    assert_eq!(store.get(&empty).await.unwrap().unwrap().len(), 0);
    assert_eq!(store.get(&big).await.unwrap().unwrap(), big_bytes);
    store.delete(&empty).await.unwrap();
    store.delete(&big).await.unwrap();
}

async fn forget_user(store: &dyn BlobStore, shredding: Shredding) {
    let (alice, bob) = (fresh_user(), fresh_user());
    let (a, b) = (
        key_for(&alice, Variant::Display),
        key_for(&bob, Variant::Display),
    );
    store.put(&a, Bytes::from_static(b"alice")).await.unwrap();
    store.put(&b, Bytes::from_static(b"bob")).await.unwrap();

    store.forget_user(&alice).await.unwrap();
    store
        .forget_user(&alice)
        .await
        .expect("forgetting twice is fine");
    assert_eq!(
        store.get(&b).await.unwrap().unwrap(),
        Bytes::from_static(b"bob")
    );
    match shredding {
        Shredding::Yes => assert!(matches!(store.get(&a).await, Err(StoreError::Internal(_)))),
        Shredding::No => assert!(store.get(&a).await.unwrap().is_some()),
    }
    // While the erasure runs nothing new is stored for the user: a blob
    // sealed now would be sealed with the destroyed key.
    let again = key_for(&alice, Variant::Thumbnail);
    if shredding == Shredding::Yes {
        assert!(matches!(
            store.put(&again, Bytes::from_static(b"too early")).await,
            Err(StoreError::UserErasing)
        ));
        assert!(store.get(&again).await.unwrap().is_none(), "nothing stored");
    }
    store.user_forgotten(&alice).await.unwrap();
    // A forgotten user may come back (a new account with the same `sub`).
    store
        .put(&again, Bytes::from_static(b"new alice"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&again).await.unwrap().unwrap(),
        Bytes::from_static(b"new alice")
    );
    if shredding == Shredding::Yes {
        assert!(store.get(&a).await.is_err(), "old blobs stay unreadable");
    }
    for key in [a, b, again] {
        store.delete(&key).await.unwrap();
    }
}
