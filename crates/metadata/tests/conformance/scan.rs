//! Whole-store walks (`list_all_images`, `list_all_albums`, for
//! `migrate-storage`): every user's rows, each exactly once, page by page.

use std::collections::BTreeSet;
use std::sync::Arc;

use domain::{AlbumRecord, ImageRecord, MetadataStore, ScanPage, StoreResult};
use futures::future::BoxFuture;

use crate::fixtures::{album, image, now, user};

/// Follows `next` to the end with pages of `limit`, failing on a loop.
async fn walk<T>(
    limit: u32,
    page: impl Fn(Option<String>) -> BoxFuture<'static, StoreResult<ScanPage<T>>>,
) -> Vec<T> {
    let mut all = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let got = page(cursor.clone()).await.expect("page");
        assert!(got.items.len() <= limit as usize, "page over its limit");
        all.extend(got.items);
        match got.next {
            Some(next) => cursor = Some(next),
            None => return all,
        }
    }
    panic!("the walk never ended");
}

pub async fn list_all_walks_every_users_rows_once(store: Arc<dyn MetadataStore>) {
    let (alice, bob, carol) = (user("alice"), user("bob"), user("carol ../x"));
    let space = album(&alice, now());
    let town = album(&bob, now());
    for a in [&space, &town] {
        store.insert_album(a).await.unwrap();
    }
    let mut images = vec![image(&alice, Some(space.id)), image(&alice, None)];
    images.push(image(&bob, Some(town.id)));
    images.push(image(&bob, None));
    images.push(image(&carol, None));
    for i in &images {
        store.insert_image(i).await.unwrap();
    }

    for limit in [1, 2, 100] {
        let s = store.clone();
        let walked: Vec<ImageRecord> = walk(limit, move |cursor| {
            let s = s.clone();
            Box::pin(async move { s.list_all_images(cursor.as_deref(), limit).await })
        })
        .await;
        let ids: BTreeSet<_> = walked.iter().map(|i| i.id).collect();
        assert_eq!(
            ids.len(),
            walked.len(),
            "an image came twice (limit {limit})"
        );
        assert_eq!(ids, images.iter().map(|i| i.id).collect(), "limit {limit}");
        for original in &images {
            assert!(
                walked.contains(original),
                "{} changed on the way",
                original.id
            );
        }

        let s = store.clone();
        let albums: Vec<AlbumRecord> = walk(limit, move |cursor| {
            let s = s.clone();
            Box::pin(async move { s.list_all_albums(cursor.as_deref(), limit).await })
        })
        .await;
        let mut got: Vec<_> = albums.iter().map(|a| (a.id, a.image_count)).collect();
        got.sort();
        let mut want = vec![(space.id, 1), (town.id, 1)];
        want.sort();
        assert_eq!(got, want, "limit {limit}");
    }
}

pub async fn list_all_of_an_empty_store_is_empty(store: Arc<dyn MetadataStore>) {
    let s = store.clone();
    let images = walk(10, move |cursor| {
        let s = s.clone();
        Box::pin(async move { s.list_all_images(cursor.as_deref(), 10).await })
    })
    .await;
    assert!(images.is_empty());
    let s = store.clone();
    let albums = walk(10, move |cursor| {
        let s = s.clone();
        Box::pin(async move { s.list_all_albums(cursor.as_deref(), 10).await })
    })
    .await;
    assert!(albums.is_empty());
}
