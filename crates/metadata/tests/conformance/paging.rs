//! Keyset pagination: both orders, cursors without gaps or duplicates, album filter.

use std::sync::Arc;

use domain::{
    AlbumCursor, AlbumId, AlbumRecord, ImageId, MetadataStore, PageRequest, SortOrder, UserId,
};

use crate::fixtures::{album, image, later, now, user};

const TOTAL: usize = 15;
const LIMIT: u32 = 4;

/// Inserts `TOTAL` images for `owner` (in `album`) and noise for someone else.
async fn seed_images(
    store: &dyn MetadataStore,
    owner: &UserId,
    album: Option<AlbumId>,
) -> Vec<ImageId> {
    let mut ids = Vec::new();
    for _ in 0..TOTAL {
        let record = image(owner, album);
        store.insert_image(&record).await.unwrap();
        ids.push(record.id);
    }
    store
        .insert_image(&image(&user("mallory"), None))
        .await
        .unwrap();
    ids.sort();
    ids
}

/// Walks every page of `owner`'s images and checks page sizes on the way.
async fn walk_images(
    store: &dyn MetadataStore,
    owner: &UserId,
    album: Option<AlbumId>,
    order: SortOrder,
) -> Vec<ImageId> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest {
            after,
            limit: LIMIT,
            order,
        };
        let items = store.list_images(owner, album, &page).await.unwrap();
        assert!(items.len() <= LIMIT as usize);
        assert!(items.iter().all(|i| &i.user_id == owner));
        seen.extend(items.iter().map(|i| i.id));
        match items.last() {
            Some(last) if items.len() == LIMIT as usize => after = Some(last.id),
            _ => break,
        }
    }
    seen
}

pub async fn images_page_ascending(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let ids = seed_images(&*store, &alice, None).await;
    assert_eq!(
        walk_images(&*store, &alice, None, SortOrder::Asc).await,
        ids
    );
}

pub async fn images_page_descending(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let mut ids = seed_images(&*store, &alice, None).await;
    ids.reverse();
    assert_eq!(
        walk_images(&*store, &alice, None, SortOrder::Desc).await,
        ids
    );
    // The cursor is exclusive: starting after the newest skips exactly it.
    let page = PageRequest {
        after: Some(ids[0]),
        limit: 2,
        order: SortOrder::Desc,
    };
    let items = store.list_images(&alice, None, &page).await.unwrap();
    let got: Vec<ImageId> = items.iter().map(|i| i.id).collect();
    assert_eq!(got, ids[1..3]);
}

pub async fn images_page_within_album(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let holiday = album(&alice, now());
    store.insert_album(&holiday).await.unwrap();
    let in_album = seed_images(&*store, &alice, Some(holiday.id)).await;
    let loose = seed_images(&*store, &alice, None).await;

    let got = walk_images(&*store, &alice, Some(holiday.id), SortOrder::Asc).await;
    assert_eq!(got, in_album);
    let mut all: Vec<ImageId> = in_album.iter().chain(&loose).copied().collect();
    all.sort();
    assert_eq!(
        walk_images(&*store, &alice, None, SortOrder::Asc).await,
        all
    );
    // Someone else asking for alice's album sees nothing of it.
    let got = walk_images(&*store, &user("mallory"), Some(holiday.id), SortOrder::Asc).await;
    assert!(got.is_empty());
}

async fn walk_albums(store: &dyn MetadataStore, owner: &UserId, order: SortOrder) -> Vec<AlbumId> {
    let mut seen = Vec::new();
    let mut after: Option<AlbumCursor> = None;
    loop {
        let page = PageRequest {
            after: after.clone(),
            limit: LIMIT,
            order,
        };
        let items = store.list_albums(owner, &page).await.unwrap();
        assert!(items.len() <= LIMIT as usize);
        seen.extend(items.iter().map(|a| a.id));
        match items.last() {
            Some(last) if items.len() == LIMIT as usize => {
                after = Some(AlbumCursor {
                    created_at: last.created_at,
                    id: last.id,
                })
            }
            _ => break,
        }
    }
    seen
}

/// Albums sort by creation time, then id; several share a creation time here.
pub async fn albums_page_both_orders(store: Arc<dyn MetadataStore>) {
    let alice = user("alice");
    let base = now();
    let mut albums: Vec<AlbumRecord> = (0..TOTAL)
        .map(|n| album(&alice, later(base, (n / 3) as i64)))
        .collect();
    for record in &albums {
        store.insert_album(record).await.unwrap();
    }
    store
        .insert_album(&album(&user("mallory"), base))
        .await
        .unwrap();
    albums.sort_by_key(|a| (a.created_at, a.id));
    let mut ids: Vec<AlbumId> = albums.iter().map(|a| a.id).collect();

    assert_eq!(walk_albums(&*store, &alice, SortOrder::Asc).await, ids);
    ids.reverse();
    assert_eq!(walk_albums(&*store, &alice, SortOrder::Desc).await, ids);
}
