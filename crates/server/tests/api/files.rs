//! Downloads: variants, ETag/304, Range/206, and signed URLs without a token.

use serde_json::Value;

use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn variants_etags_and_ranges() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[]).await;
    let path = format!("/images/{}/file", image["id"].as_str().unwrap());

    let full = app.get(&path, &token).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(
        full.headers()["cache-control"]
            .to_str()
            .unwrap()
            .split(',')
            .next(),
        Some("private")
    );
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = full.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, image["size"].as_u64().unwrap());
    assert_eq!(&bytes[..4], b"RIFF");

    let thumb = app
        .get(&format!("{path}?variant=thumbnail"), &token)
        .send()
        .await
        .unwrap();
    assert_ne!(thumb.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(
        thumb.bytes().await.unwrap().len() as u64,
        image["thumbnail"]["size"].as_u64().unwrap()
    );
    assert_error(
        app.get(&format!("{path}?variant=huge"), &token)
            .send()
            .await
            .unwrap(),
        400,
        "VALIDATION_ERROR",
    )
    .await;

    let cached = app
        .get(&path, &token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert!(cached.bytes().await.unwrap().is_empty());

    let partial = app
        .get(&path, &token)
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), 206);
    assert_eq!(
        partial.headers()["content-range"],
        format!("bytes 0-9/{}", bytes.len())
    );
    assert_eq!(partial.bytes().await.unwrap(), bytes.slice(0..10));
    let outside = app
        .get(&path, &token)
        .header("range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 416);
}

#[tokio::test]
async fn signed_urls_work_without_a_token_until_tampered_or_deleted() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[]).await;
    let display = image["urls"]["display"].as_str().unwrap();
    let thumbnail = image["urls"]["thumbnail"].as_str().unwrap();

    let response = app.client.get(app.url(display)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    assert!(response.headers().contains_key("etag"));
    assert_eq!(
        response.bytes().await.unwrap().len() as u64,
        image["size"].as_u64().unwrap()
    );
    let thumb = app
        .client
        .get(app.url(thumbnail))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        thumb.len() as u64,
        image["thumbnail"]["size"].as_u64().unwrap()
    );

    let mut tampered = display.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_error(
        app.client.get(app.url(&tampered)).send().await.unwrap(),
        403,
        "INVALID_SIGNATURE",
    )
    .await;
    let swapped = display.replacen(".d.", ".t.", 1);
    assert_error(
        app.client.get(app.url(&swapped)).send().await.unwrap(),
        403,
        "INVALID_SIGNATURE",
    )
    .await;

    let id = image["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/images/{id}"), &token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let after: reqwest::Response = app.client.get(app.url(display)).send().await.unwrap();
    assert_ne!(after.status(), 200);
    let _: Value = after.json().await.unwrap();
}

#[tokio::test]
async fn expired_signed_urls_are_refused() {
    let app = crate::support::spawn_with(&[("IMAGE_SERVICE_URL_TTL_SECS", "1")]).await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[]).await;
    let display = image["urls"]["display"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_error(
        app.client.get(app.url(&display)).send().await.unwrap(),
        403,
        "INVALID_SIGNATURE",
    )
    .await;
}
