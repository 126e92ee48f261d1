//! Every row of the error table (docs/API.md, Errors) these routes can produce, as JSON
//! with a code and a request id — the framework's own 404/405/413/415 too.

use serde_json::json;

use crate::support::images::jpeg;
use crate::support::{assert_error, spawn_app};

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let long_title = "t".repeat(256);
    let response = app
        .upload_with(
            &token,
            jpeg(16, 16),
            "image/jpeg",
            &[("title", &long_title)],
        )
        .await;
    let body = assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(body["error"], "ValidationError");
    assert_eq!(body["details"][0]["field"], "title");

    let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let tags = serde_json::to_string(&tags).unwrap();
    let response = app
        .upload_with(&token, jpeg(16, 16), "image/jpeg", &[("tags", &tags)])
        .await;
    assert_error(response, 400, "VALIDATION_ERROR").await;

    let response = app
        .upload_with(&token, jpeg(16, 16), "image/jpeg", &[("colour", "red")])
        .await;
    assert_error(response, 400, "VALIDATION_ERROR").await;

    let response = app
        .upload_with(
            &token,
            jpeg(16, 16),
            "image/jpeg",
            &[("title", "bell\u{7}")],
        )
        .await;
    assert_error(response, 400, "VALIDATION_ERROR").await;

    let foreign_album = app.create_album(&app.token("bob"), "bob's").await;
    let response = app
        .upload_with(
            &token,
            jpeg(16, 16),
            "image/jpeg",
            &[("albumId", foreign_album["id"].as_str().unwrap())],
        )
        .await;
    let body = assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(body["details"][0]["field"], "albumId");

    let image = app.upload_ok(&token, &[]).await;
    let path = format!("/images/{}", image["id"].as_str().unwrap());
    for body in [
        json!({ "title": "x" }),
        json!({ "version": 1, "owner": "me" }),
        json!({ "version": 0 }),
        json!({ "version": 1, "altText": "a".repeat(256) }),
    ] {
        let response = app.patch_json(&path, &token, body).send().await.unwrap();
        assert_error(response, 400, "VALIDATION_ERROR").await;
    }
    let still: serde_json::Value = app
        .get(&path, &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["version"], 1, "refused changes change nothing");
}

#[tokio::test]
async fn file_type_and_image_errors() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    assert_error(
        app.upload_with(&token, gif, "image/jpeg", &[]).await,
        400,
        "UNSUPPORTED_FILE_TYPE",
    )
    .await;
    assert_error(
        app.upload_with(&token, jpeg(16, 16), "text/html", &[])
            .await,
        400,
        "UNSUPPORTED_FILE_TYPE",
    )
    .await;
    let mut truncated = jpeg(256, 256);
    truncated.truncate(truncated.len() / 3);
    assert_error(
        app.upload_with(&token, truncated, "image/jpeg", &[]).await,
        400,
        "INVALID_IMAGE",
    )
    .await;
    assert_error(
        app.upload_with(&token, Vec::new(), "image/jpeg", &[]).await,
        400,
        "INVALID_IMAGE",
    )
    .await;
    let listed: serde_json::Value = app
        .get("/images", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_missing_file_is_a_validation_error() {
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new().text("title", "no file");
    let response = app
        .client
        .post(app.url("/images"))
        .bearer_auth(app.token("alice"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 400, "VALIDATION_ERROR").await;
    assert_eq!(body["details"][0]["field"], "file");
}

#[tokio::test]
async fn framework_errors_are_contract_json() {
    let app = spawn_app().await;
    let token = app.token("alice");
    assert_error(
        app.get("/nowhere", &token).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    assert_error(
        app.get("/images/01ARZ3NDEKTSV4RRFFQ69G5FAV", &token)
            .send()
            .await
            .unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    assert_error(
        app.get("/images/not-an-id", &token).send().await.unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    let put = app
        .client
        .put(app.url("/images/01ARZ3NDEKTSV4RRFFQ69G5FAV"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(put, 405, "METHOD_NOT_ALLOWED").await;

    let json_upload = app
        .post_json("/images", &token, json!({ "file": "x" }))
        .send()
        .await
        .unwrap();
    assert_error(json_upload, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    let image = app.upload_ok(&token, &[]).await;
    let text_patch = app
        .client
        .patch(app.url(&format!("/images/{}", image["id"].as_str().unwrap())))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(r#"{"version":1}"#)
        .send()
        .await
        .unwrap();
    assert_error(text_patch, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    let album = app
        .client
        .post(app.url("/albums"))
        .bearer_auth(&token)
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert_error(album, 415, "UNSUPPORTED_MEDIA_TYPE").await;
}

#[tokio::test]
async fn oversized_files_are_cut_off_with_413() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let mut big = jpeg(64, 64);
    big.resize(10 * 1024 * 1024 + 1, 0);
    let response = app
        .upload_with(&token, big.clone(), "image/jpeg", &[])
        .await;
    assert_error(response, 413, "FILE_TOO_LARGE").await;

    // Chunked: no Content-Length to refuse early, so the stream is cut off.
    let boundary = "XBOUNDARYX";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&big);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let stream = futures::stream::iter(chunks);
    let response = app
        .client
        .post(app.url("/images"))
        .bearer_auth(&token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    // The server may close the connection once it has answered; if the answer arrived, it is 413.
    if let Ok(response) = response {
        assert_error(response, 413, "FILE_TOO_LARGE").await;
    }
    let listed: serde_json::Value = app
        .get("/images", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn errors_never_leak_internals() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let response = app
        .get("/images/..%2F..%2Fetc%2Fpasswd", &token)
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 404, "NOT_FOUND").await;
    let text = body.to_string();
    assert!(!text.contains(app.data_dir().to_str().unwrap()));
    assert!(!text.to_lowercase().contains("sql"));
}

#[tokio::test]
async fn the_openapi_document_lists_every_error_code() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.openapi().await;
    let codes: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
        .as_array()
        .expect("code enum")
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for code in [
        "VALIDATION_ERROR",
        "UNSUPPORTED_FILE_TYPE",
        "INVALID_IMAGE",
        "IMAGE_TOO_LARGE",
        "INVALID_CURSOR",
        "MISSING_TOKEN",
        "TOKEN_EXPIRED",
        "INVALID_TOKEN",
        "NOT_AUTHORIZED",
        "INVALID_SIGNATURE",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "REQUEST_TIMEOUT",
        "VERSION_CONFLICT",
        "FILE_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "RANGE_NOT_SATISFIABLE",
        "RATE_LIMITED",
        "OVERLOADED",
        "UNAVAILABLE",
        "INTERNAL_ERROR",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    // The body the document describes is the one answered.
    let body = assert_error(
        app.get("/nowhere", &app.token("alice"))
            .send()
            .await
            .unwrap(),
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(body["error"], "NotFoundError");
}

#[tokio::test]
async fn body_and_query_errors_name_the_field_at_fault() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let image = app.upload_ok(&token, &[]).await;
    let image_path = format!("/images/{}", image["id"].as_str().unwrap());
    let album = app.create_album(&token, "trips").await;
    let album_path = format!("/albums/{}", album["id"].as_str().unwrap());

    let field_of = |response: reqwest::Response| async move {
        let body = assert_error(response, 400, "VALIDATION_ERROR").await;
        body["details"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    for (path, body, field) in [
        (&image_path, json!({ "title": "x" }), "version"),
        (&image_path, json!({ "version": 1, "owner": "me" }), "owner"),
        (&image_path, json!({ "version": 1, "title": 5 }), "title"),
        (&image_path, json!({ "version": "one" }), "version"),
        (&image_path, json!({ "version": 1, "tags": [1] }), "tags"),
        (&album_path, json!({}), "version"),
        (
            &album_path,
            json!({ "version": 1, "description": 7 }),
            "description",
        ),
        (&album_path, json!({ "version": 1, "cover": "x" }), "cover"),
        (&image_path, json!([1]), "body"),
    ] {
        let response = app
            .patch_json(path, &token, body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(field_of(response).await, field, "PATCH {path} {body}");
    }
    for (body, field) in [
        (json!({}), "title"),
        (json!({ "title": ["x"] }), "title"),
        (json!({ "title": "x", "colour": "red" }), "colour"),
    ] {
        let response = app
            .post_json("/albums", &token, body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(field_of(response).await, field, "POST /albums {body}");
    }
    let malformed = app
        .client
        .post(app.url("/albums"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(malformed).await, "body");

    let file_path = format!("{image_path}/file?size=big");
    let delete_path = format!("{album_path}?deleteImages=true&force=1");
    for (path, field) in [
        ("/images?colour=red", "colour"),
        ("/images?limit=1&limit=2", "limit"),
        ("/albums?owner=bob", "owner"),
        (file_path.as_str(), "size"),
    ] {
        let response = app.get(path, &token).send().await.unwrap();
        assert_eq!(field_of(response).await, field, "GET {path}");
    }
    let response = app.delete(&delete_path, &token).send().await.unwrap();
    assert_eq!(field_of(response).await, "force");
    let response = app
        .get("/audit?who=me", &app.token_as("root", "admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(response).await, "who");
}

#[tokio::test]
async fn image_too_large_states_the_configured_limits() {
    let app = crate::support::spawn_with(&[
        ("IMAGE_SERVICE_MAX_PIXELS", "1000000"),
        ("IMAGE_SERVICE_MAX_SIDE", "1500"),
    ])
    .await;
    let token = app.token("alice");
    for (width, height) in [(1200, 1000), (1600, 10)] {
        let response = app
            .upload_with(
                &token,
                crate::support::images::png_header_only(width, height),
                "image/png",
                &[],
            )
            .await;
        let body = assert_error(response, 400, "IMAGE_TOO_LARGE").await;
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&format!("{width}x{height}")), "{message}");
        assert!(message.contains("1,000,000 pixels"), "{message}");
        assert!(message.contains("1500 px"), "{message}");
        assert!(!message.contains("50,000,000"), "{message}");
    }
}
