//! Decoding to 8-bit pixels plus what we need from the metadata (ICC profile, EXIF orientation).

mod jpeg;
mod png_webp;

use image::metadata::Orientation;

use crate::pixels::Pixels;
use crate::{PipelineError, Probe, Settings, SourceFormat};

/// A decoded source: pixels still in the source's colour space and stored orientation.
pub(crate) struct Decoded {
    pub pixels: Pixels,
    /// The embedded ICC profile when the pixels still need converting to sRGB.
    pub icc: Option<Vec<u8>>,
    pub orientation: Orientation,
}

/// Decodes `bytes` (already probed) to pixels; only pure-Rust decoders see these bytes.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    settings: &Settings,
) -> Result<Decoded, PipelineError> {
    let limits = limits(probe, settings);
    match probe.format {
        SourceFormat::Jpeg => jpeg::decode(bytes, probe, settings),
        SourceFormat::Png => png_webp::decode_png(bytes, limits),
        SourceFormat::Webp => png_webp::decode_webp(bytes, limits),
    }
}

/// The second fence after the header check: the decoders themselves refuse to allocate past it.
fn limits(probe: &Probe, settings: &Settings) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(settings.max_side);
    limits.max_image_height = Some(settings.max_side);
    // 16-bit RGBA output plus room for metadata chunks (ICC, EXIF) of a few MiB.
    let pixels = u64::from(probe.width) * u64::from(probe.height);
    limits.max_alloc = Some(pixels * 8 + (16 << 20));
    limits
}
