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
    .map_err(|err| name_the_setting(err, config))
}

/// Each failure names the setting to fix: the key store, the master key (or
/// the data dir it is generated into) and the blob store are set apart.
fn name_the_setting(err: OpenError, config: &Config) -> anyhow::Error {
    let context = match &err {
        OpenError::KeyStore(_) => "IMAGE_SERVICE_KEY_URL: cannot open the key store",
        OpenError::Key(_) if config.encryption_key.is_some() => {
            "IMAGE_SERVICE_ENCRYPTION_KEY: cannot use the master key"
        }
        OpenError::Key(_) => "IMAGE_SERVICE_DATA_DIR: cannot load or generate the master key",
        _ => "IMAGE_SERVICE_BLOB_URL: cannot open the blob store",
    };
    anyhow::Error::new(err).context(context)
}
