//! Image Service blob stores: local files with atomic writes, memory, S3, and
//! AES-256-GCM encryption at rest with per-user data keys (crypto-shredding).
//!
//! The server calls [`open`] with `IMAGE_SERVICE_BLOB_URL` and
//! `IMAGE_SERVICE_KEY_URL` (where wrapped data keys live, apart from the blobs)
//! and gets an `Arc<dyn BlobStore>`; `image-service rotate-key` uses
//! [`open_encrypted`] and [`EncryptedBlobStore::rotate`].

pub mod crypto;
mod encrypted;
mod file;
mod memory;
mod open;
mod raw;
mod rotate;
mod s3;

pub use crypto::{KeyError, KeyFileError, KeyId, Keyring, MasterKey};
pub use domain::RetryPolicy;
pub use encrypted::EncryptedBlobStore;
pub use file::FileBlobStore;
pub use memory::MemoryBlobStore;
pub use open::{EncryptionConfig, MasterKeySource, OpenError, open, open_encrypted};
pub use raw::RawBlobStore;
pub use rotate::RotationReport;
pub use s3::{S3BlobStore, S3Credentials, S3Settings, S3Url};
