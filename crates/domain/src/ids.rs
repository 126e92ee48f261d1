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
    pub fn storage_segment(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for byte in self.0.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
                out.push(byte as char);
            } else {
                out.push_str(&format!(".{byte:02X}"));
            }
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
    fn image_id_is_canonical() {
        let id = ImageId::new();
        assert_eq!(id.to_string().parse::<ImageId>().unwrap(), id);
        assert!(id.to_string().to_lowercase().parse::<ImageId>().is_err());
        assert!("nope".parse::<ImageId>().is_err());
    }
}
