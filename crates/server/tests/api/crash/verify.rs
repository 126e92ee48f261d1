//! What a cleanly started service must show after the crashes: every
//! acknowledged upload byte-identical, no acknowledged delete, and every
//! listed image with both its variants.

use std::collections::BTreeSet;

use bytes::Bytes;
use serde_json::Value;

use super::USERS;
use super::ledger::{Fate, Ledger};
use super::traffic::Api;

async fn status_and_bytes(api: &Api, path: &str, user: usize) -> (u16, Bytes) {
    let response = api.get(path, user).send().await.expect(path);
    let status = response.status().as_u16();
    (status, response.bytes().await.expect(path))
}

/// Checks the ledger against a cleanly started service, pushing what is
/// wrong into `problems`; returns every image id listed, per user.
pub(super) async fn verify(
    api: &Api,
    ledger: &Ledger,
    problems: &mut Vec<String>,
) -> Vec<BTreeSet<String>> {
    for (id, known) in &ledger.images {
        let path = format!("/images/{id}");
        let (status, body) = status_and_bytes(api, &path, known.user).await;
        let (file_status, file) = status_and_bytes(api, &format!("{path}/file"), known.user).await;
        match (known.fate, status) {
            (Fate::Deleted, 404) | (Fate::Deleting, 404) => {
                if file_status != 404 {
                    problems.push(format!("{id}: deleted, but its file answers {file_status}"));
                }
            }
            (Fate::Deleted, _) => {
                problems.push(format!("{id}: 204-deleted, but GET answers {status}"));
            }
            (_, 200) => {
                let meta: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let version = meta["version"].as_i64().unwrap_or(0);
                if version < known.version {
                    problems.push(format!(
                        "{id}: version {version}, but version {} was acknowledged",
                        known.version
                    ));
                }
                if file_status != 200 {
                    problems.push(format!(
                        "{id}: row present, display file answers {file_status}"
                    ));
                } else if known.display.as_ref().is_some_and(|b| *b != file) {
                    problems.push(format!(
                        "{id}: display bytes differ from those read after the 201"
                    ));
                }
            }
            (fate, _) => problems.push(format!("{id} ({fate:?}): GET answers {status}")),
        }
    }

    let mut listed = Vec::new();
    for user in 0..USERS.len() {
        let mut ids = BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/images?limit=100&cursor={c}"),
                None => "/images?limit=100".to_owned(),
            };
            let (status, body) = status_and_bytes(api, &path, user).await;
            assert_eq!(status, 200, "GET {path}");
            let page: Value = serde_json::from_slice(&body).unwrap();
            for item in page["items"].as_array().unwrap() {
                ids.insert(item["id"].as_str().unwrap().to_owned());
            }
            cursor = page["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        for id in &ids {
            for variant in ["display", "thumbnail"] {
                let path = format!("/images/{id}/file?variant={variant}");
                let (status, bytes) = status_and_bytes(api, &path, user).await;
                if status != 200 || bytes.is_empty() {
                    problems.push(format!(
                        "{id}: listed, but its {variant} answers {status} ({} bytes)",
                        bytes.len()
                    ));
                }
            }
        }
        listed.push(ids);
    }
    listed
}
