//! The whole upload job: probe, decode, shrink, colour, orient, thumbnail, encode both variants.

use crate::decode::decode;
use crate::fault::{self, Fault};
use crate::pixels::Pixels;
use crate::{PipelineError, Settings, SourceFormat, color, encode, orient, probe, resize};

/// One encoded WebP variant.
#[derive(Clone, Debug)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The result of processing one upload.
#[derive(Clone, Debug)]
pub struct Processed {
    pub format: SourceFormat,
    /// Source dimensions as displayed, after EXIF orientation.
    pub width: u32,
    pub height: u32,
    pub display: Encoded,
    pub thumbnail: Encoded,
}

/// Validates and converts an upload into its display and thumbnail WebPs. CPU-bound.
///
/// Errors are [`PipelineError::Internal`] when the fault is ours (encoder,
/// resizer, memory), whatever the upload; the other variants blame the upload.
pub fn process(bytes: &[u8], settings: &Settings) -> Result<Processed, PipelineError> {
    if fault::injected(Fault::Panic) {
        panic!("injected worker panic");
    }
    let probe = probe(bytes, settings)?;
    let decoded = decode(bytes, &probe, settings)?;
    let orientation = decoded.orientation;
    let (width, height) = orient::apply_dims(probe.width, probe.height, orientation);
    // Shrink first, then colour-convert and rotate: both are then done on ≤ 2048² pixels.
    let pixels = decoded.pixels.drop_opaque_alpha();
    let pixels = resize::shrink_to(pixels, settings.display_max_side)?;
    let pixels = color::to_srgb(pixels, decoded.icc.as_deref()).into_rgb_family();
    let display = orient::apply(pixels, orientation);
    // The display encode is the long pole: it starts at once, while a second thread derives the
    // thumbnail from the display pixels and encodes it.
    let (display, thumbnail) = std::thread::scope(|s| {
        let t = s.spawn(|| {
            let thumb = resize::shrink_ref(&display, settings.thumbnail_max_side)?;
            encoded(
                &thumb,
                settings.thumbnail_quality,
                settings.thumbnail_effort,
            )
        });
        let d = encoded(&display, settings.display_quality, settings.display_effort);
        let t = t
            .join()
            .unwrap_or_else(|_| Err(PipelineError::internal("thumbnail encoder panicked")));
        (d, t)
    });
    Ok(Processed {
        format: probe.format,
        width,
        height,
        display: display?,
        thumbnail: thumbnail?,
    })
}

fn encoded(pixels: &Pixels, quality: f32, effort: u8) -> Result<Encoded, PipelineError> {
    Ok(Encoded {
        bytes: encode::webp(pixels, quality, effort)?,
        width: pixels.width,
        height: pixels.height,
    })
}
