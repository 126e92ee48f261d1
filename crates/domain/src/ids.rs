//! Typed identifiers: images are ULIDs, albums UUID v4, users the token's `sub`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An image id: a ULID, so ids sort by creation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImageId(pub ulid::Ulid);

impl ImageId {
    pub fn new() -> Self {
        Self(ulid::Ulid::new())
    }
}

impl Default for ImageId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ImageId {
    type Err = ulid::DecodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the canonical 26-character form: one id, one spelling.
        let id = ulid::Ulid::from_string(s)?;
        if id.to_string() != s {
            return Err(ulid::DecodeError::InvalidChar);
        }
        Ok(Self(id))
    }
}

/// An album id: a random UUID v4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlbumId(pub uuid::Uuid);

impl AlbumId {
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl Default for AlbumId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AlbumId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for AlbumId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

/// The longest storage segment kept readable: file names stop at 255 bytes,
/// and the stores add their own suffixes (temporary files, key names).
pub const MAX_SEGMENT_BYTES: usize = 200;

/// A user id: the `sub` claim of a verified token, never empty.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Returns `None` for an empty `sub`.
    pub fn new(sub: impl Into<String>) -> Option<Self> {
        let sub = sub.into();
        (!sub.is_empty()).then_some(Self(sub))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A filesystem- and URL-safe, injective encoding of the id for blob keys.
    ///
    /// `[A-Za-z0-9_-]` stay as they are; every other byte becomes `.XX` (hex),
    /// so no encoded id is `.`/`..`, contains `/`, or collides with another.
    /// An encoding longer than [`MAX_SEGMENT_BYTES`] (a `sub` of 100 × "é"
    /// is 600) would not fit a file name, so it becomes `.h` and the SHA-256
    /// of the id in hex: `h` never follows `.` in the escaped form, so the two
    /// forms cannot collide either.
    pub fn storage_segment(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for byte in self.0.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
                out.push(byte as char);
            } else {
                out.push_str(&format!(".{byte:02X}"));
            }
        }
        if out.len() > MAX_SEGMENT_BYTES {
            use sha2::{Digest, Sha256};
            let digest = Sha256::digest(self.0.as_bytes());
            out = digest.iter().fold(String::from(".h"), |mut hex, b| {
                hex.push_str(&format!("{b:02x}"));
                hex
            });
        }
        out
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_segment_never_escapes() {
        let user = UserId::new("../../etc").unwrap();
        let seg = user.storage_segment();
        assert!(!seg.contains('/'));
        assert_eq!(seg, ".2E.2E.2F.2E.2E.2Fetc");
        assert_eq!(UserId::new("a.b").unwrap().storage_segment(), "a.2Eb");
        assert_ne!(
            UserId::new(".2E").unwrap().storage_segment(),
            UserId::new(".").unwrap().storage_segment()
        );
    }

    #[test]
    fn long_ids_get_a_short_segment() {
        for sub in ["é".repeat(100), "x".repeat(1000), "📷".repeat(250)] {
            let seg = UserId::new(sub.clone()).unwrap().storage_segment();
            assert!(seg.len() <= MAX_SEGMENT_BYTES, "{} bytes", seg.len());
            assert!(seg.starts_with(".h") && !seg.contains('/'), "{seg}");
            let other = UserId::new(format!("{sub}!")).unwrap().storage_segment();
            assert_ne!(seg, other);
        }
        // Up to the limit the readable form stays (existing data keeps its keys).
        let at_limit = "a".repeat(MAX_SEGMENT_BYTES);
        assert_eq!(
            UserId::new(at_limit.clone()).unwrap().storage_segment(),
            at_limit
        );
    }

    #[test]
    fn image_id_is_canonical() {
        let id = ImageId::new();
        assert_eq!(id.to_string().parse::<ImageId>().unwrap(), id);
        assert!(id.to_string().to_lowercase().parse::<ImageId>().is_err());
        assert!("nope".parse::<ImageId>().is_err());
    }
}
