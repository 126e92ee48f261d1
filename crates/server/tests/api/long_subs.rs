//! Any valid `sub` can store images: a long or non-ASCII one once made the
//! escaped storage path pass the file system's 255-byte name limit (500).

use crate::support::spawn_app;

#[tokio::test]
async fn a_long_or_non_ascii_sub_uploads_reads_exports_and_erases() {
    let app = spawn_app().await;
    for sub in ["u".repeat(1000), "é".repeat(100), "📷🌄".repeat(60)] {
        let token = app.token(&sub);
        let image = app.upload_ok(&token, &[("title", "long sub")]).await;
        let id = image["id"].as_str().unwrap();
        for variant in ["display", "thumbnail"] {
            let file = app
                .get(&format!("/images/{id}/file?variant={variant}"), &token)
                .send()
                .await
                .unwrap();
            assert_eq!(file.status(), 200, "{variant}; logs:\n{}", app.logs());
            assert!(file.bytes().await.unwrap().starts_with(b"RIFF"));
        }
        let user_path = format!("/users/{}", escaped(&sub));
        let export = app
            .get(&format!("{user_path}/export"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        let erased = app.delete(&user_path, &token).send().await.unwrap();
        assert_eq!(erased.status(), 200, "logs:\n{}", app.logs());
        let left = app.get_json("/images", &token).await;
        assert_eq!(left["items"].as_array().unwrap().len(), 0);
    }
}

/// Percent-encodes a path segment.
fn escaped(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
