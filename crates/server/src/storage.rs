//! Opening the blob store named by the configuration, with encryption at rest.

use std::sync::Arc;

use anyhow::Context as _;
use blobs::{EncryptionConfig, MasterKey};
use domain::BlobStore;

use crate::config::Config;

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

pub async fn open_blobs(config: &Config) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(blobs::open(&config.blob_url, encryption_config(config)?).await?)
}
