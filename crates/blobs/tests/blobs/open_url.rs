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
    let store = open(&url, EncryptionConfig::in_data_dir(data.path()))
        .await
        .unwrap();
    let key = BlobKey::parse("images/alice/a.webp").unwrap();
    store
        .put(&key, Bytes::from_static(b"RIFF plain webp"))
        .await
        .unwrap();

    let on_disk = std::fs::read(data.path().join("blobs/images/alice/a.webp")).unwrap();
    assert!(on_disk.starts_with(b"ISEB"));
    assert!(!on_disk.windows(5).any(|w| w == b"plain"));
    let key_file = data.path().join("encryption.key");
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A restart loads the same key and reads the blob back.
    let reopened = open(&url, EncryptionConfig::in_data_dir(data.path()))
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
    open("memory://", config.clone())
        .await
        .unwrap()
        .ping()
        .await
        .unwrap();
    assert!(
        matches!(open("ftp://x", config.clone()).await, Err(OpenError::UnsupportedScheme(s)) if s == "ftp")
    );
    assert!(matches!(
        open("file://", config.clone()).await,
        Err(OpenError::InvalidUrl(..))
    ));
    assert!(matches!(
        open("nonsense", config.clone()).await,
        Err(OpenError::InvalidUrl(..))
    ));
    assert!(open_encrypted("memory://", config).await.is_ok());
}

#[tokio::test]
async fn broken_key_file_names_the_file_not_the_key() {
    let data = tempfile::tempdir().unwrap();
    let secret = base64::engine::general_purpose::STANDARD.encode([5u8; 31]);
    std::fs::write(data.path().join("encryption.key"), &secret).unwrap();
    let url = format!("file://{}/blobs", data.path().display());
    let err = open(&url, EncryptionConfig::in_data_dir(data.path()))
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
