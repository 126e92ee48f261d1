//! Incident controls through the port: set, replaced, removed, read whole,
//! with keys holding any `sub` (slashes, spaces, non-ASCII included).

use std::sync::Arc;

use domain::MetadataStore;

pub async fn controls_are_set_replaced_and_removed(store: Arc<dyn MetadataStore>) {
    assert!(store.list_controls().await.unwrap().is_empty());
    store
        .set_control("read-only", Some(r#"{"reason":"a"}"#))
        .await
        .unwrap();
    store
        .set_control("block:auth0|ä ü/../x", Some(r#"{"reason":"b"}"#))
        .await
        .unwrap();
    store
        .set_control("read-only", Some(r#"{"reason":"c"}"#))
        .await
        .unwrap();
    let mut entries = store.list_controls().await.unwrap();
    entries.sort();
    assert_eq!(
        entries,
        vec![
            (
                "block:auth0|ä ü/../x".to_owned(),
                r#"{"reason":"b"}"#.to_owned()
            ),
            ("read-only".to_owned(), r#"{"reason":"c"}"#.to_owned()),
        ]
    );
    store.set_control("read-only", None).await.unwrap();
    // Removing what is not there is not an error: lifting a switch twice is fine.
    store.set_control("read-only", None).await.unwrap();
    let entries = store.list_controls().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, "block:auth0|ä ü/../x");
}
