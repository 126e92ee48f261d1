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

/// Where wrapped data keys lived before they got a store of their own, and still
/// live when the key store *is* the blob store: `keys/{user}/{master-key-id}.key`.
pub(crate) const KEYS_PREFIX: &str = "keys/";
const KEYS_DIR: &str = "keys";
/// Beside a user's data keys while their erasure runs (`forget_user` until
/// `user_forgotten`): every replica sees it before its next write.
const ERASING: &str = "erasing";
const DEFAULT_CACHE_CAPACITY: usize = 4096;
const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);
/// `forget_user` repeats list + delete until nothing is left (see `rotate`).
const FORGET_ROUNDS: usize = 5;

/// Seals every blob under its user's random data key, itself wrapped by the
/// master key. Destroying the wrapped data key (`forget_user`) makes all of the
/// user's blobs, including copies in backups, unreadable.
///
/// The wrapped data keys are kept in their own store (`keys`), apart from the
/// ciphertext (`inner`): a copy of the blob store then holds no key, so once a
/// user is forgotten even a backup taken before the erasure stays sealed. Keys
/// written by older versions inside the blob store (under `keys/`) are moved
/// to the key store when first needed, and by `rotate`.
pub struct EncryptedBlobStore {
    /// The sealed blobs (and, in the legacy layout, data keys under `keys/`).
    pub(crate) inner: Arc<dyn RawBlobStore>,
    /// The wrapped data keys: `{user}/{master-key-id}.key`, or under `keys/`
    /// when this is the same store as `inner`.
    pub(crate) keys: Arc<dyn RawBlobStore>,
    /// `""` for a key store of its own, `"keys/"` when it is `inner`.
    pub(crate) key_prefix: &'static str,
    pub(crate) keyring: Keyring,
    pub(crate) cache: DekCache,
    /// Serialises data-key creation and forgetting within this process.
    pub(crate) key_lock: tokio::sync::Mutex<()>,
}

impl EncryptedBlobStore {
    /// Blobs go to `blobs`, wrapped data keys to `keys`. Passing the same `Arc`
    /// twice keeps the keys beside the blobs under `keys/` (the layout before key
    /// stores existed): simpler, but then a copy of the blob store carries the
    /// keys, and crypto-shredding no longer holds against such copies.
    pub fn new(
        blobs: Arc<dyn RawBlobStore>,
        keys: Arc<dyn RawBlobStore>,
        keyring: Keyring,
    ) -> Self {
        let shared = std::ptr::addr_eq(Arc::as_ptr(&blobs), Arc::as_ptr(&keys));
        Self {
            inner: blobs,
            keys,
            key_prefix: if shared { KEYS_PREFIX } else { "" },
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

    /// Whether data keys have a store of their own (so legacy ones may still
    /// sit in the blob store, waiting to be moved).
    pub(crate) fn separate_keys(&self) -> bool {
        self.key_prefix.is_empty()
    }

    /// Name of a wrapped data key in the key store.
    pub(crate) fn dek_key(&self, segment: &str, master: KeyId) -> StoreResult<BlobKey> {
        dek_name(self.key_prefix, segment, master)
    }

    /// The user's wrapped data keys in the key store.
    pub(crate) async fn stored_deks(&self, segment: &str) -> StoreResult<Vec<BlobKey>> {
        user_deks(&*self.keys, self.key_prefix, segment).await
    }

    /// The user's wrapped data keys still in the blob store, from the old layout.
    pub(crate) async fn legacy_deks(&self, segment: &str) -> StoreResult<Vec<BlobKey>> {
        if !self.separate_keys() {
            return Ok(Vec::new());
        }
        user_deks(&*self.inner, KEYS_PREFIX, segment).await
    }

    /// Moves the user's data keys from the blob store (old layout) to the key
    /// store: write the new copy, then delete the old one. The bytes move as
    /// they are (nothing is unwrapped). Returns how many were moved.
    ///
    /// Only the process whose create-if-absent wrote the new copy deletes the
    /// old one; if the old copy is gone by then, `forget_user` ran meanwhile
    /// (it deletes both places until both are empty), so the new copy goes too.
    pub(crate) async fn move_legacy_deks(&self, segment: &str) -> StoreResult<usize> {
        let mut moved = 0;
        for old in self.legacy_deks(segment).await? {
            let Some((_, master)) = parse_dek_name(KEYS_PREFIX, &old) else {
                continue;
            };
            let Some(wrapped) = self.inner.get(&old).await? else {
                continue;
            };
            let new = self.dek_key(segment, master)?;
            if !self.keys.put_if_absent(&new, wrapped).await? {
                // Another process is moving the same key; it removes the old copy.
                continue;
            }
            if self.inner.get(&old).await?.is_none() {
                self.keys.delete(&new).await?;
                tracing::info!(
                    user_segment = segment,
                    "user forgotten while their data key was moved"
                );
                return Ok(moved);
            }
            self.inner.delete(&old).await?;
            moved += 1;
            tracing::info!(
                user_segment = segment,
                "moved data key from the blob store to the key store"
            );
        }
        Ok(moved)
    }

    /// Reads the user's data key from the store, preferring the copy wrapped
    /// by the current master key. `None` if the user has no data key.
    pub(crate) async fn load_dek(&self, segment: &str) -> StoreResult<Option<DataKey>> {
        let mut stored = self.stored_deks(segment).await?;
        if stored.is_empty() && self.move_legacy_deks(segment).await? > 0 {
            stored = self.stored_deks(segment).await?;
        }
        let current = self.keyring.current().id();
        stored.sort_by_key(|key| dek_master(key) != Some(current));
        let mut unknown = Vec::new();
        for key in &stored {
            let Some(wrapped) = self.keys.get(key).await? else {
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
        if self.erasing(segment).await? {
            return Err(StoreError::UserErasing);
        }
        let dek = match self.load_dek(segment).await? {
            Some(dek) => dek,
            None => self.create_dek(segment).await?,
        };
        let dek = Arc::new(dek);
        self.cache.insert(segment, Arc::clone(&dek));
        Ok(dek)
    }

    /// The tombstone's name in the key store.
    fn erasing_key(&self, segment: &str) -> StoreResult<BlobKey> {
        BlobKey::parse(&format!("{}{segment}/{ERASING}", self.key_prefix))
            .ok_or_else(|| StoreError::Internal(format!("invalid user segment {segment:?}")))
    }

    async fn erasing(&self, segment: &str) -> StoreResult<bool> {
        Ok(self.keys.get(&self.erasing_key(segment)?).await?.is_some())
    }

    /// Whether a blob just sealed with `dek` stays readable: the user is not
    /// being erased and `dek` is still their stored data key. The cached key
    /// may be one another replica's erasure has destroyed since.
    async fn still_current(&self, segment: &str, dek: &DataKey) -> StoreResult<Written> {
        if self.erasing(segment).await? {
            return Ok(Written::Erasing);
        }
        match self.load_dek(segment).await? {
            Some(stored) if stored.id() == dek.id() => Ok(Written::Readable),
            _ => Ok(Written::KeyDestroyed),
        }
    }

    async fn create_dek(&self, segment: &str) -> StoreResult<DataKey> {
        let dek = DataKey::generate().map_err(|e| crypto_failure(segment, e))?;
        let master = self.keyring.current();
        let wrapped = envelope::wrap_data_key(master, segment, &dek)
            .map_err(|e| crypto_failure(segment, e))?;
        let key = self.dek_key(segment, master.id())?;
        if self.keys.put_if_absent(&key, Bytes::from(wrapped)).await? {
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

/// `{prefix}{segment}/{master-key-id}.key`.
fn dek_name(prefix: &str, segment: &str, master: KeyId) -> StoreResult<BlobKey> {
    BlobKey::parse(&format!("{prefix}{segment}/{master}.key"))
        .ok_or_else(|| StoreError::Internal(format!("invalid user segment {segment:?}")))
}

/// The user segment and master-key id of a wrapped data key's name; `None`
/// for anything else (so a key store pointed at the wrong place is never
/// mistaken for, or emptied as, a store of keys).
pub(crate) fn parse_dek_name<'k>(prefix: &str, key: &'k BlobKey) -> Option<(&'k str, KeyId)> {
    let (segment, name) = key.as_str().strip_prefix(prefix)?.split_once('/')?;
    if name.contains('/') {
        return None;
    }
    let master = KeyId::from_hex(name.strip_suffix(".key")?)?;
    Some((segment, master))
}

/// Which master key a data key's name says wrapped it.
pub(crate) fn dek_master(key: &BlobKey) -> Option<KeyId> {
    let name = key.as_str().rsplit('/').next()?;
    KeyId::from_hex(name.strip_suffix(".key")?)
}

/// The wrapped data keys of one user under `prefix` in `store`.
async fn user_deks(
    store: &dyn RawBlobStore,
    prefix: &str,
    segment: &str,
) -> StoreResult<Vec<BlobKey>> {
    Ok(store
        .list(&format!("{prefix}{segment}/"))
        .await?
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| parse_dek_name(prefix, key).is_some_and(|(s, _)| s == segment))
        .collect())
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
        self.inner.ping().await?;
        if self.separate_keys() {
            self.keys.ping().await?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<()> {
        let segment = user_segment(key)?;
        // Twice at most: a key found destroyed is dropped from the cache, and
        // the second round loads (or creates) the user's new one.
        for _ in 0..2 {
            let dek = self.dek_for_write(segment).await?;
            let sealed = envelope::seal_blob(&dek, key.as_str(), &bytes)
                .map_err(|e| crypto_failure(key.as_str(), e))?;
            self.inner.put(key, Bytes::from(sealed)).await?;
            // Checked after the write, so an erasure that starts meanwhile is
            // seen too: then the blob goes (its key is gone or about to be).
            match self.still_current(segment, &dek).await? {
                Written::Readable => return Ok(()),
                Written::Erasing => {
                    self.inner.delete(key).await?;
                    return Err(StoreError::UserErasing);
                }
                Written::KeyDestroyed => {
                    self.inner.delete(key).await?;
                    self.cache.remove(segment);
                    tracing::info!(
                        user_segment = segment,
                        "cached data key was destroyed; reloading"
                    );
                }
            }
        }
        Err(StoreError::Internal(format!(
            "data key of user {segment} changed during two writes in a row"
        )))
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
        // Data keys are not blobs (legacy ones may still be here): `gc` must
        // never see (and delete) them.
        found.retain(|(key, _)| !key.as_str().starts_with(KEYS_PREFIX));
        Ok(found)
    }

    #[tracing::instrument(skip_all)]
    async fn forget_user(&self, user: &UserId) -> StoreResult<()> {
        let segment = user.storage_segment();
        let _guard = self.key_lock.lock().await;
        // First, so every replica's next write for the user is refused.
        self.keys
            .put(&self.erasing_key(&segment)?, Bytes::from_static(b"1"))
            .await?;
        self.cache.remove(&segment);
        // Both places (key store, and the blob store's legacy `keys/`), repeated
        // until empty so a concurrent `rotate` or move cannot resurrect the key.
        for _ in 0..FORGET_ROUNDS {
            let in_key_store = self.stored_deks(&segment).await?;
            let legacy = self.legacy_deks(&segment).await?;
            if in_key_store.is_empty() && legacy.is_empty() {
                self.cache.remove(&segment);
                tracing::info!(user_segment = %segment, "data key destroyed");
                return Ok(());
            }
            for key in in_key_store {
                self.keys.delete(&key).await?;
            }
            for key in legacy {
                self.inner.delete(&key).await?;
            }
        }
        Err(StoreError::Internal(format!(
            "data key of user {segment} kept reappearing"
        )))
    }

    async fn user_forgotten(&self, user: &UserId) -> StoreResult<()> {
        let segment = user.storage_segment();
        self.keys.delete(&self.erasing_key(&segment)?).await
    }
}

/// What a write found once its blob was stored.
enum Written {
    Readable,
    Erasing,
    KeyDestroyed,
}
