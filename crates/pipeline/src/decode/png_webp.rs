//! PNG and WebP decoding through the `image` crate's pure-Rust decoders (png, image-webp).

use std::io::Cursor;

use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::{ColorType, ImageDecoder, ImageError};

use super::Decoded;
use crate::PipelineError;
use crate::pixels::{Layout, Pixels};

pub(super) fn decode_png(bytes: &[u8], limits: image::Limits) -> Result<Decoded, PipelineError> {
    let decoder = PngDecoder::with_limits(Cursor::new(bytes), limits).map_err(map_err)?;
    finish(decoder)
}

pub(super) fn decode_webp(bytes: &[u8], limits: image::Limits) -> Result<Decoded, PipelineError> {
    let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(map_err)?;
    decoder.set_limits(limits).map_err(map_err)?;
    finish(decoder)
}

fn finish(mut decoder: impl ImageDecoder) -> Result<Decoded, PipelineError> {
    let icc = decoder.icc_profile().map_err(map_err)?;
    // A damaged EXIF block must not sink an otherwise good image: fall back to upright.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (width, height) = decoder.dimensions();
    let color = decoder.color_type();
    let total = usize::try_from(decoder.total_bytes())
        .map_err(|_| PipelineError::internal("image too large for this platform"))?;
    let mut buf = crate::pixels::zeroed(total)?;
    decoder.read_image(&mut buf).map_err(map_err)?;
    let (data, layout) = match color {
        ColorType::L8 => (buf, Layout::Gray),
        ColorType::La8 => (buf, Layout::GrayAlpha),
        ColorType::Rgb8 => (buf, Layout::Rgb),
        ColorType::Rgba8 => (buf, Layout::Rgba),
        ColorType::L16 => (strip16(&buf), Layout::Gray),
        ColorType::La16 => (strip16(&buf), Layout::GrayAlpha),
        ColorType::Rgb16 => (strip16(&buf), Layout::Rgb),
        ColorType::Rgba16 => (strip16(&buf), Layout::Rgba),
        // The header check admits only 8- and 16-bit PNG and WebP: another type is our gap.
        other => {
            return Err(PipelineError::internal(format!(
                "unsupported colour type {other:?}"
            )));
        }
    };
    Ok(Decoded {
        pixels: Pixels::new(data, width, height, layout),
        icc,
        orientation,
    })
}

/// 16-bit native-endian samples to 8-bit, rounding to nearest.
fn strip16(buf: &[u8]) -> Vec<u8> {
    buf.chunks_exact(2)
        .map(|s| {
            let v = u32::from(u16::from_ne_bytes([s[0], s[1]]));
            ((v * 255 + 32_767) / 65_535) as u8
        })
        .collect()
}

/// The file's fault, except a buffer we sized wrong (`Parameter`).
fn map_err(e: ImageError) -> PipelineError {
    match e {
        ImageError::Limits(l) => PipelineError::invalid(format!("over decoder limits: {l}")),
        ImageError::Parameter(p) => PipelineError::internal(format!("decoder misused: {p}")),
        other => PipelineError::invalid(other),
    }
}
