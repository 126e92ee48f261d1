//! Crash consistency over the real binary ("durable before acknowledged",
//! docs/reliability.md): the service is SIGKILLed again and again, at a
//! random moment, while uploads, PATCHes and DELETEs are in flight on a data
//! dir (or PostgreSQL schema + S3 bucket) that persists across the kills.
//! Then a clean start must show every acknowledged upload (byte-identical),
//! no acknowledged delete, no metadata row without both its blobs, and `gc`
//! must find exactly the orphan blobs, list them on `--dry-run` without
//! touching them, and remove them, leaving two blobs per image.
//!
//! The kills are timed by a seeded PRNG, printed at the start; rerun a failure
//! with `IMAGE_SERVICE_CRASH_SEED=<seed>` (the interleaving of the requests
//! themselves still varies from run to run).

use std::time::Instant;

use crate::support::backends::{self, PgSchema, SharedKeys};
use own_s3::OwnS3;

mod disk;
mod gc;
mod kills;
mod ledger;
mod own_s3;
mod rng;
mod setup;
mod traffic;
mod verify;

use gc::gc_removes_exactly_the_orphans;
use kills::{Aftermath, kill_rounds};
use setup::{Rows, Setup};
use traffic::Api;
use verify::verify;

/// Two users, so two directories (and two data keys) are written at once.
const USERS: [&str; 2] = ["crash-a", "crash-b"];
const UPLOADERS: usize = 3;
/// The longest a kill waits after the service says it is listening.
const MAX_KILL_DELAY_MS: u64 = 150;
/// `gc --min-age` refuses `0`; the smallest it accepts.
const MIN_AGE: &str = "1s";

/// `rounds` kills, then a clean start that must show everything acknowledged,
/// then `gc`.
async fn crash_loop(setup: &Setup<'_>, rounds: usize) {
    let started = Instant::now();
    let Aftermath {
        mut ledger,
        tokens,
        kills_with_work,
    } = kill_rounds(setup, rounds).await;

    // A clean start: everything acknowledged is there, nothing deleted is.
    let app = setup.spawn().await;
    let api = Api::new(&app, &tokens);
    let counts = ledger.images.values().fold([0; 3], |mut n, k| {
        n[k.fate as usize] += 1;
        n
    });
    eprintln!(
        "{}: {rounds} kills ({kills_with_work} with an upload acknowledged), {} uploads \
         acknowledged ({} live, {} with a DELETE cut off, {} deleted), {} PATCHes, {} deletes, \
         {:.1?}",
        setup.label,
        ledger.uploads,
        counts[0],
        counts[1],
        counts[2],
        ledger.patches,
        ledger.deletes,
        started.elapsed()
    );
    let mut problems = std::mem::take(&mut ledger.problems);
    let listed = verify(&api, &ledger, &mut problems).await;
    assert!(
        problems.is_empty(),
        "{}: {} problems after the crashes:\n{}\nlogs of the clean start:\n{}",
        setup.label,
        problems.len(),
        problems.join("\n"),
        app.logs()
    );
    assert!(ledger.uploads > 0, "no upload was ever acknowledged");

    gc_removes_exactly_the_orphans(setup, app, &tokens, ledger, listed).await;
    eprintln!("{}: done in {:.1?}", setup.label, started.elapsed());
}

#[tokio::test]
async fn sigkill_mid_request_never_leaves_a_row_without_its_blobs_on_sqlite_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let keys = SharedKeys::new();
    let mut settings = vec![("IMAGE_SERVICE_DATA_DIR", data.display().to_string())];
    settings.extend(keys.env());
    let setup = Setup {
        label: "sqlite+files",
        settings,
        blob_root: data.join("blobs"),
        rows: Rows::Sqlite(data.join("metadata.db")),
    };
    crash_loop(&setup, 80).await;
}

#[tokio::test]
async fn sigkill_mid_request_never_leaves_a_row_without_its_blobs_on_postgres_and_s3() {
    let Some(s3) = OwnS3::start() else {
        let message = "NO S3 SERVER (crates/blobs/scripts/start-s3.sh failed): \
                       the PostgreSQL + S3 crash test skips";
        assert!(
            !backends::s3_required(),
            "{message} (IMAGE_SERVICE_TEST_S3_REQUIRED=1)"
        );
        eprintln!("\n!!!!!!!! {message} !!!!!!!!\n");
        return;
    };
    let schema = PgSchema::create("crash");
    let dir = tempfile::tempdir().unwrap();
    let keys = SharedKeys::new();
    let mut settings = vec![
        (
            "IMAGE_SERVICE_DATA_DIR",
            dir.path().join("data").display().to_string(),
        ),
        ("IMAGE_SERVICE_METADATA_URL", schema.url()),
        ("IMAGE_SERVICE_BLOB_URL", s3.blob_url()),
        ("AWS_ACCESS_KEY_ID", "image-service-test".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "image-service-test-secret".to_owned(),
        ),
    ];
    settings.extend(keys.env());
    let setup = Setup {
        label: "postgres+s3",
        settings,
        blob_root: s3.bucket(),
        rows: Rows::Postgres(&schema),
    };
    crash_loop(&setup, 50).await;
}
