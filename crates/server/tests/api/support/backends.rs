//! Shared backends for the multi-process tests (replicas, migrate-storage): one
//! s3s-fs per test run, a fresh PostgreSQL schema per test, Redis, and the keys
//! every replica must agree on.
#![allow(
    dead_code,
    reason = "test support; not every helper is used by every test module"
)]

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub const REDIS_URL: &str = "redis://127.0.0.1:6379";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const DEFAULT_BUCKET: &str = "image-service-test";

/// An S3-compatible server and the credentials it accepts.
pub struct S3Target {
    pub endpoint: String,
    pub bucket: String,
    access_key_id: String,
    secret_access_key: String,
}

impl S3Target {
    /// `IMAGE_SERVICE_BLOB_URL` for this server; the endpoint is percent-encoded
    /// because the URL parser splits parameters on `&` and `=`.
    pub fn blob_url(&self) -> String {
        let endpoint = self.endpoint.replace(':', "%3A").replace('/', "%2F");
        format!(
            "s3://{}?region=us-east-1&endpoint={endpoint}&path_style=true",
            self.bucket
        )
    }

    /// The AWS variables the spawned service reads its credentials from
    /// (`spawn_with` clears the environment, so they must be passed).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
        ]
    }
}

/// The S3 server for this test process: `IMAGE_SERVICE_TEST_S3_ENDPOINT` if set,
/// else one s3s-fs started through the blobs crate's script (stopped when this
/// process exits). `None` (said loudly) when neither works, unless
/// `IMAGE_SERVICE_TEST_S3_REQUIRED=1`, where it panics: CI must never skip.
pub fn s3() -> Option<&'static S3Target> {
    static TARGET: OnceLock<Option<S3Target>> = OnceLock::new();
    let found = TARGET.get_or_init(|| match std::env::var("IMAGE_SERVICE_TEST_S3_ENDPOINT") {
        Ok(endpoint) => Some(S3Target {
            endpoint,
            bucket: std::env::var("IMAGE_SERVICE_TEST_S3_BUCKET")
                .unwrap_or_else(|_| DEFAULT_BUCKET.into()),
            access_key_id: std::env::var("AWS_ACCESS_KEY_ID")
                .unwrap_or_else(|_| "image-service-test".into()),
            secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY")
                .unwrap_or_else(|_| "image-service-test-secret".into()),
        }),
        Err(_) => start_s3s_fs(),
    });
    if found.is_none() {
        let message = "NO S3 SERVER (no IMAGE_SERVICE_TEST_S3_ENDPOINT, crates/blobs/scripts/start-s3.sh failed): \
             S3 tests skip, migrate-storage tests use a file store";
        assert!(
            !s3_required(),
            "{message} (IMAGE_SERVICE_TEST_S3_REQUIRED=1)"
        );
        eprintln!("\n!!!!!!!! {message} !!!!!!!!\n");
    }
    found.as_ref()
}

pub fn s3_required() -> bool {
    std::env::var("IMAGE_SERVICE_TEST_S3_REQUIRED").as_deref() == Ok("1")
}

/// Starts an s3s-fs over `dir` (crates/blobs/scripts/start-s3.sh), stopped
/// when this test process exits; its endpoint URL.
pub fn launch_s3s_fs(dir: &std::path::Path) -> Option<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../blobs/scripts/start-s3.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg(dir)
        .arg("")
        .arg(std::process::id().to_string())
        .stderr(Stdio::inherit())
        .output()
        .ok()?;
    let endpoint = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && endpoint.starts_with("http://")).then_some(endpoint)
}

fn start_s3s_fs() -> Option<S3Target> {
    let data = std::env::temp_dir().join(format!("api-s3-test-{}", std::process::id()));
    let endpoint = launch_s3s_fs(&data)?;
    Some(S3Target {
        endpoint,
        bucket: DEFAULT_BUCKET.into(),
        access_key_id: "image-service-test".into(),
        secret_access_key: "image-service-test-secret".into(),
    })
}

/// A schema of its own in the test database, dropped (with everything in it)
/// when this goes out of scope, panicking test or not. The server tests have
/// no PostgreSQL client crate, so `psql` runs the two statements.
pub struct PgSchema {
    base: String,
    pub name: String,
}

impl PgSchema {
    pub fn create(prefix: &str) -> Self {
        let base = std::env::var("IMAGE_SERVICE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let name = format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase());
        psql(&base, &format!("CREATE SCHEMA {name}"))
            .expect("create a test schema (is PostgreSQL up? set IMAGE_SERVICE_TEST_POSTGRES_URL)");
        Self { base, name }
    }

    /// `IMAGE_SERVICE_METADATA_URL` confined to this schema (as the metadata
    /// conformance suite does: `options=-c search_path=…`).
    pub fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.base, self.name
        )
    }
}

impl PgSchema {
    /// Runs `statement` inside this schema (to damage a destination on purpose).
    pub fn execute(&self, statement: &str) {
        psql(
            &self.base,
            &format!("SET search_path TO {}; {statement}", self.name),
        )
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Err(e) = psql(&self.base, &format!("DROP SCHEMA {} CASCADE", self.name)) {
            eprintln!("could not drop test schema {}: {e}", self.name);
        }
    }
}

fn psql(url: &str, statement: &str) -> Result<(), String> {
    let output = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement])
        .output()
        .map_err(|e| format!("run psql: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// A random base64 32-byte key (encryption master key, URL-signing key).
pub fn random_key() -> String {
    let mut key = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .expect("system randomness");
    STANDARD.encode(key)
}

/// The keys every replica of one deployment shares: without the same master
/// key they cannot open each other's blobs, without the same signing key
/// each other's signed URLs and cursors.
pub struct SharedKeys {
    pub encryption: String,
    pub url_signing: String,
}

impl SharedKeys {
    pub fn new() -> Self {
        Self {
            encryption: random_key(),
            url_signing: random_key(),
        }
    }

    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("IMAGE_SERVICE_ENCRYPTION_KEY", self.encryption.clone()),
            ("IMAGE_SERVICE_URL_SIGNING_KEY", self.url_signing.clone()),
        ]
    }
}

/// A user id no earlier run has used: Redis keys and S3 objects outlive the
/// processes, and the bucket is shared by every test.
pub fn fresh_user(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// `(key, value)` pairs as `spawn_with` takes them.
pub fn as_settings<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
