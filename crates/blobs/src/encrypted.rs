//! `EncryptedBlobStore`: AES-256-GCM at rest with one data key per user (crypto-shredding).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::ids::UserId;
use domain::keys::BlobKey;
use domain::ports::{BlobStore, StoreError, StoreResult};

use crate::crypto::dek_cache::DekCache;
use crate::crypto::envelope::{self, DataKey};
use crate::crypto::{CryptoError, KeyId, Keyring};
use crate::raw::RawBlobStore;

/// Wrapped data keys live in the inner store under `keys/{user}/{master-key-id}.key`.
pub(crate) const KEYS_PREFIX: &str = "keys/";
const KEYS_DIR: &str = "keys";
const DEFAULT_CACHE_CAPACITY: usize = 4096;
const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);
/// `forget_user` repeats list + delete until nothing is left (see `rotate`).
const FORGET_ROUNDS: usize = 5;

/// Seals every blob under its user's random data key, itself wrapped by the
/// master key. Destroying the wrapped data key (`forget_user`) makes all of the
/// user's blobs, including copies in backups, unreadable.
pub struct EncryptedBlobStore {
    pub(crate) inner: Arc<dyn RawBlobStore>,
    pub(crate) keyring: Keyring,
    pub(crate) cache: DekCache,
    /// Serialises data-key creation and forgetting within this process.
    pub(crate) key_lock: tokio::sync::Mutex<()>,
}

impl EncryptedBlobStore {
    pub fn new(inner: Arc<dyn RawBlobStore>, keyring: Keyring) -> Self {
        Self {
            inner,
            keyring,
            cache: DekCache::new(DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL),
            key_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// How many unwrapped data keys to keep in memory, and for how long.
    pub fn with_cache(mut self, capacity: usize, ttl: Duration) -> Self {
        self.cache = DekCache::new(capacity, ttl);
        self
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Wrapped data key name for a user segment under a master key.
    pub(crate) fn dek_key(segment: &str, master: KeyId) -> StoreResult<BlobKey> {
        BlobKey::parse(&format!("{KEYS_PREFIX}{segment}/{master}.key"))
            .ok_or_else(|| StoreError::Internal(format!("invalid user segment {segment:?}")))
    }

    /// Which master key a `keys/{user}/{id}.key` name says wrapped it.
    pub(crate) fn dek_key_master(key: &BlobKey) -> Option<KeyId> {
        let name = key.as_str().rsplit('/').next()?;
        KeyId::from_hex(name.strip_suffix(".key")?)
    }

    /// Reads the user's data key from the store, preferring the copy wrapped
    /// by the current master key. `None` if the user has no data key.
    pub(crate) async fn load_dek(&self, segment: &str) -> StoreResult<Option<DataKey>> {
        let mut stored = self.inner.list(&format!("{KEYS_PREFIX}{segment}/")).await?;
        let current = self.keyring.current().id();
        stored.sort_by_key(|(key, _)| Self::dek_key_master(key) != Some(current));
        let mut unknown = Vec::new();
        for (key, _) in &stored {
            let Some(wrapped) = self.inner.get(key).await? else {
                continue;
            };
            match envelope::unwrap_data_key(&self.keyring, segment, &wrapped) {
                Ok(dek) => return Ok(Some(dek)),
                Err(CryptoError::UnknownMasterKey(id)) => unknown.push(id.to_string()),
                Err(e) => return Err(crypto_failure(key.as_str(), e)),
            }
        }
        if unknown.is_empty() {
            Ok(None)
        } else {
            Err(StoreError::Internal(format!(
                "data key of user {segment} is wrapped by master key(s) {} that are not configured",
                unknown.join(", ")
            )))
        }
    }

    async fn dek_for_write(&self, segment: &str) -> StoreResult<Arc<DataKey>> {
        if let Some(dek) = self.cache.get(segment) {
            return Ok(dek);
        }
        let _guard = self.key_lock.lock().await;
        if let Some(dek) = self.cache.get(segment) {
            return Ok(dek);
        }
        let dek = match self.load_dek(segment).await? {
            Some(dek) => dek,
            None => self.create_dek(segment).await?,
        };
        let dek = Arc::new(dek);
        self.cache.insert(segment, Arc::clone(&dek));
        Ok(dek)
    }

    async fn create_dek(&self, segment: &str) -> StoreResult<DataKey> {
        let dek = DataKey::generate().map_err(|e| crypto_failure(segment, e))?;
        let master = self.keyring.current();
        let wrapped = envelope::wrap_data_key(master, segment, &dek)
            .map_err(|e| crypto_failure(segment, e))?;
        let key = Self::dek_key(segment, master.id())?;
        if self.inner.put_if_absent(&key, Bytes::from(wrapped)).await? {
            tracing::debug!(user_segment = segment, "created data key");
            return Ok(dek);
        }
        // Another replica created it first: everyone must use that one.
        self.load_dek(segment).await?.ok_or_else(|| {
            StoreError::Internal(format!("data key of user {segment} vanished while created"))
        })
    }

    async fn dek_for_read(&self, segment: &str, id: [u8; 16]) -> StoreResult<Arc<DataKey>> {
        if let Some(dek) = self.cache.get(segment).filter(|dek| dek.id() == id) {
            return Ok(dek);
        }
        // Missing or different in the cache: the store has the final word.
        let dek = self.load_dek(segment).await?.ok_or_else(|| {
            StoreError::Internal(format!(
                "data key of user {segment} is gone (user forgotten); blob unreadable"
            ))
        })?;
        let dek = Arc::new(dek);
        self.cache.insert(segment, Arc::clone(&dek));
        Ok(dek)
    }
}

impl std::fmt::Debug for EncryptedBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedBlobStore")
            .field("master_key", &self.keyring.current().id())
            .finish_non_exhaustive()
    }
}

pub(crate) fn crypto_failure(what: &str, e: CryptoError) -> StoreError {
    StoreError::Internal(format!("{what}: {e}"))
}

/// The user segment of `prefix/{user}/name`; data keys themselves are off limits.
fn user_segment(key: &BlobKey) -> StoreResult<&str> {
    let mut parts = key.as_str().split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(top), Some(user), Some(_)) if top != KEYS_DIR => Ok(user),
        _ => Err(StoreError::Internal(format!(
            "blob key {key} is not of the form prefix/user/name (or is reserved)"
        ))),
    }
}

#[async_trait]
impl BlobStore for EncryptedBlobStore {
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<()> {
        let dek = self.dek_for_write(user_segment(key)?).await?;
        let sealed = envelope::seal_blob(&dek, key.as_str(), &bytes)
            .map_err(|e| crypto_failure(key.as_str(), e))?;
        self.inner.put(key, Bytes::from(sealed)).await
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Bytes>> {
        let segment = user_segment(key)?;
        let Some(sealed) = self.inner.get(key).await? else {
            return Ok(None);
        };
        let id =
            envelope::blob_data_key_id(&sealed).map_err(|e| crypto_failure(key.as_str(), e))?;
        let dek = self.dek_for_read(segment, id).await?;
        let plain = envelope::open_blob(&dek, key.as_str(), &sealed)
            .map_err(|e| crypto_failure(key.as_str(), e))?;
        Ok(Some(Bytes::from(plain)))
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        user_segment(key)?;
        self.inner.delete(key).await
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<(BlobKey, DateTime<Utc>)>> {
        let mut found = self.inner.list(prefix).await?;
        // Data keys are not blobs: `gc` must never see (and delete) them.
        found.retain(|(key, _)| !key.as_str().starts_with(KEYS_PREFIX));
        Ok(found)
    }

    #[tracing::instrument(skip_all)]
    async fn forget_user(&self, user: &UserId) -> StoreResult<()> {
        let segment = user.storage_segment();
        let prefix = format!("{KEYS_PREFIX}{segment}/");
        let _guard = self.key_lock.lock().await;
        self.cache.remove(&segment);
        // Repeated until empty so a concurrent `rotate` cannot resurrect the key.
        for _ in 0..FORGET_ROUNDS {
            let found = self.inner.list(&prefix).await?;
            if found.is_empty() {
                self.cache.remove(&segment);
                tracing::info!(user_segment = %segment, "data key destroyed");
                return Ok(());
            }
            for (key, _) in found {
                self.inner.delete(&key).await?;
            }
        }
        Err(StoreError::Internal(format!(
            "data key of user {segment} kept reappearing"
        )))
    }
}
