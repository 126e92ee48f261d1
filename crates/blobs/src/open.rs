//! Choosing a blob store from `IMAGE_SERVICE_BLOB_URL`, the store for wrapped data
//! keys from `IMAGE_SERVICE_KEY_URL`, and the encryption settings.

use std::path::PathBuf;
use std::sync::Arc;

use domain::ports::BlobStore;

use crate::crypto::{KeyFileError, Keyring, MasterKey};
use crate::encrypted::EncryptedBlobStore;
use crate::file::FileBlobStore;
use crate::memory::MemoryBlobStore;
use crate::raw::RawBlobStore;
use crate::s3::{S3BlobStore, S3Settings, S3Url};

/// Where the current master key comes from.
#[derive(Clone, Debug)]
pub enum MasterKeySource {
    /// Given by configuration (`IMAGE_SERVICE_ENCRYPTION_KEY[_FILE]`).
    Configured(MasterKey),
    /// Loaded from `<data_dir>/encryption.key`, generated there (mode 0600) on first start.
    DataDir(PathBuf),
}

/// Encryption at rest settings. `Debug` shows key ids only.
#[derive(Clone, Debug)]
pub struct EncryptionConfig {
    pub master_key: MasterKeySource,
    /// Keys rotated away from that may still wrap data keys; drop them once
    /// `rotate` reports nothing unreadable.
    pub previous_keys: Vec<MasterKey>,
}

impl EncryptionConfig {
    pub fn with_key(key: MasterKey) -> Self {
        Self {
            master_key: MasterKeySource::Configured(key),
            previous_keys: Vec::new(),
        }
    }

    pub fn in_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            master_key: MasterKeySource::DataDir(data_dir.into()),
            previous_keys: Vec::new(),
        }
    }

    pub fn with_previous(mut self, keys: Vec<MasterKey>) -> Self {
        self.previous_keys = keys;
        self
    }

    /// Loads (or generates) the current key and builds the keyring.
    pub fn keyring(&self) -> Result<Keyring, KeyFileError> {
        let current = match &self.master_key {
            MasterKeySource::Configured(key) => key.clone(),
            MasterKeySource::DataDir(dir) => MasterKey::load_or_generate(dir)?,
        };
        Ok(Keyring::new(current, self.previous_keys.clone()))
    }
}

/// Why no blob store could be opened. Never includes key material.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("blob URL scheme {0:?} is not supported (use file://PATH, s3://BUCKET or memory://)")]
    UnsupportedScheme(String),
    #[error("blob URL {0:?} is invalid: {1}")]
    InvalidUrl(String, String),
    #[error("blob directory {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyFileError),
    #[error("S3 client for bucket {bucket:?}: {reason}")]
    S3 { bucket: String, reason: String },
    /// The store for wrapped data keys (the key URL) could not be opened.
    #[error("key store: {0}")]
    KeyStore(#[source] Box<OpenError>),
}

enum Raw {
    Memory(Arc<MemoryBlobStore>),
    File(Arc<FileBlobStore>),
    S3(Arc<S3BlobStore>, S3Url),
}

impl Raw {
    fn store(&self) -> Arc<dyn RawBlobStore> {
        match self {
            Raw::Memory(store) => store.clone(),
            Raw::File(store) => store.clone(),
            Raw::S3(store, _) => store.clone(),
        }
    }

    /// Whether both name the same storage (then keys share it, under `keys/`).
    fn same_place(&self, other: &Raw) -> bool {
        match (self, other) {
            (Raw::File(a), Raw::File(b)) => a.root() == b.root(),
            (Raw::S3(_, a), Raw::S3(_, b)) => a.bucket == b.bucket && a.endpoint == b.endpoint,
            _ => false,
        }
    }
}

fn open_raw(url: &str) -> Result<Raw, OpenError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(OpenError::InvalidUrl(
            url.to_owned(),
            "expected SCHEME://…".into(),
        ));
    };
    match scheme {
        "memory" => Ok(Raw::Memory(Arc::new(MemoryBlobStore::new()))),
        "file" => {
            if rest.is_empty() {
                return Err(OpenError::InvalidUrl(
                    url.to_owned(),
                    "file:// needs a path".into(),
                ));
            }
            let store = FileBlobStore::new(rest).map_err(|source| OpenError::Directory {
                path: rest.into(),
                source,
            })?;
            Ok(Raw::File(Arc::new(store)))
        }
        "s3" => {
            let parsed = S3Url::parse(rest)
                .map_err(|reason| OpenError::InvalidUrl(url.to_owned(), reason))?;
            let store =
                S3BlobStore::new(&parsed, S3Settings::default()).map_err(|e| OpenError::S3 {
                    bucket: parsed.bucket.clone(),
                    reason: e.to_string(),
                })?;
            Ok(Raw::S3(Arc::new(store), parsed))
        }
        other => Err(OpenError::UnsupportedScheme(other.to_owned())),
    }
}

/// The encryption layer over `blobs`, with its data keys in the store `key_url`
/// names (the blob store itself, under `keys/`, when both name the same place).
fn encrypted(
    blobs: &Raw,
    url: &str,
    key_url: &str,
    encryption: &EncryptionConfig,
) -> Result<EncryptedBlobStore, OpenError> {
    let keyring = encryption.keyring()?;
    let blob_store = blobs.store();
    if key_url == url {
        return Ok(EncryptedBlobStore::new(
            blob_store.clone(),
            blob_store,
            keyring,
        ));
    }
    let keys = open_raw(key_url).map_err(|e| OpenError::KeyStore(Box::new(e)))?;
    if blobs.same_place(&keys) {
        return Ok(EncryptedBlobStore::new(
            blob_store.clone(),
            blob_store,
            keyring,
        ));
    }
    if let (Raw::File(b), Raw::File(k)) = (blobs, &keys)
        && k.root().starts_with(b.root())
    {
        tracing::warn!(
            keys = %k.root().display(),
            blobs = %b.root().display(),
            "the key directory is inside the blob directory: a copy of the blobs carries the keys"
        );
    }
    Ok(EncryptedBlobStore::new(blob_store, keys.store(), keyring))
}

/// Opens the store `url` names, keeping wrapped data keys in the one `key_url`
/// names (pass `url` again to keep them beside the blobs, under `keys/`).
///
/// - `file://` is always encrypted, with a generated key if none is configured.
/// - `s3://` always asks for SSE-S3; it is also sealed client-side (giving
///   crypto-shredding) when a key is *configured*, because replicas share the
///   bucket and a key generated into one replica's data dir would not be shared.
/// - `memory://` holds nothing at rest and is left plain.
///
/// Crypto-shredding holds against copies of the blob store (backups, bucket
/// versions) only if the key store is somewhere else, with its own backups.
pub async fn open(
    url: &str,
    key_url: &str,
    encryption: EncryptionConfig,
) -> Result<Arc<dyn BlobStore>, OpenError> {
    let blobs = open_raw(url)?;
    match (&blobs, &encryption.master_key) {
        (Raw::Memory(store), _) => Ok(store.clone()),
        (Raw::S3(store, _), MasterKeySource::DataDir(_)) => {
            tracing::warn!(
                "s3 blobs rely on SSE-S3 only; set IMAGE_SERVICE_ENCRYPTION_KEY for client-side encryption and crypto-shredding"
            );
            Ok(store.clone())
        }
        (Raw::File(_) | Raw::S3(..), _) => {
            Ok(Arc::new(encrypted(&blobs, url, key_url, &encryption)?))
        }
    }
}

/// Opens `url` (keys in `key_url`) with the encryption layer exposed, for
/// `image-service rotate-key`.
pub async fn open_encrypted(
    url: &str,
    key_url: &str,
    encryption: EncryptionConfig,
) -> Result<Arc<EncryptedBlobStore>, OpenError> {
    let blobs = open_raw(url)?;
    Ok(Arc::new(encrypted(&blobs, url, key_url, &encryption)?))
}
