//! Finding a user's erasure by their id without keeping the id.
//!
//! After `DELETE /users/{id}` the audit trail names the user nowhere: their
//! id is redacted from every event. The `user.erase` event that records the
//! erasure has as its target `erased:<tag>`, where the tag is
//! HMAC-SHA256(key, user id) in base64url. Whoever knows the id (a person
//! asking "was I erased, and when?", their lawyer, an admin) can have it
//! computed again and find the event (`GET /audit?erasedUser=`, `image-service
//! audit erased --user`); the trail alone, a backup of it or a dump of the
//! database does not give the id back, and without the key not even a guess
//! of it can be checked.
//!
//! The key is derived (HKDF) from the master encryption key: it must survive
//! restarts and be the same on every replica, which the master key already
//! is (every replica needs it to read any image), and unlike the URL-signing
//! key it has a rotation procedure that keeps old keys configured for a
//! while. After `rotate-key`, erasures recorded under a previous key are
//! found as long as that key is still in `IMAGE_SERVICE_ENCRYPTION_PREVIOUS_KEYS`;
//! once it is dropped they can only be found by action and time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use blobs::Keyring;
use domain::{AuditAction, AuditFilter, MetadataStore, PageRequest, SortOrder, StoreResult};
use ring::hmac;

/// Separates this key from anything else derived from the master key.
const PURPOSE: &[u8] = b"image-service/audit/erased-user/v1";
/// What a `user.erase` event's target starts with.
const PREFIX: &str = "erased:";

/// Computes the erasure tags of user ids under the current master key and
/// the previous ones still configured.
pub struct ErasureTags {
    /// The current master key's first, then the previous ones.
    keys: Vec<hmac::Key>,
}

impl ErasureTags {
    pub fn new(keyring: &Keyring) -> Self {
        Self {
            keys: keyring
                .keys()
                .map(|key| key.derive_hmac_key(PURPOSE))
                .collect(),
        }
    }

    /// The target a `user.erase` event of `user` gets now.
    pub fn target(&self, user: &str) -> String {
        self.target_under(&self.keys[0], user)
    }

    fn target_under(&self, key: &hmac::Key, user: &str) -> String {
        let tag = hmac::sign(key, user.as_bytes());
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The audit filter that finds the `user.erase` events of `user`: under
    /// the newest key that recorded one (so erasures from before a key
    /// rotation are found while the old key is configured), else the current.
    pub async fn filter(&self, store: &dyn MetadataStore, user: &str) -> StoreResult<AuditFilter> {
        let filter_for = |key: &hmac::Key| AuditFilter {
            target: Some(self.target_under(key, user)),
            action: Some(AuditAction::UserErase),
            ..AuditFilter::default()
        };
        if self.keys.len() > 1 {
            // Only after a rotation: one small query per configured key.
            let probe = PageRequest {
                after: None,
                limit: 1,
                order: SortOrder::Asc,
            };
            for key in &self.keys {
                let filter = filter_for(key);
                if !store.list_audit(&filter, &probe).await?.is_empty() {
                    return Ok(filter);
                }
            }
        }
        Ok(filter_for(&self.keys[0]))
    }
}

#[cfg(test)]
mod tests {
    use blobs::MasterKey;

    use super::*;

    fn tags(current: u8, previous: &[u8]) -> ErasureTags {
        let key = |byte: u8| MasterKey::from_bytes(&[byte; 32]).unwrap();
        ErasureTags::new(&Keyring::new(
            key(current),
            previous.iter().map(|b| key(*b)).collect(),
        ))
    }

    #[test]
    fn tags_are_stable_per_key_and_name_no_one() {
        let alice = tags(1, &[]).target("alice");
        assert_eq!(alice, tags(1, &[]).target("alice"), "same on every replica");
        assert!(alice.starts_with("erased:") && !alice.contains("alice"));
        assert_ne!(alice, tags(1, &[]).target("bob"));
        let rotated = tags(2, &[1]);
        assert_ne!(rotated.target("alice"), alice);
        assert_eq!(rotated.target_under(&rotated.keys[1], "alice"), alice);
    }
}
