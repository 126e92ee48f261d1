//! Public image test files nobody here wrote (PngSuite, libjpeg-turbo's,
//! Pillow's and Go's test images, real EXIF orientations; `.ci/corpus.sh`
//! brings them from Debian's archive and names their directory in
//! `IMAGE_SERVICE_TEST_CORPUS_DIR`) each get the outcome written down for
//! them in `corpus_expected.txt`, and never a 5xx; the oriented ones come
//! back looking alike. Skipped when the directory is not given, unless
//! `IMAGE_SERVICE_TEST_CORPUS_REQUIRED=1` (set by `.ci/run`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::images::decode_webp;
use crate::support::{TestApp, spawn_with};

/// The declared type a browser would send for a file of this name.
fn declared_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpeg" | "jpg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("tiff") => "image/tiff",
        Some("bmp") => "image/bmp",
        _ => "application/octet-stream",
    }
}

fn expected() -> BTreeMap<String, String> {
    include_str!("corpus_expected.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (path, outcome) = line.split_once(' ').expect("path and outcome");
            (path.to_owned(), outcome.to_owned())
        })
        .collect()
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("readable corpus") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
                let relative = path.strip_prefix(dir).unwrap();
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

/// The corpus directory, or `None` (test skipped) when it is not given.
fn corpus_dir() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("IMAGE_SERVICE_TEST_CORPUS_DIR") else {
        assert!(
            std::env::var("IMAGE_SERVICE_TEST_CORPUS_REQUIRED").as_deref() != Ok("1"),
            "IMAGE_SERVICE_TEST_CORPUS_DIR is not set (run .ci/corpus.sh)"
        );
        eprintln!("skipped: IMAGE_SERVICE_TEST_CORPUS_DIR not set (.ci/corpus.sh brings it)");
        return None;
    };
    Some(PathBuf::from(dir))
}

#[tokio::test]
async fn every_public_corpus_file_gets_its_expected_outcome() {
    let Some(dir) = corpus_dir() else { return };
    let expected = expected();
    // The table and the corpus name the same files: a new file cannot go untested.
    assert_eq!(
        files_under(&dir),
        expected.keys().cloned().collect::<Vec<_>>(),
        "the corpus and corpus_expected.txt differ"
    );

    let app = spawn_with(&[("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "0")]).await;
    let token = app.token("corpus");
    let mut wrong = Vec::new();
    for (path, outcome) in &expected {
        let bytes = std::fs::read(dir.join(path)).unwrap();
        let response = app
            .upload_with(&token, bytes, declared_type(path), &[])
            .await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        // An outcome is `stored`, a 400's code, or its code and message.
        let got = match (status, &body["code"], &body["message"]) {
            (201, _, _) if body["width"].as_u64() > Some(0) => "stored".to_owned(),
            (400, Value::String(code), _) if code == outcome => code.clone(),
            (400, Value::String(code), Value::String(message)) => format!("{code} {message}"),
            _ => format!("{status} {body}"),
        };
        if &got != outcome {
            wrong.push(format!("{path}: expected {outcome}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let stored = expected.values().filter(|o| *o == "stored").count();
    let mut listed = 0;
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(c) => format!("/images?limit=100&cursor={c}"),
            None => "/images?limit=100".to_owned(),
        };
        let body = app.get_json(&page, &token).await;
        listed += body["items"].as_array().unwrap().len();
        match body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed, stored, "stored images listed");
}

/// The display variant of `file`, decoded.
async fn displayed(app: &TestApp, token: &str, file: &Path) -> image::RgbImage {
    let bytes = std::fs::read(file).unwrap();
    let response = app.upload_with(token, bytes, "image/jpeg", &[]).await;
    assert_eq!(response.status(), 201, "{}", file.display());
    let image: Value = response.json().await.unwrap();
    decode_webp(&app.stored_display(token, &image).await).to_rgb8()
}

/// Mean absolute difference per channel of two images of one size.
fn mean_difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Two public sets of one picture stored under each EXIF orientation
/// (disintegration/imaging's 0-8, goexif's 1-8): each must come back
/// looking like the untagged one. A mirrored or turned answer differs by
/// 40-100 per channel; a right one by about 1.
#[tokio::test]
async fn every_exif_orientation_comes_back_upright() {
    let Some(dir) = corpus_dir() else { return };
    let app = spawn_with(&[("IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN", "0")]).await;
    let token = app.token("orientation");
    let sets = [
        (
            "imaging/orientation_0.jpg",
            "imaging/orientation_{}.jpg",
            1..=8,
        ),
        ("goexif/f1-exif.jpg", "goexif/f{}-exif.jpg", 2..=8),
    ];
    for (upright, pattern, tags) in sets {
        let reference = displayed(&app, &token, &dir.join(upright)).await;
        for tag in tags {
            let name = pattern.replace("{}", &tag.to_string());
            let shown = displayed(&app, &token, &dir.join(&name)).await;
            assert_eq!(shown.dimensions(), reference.dimensions(), "{name}");
            let difference = mean_difference(&shown, &reference);
            assert!(
                difference < 8.0,
                "{name} differs by {difference:.1} per channel"
            );
        }
    }
}
