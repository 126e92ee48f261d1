//! Master keys (from configuration or a generated key file) and the keyring of current + previous keys.

use std::fmt;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{hkdf, hmac};

use super::hex;

/// File under the data directory holding a generated master key (base64, mode 0600).
pub const KEY_FILE_NAME: &str = "encryption.key";

const KEY_LEN: usize = 32;
/// HKDF salt of keys derived from a master key (`MasterKey::derive_hmac_key`).
const DERIVE_SALT: &[u8] = b"image-service master key derivation v1";

/// A short public fingerprint of a master key, stored next to everything it wraps
/// so the right key can be picked after a rotation. Reveals nothing about the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub(crate) [u8; 8]);

impl KeyId {
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// Parses the 16 hex digits `Display` produces.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 16 {
            return None;
        }
        let mut out = [0u8; 8];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a configured master key was refused. Never contains the key itself.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("encryption key is not valid base64")]
    Base64,
    #[error("encryption key must be 32 bytes, got {0}")]
    Length(usize),
    #[error("system random number generator failed")]
    Random,
}

/// Why the generated key file could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("encryption key file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("encryption key file {path}: {source}")]
    Key { path: PathBuf, source: KeyError },
}

/// A 256-bit AES-GCM key that wraps users' data keys. Cheap to clone; its
/// `Debug` shows only the id.
#[derive(Clone)]
pub struct MasterKey {
    id: KeyId,
    aead: Arc<LessSafeKey>,
    /// HKDF pseudo-random key for `derive_hmac_key`.
    derive: Arc<hkdf::Prk>,
}

impl MasterKey {
    /// From standard base64 (surrounding whitespace ignored) of exactly 32 bytes.
    pub fn from_base64(encoded: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| KeyError::Base64)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != KEY_LEN {
            return Err(KeyError::Length(bytes.len()));
        }
        let tag = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, bytes),
            b"image-service master key id v1",
        );
        let mut id = [0u8; 8];
        id.copy_from_slice(&tag.as_ref()[..8]);
        let unbound =
            UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KeyError::Length(bytes.len()))?;
        Ok(Self {
            id: KeyId(id),
            aead: Arc::new(LessSafeKey::new(unbound)),
            derive: Arc::new(hkdf::Salt::new(hkdf::HKDF_SHA256, DERIVE_SALT).extract(bytes)),
        })
    }

    /// An HMAC-SHA256 key for `purpose`, derived by HKDF-SHA256: the same
    /// wherever this master key is (every replica, every restart), and
    /// telling nothing about the master key or keys for other purposes.
    pub fn derive_hmac_key(&self, purpose: &[u8]) -> hmac::Key {
        let info = [purpose];
        match self.derive.expand(&info, hmac::HMAC_SHA256) {
            Ok(okm) => hmac::Key::from(okm),
            // HKDF refuses only outputs over 255 hashes; this one is a single hash.
            Err(ring::error::Unspecified) => unreachable!("HKDF output of one hash length"),
        }
    }

    /// A fresh random key, returned with its base64 form (to be stored by the caller).
    pub fn generate() -> Result<(Self, String), KeyError> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| KeyError::Random)?;
        let encoded = STANDARD.encode(bytes);
        Ok((Self::from_bytes(&bytes)?, encoded))
    }

    /// Loads `<data_dir>/encryption.key`, creating it (mode 0600) on first start.
    /// Two processes starting together agree: only one creation can win.
    pub fn load_or_generate(data_dir: &Path) -> Result<Self, KeyFileError> {
        let path = data_dir.join(KEY_FILE_NAME);
        let io_err = |source| KeyFileError::Io {
            path: path.clone(),
            source,
        };
        domain::private_fs::create_dir_all(data_dir).map_err(io_err)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                warn_if_exposed(&path);
                return Self::from_base64(&text).map_err(|source| KeyFileError::Key {
                    path: path.clone(),
                    source,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        let (key, encoded) = Self::generate().map_err(|source| KeyFileError::Key {
            path: path.clone(),
            source,
        })?;
        // Written under a temp name and linked into place, so a crash never leaves
        // a half-written key and a concurrent starter never sees one.
        let temp = data_dir.join(format!(".{KEY_FILE_NAME}.{}.tmp", std::process::id()));
        let written =
            write_private(&temp, &encoded).and_then(|()| std::fs::hard_link(&temp, &path));
        let _ = std::fs::remove_file(&temp);
        match written {
            Ok(()) => {
                std::fs::File::open(data_dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io_err)?;
                tracing::info!(path = %path.display(), key_id = %key.id, "generated a new encryption key");
                Ok(key)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load_or_generate(data_dir),
            Err(e) => Err(io_err(e)),
        }
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn aead(&self) -> &LessSafeKey {
        &self.aead
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn write_private(path: &Path, contents: &str) -> io::Result<()> {
    let mut file = domain::private_fs::file_options()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn warn_if_exposed(path: &Path) {
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "encryption key file is readable by group or others; chmod 600 it");
    }
}

/// The current master key (wraps new and rotated data keys) plus previous ones
/// that may still wrap data keys written before a rotation.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl Keyring {
    /// Previous keys equal to the current one (or repeated) are dropped.
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        let mut kept: Vec<MasterKey> = Vec::with_capacity(previous.len());
        for key in previous {
            if key.id != current.id && kept.iter().all(|k| k.id != key.id) {
                kept.push(key);
            }
        }
        Self {
            current,
            previous: kept,
        }
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The current key, then the previous ones.
    pub fn keys(&self) -> impl Iterator<Item = &MasterKey> {
        std::iter::once(&self.current).chain(&self.previous)
    }

    pub fn get(&self, id: KeyId) -> Option<&MasterKey> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_hides_keys() {
        let encoded = STANDARD.encode([7u8; 32]);
        let key = MasterKey::from_base64(&format!(" {encoded}\n")).unwrap();
        assert!(!format!("{key:?}").contains(&encoded));
        assert_eq!(KeyId::from_hex(&key.id().to_string()), Some(key.id()));
        assert!(matches!(
            MasterKey::from_base64("AAAA"),
            Err(KeyError::Length(3))
        ));
        assert!(matches!(
            MasterKey::from_base64("not base64!"),
            Err(KeyError::Base64)
        ));
    }

    #[test]
    fn generated_key_file_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load_or_generate(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = MasterKey::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.id(), again.id());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
