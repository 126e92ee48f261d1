//! Runs the conformance suite against every store.

use std::sync::Arc;

use blobs::{EncryptedBlobStore, FileBlobStore, Keyring, MasterKey, MemoryBlobStore};

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
async fn encrypted_file_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let inner = Arc::new(FileBlobStore::new(dir.path()).unwrap());
    suite::run(&EncryptedBlobStore::new(inner, keyring(1)), Shredding::Yes).await;
}

#[tokio::test]
async fn encrypted_memory_store_conforms() {
    let inner = Arc::new(MemoryBlobStore::new());
    suite::run(&EncryptedBlobStore::new(inner, keyring(1)), Shredding::Yes).await;
}
