//! Lossy WebP encoding with libwebp; it only ever sees pixels we decoded, never uploaded bytes.

use webp::{Encoder, PixelLayout, WebPConfig};

use crate::PipelineError;
use crate::pixels::{Layout, Pixels};

/// Encodes RGB or RGBA pixels (gray must be expanded first) as lossy WebP at `quality`.
///
/// The output is a bare VP8/VP8L/ALPH RIFF: no EXIF, XMP or ICC chunk can reach it.
pub(crate) fn webp(pixels: &Pixels, quality: f32) -> Result<Vec<u8>, PipelineError> {
    let layout = match pixels.layout {
        Layout::Rgb => PixelLayout::Rgb,
        Layout::Rgba => PixelLayout::Rgba,
        other => {
            return Err(PipelineError::invalid(format!(
                "encoder given {other:?} pixels"
            )));
        }
    };
    let mut config =
        WebPConfig::new().map_err(|()| PipelineError::invalid("libwebp version mismatch"))?;
    // libwebp's defaults are sharp's `effort: 4`; say so rather than rely on them.
    config.quality = quality;
    config.method = 4;
    config.lossless = 0;
    config.alpha_compression = 1;
    // Lets libwebp run its analysis pass on a second thread: same bytes, lower latency.
    config.thread_level = 1;
    let encoder = Encoder::new(&pixels.data, layout, pixels.width, pixels.height);
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| PipelineError::invalid(format!("WebP encoding failed: {e:?}")))?;
    Ok(memory.to_vec())
}
