//! Blob keys: `images/{user}/{imageId}.webp` and `thumbnails/{user}/{imageId}.webp`.

use crate::ids::{ImageId, UserId};

/// Which stored rendition of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    Display,
    Thumbnail,
}

impl Variant {
    pub const ALL: [Variant; 2] = [Variant::Display, Variant::Thumbnail];

    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Display => "display",
            Variant::Thumbnail => "thumbnail",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "display" => Some(Variant::Display),
            "thumbnail" => Some(Variant::Thumbnail),
            _ => None,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Variant::Display => "images",
            Variant::Thumbnail => "thumbnails",
        }
    }
}

/// A relative, validated blob key: segments of `[A-Za-z0-9._-]`, never `.` or `..`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn for_variant(user: &UserId, image: ImageId, variant: Variant) -> Self {
        Self(format!(
            "{}/{}/{}.webp",
            variant.prefix(),
            user.storage_segment(),
            image
        ))
    }

    /// Parses a key read back from a store listing; refuses anything that could escape.
    pub fn parse(key: &str) -> Option<Self> {
        let ok = !key.is_empty()
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            });
        ok.then(|| Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_contract() {
        let user = UserId::new("user-456").unwrap();
        let id = ImageId::new();
        let key = BlobKey::for_variant(&user, id, Variant::Thumbnail);
        assert_eq!(key.as_str(), format!("thumbnails/user-456/{id}.webp"));
        assert!(BlobKey::parse(key.as_str()).is_some());
        assert!(BlobKey::parse("images/../x").is_none());
        assert!(BlobKey::parse("/etc/passwd").is_none());
    }
}
