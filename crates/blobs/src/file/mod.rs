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
    /// Creates the root if needed. The root is canonicalised once, so a root that
    /// is itself a symlink (an operator's choice) is fine.
    pub fn new(root: impl AsRef<Path>) -> io::Result<Self> {
        std::fs::create_dir_all(root.as_ref())?;
        let root = root.as_ref().canonicalize()?;
        Ok(Self {
            root: Arc::new(root),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
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
