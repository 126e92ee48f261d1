//! One store combination under test: how to start the service on it, run
//! `gc` against it, look at its blobs, and remove a row behind its back.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr;

use sqlx::ConnectOptions as _;
use sqlx::sqlite::SqliteConnectOptions;

use super::disk::walk;
use crate::support::backends::PgSchema;
use crate::support::{TestApp, spawn_with};
/// Where the rows live, to remove one behind the service's back.
pub(super) enum Rows<'a> {
    Sqlite(PathBuf),
    Postgres(&'a PgSchema),
}

pub(super) struct Setup<'a> {
    pub(super) label: &'static str,
    /// Everything the service and `gc` are started with.
    pub(super) settings: Vec<(&'static str, String)>,
    /// The directory holding `images/` and `thumbnails/` (the file store's
    /// root, or the s3s-fs bucket's directory).
    pub(super) blob_root: PathBuf,
    pub(super) rows: Rows<'a>,
}

impl Setup<'_> {
    pub(super) async fn spawn(&self) -> TestApp {
        let settings: Vec<(&str, &str)> = self
            .settings
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        spawn_with(&settings).await
    }

    pub(super) async fn delete_row(&self, id: &str) {
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
    pub(super) fn gc(&self, args: &[&str]) -> String {
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
    pub(super) fn blob_files(&self) -> (BTreeSet<String>, Vec<PathBuf>) {
        let mut blobs = BTreeSet::new();
        let mut temps = Vec::new();
        for prefix in ["images", "thumbnails"] {
            walk(&self.blob_root.join(prefix), prefix, &mut blobs, &mut temps);
        }
        (blobs, temps)
    }
}
