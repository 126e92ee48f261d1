//! `open`: URL schemes, generated key file, and secrets kept out of errors.

use std::os::unix::fs::PermissionsExt;

use base64::Engine;
use bytes::Bytes;
use domain::keys::BlobKey;

use blobs::{EncryptionConfig, KeyFileError, MasterKey, OpenError, open, open_encrypted};

#[tokio::test]
async fn file_urls_are_encrypted_with_a_generated_key() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("file://{}/blobs", data.path().display());
    let key_url = format!("file://{}/keys", data.path().display());
    let store = open(&url, &key_url, EncryptionConfig::in_data_dir(data.path()))
        .await
        .unwrap();
    let key = BlobKey::parse("images/alice/a.webp").unwrap();
    store
        .put(&key, Bytes::from_static(b"RIFF plain webp"))
        .await
        .unwrap();

    let on_disk = std::fs::read(data.path().join("blobs/images/alice/a.webp")).unwrap();
    assert!(on_disk.starts_with(b"ISEB"));
    // The wrapped data key is in the key dir, a sibling: none in the blob dir.
    assert!(!data.path().join("blobs/keys").exists());
    let keys: Vec<_> = std::fs::read_dir(data.path().join("keys/alice"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(keys.len() == 1 && keys[0].ends_with(".key"), "{keys:?}");
    assert!(!on_disk.windows(5).any(|w| w == b"plain"));
    let key_file = data.path().join("encryption.key");
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A restart loads the same key and reads the blob back.
    let reopened = open(&url, &key_url, EncryptionConfig::in_data_dir(data.path()))
        .await
        .unwrap();
    assert_eq!(
        reopened.get(&key).await.unwrap().unwrap(),
        Bytes::from_static(b"RIFF plain webp")
    );
    assert!(
        reopened
            .list("")
            .await
            .unwrap()
            .iter()
            .all(|(k, _)| !k.as_str().starts_with("keys/"))
    );
}

#[tokio::test]
async fn memory_and_bad_urls() {
    let config = EncryptionConfig::with_key(MasterKey::from_bytes(&[9; 32]).unwrap());
    open("memory://", "memory://", config.clone())
        .await
        .unwrap()
        .ping()
        .await
        .unwrap();
    assert!(
        matches!(open("ftp://x", "memory://", config.clone()).await, Err(OpenError::UnsupportedScheme(s)) if s == "ftp")
    );
    assert!(matches!(
        open("file://", "memory://", config.clone()).await,
        Err(OpenError::InvalidUrl(..))
    ));
    assert!(matches!(
        open("nonsense", "nonsense", config.clone()).await,
        Err(OpenError::InvalidUrl(..))
    ));
    assert!(
        open_encrypted("memory://", "memory://", config.clone())
            .await
            .is_ok()
    );
    // A bad key URL is reported as the key store's.
    let data = tempfile::tempdir().unwrap();
    let url = format!("file://{}/blobs", data.path().display());
    for bad in ["ftp://x", "file://", "nonsense"] {
        let err = open(&url, bad, config.clone()).await.err().unwrap();
        assert!(matches!(err, OpenError::KeyStore(_)), "{bad}: {err:?}");
        assert!(err.to_string().starts_with("key store: "), "{err}");
    }
}

#[tokio::test]
async fn a_key_url_naming_the_blob_dir_keeps_keys_beside_the_blobs() {
    let data = tempfile::tempdir().unwrap();
    let config = EncryptionConfig::with_key(MasterKey::from_bytes(&[9; 32]).unwrap());
    let url = format!("file://{}/blobs", data.path().display());
    // Spelled differently, same directory: still the legacy `keys/` layout,
    // never key files scattered at the root of the blob dir.
    let same = format!("file://{}/blobs/", data.path().display());
    let store = open(&url, &same, config).await.unwrap();
    let key = BlobKey::parse("images/alice/a.webp").unwrap();
    store.put(&key, Bytes::from_static(b"x")).await.unwrap();
    assert!(data.path().join("blobs/keys/alice").is_dir());
    assert!(!data.path().join("blobs/alice").exists());
    assert_eq!(
        store.get(&key).await.unwrap().unwrap(),
        Bytes::from_static(b"x")
    );
}

#[tokio::test]
async fn broken_key_file_names_the_file_not_the_key() {
    let data = tempfile::tempdir().unwrap();
    let secret = base64::engine::general_purpose::STANDARD.encode([5u8; 31]);
    std::fs::write(data.path().join("encryption.key"), &secret).unwrap();
    let url = format!("file://{}/blobs", data.path().display());
    let err = open(&url, &url, EncryptionConfig::in_data_dir(data.path()))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, OpenError::Key(KeyFileError::Key { .. })));
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("encryption.key") && !shown.contains(&secret),
        "{shown}"
    );
    let config = format!(
        "{:?}",
        EncryptionConfig::with_key(MasterKey::from_bytes(&[5; 32]).unwrap())
    );
    assert!(!config.contains(&base64::engine::general_purpose::STANDARD.encode([5u8; 32])));
}
