//! `RawBlobStore`: what the encryption layer needs from the store beneath it.

use async_trait::async_trait;
use bytes::Bytes;
use domain::keys::BlobKey;
use domain::ports::{BlobStore, StoreResult};

/// A plain (unencrypted) store that can also create an object only if absent.
///
/// Creating a user's data key must never replace one that another request or
/// replica made a moment earlier: blobs already sealed under the first key
/// would become unreadable. Create-if-absent is how that race is settled.
#[async_trait]
pub trait RawBlobStore: BlobStore {
    /// Stores `bytes` under `key` unless an object is already there; returns
    /// whether this call created it. Durable before it returns, like `put`.
    async fn put_if_absent(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<bool>;
}
