//! The request tasks of the crash test: uploaders, a patcher and a deleter
//! that write what the service acknowledged into the shared ledger.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::USERS;
use super::ledger::{Fate, Known, Shared, problem};
use super::rng::Rng;
use crate::support::{TestApp, images};

/// One live service as the request tasks see it (they outlive no kill).
#[derive(Clone)]
pub(super) struct Api {
    base: String,
    client: reqwest::Client,
    tokens: Arc<Vec<String>>,
}

impl Api {
    pub(super) fn new(app: &TestApp, tokens: &Arc<Vec<String>>) -> Self {
        Self {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            tokens: Arc::clone(tokens),
        }
    }

    pub(super) fn get(&self, path: &str, user: usize) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[user])
    }

    pub(super) fn upload(
        &self,
        user: usize,
        jpeg: Vec<u8>,
        title: &str,
    ) -> reqwest::RequestBuilder {
        let form = Form::new()
            .part(
                "file",
                Part::bytes(jpeg)
                    .file_name("crash.jpg")
                    .mime_str("image/jpeg")
                    .unwrap(),
            )
            .text("title", title.to_owned());
        self.client
            .post(format!("{}/images", self.base))
            .bearer_auth(&self.tokens[user])
            .multipart(form)
    }
}

/// A random image of the ledger in state `Live`, with its owner and version.
fn pick_live(ledger: &Shared, rng: &mut Rng) -> Option<(String, usize, i64)> {
    let ledger = ledger.lock().unwrap();
    let live: Vec<_> = ledger
        .images
        .iter()
        .filter(|(_, k)| k.fate == Fate::Live)
        .collect();
    if live.is_empty() {
        return None;
    }
    let (id, known) = live[rng.below(live.len() as u64) as usize];
    Some((id.clone(), known.user, known.version))
}

/// Uploads, then reads back the display bytes, until the service dies.
pub(super) async fn uploader(
    api: Api,
    ledger: Shared,
    mut rng: Rng,
    stop: Arc<AtomicBool>,
    round: usize,
) {
    while !stop.load(Ordering::Relaxed) {
        let user = rng.below(USERS.len() as u64) as usize;
        let jpeg = images::jpeg(64 + rng.below(96) as u32, 48 + rng.below(72) as u32);
        let Ok(response) = api
            .upload(user, jpeg, &format!("round {round}"))
            .send()
            .await
        else {
            return;
        };
        let status = response.status().as_u16();
        // A 201 whose body never arrived was not acknowledged: the id is unknown.
        let Ok(body) = response.json::<Value>().await else {
            return;
        };
        if status != 201 {
            problem(&ledger, format!("upload answered {status}: {body}"));
            return;
        }
        let id = body["id"].as_str().unwrap_or_default().to_owned();
        {
            let mut ledger = ledger.lock().unwrap();
            ledger.uploads += 1;
            ledger.images.insert(
                id.clone(),
                Known {
                    user,
                    display: None,
                    version: body["version"].as_i64().unwrap_or(1),
                    fate: Fate::Live,
                },
            );
        }
        let Ok(response) = api.get(&format!("/images/{id}/file"), user).send().await else {
            return;
        };
        let status = response.status().as_u16();
        let Ok(bytes) = response.bytes().await else {
            return;
        };
        if status != 200 {
            // Only a DELETE that got in first may explain it.
            if ledger.lock().unwrap().images[&id].fate == Fate::Live {
                problem(
                    &ledger,
                    format!("{id}: file read after 201 answered {status}"),
                );
            }
            continue;
        }
        if let Some(known) = ledger.lock().unwrap().images.get_mut(&id) {
            known.display = Some(bytes);
        }
    }
}

/// PATCHes titles of live images with the version it last saw.
pub(super) async fn patcher(api: Api, ledger: Shared, mut rng: Rng, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let Some((id, user, version)) = pick_live(&ledger, &mut rng) else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let request = api
            .client
            .patch(format!("{}/images/{id}", api.base))
            .bearer_auth(&api.tokens[user])
            .json(&json!({ "title": format!("patched {}", rng.next()), "version": version }));
        let Ok(response) = request.send().await else {
            return;
        };
        let status = response.status().as_u16();
        let Ok(body) = response.json::<Value>().await else {
            return;
        };
        let mut ledger = ledger.lock().unwrap();
        let Some(known) = ledger.images.get_mut(&id) else {
            continue;
        };
        let seen = match status {
            200 => body["version"].as_i64(),
            409 => body["currentVersion"].as_i64(),
            404 if known.fate != Fate::Live => None,
            _ => {
                let text = format!("{id}: PATCH answered {status}: {body}");
                ledger.problems.push(text);
                continue;
            }
        };
        if let Some(seen) = seen {
            known.version = known.version.max(seen);
        }
        if status == 200 {
            ledger.patches += 1;
        }
    }
}

/// DELETEs a random live image every few milliseconds.
pub(super) async fn deleter(api: Api, ledger: Shared, mut rng: Rng, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(10 + rng.below(50))).await;
        let Some((id, user, _)) = pick_live(&ledger, &mut rng) else {
            continue;
        };
        if let Some(known) = ledger.lock().unwrap().images.get_mut(&id) {
            known.fate = Fate::Deleting;
        }
        let request = api
            .client
            .delete(format!("{}/images/{id}", api.base))
            .bearer_auth(&api.tokens[user]);
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                // Refused before it reached the service: certainly not applied.
                if err.is_connect()
                    && let Some(known) = ledger.lock().unwrap().images.get_mut(&id)
                {
                    known.fate = Fate::Live;
                }
                return;
            }
        };
        let status = response.status().as_u16();
        let mut ledger = ledger.lock().unwrap();
        if status == 204 {
            ledger.deletes += 1;
            if let Some(known) = ledger.images.get_mut(&id) {
                known.fate = Fate::Deleted;
            }
        } else {
            // Left `Deleting`: whatever happened, it is all or nothing.
            ledger
                .problems
                .push(format!("{id}: DELETE of a live image answered {status}"));
        }
    }
}
