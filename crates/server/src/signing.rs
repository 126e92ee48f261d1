//! HMAC-signed tokens: file URLs (`/files/{token}`) and pagination cursors.
//! Each use gets its own derived key, so a cursor can never pass as a URL.
//! Tokens are signed with the current key and verified with it or any
//! previous one (`IMAGE_SERVICE_URL_SIGNING_PREVIOUS_KEYS`), so rotating the
//! key breaks no link or cursor before it expires.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use domain::ImageId;
use domain::keys::Variant;
use ring::hmac;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub struct Signer {
    /// The current key's first, then the previous keys'.
    files: Vec<hmac::Key>,
    cursors: Vec<hmac::Key>,
}

/// A verified file-URL token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileGrant {
    pub image: ImageId,
    pub variant: Variant,
}

impl Signer {
    pub fn new(current: &[u8], previous: &[Vec<u8>]) -> Self {
        let masters: Vec<&[u8]> = std::iter::once(current)
            .chain(previous.iter().map(Vec::as_slice))
            .collect();
        let derive = |label: &[u8]| -> Vec<hmac::Key> {
            masters
                .iter()
                .map(|master| {
                    let root = hmac::Key::new(hmac::HMAC_SHA256, master);
                    hmac::Key::new(hmac::HMAC_SHA256, hmac::sign(&root, label).as_ref())
                })
                .collect()
        };
        Self {
            files: derive(b"image-service/file-url/v1"),
            cursors: derive(b"image-service/cursor/v1"),
        }
    }

    /// `{imageId}.{d|t}.{expiresUnix}.{signature}`, all URL-safe.
    pub fn file_token(&self, image: ImageId, variant: Variant, expires: DateTime<Utc>) -> String {
        let v = match variant {
            Variant::Display => 'd',
            Variant::Thumbnail => 't',
        };
        let payload = format!("{image}.{v}.{}", expires.timestamp());
        let sig = hmac::sign(&self.files[0], payload.as_bytes());
        format!("{payload}.{}", B64.encode(sig.as_ref()))
    }

    /// Checks signature (constant time, by ring) and expiry.
    pub fn verify_file_token(&self, token: &str, now: DateTime<Utc>) -> Option<FileGrant> {
        let (payload, sig) = token.rsplit_once('.')?;
        let sig = B64.decode(sig).ok()?;
        verify_any(&self.files, payload.as_bytes(), &sig)?;
        let mut parts = payload.split('.');
        let image = parts.next()?.parse().ok()?;
        let variant = match parts.next()? {
            "d" => Variant::Display,
            "t" => Variant::Thumbnail,
            _ => return None,
        };
        let expires: i64 = parts.next()?.parse().ok()?;
        (parts.next().is_none() && now.timestamp() <= expires)
            .then_some(FileGrant { image, variant })
    }

    /// An opaque cursor binding `key` to the user and query `scope` it came from.
    pub fn cursor<K: Serialize>(&self, scope: &str, key: &K) -> String {
        let payload = B64.encode(serde_json::to_vec(key).unwrap_or_default());
        let sig = hmac::sign(&self.cursors[0], format!("{scope}\n{payload}").as_bytes());
        format!("{payload}.{}", B64.encode(sig.as_ref()))
    }

    /// The key inside `cursor`, if it was issued for exactly this `scope`.
    pub fn open_cursor<K: DeserializeOwned>(&self, scope: &str, cursor: &str) -> Option<K> {
        if cursor.len() > 1024 {
            return None;
        }
        let (payload, sig) = cursor.split_once('.')?;
        let sig = B64.decode(sig).ok()?;
        verify_any(
            &self.cursors,
            format!("{scope}\n{payload}").as_bytes(),
            &sig,
        )?;
        serde_json::from_slice(&B64.decode(payload).ok()?).ok()
    }
}

/// `Some` if any of `keys` made `sig` (each check in constant time, by ring).
fn verify_any(keys: &[hmac::Key], message: &[u8], sig: &[u8]) -> Option<()> {
    keys.iter()
        .any(|key| hmac::verify(key, message, sig).is_ok())
        .then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_tokens_verify_and_expire() {
        let signer = Signer::new(&[7; 32], &[]);
        let id = ImageId::new();
        let now = Utc::now();
        let token = signer.file_token(id, Variant::Thumbnail, now + chrono::Duration::hours(1));
        let grant = signer.verify_file_token(&token, now).unwrap();
        assert_eq!(
            grant,
            FileGrant {
                image: id,
                variant: Variant::Thumbnail
            }
        );
        assert!(
            signer
                .verify_file_token(&token, now + chrono::Duration::hours(2))
                .is_none()
        );
        let tampered = token.replacen(".t.", ".d.", 1);
        assert!(signer.verify_file_token(&tampered, now).is_none());
        assert!(
            Signer::new(&[8; 32], &[])
                .verify_file_token(&token, now)
                .is_none()
        );
    }

    #[test]
    fn cursors_are_bound_to_their_scope() {
        let signer = Signer::new(&[7; 32], &[]);
        let cursor = signer.cursor("alice|images|desc", &"01ARZ3NDEKTSV4RRFFQ69G5FAV");
        let key: Option<String> = signer.open_cursor("alice|images|desc", &cursor);
        assert_eq!(key.as_deref(), Some("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
        assert!(
            signer
                .open_cursor::<String>("bob|images|desc", &cursor)
                .is_none()
        );
        assert!(
            signer
                .open_cursor::<String>("alice|images|asc", &cursor)
                .is_none()
        );
    }

    #[test]
    fn a_rotated_key_still_verifies_what_it_signed_but_signs_nothing_new() {
        let (old, new) = ([1u8; 32], [2u8; 32]);
        let before = Signer::new(&old, &[]);
        let after = Signer::new(&new, &[old.to_vec()]);
        let now = Utc::now();
        let id = ImageId::new();
        let link = before.file_token(id, Variant::Display, now + chrono::Duration::hours(1));
        assert!(after.verify_file_token(&link, now).is_some());
        let cursor = before.cursor("alice|images|asc", &"k");
        assert_eq!(
            after
                .open_cursor::<String>("alice|images|asc", &cursor)
                .as_deref(),
            Some("k")
        );
        // New tokens use the new key: the old signer alone cannot verify them.
        let fresh = after.file_token(id, Variant::Display, now + chrono::Duration::hours(1));
        assert!(before.verify_file_token(&fresh, now).is_none());
        // Once the old key is dropped from the list, its links stop.
        assert!(
            Signer::new(&new, &[])
                .verify_file_token(&link, now)
                .is_none()
        );
    }
}
