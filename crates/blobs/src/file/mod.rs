//! `FileBlobStore`: objects as files under one root directory, written atomically.

mod sync;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::keys::BlobKey;
use domain::ports::{BlobStore, StoreError, StoreResult};

use crate::raw::RawBlobStore;

/// Stores `images/u/x.webp` as `<root>/images/u/x.webp`.
///
/// Keys are validated `BlobKey`s (no `..`, no absolute paths) and existing
/// symlinks under the root are refused, so nothing is read or written outside it.
#[derive(Clone, Debug)]
pub struct FileBlobStore {
    root: Arc<PathBuf>,
}

impl FileBlobStore {
    /// Creates the root (`0700`) if needed. The root is canonicalised once, so
    /// a root that is itself a symlink (an operator's choice) is fine.
    pub fn new(root: impl AsRef<Path>) -> io::Result<Self> {
        domain::private_fs::create_dir_all(root.as_ref())?;
        let root = root.as_ref().canonicalize()?;
        Ok(Self {
            root: Arc::new(root),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Temp files of writes a crash interrupted, under `prefix` (`images`,
    /// `thumbnails`) and older than `cutoff`, removed unless `dry_run`; their
    /// paths below the root. `gc` calls this: the files are not objects, so
    /// `list` never shows them, and nothing else would ever remove them.
    pub async fn sweep_abandoned_writes(
        &self,
        prefix: &str,
        cutoff: DateTime<Utc>,
        dry_run: bool,
    ) -> StoreResult<Vec<String>> {
        let owned = prefix.trim_end_matches('/').to_owned();
        if owned.is_empty()
            || owned
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(StoreError::Internal(format!(
                "file store sweep: bad prefix {prefix:?}"
            )));
        }
        let cutoff = std::time::SystemTime::from(cutoff);
        self.blocking("sweep", prefix, move |root| {
            sync::sweep_temps(root, &owned, cutoff, dry_run)
        })
        .await
    }

    /// Runs blocking filesystem work off the async threads.
    async fn blocking<T, F>(&self, what: &str, key: &str, op: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
    {
        let root = Arc::clone(&self.root);
        tokio::task::spawn_blocking(move || op(&root))
            .await
            .map_err(|e| {
                StoreError::Internal(format!("file store {what} {key}: task failed: {e}"))
            })?
            .map_err(|e| StoreError::Internal(format!("file store {what} {key}: {e}")))
    }
}

#[async_trait]
impl BlobStore for FileBlobStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        self.blocking("ping", "", sync::probe).await
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<()> {
        let owned = key.clone();
        self.blocking("put", key.as_str(), move |root| {
            sync::write_atomic(root, &owned, &bytes, true).map(drop)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Bytes>> {
        let owned = key.clone();
        let bytes = self
            .blocking("get", key.as_str(), move |root| sync::read(root, &owned))
            .await?;
        Ok(bytes.map(Bytes::from))
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        let owned = key.clone();
        self.blocking("delete", key.as_str(), move |root| {
            sync::remove(root, &owned)
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(prefix))]
    async fn list(&self, prefix: &str) -> StoreResult<Vec<(BlobKey, DateTime<Utc>)>> {
        let owned = prefix.to_owned();
        self.blocking("list", prefix, move |root| sync::walk(root, &owned))
            .await
    }
}

#[async_trait]
impl RawBlobStore for FileBlobStore {
    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put_if_absent(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<bool> {
        let owned = key.clone();
        self.blocking("create", key.as_str(), move |root| {
            sync::write_atomic(root, &owned, &bytes, false)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> BlobKey {
        BlobKey::parse(s).unwrap()
    }

    #[tokio::test]
    async fn refuses_symlinks_out_of_the_root() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.webp"), b"secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("images")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("images/evil")).unwrap();

        assert!(store.get(&key("images/evil/secret.webp")).await.is_err());
        assert!(
            store
                .put(&key("images/evil/new.webp"), Bytes::from_static(b"x"))
                .await
                .is_err()
        );
        assert!(!outside.path().join("new.webp").exists());
        assert!(store.list("").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn sweeps_only_old_temp_files_and_prunes_what_they_leave_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path()).unwrap();
        let kept = key("images/u/kept.webp");
        store
            .put(&kept, Bytes::from_static(b"object"))
            .await
            .unwrap();
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let plant = |rel: &str, old: bool| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let file = std::fs::File::create(&path).unwrap();
            if old {
                file.set_modified(hour_ago).unwrap();
            }
        };
        plant("images/u/.tmp-old", true);
        plant("images/gone/.tmp-old", true);
        plant("images/u/.tmp-young", false);
        plant("keys/u/.tmp-old", true);
        let cutoff = Utc::now() - chrono::Duration::minutes(1);

        let found = store
            .sweep_abandoned_writes("images", cutoff, true)
            .await
            .unwrap();
        assert_eq!(found, ["images/gone/.tmp-old", "images/u/.tmp-old"]);
        assert!(dir.path().join("images/u/.tmp-old").exists(), "dry run");

        let removed = store
            .sweep_abandoned_writes("images", cutoff, false)
            .await
            .unwrap();
        assert_eq!(removed, found);
        assert!(!dir.path().join("images/u/.tmp-old").exists());
        assert!(
            !dir.path().join("images/gone").exists(),
            "emptied dir pruned"
        );
        assert!(dir.path().join("images/u/.tmp-young").exists(), "in flight");
        assert!(
            dir.path().join("keys/u/.tmp-old").exists(),
            "outside the prefix"
        );
        assert_eq!(store.get(&kept).await.unwrap().unwrap(), "object");
        assert!(
            store
                .sweep_abandoned_writes("..", cutoff, true)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn put_if_absent_keeps_the_first_object() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::new(dir.path()).unwrap();
        let k = key("keys/u/a.key");
        assert!(
            store
                .put_if_absent(&k, Bytes::from_static(b"one"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .put_if_absent(&k, Bytes::from_static(b"two"))
                .await
                .unwrap()
        );
        assert_eq!(
            store.get(&k).await.unwrap().unwrap(),
            Bytes::from_static(b"one")
        );
        assert_eq!(
            store.list("").await.unwrap().len(),
            1,
            "no temp file left behind"
        );
    }
}
