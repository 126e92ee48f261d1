//! Master-key rotation: re-wrap every user's data key under the current master key.

use std::collections::BTreeMap;

use bytes::Bytes;
use domain::keys::BlobKey;
use domain::ports::StoreResult;

use crate::crypto::envelope;
use crate::encrypted::{
    EncryptedBlobStore, KEYS_PREFIX, crypto_failure, dek_master, parse_dek_name,
};

/// What `rotate` did, per user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Users that have a data key.
    pub users: usize,
    /// Data keys re-wrapped under the current master key.
    pub rewrapped: usize,
    /// Data keys that were already under the current master key.
    pub already_current: usize,
    /// Users forgotten while the rotation ran (their key was not brought back).
    pub forgotten_meanwhile: usize,
    /// Data keys no configured master key opens; they keep their old wrapping
    /// and their master key must not be dropped yet.
    pub unreadable: usize,
    /// Wrapped data keys moved from the blob store (where older versions kept
    /// them, under `keys/`) to the key store before re-wrapping.
    pub moved: usize,
}

enum Outcome {
    Rewrapped,
    AlreadyCurrent,
    ForgottenMeanwhile,
    Unreadable,
}

impl EncryptedBlobStore {
    /// Re-wraps every user's data key under the current master key. Blobs are not
    /// touched (they are sealed under data keys), so this is cheap. Afterwards
    /// previous master keys can be removed from the configuration, unless
    /// `unreadable` is non-zero. Safe to run while the service serves requests.
    ///
    /// Data keys still in the blob store (older layout) are first moved to the
    /// key store, so none is left behind under a master key about to be dropped.
    #[tracing::instrument(skip_all, fields(master_key = %self.keyring.current().id()))]
    pub async fn rotate(&self) -> StoreResult<RotationReport> {
        let mut moved = 0;
        if self.separate_keys() {
            for segment in users_in(&*self.inner, KEYS_PREFIX).await?.into_keys() {
                // A user with keys in both places was moved already (a crash
                // left the old copy); `forget_user` clears both.
                if self.stored_deks(&segment).await?.is_empty() {
                    moved += self.move_legacy_deks(&segment).await?;
                }
            }
        }
        let by_user = users_in(&*self.keys, self.key_prefix).await?;
        let mut report = RotationReport {
            users: by_user.len(),
            moved,
            ..RotationReport::default()
        };
        for (segment, keys) in by_user {
            match self.rotate_user(&segment, keys).await? {
                Outcome::Rewrapped => report.rewrapped += 1,
                Outcome::AlreadyCurrent => report.already_current += 1,
                Outcome::ForgottenMeanwhile => report.forgotten_meanwhile += 1,
                Outcome::Unreadable => report.unreadable += 1,
            }
        }
        tracing::info!(?report, "master key rotation finished");
        Ok(report)
    }

    async fn rotate_user(&self, segment: &str, keys: Vec<BlobKey>) -> StoreResult<Outcome> {
        let current = self.keyring.current();
        let (fresh, stale): (Vec<_>, Vec<_>) = keys
            .into_iter()
            .partition(|key| dek_master(key) == Some(current.id()));

        if let Some(fresh) = fresh.first() {
            let Some(dek) = self.unwrap_stored(segment, fresh).await? else {
                return Ok(Outcome::ForgottenMeanwhile);
            };
            self.drop_stale(segment, &stale, dek.id()).await?;
            return Ok(Outcome::AlreadyCurrent);
        }

        for old in &stale {
            let Some(dek) = self.unwrap_stored(segment, old).await? else {
                continue;
            };
            let wrapped = envelope::wrap_data_key(current, segment, &dek)
                .map_err(|e| crypto_failure(segment, e))?;
            let new = self.dek_key(segment, current.id())?;
            self.keys.put_if_absent(&new, Bytes::from(wrapped)).await?;
            // `forget_user` deletes until nothing is left; if it removed the old
            // copy meanwhile, our new copy must go too or the user comes back.
            if self.keys.get(old).await?.is_none() {
                self.keys.delete(&new).await?;
                return Ok(Outcome::ForgottenMeanwhile);
            }
            self.drop_stale(segment, &stale, dek.id()).await?;
            return Ok(Outcome::Rewrapped);
        }
        if stale.is_empty() {
            return Ok(Outcome::ForgottenMeanwhile);
        }
        tracing::warn!(
            user_segment = segment,
            "data key is wrapped by an unconfigured master key; left as is"
        );
        Ok(Outcome::Unreadable)
    }

    /// The data key stored at `key`, or `None` if it is gone or under an unknown master.
    async fn unwrap_stored(
        &self,
        segment: &str,
        key: &BlobKey,
    ) -> StoreResult<Option<envelope::DataKey>> {
        let Some(wrapped) = self.keys.get(key).await? else {
            return Ok(None);
        };
        match envelope::unwrap_data_key(&self.keyring, segment, &wrapped) {
            Ok(dek) => Ok(Some(dek)),
            Err(crate::crypto::CryptoError::UnknownMasterKey(_)) => Ok(None),
            Err(e) => Err(crypto_failure(key.as_str(), e)),
        }
    }

    /// Deletes old wrappings of the same data key; anything else is left alone.
    async fn drop_stale(&self, segment: &str, stale: &[BlobKey], id: [u8; 16]) -> StoreResult<()> {
        for key in stale {
            match self.unwrap_stored(segment, key).await? {
                Some(dek) if dek.id() == id => self.keys.delete(key).await?,
                Some(_) => {
                    tracing::warn!(%key, "a different data key is stored for this user; left as is")
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// Every user with a wrapped data key under `prefix` in `store`, with those keys.
async fn users_in(
    store: &dyn crate::raw::RawBlobStore,
    prefix: &str,
) -> StoreResult<BTreeMap<String, Vec<BlobKey>>> {
    let mut by_user: BTreeMap<String, Vec<BlobKey>> = BTreeMap::new();
    for (key, _) in store.list(prefix).await? {
        if let Some((segment, _)) = parse_dek_name(prefix, &key) {
            by_user
                .entry(segment.to_owned())
                .or_default()
                .push(key.clone());
        }
    }
    Ok(by_user)
}
