//! Tunable limits and variant sizes for the pipeline; defaults follow API.md section 7.

/// What the pipeline produces and what it refuses.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Long edge of the display variant, in pixels.
    pub display_max_side: u32,
    /// Lossy WebP quality (0–100) of the display variant.
    pub display_quality: f32,
    /// libwebp's method (0 fastest … 6 smallest) for the display variant.
    pub display_effort: u8,
    /// Long edge of the thumbnail, in pixels.
    pub thumbnail_max_side: u32,
    /// Lossy WebP quality (0–100) of the thumbnail.
    pub thumbnail_quality: f32,
    /// libwebp's method (0 fastest … 6 smallest) for the thumbnail.
    pub thumbnail_effort: u8,
    /// Largest accepted width × height of a source image.
    pub max_pixels: u64,
    /// Largest accepted width or height of a source image.
    pub max_side: u32,
}

/// The highest libwebp method.
pub const MAX_EFFORT: u8 = 6;

impl Default for Settings {
    fn default() -> Self {
        Self {
            display_max_side: 2048,
            display_quality: 80.0,
            // Method 4: what sharp's default `effort: 4` is, so bytes and quality match it.
            display_effort: 4,
            thumbnail_max_side: 400,
            thumbnail_quality: 75.0,
            thumbnail_effort: 4,
            max_pixels: 50_000_000,
            max_side: 16384,
        }
    }
}
