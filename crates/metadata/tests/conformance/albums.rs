//! Album CRUD, derived image counts, and detaching images on album delete.

use std::sync::Arc;

use domain::{AlbumId, MetadataStore, PageRequest, SortOrder, StoreError};

use crate::fixtures::{album, image, later, now, user};

pub async fn album_crud(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let stored = album(&alice, now());
    store.insert_album(&stored).await.unwrap();
    assert_eq!(
        store.get_album(stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert_eq!(store.get_album(AlbumId::new()).await.unwrap(), None);

    let mut renamed = stored.clone();
    renamed.title = "Pirates".into();
    renamed.description = None;
    renamed.version = 2;
    renamed.updated_at = later(stored.updated_at, 1);
    renamed.image_count = 42; // ignored: the store counts
    store.update_album(&renamed, 1).await.unwrap();
    renamed.image_count = 0;
    assert_eq!(
        store.get_album(stored.id).await.unwrap(),
        Some(renamed.clone())
    );

    let err = store.update_album(&renamed, 1).await.unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { current: 2 }),
        "{err:?}"
    );
    let err = store
        .update_album(&album(&alice, now()), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    assert!(store.delete_album(stored.id, now()).await.unwrap());
    assert!(!store.delete_album(stored.id, now()).await.unwrap());
    assert_eq!(store.get_album(stored.id).await.unwrap(), None);
}

pub async fn album_counts_images(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let (full, single, empty) = (
        album(&alice, now()),
        album(&alice, later(now(), 1)),
        album(&alice, later(now(), 2)),
    );
    for record in [&full, &single, &empty] {
        store.insert_album(record).await.unwrap();
    }
    for _ in 0..3 {
        store
            .insert_image(&image(&alice, Some(full.id)))
            .await
            .unwrap();
    }
    let moved = image(&alice, Some(single.id));
    store.insert_image(&moved).await.unwrap();
    store.insert_image(&image(&alice, None)).await.unwrap();

    let count = |id| {
        let store = store.clone();
        async move { store.get_album(id).await.unwrap().unwrap().image_count }
    };
    assert_eq!(count(full.id).await, 3);
    assert_eq!(count(single.id).await, 1);
    assert_eq!(count(empty.id).await, 0);

    // Moving an image moves its count; listing reports the same counts.
    let mut to_full = moved.clone();
    to_full.album_id = Some(full.id);
    to_full.version = 2;
    store.update_image(&to_full, 1).await.unwrap();
    let page = PageRequest {
        after: None,
        limit: 10,
        order: SortOrder::Asc,
    };
    let listed: Vec<(AlbumId, u64)> = store
        .list_albums(&alice, &page)
        .await
        .unwrap()
        .iter()
        .map(|a| (a.id, a.image_count))
        .collect();
    assert_eq!(listed, vec![(full.id, 4), (single.id, 0), (empty.id, 0)]);
}

pub async fn album_delete_detaches_images(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let (doomed, kept) = (album(&alice, now()), album(&alice, now()));
    store.insert_album(&doomed).await.unwrap();
    store.insert_album(&kept).await.unwrap();
    let mut inside = Vec::new();
    for _ in 0..3 {
        let record = image(&alice, Some(doomed.id));
        store.insert_image(&record).await.unwrap();
        inside.push(record);
    }
    let elsewhere = image(&alice, Some(kept.id));
    store.insert_image(&elsewhere).await.unwrap();

    let when = later(now(), 60);
    assert!(store.delete_album(doomed.id, when).await.unwrap());
    assert_eq!(store.get_album(doomed.id).await.unwrap(), None);
    for before in inside {
        let after = store.get_image(before.id).await.unwrap().unwrap();
        assert_eq!(after.album_id, None);
        assert_eq!(after.version, before.version + 1);
        assert_eq!(after.updated_at, when);
        assert_eq!(after.title, before.title);
    }
    assert_eq!(
        store.get_image(elsewhere.id).await.unwrap(),
        Some(elsewhere)
    );
    assert_eq!(
        store.get_album(kept.id).await.unwrap().unwrap().image_count,
        1
    );
}
