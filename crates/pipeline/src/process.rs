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

/// An upload decoded and made ready to encode: the display pixels, sRGB and upright.
pub(crate) struct Prepared {
    pub format: SourceFormat,
    /// Source dimensions as displayed, after EXIF orientation.
    pub width: u32,
    pub height: u32,
    pub display: Pixels,
}

/// Validates and converts an upload into its display and thumbnail WebPs. CPU-bound.
///
/// Errors are [`PipelineError::Internal`] when the fault is ours (encoder,
/// resizer, memory), whatever the upload; the other variants blame the upload.
pub fn process(bytes: &[u8], settings: &Settings) -> Result<Processed, PipelineError> {
    process_with(bytes, settings, |_| {})
}

/// [`process`], handing the thumbnail to `thumbnail_ready` as soon as it is encoded, while the
/// display encode still runs, so a caller can store it meanwhile. Not called when anything
/// fails first; the thumbnail is also in the result.
pub fn process_with(
    bytes: &[u8],
    settings: &Settings,
    thumbnail_ready: impl FnOnce(&Encoded) + Send,
) -> Result<Processed, PipelineError> {
    if fault::injected(Fault::Panic) {
        panic!("injected worker panic");
    }
    let prepared = prepare(bytes, settings)?;
    let display = &prepared.display;
    // The display encode is the long pole: it starts at once, while a second thread derives the
    // thumbnail from the display pixels, encodes it and hands it over.
    let (display, thumbnail) = std::thread::scope(|s| {
        let t = s.spawn(|| {
            let thumbnail = thumbnail(display, settings)?;
            thumbnail_ready(&thumbnail);
            Ok(thumbnail)
        });
        let d = encoded(display, settings.display_quality, settings.display_effort);
        let t = t
            .join()
            .unwrap_or_else(|_| Err(PipelineError::internal("thumbnail encoder panicked")));
        if fault::injected(Fault::DisplayEncoder) {
            let injected = "WebP encoding failed: injected display encoder fault";
            return (Err(PipelineError::internal(injected)), t);
        }
        (d, t)
    });
    Ok(Processed {
        format: prepared.format,
        width: prepared.width,
        height: prepared.height,
        display: display?,
        thumbnail: thumbnail?,
    })
}

/// Probe, decode, shrink to the display size, convert to sRGB and turn upright.
pub(crate) fn prepare(bytes: &[u8], settings: &Settings) -> Result<Prepared, PipelineError> {
    let probe = probe(bytes, settings)?;
    let decoded = decode(bytes, &probe, settings)?;
    let orientation = decoded.orientation;
    let (width, height) = orient::apply_dims(probe.width, probe.height, orientation);
    // Shrink first, then colour-convert and rotate: both are then done on ≤ 2048² pixels.
    let pixels = decoded.pixels.drop_opaque_alpha();
    let pixels = resize::shrink_to(pixels, settings.display_max_side)?;
    let pixels = color::to_srgb(pixels, decoded.icc.as_deref()).into_rgb_family();
    Ok(Prepared {
        format: probe.format,
        width,
        height,
        display: orient::apply(pixels, orientation),
    })
}

/// The thumbnail, shrunk from the display pixels and encoded.
pub(crate) fn thumbnail(display: &Pixels, settings: &Settings) -> Result<Encoded, PipelineError> {
    let thumb = resize::shrink_ref(display, settings.thumbnail_max_side)?;
    encoded(
        &thumb,
        settings.thumbnail_quality,
        settings.thumbnail_effort,
    )
}

pub(crate) fn encoded(pixels: &Pixels, quality: f32, effort: u8) -> Result<Encoded, PipelineError> {
    Ok(Encoded {
        bytes: encode::webp(pixels, quality, effort)?,
        width: pixels.width,
        height: pixels.height,
    })
}
