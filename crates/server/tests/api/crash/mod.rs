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

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sqlx::ConnectOptions as _;
use sqlx::sqlite::SqliteConnectOptions;

use crate::support::backends::{self, PgSchema, SharedKeys};
use crate::support::{TestApp, images, spawn_with};
use own_s3::OwnS3;

mod disk;
mod own_s3;
mod traffic;

use disk::{gc_keys, orphan_count, relative, walk};
use traffic::{Api, deleter, patcher, uploader};

/// Two users, so two directories (and two data keys) are written at once.
const USERS: [&str; 2] = ["crash-a", "crash-b"];
const UPLOADERS: usize = 3;
/// The longest a kill waits after the service says it is listening.
const MAX_KILL_DELAY_MS: u64 = 150;
/// `gc --min-age` refuses `0`; the smallest it accepts.
const MIN_AGE: &str = "1s";

/// splitmix64: small, seedable, good enough to spread kill times.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn fork(&mut self) -> Rng {
        Rng(self.next())
    }
}

fn seed() -> u64 {
    let seed = std::env::var("IMAGE_SERVICE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    eprintln!("crash test seed: {seed} (rerun with IMAGE_SERVICE_CRASH_SEED={seed})");
    seed
}

/// What a client was told about an image.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    /// 201, and no DELETE sent: must survive every crash.
    Live,
    /// A DELETE was sent and no answer came before the kill: either fully
    /// there or fully gone.
    Deleting,
    /// 204: must stay gone.
    Deleted,
}

struct Known {
    user: usize,
    /// The display variant as read after the 201, if that read finished.
    display: Option<Bytes>,
    /// The highest version a response showed (201, PATCH 200, 409).
    version: i64,
    fate: Fate,
}

#[derive(Default)]
struct Ledger {
    images: HashMap<String, Known>,
    /// Answers a healthy service must never give; reported all at once.
    problems: Vec<String>,
    uploads: usize,
    patches: usize,
    deletes: usize,
}

type Shared = Arc<Mutex<Ledger>>;

fn problem(ledger: &Shared, text: String) {
    ledger.lock().unwrap().problems.push(text);
}

/// Where the rows live, to remove one behind the service's back.
enum Rows<'a> {
    Sqlite(PathBuf),
    Postgres(&'a PgSchema),
}

struct Setup<'a> {
    label: &'static str,
    /// Everything the service and `gc` are started with.
    settings: Vec<(&'static str, String)>,
    /// The directory holding `images/` and `thumbnails/` (the file store's
    /// root, or the s3s-fs bucket's directory).
    blob_root: PathBuf,
    rows: Rows<'a>,
}

impl Setup<'_> {
    async fn spawn(&self) -> TestApp {
        let settings: Vec<(&str, &str)> = self
            .settings
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        spawn_with(&settings).await
    }

    async fn delete_row(&self, id: &str) {
        match &self.rows {
            Rows::Sqlite(db) => {
                let mut conn =
                    SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))
                        .unwrap()
                        .connect()
                        .await
                        .expect("open metadata.db");
                let done = sqlx::query("DELETE FROM images WHERE id = $1")
                    .bind(id)
                    .execute(&mut conn)
                    .await
                    .expect("delete the row");
                assert_eq!(done.rows_affected(), 1);
            }
            Rows::Postgres(schema) => {
                schema.execute(&format!("DELETE FROM images WHERE id = '{id}'"))
            }
        }
    }

    /// Runs `image-service gc ARGS` as an operator would, on the same stores.
    fn gc(&self, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_image-service"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.settings.iter().map(|(k, v)| (k, v)))
            .arg("gc")
            .args(args)
            .output()
            .expect("run image-service gc");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "gc {args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Variant blob files (and, apart, leftover temp files) under the store.
    fn blob_files(&self) -> (BTreeSet<String>, Vec<PathBuf>) {
        let mut blobs = BTreeSet::new();
        let mut temps = Vec::new();
        for prefix in ["images", "thumbnails"] {
            walk(&self.blob_root.join(prefix), prefix, &mut blobs, &mut temps);
        }
        (blobs, temps)
    }
}

async fn status_and_bytes(api: &Api, path: &str, user: usize) -> (u16, Bytes) {
    let response = api.get(path, user).send().await.expect(path);
    let status = response.status().as_u16();
    (status, response.bytes().await.expect(path))
}

/// Checks the ledger against a cleanly started service, pushing what is
/// wrong into `problems`; returns every image id listed, per user.
async fn verify(api: &Api, ledger: &Ledger, problems: &mut Vec<String>) -> Vec<BTreeSet<String>> {
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

async fn crash_loop(setup: &Setup<'_>, rounds: usize) {
    let started = Instant::now();
    let mut rng = Rng(seed());
    let ledger: Shared = Arc::default();
    let mut tokens: Option<Arc<Vec<String>>> = None;
    let mut kills_with_work = 0;

    for round in 0..rounds {
        let mut app = setup.spawn().await;
        let tokens = tokens
            .get_or_insert_with(|| Arc::new(USERS.iter().map(|u| app.token(u)).collect()))
            .clone();
        let api = Api::new(&app, &tokens);
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..UPLOADERS {
            let task = uploader(api.clone(), ledger.clone(), rng.fork(), stop.clone(), round);
            tasks.push(tokio::spawn(task));
        }
        let task = patcher(api.clone(), ledger.clone(), rng.fork(), stop.clone());
        tasks.push(tokio::spawn(task));
        let task = deleter(api.clone(), ledger.clone(), rng.fork(), stop.clone());
        tasks.push(tokio::spawn(task));

        let before = ledger.lock().unwrap().uploads;
        tokio::time::sleep(Duration::from_millis(rng.below(MAX_KILL_DELAY_MS + 1))).await;
        // No new requests from here; those in flight are cut off by the kill.
        stop.store(true, Ordering::Relaxed);
        app.stop(); // SIGKILL, then reaped
        for task in tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .is_err()
            {
                abort.abort();
                problem(
                    &ledger,
                    format!("round {round}: a request hung after the kill"),
                );
            }
        }
        if ledger.lock().unwrap().uploads > before {
            kills_with_work += 1;
        }
    }

    // A clean start: everything acknowledged is there, nothing deleted is.
    let mut app = setup.spawn().await;
    let tokens = tokens.expect("at least one round");
    let api = Api::new(&app, &tokens);
    let mut ledger = std::mem::take(&mut *ledger.lock().unwrap());
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
    let api = Api::new(&app, &tokens);
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
