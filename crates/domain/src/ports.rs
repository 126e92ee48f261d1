//! The storage ports every backend implements; handlers only ever see these.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::album::AlbumRecord;
use crate::audit::{AuditEvent, AuditFilter};
use crate::ids::{AlbumId, ImageId, UserId};
use crate::image::ImageRecord;
use crate::keys::BlobKey;
use crate::page::{AlbumCursor, PageRequest};

/// Why a store operation failed, mapped on purpose to HTTP by the server.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to update or delete does not exist (any more).
    #[error("not found")]
    NotFound,
    /// Optimistic locking failed; `current` is the stored version.
    #[error("version conflict (current version {current})")]
    VersionConflict { current: i64 },
    /// A referenced row (an album) does not exist.
    #[error("referenced row missing: {0}")]
    MissingReference(&'static str),
    /// The backend is unreachable, throttling or timing out: worth a retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data. Logged in full, never shown to clients.
    #[error("store failure: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Image, album and audit metadata.
#[async_trait]
pub trait MetadataStore: Send + Sync + 'static {
    /// Cheap round trip for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    /// Inserts a new image; `MissingReference("albumId")` if its album is gone.
    async fn insert_image(&self, image: &ImageRecord) -> StoreResult<()>;
    async fn get_image(&self, id: ImageId) -> StoreResult<Option<ImageRecord>>;
    /// A user's images (optionally of one album) in id order.
    async fn list_images(
        &self,
        owner: &UserId,
        album: Option<AlbumId>,
        page: &PageRequest<ImageId>,
    ) -> StoreResult<Vec<ImageRecord>>;
    /// Stores `image` (whose `version` is already `expected_version + 1`) if the
    /// stored version is still `expected_version`.
    async fn update_image(&self, image: &ImageRecord, expected_version: i64) -> StoreResult<()>;
    /// Returns whether a row was deleted.
    async fn delete_image(&self, id: ImageId) -> StoreResult<bool>;

    async fn insert_album(&self, album: &AlbumRecord) -> StoreResult<()>;
    async fn get_album(&self, id: AlbumId) -> StoreResult<Option<AlbumRecord>>;
    async fn list_albums(
        &self,
        owner: &UserId,
        page: &PageRequest<AlbumCursor>,
    ) -> StoreResult<Vec<AlbumRecord>>;
    /// As `update_image`; `image_count` is ignored.
    async fn update_album(&self, album: &AlbumRecord, expected_version: i64) -> StoreResult<()>;
    /// Deletes the album and detaches its images (their `albumId` becomes null,
    /// their version goes up by one). Returns whether a row was deleted.
    async fn delete_album(&self, id: AlbumId, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Appends one event; the audit trail is never updated or deleted.
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Events matching `filter`, in id (time) order; the cursor is an event id.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest<String>,
    ) -> StoreResult<Vec<AuditEvent>>;
}

/// Where the bytes of variants live. Keys are validated `BlobKey`s.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    async fn ping(&self) -> StoreResult<()>;
    /// Durable before it returns: a crash afterwards never loses the object.
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<()>;
    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Bytes>>;
    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &BlobKey) -> StoreResult<()>;
    /// Every key under `prefix` with its last-modified time (for `gc`).
    async fn list(&self, prefix: &str) -> StoreResult<Vec<(BlobKey, DateTime<Utc>)>>;
    /// Crypto-shredding: destroys whatever makes `user`'s blobs readable (their
    /// data key), so copies elsewhere become unreadable. Stores without
    /// per-user keys have nothing to destroy.
    async fn forget_user(&self, _user: &UserId) -> StoreResult<()> {
        Ok(())
    }
}
