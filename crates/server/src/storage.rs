//! Opening the blob store named by the configuration, with encryption at rest
//! and the wrapped data keys in their own store (`IMAGE_SERVICE_KEY_URL`).

use std::sync::Arc;

use anyhow::Context as _;
use blobs::{EncryptionConfig, MasterKey, OpenError};
use domain::BlobStore;

use crate::config::Config;
use crate::erasure::ErasureTags;

pub fn encryption_config(config: &Config) -> anyhow::Result<EncryptionConfig> {
    let previous = config
        .encryption_previous_keys
        .iter()
        .map(|k| MasterKey::from_base64(k.expose()))
        .collect::<Result<Vec<_>, _>>()
        .context("IMAGE_SERVICE_ENCRYPTION_PREVIOUS_KEYS: invalid key")?;
    let current = match &config.encryption_key {
        Some(key) => EncryptionConfig::with_key(
            MasterKey::from_base64(key.expose())
                .context("IMAGE_SERVICE_ENCRYPTION_KEY: invalid key")?,
        ),
        None => EncryptionConfig::in_data_dir(&config.data_dir),
    };
    Ok(current.with_previous(previous))
}

/// The erasure tags under the configured master keys (see `erasure`).
pub fn erasure_tags(config: &Config) -> anyhow::Result<ErasureTags> {
    let keyring = encryption_config(config)?
        .keyring()
        .context("IMAGE_SERVICE_ENCRYPTION_KEY: cannot load the master key")?;
    Ok(ErasureTags::new(&keyring))
}

pub async fn open_blobs(config: &Config) -> anyhow::Result<Arc<dyn BlobStore>> {
    blobs::open(
        &config.blob_url,
        &config.key_url,
        encryption_config(config)?,
    )
    .await
    .map_err(name_the_key_url)
}

/// A key-store failure names its own setting, not only the blob URL.
fn name_the_key_url(err: OpenError) -> anyhow::Error {
    match err {
        OpenError::KeyStore(_) => {
            anyhow::Error::new(err).context("IMAGE_SERVICE_KEY_URL: cannot open the key store")
        }
        other => other.into(),
    }
}
