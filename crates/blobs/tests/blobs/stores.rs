//! Runs the conformance suite against every store.

use std::sync::Arc;

use blobs::{EncryptedBlobStore, FileBlobStore, Keyring, MasterKey, MemoryBlobStore, RawBlobStore};

use crate::suite::{self, Shredding};

pub fn keyring(byte: u8) -> Keyring {
    Keyring::new(MasterKey::from_bytes(&[byte; 32]).unwrap(), vec![])
}

#[tokio::test]
async fn memory_store_conforms() {
    suite::run(&MemoryBlobStore::new(), Shredding::No).await;
}

#[tokio::test]
async fn file_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    suite::run(&FileBlobStore::new(dir.path()).unwrap(), Shredding::No).await;
}

#[tokio::test]
async fn encrypted_file_store_with_a_key_dir_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let blobs: Arc<dyn RawBlobStore> =
        Arc::new(FileBlobStore::new(dir.path().join("blobs")).unwrap());
    let keys: Arc<dyn RawBlobStore> =
        Arc::new(FileBlobStore::new(dir.path().join("keys")).unwrap());
    suite::run(
        &EncryptedBlobStore::new(blobs, keys, keyring(1)),
        Shredding::Yes,
    )
    .await;
}

#[tokio::test]
async fn encrypted_file_store_with_keys_inside_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let inner: Arc<dyn RawBlobStore> = Arc::new(FileBlobStore::new(dir.path()).unwrap());
    suite::run(
        &EncryptedBlobStore::new(inner.clone(), inner, keyring(1)),
        Shredding::Yes,
    )
    .await;
}

#[tokio::test]
async fn encrypted_memory_store_conforms() {
    let blobs: Arc<dyn RawBlobStore> = Arc::new(MemoryBlobStore::new());
    let keys: Arc<dyn RawBlobStore> = Arc::new(MemoryBlobStore::new());
    suite::run(
        &EncryptedBlobStore::new(blobs.clone(), keys, keyring(1)),
        Shredding::Yes,
    )
    .await;
    suite::run(
        &EncryptedBlobStore::new(blobs.clone(), blobs, keyring(1)),
        Shredding::Yes,
    )
    .await;
}
