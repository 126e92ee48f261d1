//! `image-service migrate-storage` over the real binary: from an embedded
//! deployment (SQLite + encrypted files, generated master key) to PostgreSQL +
//! S3 (s3s-fs; a second file dir if no S3 is available and none is required)
//! under a new master key. Interrupted, resumed, repaired and re-run, then a
//! service on the destination must serve every image byte for byte.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::backends::{self, PgSchema, random_key};
use crate::support::{TestApp, spawn_with};

/// A side's stores as `--to` takes them, and the settings a service needs to use them.
struct Destination {
    target: String,
    service_env: Vec<(&'static str, String)>,
}

fn destination(schema: &PgSchema, scratch: &Path, key: &str) -> Destination {
    let mut service_env = vec![
        ("IMAGE_SERVICE_METADATA_URL", schema.url()),
        ("IMAGE_SERVICE_ENCRYPTION_KEY", key.to_owned()),
    ];
    let target = match backends::s3() {
        // Keys beside the blobs in the bucket: the service's default for S3.
        Some(s3) => {
            service_env.push(("IMAGE_SERVICE_BLOB_URL", s3.blob_url()));
            service_env.extend(s3.env());
            format!("{},{}", schema.url(), s3.blob_url())
        }
        None => {
            let blobs = format!("file://{}", scratch.join("blobs").display());
            let keys = format!("file://{}", scratch.join("keys").display());
            service_env.push(("IMAGE_SERVICE_BLOB_URL", blobs.clone()));
            service_env.push(("IMAGE_SERVICE_KEY_URL", keys.clone()));
            format!("{},{blobs},{keys}", schema.url())
        }
    };
    Destination {
        target,
        service_env,
    }
}

/// `migrate-storage` as an operator runs it: the source's data dir (where its
/// generated master key lives, now a previous key) and the new master key.
fn migrate_command(source: &Path, dest: &Destination, new_key: &str, concurrency: u32) -> Command {
    let old_key = std::fs::read_to_string(source.join("encryption.key")).expect("source key");
    let mut command = Command::new(env!("CARGO_BIN_EXE_image-service"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_DATA_DIR", source)
        .env("IMAGE_SERVICE_ENCRYPTION_KEY", new_key)
        .env("IMAGE_SERVICE_ENCRYPTION_PREVIOUS_KEYS", old_key.trim())
        .envs(backends::s3().map(|s3| s3.env()).unwrap_or_default())
        .args(["migrate-storage", "--from"])
        .arg(format!(
            "sqlite://{0}/metadata.db,file://{0}/blobs",
            source.display()
        ))
        .args(["--to", &dest.target])
        .args(["--concurrency", &concurrency.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs to the end; the report's lines (`albums: …`, `images: …`).
fn run_ok(mut command: Command) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run migrate-storage");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    assert!(
        status.success(),
        "migrate-storage failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

fn line<'r>(report: &'r str, kind: &str) -> &'r str {
    report
        .lines()
        .find(|l| l.starts_with(&format!("{kind}: ")))
        .unwrap_or_else(|| panic!("no `{kind}:` line in\n{report}"))
}

async fn json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    let mut body: Value = response.json().await.unwrap();
    strip_urls(&mut body);
    body
}

/// Signed URLs differ by key and expiry; everything else must match.
fn strip_urls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("urls");
            map.values_mut().for_each(strip_urls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_urls),
        _ => {}
    }
}

async fn bytes(app: &TestApp, id: &str, variant: &str, token: &str) -> bytes::Bytes {
    let response = app
        .get(&format!("/images/{id}/file?variant={variant}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{variant} of {id}");
    response.bytes().await.unwrap()
}

/// Every audit event id, oldest first, paged through `GET /audit`.
async fn audit_ids(app: &TestApp, admin: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = "/audit?limit=100".to_owned();
    loop {
        let page = json(app, &path, admin).await;
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/audit?limit=100&cursor={cursor}"),
            None => break,
        }
    }
    ids.sort();
    ids
}

#[tokio::test]
async fn migrate_storage_copies_everything_resumably_and_idempotently() {
    // The embedded source, with two users, an album, an update and audit events.
    let mut source = spawn_with(&[]).await;
    let (alice, bob) = (source.token("alice"), source.token("bob"));
    let admin = source.token_as("root", "admin");
    let album = source.create_album(&alice, "Castles").await;
    let album_id = album["id"].as_str().unwrap();
    let mut images = vec![
        (
            alice.clone(),
            source
                .upload_ok(&alice, &[("albumId", album_id), ("title", "Keep")])
                .await,
        ),
        (
            alice.clone(),
            source.upload_ok(&alice, &[("tags", "grey")]).await,
        ),
        (bob.clone(), source.upload_ok(&bob, &[]).await),
    ];
    let first = format!("/images/{}", images[0].1["id"].as_str().unwrap());
    let patched = source
        .patch_json(
            &first,
            &alice,
            serde_json::json!({ "title": "Kept", "version": 1 }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let mut expected = Vec::new();
    for (token, image) in &mut images {
        let id = image["id"].as_str().unwrap().to_owned();
        let display = bytes(&source, &id, "display", token).await;
        let thumbnail = bytes(&source, &id, "thumbnail", token).await;
        let record = json(&source, &format!("/images/{id}"), token).await;
        expected.push((token.clone(), id, record, display, thumbnail));
    }
    let lists = [
        json(&source, "/images", &alice).await,
        json(&source, "/images", &bob).await,
        json(&source, "/albums", &alice).await,
        json(&source, &format!("/images?albumId={album_id}"), &alice).await,
    ];
    let source_audit = audit_ids(&source, &admin).await;
    source.stop();

    let schema = PgSchema::create("migrate");
    let scratch = tempfile::tempdir().unwrap();
    let new_key = random_key();
    let dest = destination(&schema, scratch.path(), &new_key);
    let data = source.data_dir();

    // Interrupted: killed as soon as it reports its first copied image, one
    // image at a time, so the rest are certainly not done yet.
    let mut child = migrate_command(&data, &dest, &new_key, 1).spawn().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let interrupted = stderr
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("image ") && line.ends_with(": copied"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(interrupted, "migrate-storage ended before copying an image");

    // Resumed: finishes whatever was left.
    let report = run_ok(migrate_command(&data, &dest, &new_key, 2));
    // Shown because what the killed run got done varies from run to run.
    eprintln!("after the interruption:\n{report}");
    assert!(report.contains("skipped: 0 images"), "{report}");
    let images = line(&report, "images");
    assert!(
        !images.starts_with("images: 0 copied"),
        "nothing left after the kill? {report}"
    );

    // A crash between an image's blobs and its row leaves exactly this.
    schema.execute(&format!(
        "DELETE FROM images WHERE id = '{}'",
        expected[1].1
    ));
    let report = run_ok(migrate_command(&data, &dest, &new_key, 2));
    assert_eq!(
        line(&report, "albums"),
        "albums: 0 copied, 1 already present, 0 differ"
    );
    assert_eq!(
        line(&report, "images"),
        "images: 1 copied, 2 already present, 0 differ"
    );
    assert!(
        line(&report, "blobs").starts_with("blobs: 0 copied"),
        "{report}"
    );
    assert!(
        line(&report, "blobs").ends_with("6 already present"),
        "{report}"
    );

    // And once more: nothing left to do.
    let report = run_ok(migrate_command(&data, &dest, &new_key, 2));
    assert_eq!(
        line(&report, "images"),
        "images: 0 copied, 3 already present, 0 differ"
    );
    assert!(
        line(&report, "blobs").starts_with("blobs: 0 copied"),
        "{report}"
    );
    let audit = line(&report, "audit");
    assert!(audit.starts_with("audit: 0 copied, "), "{report}");
    assert!(
        audit.contains(&format!("{} already present", source_audit.len())),
        "{report}"
    );

    // A service on the destination serves it all, as the source did.
    let settings: Vec<(&str, &str)> = dest
        .service_env
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let target = spawn_with(&settings).await;
    for (token, id, record, display, thumbnail) in &expected {
        assert_eq!(
            &json(&target, &format!("/images/{id}"), token).await,
            record
        );
        assert_eq!(&bytes(&target, id, "display", token).await, display, "{id}");
        assert_eq!(
            &bytes(&target, id, "thumbnail", token).await,
            thumbnail,
            "{id}"
        );
    }
    let moved = [
        json(&target, "/images", &alice).await,
        json(&target, "/images", &bob).await,
        json(&target, "/albums", &alice).await,
        json(&target, &format!("/images?albumId={album_id}"), &alice).await,
    ];
    for (before, after) in lists.iter().zip(&moved) {
        assert_eq!(before["items"], after["items"]);
    }
    assert_eq!(moved[2]["items"][0]["imageCount"], 1);
    let moved_audit = audit_ids(&target, &target.token_as("root", "admin")).await;
    for id in &source_audit {
        assert!(moved_audit.contains(id), "audit event {id} not migrated");
    }
}
