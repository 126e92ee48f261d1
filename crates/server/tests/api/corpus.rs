//! Public image test files nobody here wrote (the test data Debian's Go
//! packages ship; `.ci/corpus.sh` brings them and names their directory in
//! `IMAGE_SERVICE_TEST_CORPUS_DIR`) each get the outcome written down for
//! them in `corpus_expected.txt`, and never a 5xx. Skipped when the
//! directory is not given, unless `IMAGE_SERVICE_TEST_CORPUS_REQUIRED=1`
//! (set by `.ci/run`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::spawn_with;

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

#[tokio::test]
async fn every_public_corpus_file_gets_its_expected_outcome() {
    let Some(dir) = std::env::var_os("IMAGE_SERVICE_TEST_CORPUS_DIR") else {
        assert!(
            std::env::var("IMAGE_SERVICE_TEST_CORPUS_REQUIRED").as_deref() != Ok("1"),
            "IMAGE_SERVICE_TEST_CORPUS_DIR is not set (run .ci/corpus.sh)"
        );
        eprintln!("skipped: IMAGE_SERVICE_TEST_CORPUS_DIR not set (.ci/corpus.sh brings it)");
        return;
    };
    let dir = PathBuf::from(dir);
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
        let got = match (status, &body["code"]) {
            (201, _) if body["width"].as_u64() > Some(0) => "stored".to_owned(),
            (400, Value::String(code)) => code.clone(),
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
