//! Rotating the URL-signing key (docs/API.md, Signed file URLs): with the old
//! key in `IMAGE_SERVICE_URL_SIGNING_PREVIOUS_KEYS`, links and cursors it
//! signed keep working while new ones use the new key; once it is dropped,
//! they stop.

use crate::support::backends::random_key;
use crate::support::{assert_error, spawn_with};

#[tokio::test]
async fn links_and_cursors_outlive_a_rotation_until_the_old_key_is_dropped() {
    let (old, new) = (random_key(), random_key());
    let mut first = spawn_with(&[("IMAGE_SERVICE_URL_SIGNING_KEY", &old)]).await;
    let alice = first.token("alice");
    let image = first.upload_ok(&alice, &[]).await;
    first.upload_ok(&alice, &[]).await;
    let old_link = image["urls"]["display"].as_str().unwrap().to_owned();
    let page = first.get_json("/images?limit=1", &alice).await;
    let old_cursor = page["nextCursor"].as_str().unwrap().to_owned();
    first.stop();

    // The rotation: the new key signs, the old one still verifies.
    let rotating = first
        .restart_on_same_data(&[
            ("IMAGE_SERVICE_URL_SIGNING_KEY", &new),
            ("IMAGE_SERVICE_URL_SIGNING_PREVIOUS_KEYS", &old),
        ])
        .await;
    let response = rotating
        .client
        .get(rotating.url(&old_link))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "an old link after the rotation");
    let next = rotating
        .get(&format!("/images?limit=1&cursor={old_cursor}"), &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 200, "an old cursor after the rotation");
    let read = rotating
        .get_json(
            &format!("/images/{}", image["id"].as_str().unwrap()),
            &alice,
        )
        .await;
    let new_link = read["urls"]["display"].as_str().unwrap().to_owned();
    assert_ne!(new_link, old_link, "new links are signed with the new key");
    drop(rotating);

    // The old key dropped (after the longest link lifetime has passed): its
    // links and cursors stop; the new key's go on.
    let done = first
        .restart_on_same_data(&[("IMAGE_SERVICE_URL_SIGNING_KEY", &new)])
        .await;
    let response = done.client.get(done.url(&old_link)).send().await.unwrap();
    assert_error(response, 403, "INVALID_SIGNATURE").await;
    let response = done
        .get(&format!("/images?limit=1&cursor={old_cursor}"), &alice)
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "INVALID_CURSOR").await;
    let response = done.client.get(done.url(&new_link)).send().await.unwrap();
    assert_eq!(response.status(), 200);
}
