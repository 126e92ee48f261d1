//! Image CRUD, referential integrity and optimistic locking.

use std::sync::Arc;

use domain::{AlbumId, ImageId, MetadataStore, StoreError};

use crate::fixtures::{image, later, user};

pub async fn ping_answers(store: Arc<dyn MetadataStore>) {
    store.ping().await.expect("ping");
}

pub async fn image_crud(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let mut stored = image(&alice, None);
    stored.description = Some("line one\nline two ✓".into());
    store.insert_image(&stored).await.expect("insert");
    assert_eq!(
        store.get_image(stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(store.get_image(ImageId::new()).await.unwrap(), None);

    let mut changed = stored.clone();
    changed.title = None;
    changed.tags = vec![];
    changed.original.filename = None;
    changed.version = 2;
    changed.updated_at = later(stored.updated_at, 5);
    store.update_image(&changed, 1).await.expect("update");
    assert_eq!(store.get_image(stored.id).await.unwrap(), Some(changed));

    assert!(store.delete_image(stored.id).await.unwrap());
    assert!(!store.delete_image(stored.id).await.unwrap());
    assert_eq!(store.get_image(stored.id).await.unwrap(), None);
}

pub async fn insert_with_unknown_album_is_missing_reference(store: Arc<dyn MetadataStore>) {
    let orphan = image(&user("alice"), Some(AlbumId::new()));
    let err = store.insert_image(&orphan).await.unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference("albumId")),
        "{err:?}"
    );
    assert_eq!(store.get_image(orphan.id).await.unwrap(), None);
}

pub async fn update_to_unknown_album_is_missing_reference(store: Arc<dyn MetadataStore>) {
    let stored = image(&user("alice"), None);
    store.insert_image(&stored).await.unwrap();
    let mut moved = stored.clone();
    moved.album_id = Some(AlbumId::new());
    moved.version = 2;
    let err = store.update_image(&moved, 1).await.unwrap_err();
    assert!(
        matches!(err, StoreError::MissingReference("albumId")),
        "{err:?}"
    );
    assert_eq!(store.get_image(stored.id).await.unwrap(), Some(stored));
}

pub async fn update_of_missing_image_is_not_found(store: Arc<dyn MetadataStore>) {
    let mut ghost = image(&user("alice"), None);
    ghost.version = 2;
    let err = store.update_image(&ghost, 1).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

pub async fn stale_version_conflicts(store: Arc<dyn MetadataStore>) {
    let mut stored = image(&user("alice"), None);
    store.insert_image(&stored).await.unwrap();
    stored.version = 2;
    store.update_image(&stored, 1).await.unwrap();

    let mut stale = stored.clone();
    stale.title = Some("stale".into());
    stale.version = 2;
    let err = store.update_image(&stale, 1).await.unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { current: 2 }),
        "{err:?}"
    );
    assert_eq!(store.get_image(stored.id).await.unwrap(), Some(stored));
}

/// Two writers read version n and both try to write n + 1: exactly one wins.
pub async fn concurrent_updates_exactly_one_wins(store: Arc<dyn MetadataStore>) {
    let stored = image(&user("alice"), None);
    store.insert_image(&stored).await.unwrap();
    for round in 1..=10_i64 {
        let mut first = stored.clone();
        first.title = Some(format!("first {round}"));
        first.version = round + 1;
        let mut second = first.clone();
        second.title = Some(format!("second {round}"));

        let (a, b) = tokio::join!(
            spawn_update(store.clone(), first.clone(), round),
            spawn_update(store.clone(), second.clone(), round),
        );
        let winner = match (a, b) {
            (Ok(()), Err(StoreError::VersionConflict { current })) => {
                assert_eq!(current, round + 1);
                first
            }
            (Err(StoreError::VersionConflict { current }), Ok(())) => {
                assert_eq!(current, round + 1);
                second
            }
            other => panic!("round {round}: expected one winner, got {other:?}"),
        };
        assert_eq!(store.get_image(stored.id).await.unwrap(), Some(winner));
    }
}

/// On its own task, so both updates really run at the same time.
async fn spawn_update(
    store: Arc<dyn MetadataStore>,
    image: domain::ImageRecord,
    expected: i64,
) -> Result<(), StoreError> {
    tokio::spawn(async move { store.update_image(&image, expected).await })
        .await
        .expect("task")
}
