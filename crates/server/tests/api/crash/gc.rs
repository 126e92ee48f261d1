//! `gc` after the crashes: with one orphan made on purpose, `--dry-run` must
//! list exactly the orphan blobs and temp files without touching them, a real
//! run must remove exactly those, and nothing a row points at may go.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::disk::{gc_keys, orphan_count, relative};
use super::ledger::{Fate, Known, Ledger};
use super::setup::Setup;
use super::traffic::Api;
use super::verify::verify;
use super::{MIN_AGE, USERS};
use crate::support::{TestApp, images};

/// `app` is the cleanly started service (stopped here); `listed` the image
/// ids it listed per user, which `gc` must leave whole.
pub(super) async fn gc_removes_exactly_the_orphans(
    setup: &Setup<'_>,
    mut app: TestApp,
    tokens: &Arc<Vec<String>>,
    mut ledger: Ledger,
    listed: Vec<BTreeSet<String>>,
) {
    let api = Api::new(&app, tokens);
    let (blobs, temps) = setup.blob_files();
    let image_count: usize = listed.iter().map(BTreeSet::len).sum();
    eprintln!(
        "{}: {image_count} images listed, {} variant blobs, {} leftover temp files",
        setup.label,
        blobs.len(),
        temps.len()
    );

    // One orphan made on purpose, so gc always has something to find: an
    // upload whose row is then removed behind the service's back.
    let response = api
        .upload(0, images::jpeg(64, 48), "orphan")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let orphan: Value = response.json().await.unwrap();
    let orphan = orphan["id"].as_str().unwrap().to_owned();
    app.stop();
    drop(app);
    setup.delete_row(&orphan).await;
    let orphan_keys: BTreeSet<String> = ["images", "thumbnails"]
        .iter()
        .map(|p| format!("{p}/{}/{orphan}.webp", USERS[0]))
        .collect();
    // Every blob is older than --min-age once this has passed.
    tokio::time::sleep(Duration::from_millis(1_100)).await;

    let (before, temps_before) = setup.blob_files();
    let temps_before = relative(&setup.blob_root, &temps_before);
    assert!(
        orphan_keys.is_subset(&before),
        "the orphan's blobs are on disk"
    );
    let surplus = before.len() - 2 * image_count;
    let dry = setup.gc(&["--dry-run", "--min-age", MIN_AGE]);
    let (listed_keys, listed_temps) = gc_keys(&dry, "would remove ");
    assert_eq!(orphan_count(&dry), surplus, "dry run:\n{dry}");
    assert_eq!(listed_keys.len(), surplus, "dry run:\n{dry}");
    assert!(listed_keys.is_subset(&before), "dry run:\n{dry}");
    assert!(orphan_keys.is_subset(&listed_keys), "dry run:\n{dry}");
    assert_eq!(listed_temps, temps_before, "dry run:\n{dry}");
    let (unchanged, temps_unchanged) = setup.blob_files();
    assert_eq!(unchanged, before, "--dry-run removed a blob");
    assert_eq!(
        relative(&setup.blob_root, &temps_unchanged),
        temps_before,
        "--dry-run removed a temp file"
    );
    eprintln!(
        "{}: gc --dry-run lists {surplus} orphan blobs ({} from the crashes) and {} temp files",
        setup.label,
        surplus - 2,
        listed_temps.len()
    );

    let real = setup.gc(&["--min-age", MIN_AGE]);
    assert_eq!(orphan_count(&real), surplus, "gc:\n{real}");
    assert_eq!(
        gc_keys(&real, "removed "),
        (listed_keys, listed_temps),
        "gc:\n{real}"
    );
    let (after, temps_after) = setup.blob_files();
    assert_eq!(
        after.len(),
        2 * image_count,
        "blobs left after gc: {after:?}"
    );
    assert!(
        temps_after.is_empty(),
        "temp files left after gc: {temps_after:?}"
    );
    assert_eq!(
        orphan_count(&setup.gc(&["--dry-run", "--min-age", MIN_AGE])),
        0
    );

    // And gc took nothing that a row points at.
    let app = setup.spawn().await;
    let api = Api::new(&app, tokens);
    let mut problems = Vec::new();
    ledger.images.insert(
        orphan,
        Known {
            user: 0,
            display: None,
            version: 1,
            fate: Fate::Deleted,
        },
    );
    let again = verify(&api, &ledger, &mut problems).await;
    assert!(problems.is_empty(), "after gc:\n{}", problems.join("\n"));
    assert_eq!(again, listed);
}
