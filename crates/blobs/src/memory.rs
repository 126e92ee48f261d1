//! `MemoryBlobStore`: a process-local store for tests and `memory://`.

use std::collections::BTreeMap;
use std::sync::RwLock;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::keys::BlobKey;
use domain::ports::{BlobStore, StoreError, StoreResult};

use crate::raw::RawBlobStore;

/// Objects live in a map; nothing survives the process.
#[derive(Default)]
pub struct MemoryBlobStore {
    objects: RwLock<BTreeMap<BlobKey, (Bytes, DateTime<Utc>)>>,
}

impl MemoryBlobStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn poisoned() -> StoreError {
        StoreError::Internal("memory blob store lock poisoned".into())
    }
}

impl std::fmt::Debug for MemoryBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBlobStore").finish_non_exhaustive()
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn put(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<()> {
        let mut objects = self.objects.write().map_err(|_| Self::poisoned())?;
        objects.insert(key.clone(), (bytes, Utc::now()));
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Bytes>> {
        let objects = self.objects.read().map_err(|_| Self::poisoned())?;
        Ok(objects.get(key).map(|(bytes, _)| bytes.clone()))
    }

    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        let mut objects = self.objects.write().map_err(|_| Self::poisoned())?;
        objects.remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<(BlobKey, DateTime<Utc>)>> {
        let objects = self.objects.read().map_err(|_| Self::poisoned())?;
        Ok(objects
            .iter()
            .filter(|(key, _)| key.as_str().starts_with(prefix))
            .map(|(key, (_, modified))| (key.clone(), *modified))
            .collect())
    }
}

#[async_trait]
impl RawBlobStore for MemoryBlobStore {
    async fn put_if_absent(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<bool> {
        let mut objects = self.objects.write().map_err(|_| Self::poisoned())?;
        if objects.contains_key(key) {
            return Ok(false);
        }
        objects.insert(key.clone(), (bytes, Utc::now()));
        Ok(true)
    }
}
