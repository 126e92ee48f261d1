//! The two sealed formats: blobs under a user's data key, data keys under a master key.
//!
//! Blob:      `"ISEB" | 0x01 | data-key id (16) | nonce (12) | ciphertext | tag (16)`,
//!            AAD = the 21 header bytes + the blob key.
//! Data key:  `"ISDK" | 0x01 | master-key id (8) | data-key id (16) | nonce (12) | key (32) | tag (16)`,
//!            AAD = the 29 header bytes + the user's storage segment.
//!
//! Binding the blob key (and the user segment) into the AAD means an object
//! copied to another key, or a data key copied to another user, fails to open.

use std::fmt;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use super::master_key::{KeyId, Keyring, MasterKey};
use super::{CryptoError, hex};

const BLOB_MAGIC: &[u8; 4] = b"ISEB";
const DEK_MAGIC: &[u8; 4] = b"ISDK";
const VERSION: u8 = 1;
const DEK_ID_LEN: usize = 16;
const DEK_LEN: usize = 32;
const TAG_LEN: usize = 16;
const BLOB_HEADER_LEN: usize = 4 + 1 + DEK_ID_LEN;
const DEK_HEADER_LEN: usize = 4 + 1 + 8 + DEK_ID_LEN;

/// A user's data key: seals all of that user's blobs. `Debug` shows only the id.
pub(crate) struct DataKey {
    id: [u8; DEK_ID_LEN],
    bytes: [u8; DEK_LEN],
    aead: LessSafeKey,
}

impl DataKey {
    pub(crate) fn generate() -> Result<Self, CryptoError> {
        let rng = SystemRandom::new();
        let mut id = [0u8; DEK_ID_LEN];
        let mut bytes = [0u8; DEK_LEN];
        rng.fill(&mut id).map_err(|_| CryptoError::Random)?;
        rng.fill(&mut bytes).map_err(|_| CryptoError::Random)?;
        Self::from_parts(id, bytes)
    }

    fn from_parts(id: [u8; DEK_ID_LEN], bytes: [u8; DEK_LEN]) -> Result<Self, CryptoError> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| CryptoError::Authentication)?;
        Ok(Self {
            id,
            bytes,
            aead: LessSafeKey::new(unbound),
        })
    }

    pub(crate) fn id(&self) -> [u8; DEK_ID_LEN] {
        self.id
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &hex(&self.id))
            .finish_non_exhaustive()
    }
}

fn fresh_nonce() -> Result<[u8; NONCE_LEN], CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| CryptoError::Random)?;
    Ok(nonce)
}

fn aad(header: &[u8], context: &str) -> Vec<u8> {
    [header, context.as_bytes()].concat()
}

/// Seals `plaintext` for storage under `blob_key` with a fresh random nonce.
pub(crate) fn seal_blob(
    dek: &DataKey,
    blob_key: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let nonce = fresh_nonce()?;
    let mut out = Vec::with_capacity(BLOB_HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(BLOB_MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&dek.id);
    let aad = aad(&out, blob_key);
    out.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    dek.aead
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut body,
        )
        .map_err(|_| CryptoError::Authentication)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Which data key sealed this blob (read from its header, not yet authenticated).
pub(crate) fn blob_data_key_id(sealed: &[u8]) -> Result<[u8; DEK_ID_LEN], CryptoError> {
    check_header(sealed, BLOB_MAGIC, BLOB_HEADER_LEN + NONCE_LEN + TAG_LEN)?;
    let mut id = [0u8; DEK_ID_LEN];
    id.copy_from_slice(&sealed[5..BLOB_HEADER_LEN]);
    Ok(id)
}

/// Opens a blob read from `blob_key`; any mismatch or tampering is an error.
pub(crate) fn open_blob(
    dek: &DataKey,
    blob_key: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let id = blob_data_key_id(sealed)?;
    if id != dek.id {
        return Err(CryptoError::DataKeyMismatch {
            blob: hex(&id),
            current: hex(&dek.id),
        });
    }
    let (header, rest) = sealed.split_at(BLOB_HEADER_LEN);
    open(&dek.aead, &aad(header, blob_key), rest)
}

fn check_header(sealed: &[u8], magic: &[u8; 4], min_len: usize) -> Result<(), CryptoError> {
    if sealed.len() < 5 {
        return Err(CryptoError::Truncated);
    }
    if &sealed[..4] != magic {
        return Err(CryptoError::BadMagic);
    }
    if sealed[4] != VERSION {
        return Err(CryptoError::UnsupportedVersion(sealed[4]));
    }
    if sealed.len() < min_len {
        return Err(CryptoError::Truncated);
    }
    Ok(())
}

/// `rest` is `nonce | ciphertext | tag`.
fn open(key: &LessSafeKey, aad: &[u8], rest: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Truncated)?;
    let mut body = body.to_vec();
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut body)
        .map_err(|_| CryptoError::Authentication)?
        .len();
    body.truncate(len);
    Ok(body)
}

/// Wraps `dek` under `master` for the user whose storage segment is `segment`.
pub(crate) fn wrap_data_key(
    master: &MasterKey,
    segment: &str,
    dek: &DataKey,
) -> Result<Vec<u8>, CryptoError> {
    let nonce = fresh_nonce()?;
    let mut out = Vec::with_capacity(DEK_HEADER_LEN + NONCE_LEN + DEK_LEN + TAG_LEN);
    out.extend_from_slice(DEK_MAGIC);
    out.push(VERSION);
    out.extend_from_slice(master.id().as_bytes());
    out.extend_from_slice(&dek.id);
    let aad = aad(&out, segment);
    out.extend_from_slice(&nonce);
    let mut body = dek.bytes.to_vec();
    master
        .aead()
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut body,
        )
        .map_err(|_| CryptoError::Authentication)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Unwraps a stored data key with whichever configured master key wrapped it.
pub(crate) fn unwrap_data_key(
    keyring: &Keyring,
    segment: &str,
    wrapped: &[u8],
) -> Result<DataKey, CryptoError> {
    check_header(
        wrapped,
        DEK_MAGIC,
        DEK_HEADER_LEN + NONCE_LEN + DEK_LEN + TAG_LEN,
    )?;
    let mut master_id = [0u8; 8];
    master_id.copy_from_slice(&wrapped[5..13]);
    let master = keyring
        .get(KeyId(master_id))
        .ok_or(CryptoError::UnknownMasterKey(KeyId(master_id)))?;
    let (header, rest) = wrapped.split_at(DEK_HEADER_LEN);
    let plain = open(master.aead(), &aad(header, segment), rest)?;
    let bytes: [u8; DEK_LEN] = plain
        .as_slice()
        .try_into()
        .map_err(|_| CryptoError::Truncated)?;
    let mut id = [0u8; DEK_ID_LEN];
    id.copy_from_slice(&header[13..]);
    DataKey::from_parts(id, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(byte: u8) -> Keyring {
        Keyring::new(MasterKey::from_bytes(&[byte; 32]).unwrap(), vec![])
    }

    #[test]
    fn blobs_round_trip_and_are_bound_to_their_key() {
        let dek = DataKey::generate().unwrap();
        let sealed = seal_blob(&dek, "images/u/a.webp", b"hello").unwrap();
        assert_eq!(
            open_blob(&dek, "images/u/a.webp", &sealed).unwrap(),
            b"hello"
        );
        assert!(matches!(
            open_blob(&dek, "images/u/b.webp", &sealed),
            Err(CryptoError::Authentication)
        ));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(open_blob(&dek, "images/u/a.webp", &tampered).is_err());
        let other = DataKey::generate().unwrap();
        assert!(matches!(
            open_blob(&other, "images/u/a.webp", &sealed),
            Err(CryptoError::DataKeyMismatch { .. })
        ));
        assert!(matches!(
            open_blob(&dek, "images/u/a.webp", &sealed[..10]),
            Err(CryptoError::Truncated)
        ));
    }

    #[test]
    fn data_keys_unwrap_only_for_their_user_and_known_masters() {
        let ring = keyring(1);
        let dek = DataKey::generate().unwrap();
        let wrapped = wrap_data_key(ring.current(), "alice", &dek).unwrap();
        assert_eq!(
            unwrap_data_key(&ring, "alice", &wrapped).unwrap().id(),
            dek.id()
        );
        assert!(matches!(
            unwrap_data_key(&ring, "bob", &wrapped),
            Err(CryptoError::Authentication)
        ));
        assert!(matches!(
            unwrap_data_key(&keyring(2), "alice", &wrapped),
            Err(CryptoError::UnknownMasterKey(_))
        ));
    }
}
