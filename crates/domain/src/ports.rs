//! The storage ports every backend implements; handlers only ever see these.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::album::AlbumRecord;
use crate::audit::{AuditEvent, AuditFilter};
use crate::audit_chain::{ChainedAuditEvent, Checkpoint};
use crate::ids::{AlbumId, ImageId, UserId};
use crate::image::ImageRecord;
use crate::incident::ControlEntry;
use crate::keys::BlobKey;
use crate::page::{AlbumCursor, PageRequest, ScanPage};

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
    /// The user's erasure is under way (or was interrupted and not yet re-run):
    /// nothing new is stored for them until it finishes.
    #[error("the user is being erased")]
    UserErasing,
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

    /// Every user's images, a page at a time, for `migrate-storage`: no index
    /// serves this, so it may be a full scan. `cursor` is the previous page's
    /// `next` (`None` to start).
    async fn list_all_images(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<ScanPage<ImageRecord>>;
    /// Every user's albums, as `list_all_images`.
    async fn list_all_albums(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<ScanPage<AlbumRecord>>;

    /// Appends one event; the audit trail is never updated or deleted, except
    /// by `redact_audit_of`.
    ///
    /// The event is chained (`audit_chain`): it gets the next `seq` and is
    /// stored with the hash of the event before it. Concurrent appenders, in
    /// this process or in other replicas, never fork the chain: a writer that
    /// loses the race for a `seq` reads the new head and tries again.
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Chained events with `seq > after_seq`, in `seq` order, at most `limit`
    /// (for `image-service audit verify`). Events stored before the chain
    /// existed have no `seq` and are not returned.
    async fn audit_chain(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<ChainedAuditEvent>>;
    /// GDPR erasure of `user` from the audit trail, the one change the trail
    /// allows. Every event whose actor is `user` or whose target is
    /// `user:<id>` gets that actor and/or target replaced by
    /// `audit_chain::REDACTED`, its changes removed, and the salts of those
    /// fields deleted; `seq`, the hashes and the commitments stay, so the
    /// chain still verifies. Returns how many events were redacted
    /// (0 when run again).
    async fn redact_audit_of(&self, user: &UserId) -> StoreResult<u64>;
    /// Events matching `filter`, in id (time) order; the cursor is an event id.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest<String>,
    ) -> StoreResult<Vec<AuditEvent>>;

    /// The retention checkpoint, if events were ever pruned.
    async fn audit_checkpoint(&self) -> StoreResult<Option<Checkpoint>>;
    /// Records `checkpoint` (only ever forward: a checkpoint behind the
    /// stored one is refused) and then deletes the chained events up to its
    /// `seq`, in bounded batches. Returns how many were deleted. Events
    /// stored before the chain existed (no `seq`) are kept.
    async fn prune_audit(&self, checkpoint: &Checkpoint) -> StoreResult<u64>;
    /// The newest chained event's `seq` and hash, if any (for the anchors
    /// the service logs).
    async fn audit_head(&self) -> StoreResult<Option<(i64, String)>>;

    /// Every incident control (`crate::incident`): a handful of small rows,
    /// read whole by every replica every few seconds.
    async fn list_controls(&self) -> StoreResult<Vec<ControlEntry>>;
    /// Sets one control (`Some` value) or removes it (`None`).
    async fn set_control(&self, key: &str, value: Option<&str>) -> StoreResult<()>;
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
    ///
    /// From then until `user_forgotten`, every replica refuses writes for the
    /// user (`StoreError::UserErasing`), so nothing is sealed with the
    /// destroyed key while the erasure deletes the rest.
    async fn forget_user(&self, _user: &UserId) -> StoreResult<()> {
        Ok(())
    }
    /// The erasure `forget_user` began has deleted everything: the user may
    /// store again (under a new data key).
    async fn user_forgotten(&self, _user: &UserId) -> StoreResult<()> {
        Ok(())
    }
}
