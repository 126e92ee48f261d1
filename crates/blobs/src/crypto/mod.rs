//! Encryption at rest: master keys, per-user data keys and the sealed object formats.

pub(crate) mod dek_cache;
pub(crate) mod envelope;
mod master_key;

pub use master_key::{KEY_FILE_NAME, KeyError, KeyFileError, KeyId, Keyring, MasterKey};

/// Why sealed bytes could not be opened (or sealed). Carries no key material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed object is truncated")]
    Truncated,
    #[error("sealed object has an unknown format (bad magic)")]
    BadMagic,
    #[error("sealed object has unsupported format version {0}")]
    UnsupportedVersion(u8),
    #[error("data key is wrapped by master key {0}, which is not configured")]
    UnknownMasterKey(KeyId),
    #[error(
        "blob was sealed under data key {blob}, but the user's data key is {current}: it was destroyed or replaced"
    )]
    DataKeyMismatch { blob: String, current: String },
    #[error(
        "authentication failed: the object was tampered with, moved, or sealed under another key"
    )]
    Authentication,
    #[error("system random number generator failed")]
    Random,
}

/// Lower-case hex, for ids and file names (never for secrets).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
