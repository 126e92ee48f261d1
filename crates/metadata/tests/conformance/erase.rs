//! Deleting all of a user's data (GDPR erasure, as `DELETE /users/{id}` does
//! it through the port): nothing of theirs is left, nobody else is touched.

use std::sync::Arc;

use domain::{AuditFilter, MetadataStore, PageRequest, SortOrder};

use crate::fixtures::{album, event, image, now, user};

fn first_page<K>() -> PageRequest<K> {
    PageRequest {
        after: None,
        limit: 100,
        order: SortOrder::Asc,
    }
}

pub async fn erasing_a_user_leaves_nothing_of_theirs(store: Arc<dyn MetadataStore>) {
    let (alice, bob) = (user("alice ../erase"), user("bob"));
    let trip = album(&alice, now());
    let town = album(&bob, now());
    store.insert_album(&trip).await.unwrap();
    store.insert_album(&town).await.unwrap();
    let mine = [
        image(&alice, Some(trip.id)),
        image(&alice, None),
        image(&alice, None),
    ];
    let theirs = image(&bob, Some(town.id));
    for i in mine.iter().chain([&theirs]) {
        store.insert_image(i).await.unwrap();
    }
    let target = format!("user:{}", alice.as_str());
    for e in [
        event(alice.as_str(), "image.create", None, now()),
        event("root", "access.denied", Some(&target), now()),
        event(bob.as_str(), "image.create", None, now()),
    ] {
        store.append_audit(&e).await.unwrap();
    }

    // The erasure, page by page until nothing is left.
    loop {
        let page = store
            .list_images(&alice, None, &first_page())
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        for i in page {
            assert!(store.delete_image(i.id).await.unwrap());
        }
    }
    for a in store.list_albums(&alice, &first_page()).await.unwrap() {
        assert!(store.delete_album(a.id, now()).await.unwrap());
    }
    assert_eq!(store.redact_audit_of(&alice).await.unwrap(), 2);

    for i in &mine {
        assert!(store.get_image(i.id).await.unwrap().is_none());
    }
    assert!(store.get_album(trip.id).await.unwrap().is_none());
    assert!(
        store
            .list_images(&alice, None, &first_page())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_albums(&alice, &first_page())
            .await
            .unwrap()
            .is_empty()
    );
    let everyone = store.list_all_images(None, 100).await.unwrap();
    assert_eq!(
        everyone.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        [theirs.id]
    );
    let albums = store.list_all_albums(None, 100).await.unwrap();
    assert_eq!(
        albums.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [town.id]
    );
    for filter in [
        AuditFilter {
            actor: Some(alice.as_str().to_owned()),
            ..AuditFilter::default()
        },
        AuditFilter {
            target: Some(target.clone()),
            ..AuditFilter::default()
        },
    ] {
        let left = store.list_audit(&filter, &first_page()).await.unwrap();
        assert!(left.is_empty(), "audit still names the user: {left:?}");
    }

    // Bob is untouched: his image, its album and its count, his audit event.
    assert_eq!(
        store.get_image(theirs.id).await.unwrap().unwrap().album_id,
        Some(town.id)
    );
    assert_eq!(
        store.get_album(town.id).await.unwrap().unwrap().image_count,
        1
    );
    let by_bob = AuditFilter {
        actor: Some(bob.as_str().to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(
        store
            .list_audit(&by_bob, &first_page())
            .await
            .unwrap()
            .len(),
        1
    );
    // Erasing again is a no-op.
    assert_eq!(store.redact_audit_of(&alice).await.unwrap(), 0);
}
