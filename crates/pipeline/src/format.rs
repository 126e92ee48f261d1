//! Source formats and magic-number sniffing; the declared content type never decides the format.

/// An accepted upload format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Webp,
}

impl SourceFormat {
    /// The MIME type of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    /// Parses a declared MIME type (case-insensitive, parameters ignored).
    pub fn from_content_type(s: &str) -> Option<Self> {
        let essence = s.split(';').next().unwrap_or("").trim();
        [Self::Jpeg, Self::Png, Self::Webp]
            .into_iter()
            .find(|f| f.content_type().eq_ignore_ascii_case(essence))
    }
}

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The format named by the first bytes, or `None` when they are not JPEG, PNG or WebP.
pub fn sniff(bytes: &[u8]) -> Option<SourceFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(SourceFormat::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Some(SourceFormat::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(SourceFormat::Webp)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_round_trip() {
        for f in [SourceFormat::Jpeg, SourceFormat::Png, SourceFormat::Webp] {
            assert_eq!(SourceFormat::from_content_type(f.content_type()), Some(f));
        }
        assert_eq!(
            SourceFormat::from_content_type("IMAGE/PNG; charset=x"),
            Some(SourceFormat::Png)
        );
        assert_eq!(SourceFormat::from_content_type("image/gif"), None);
    }
}
