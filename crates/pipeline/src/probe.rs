//! Header-only inspection: format, dimensions, size limits and animation, before any pixel is allocated.

use crate::jpeg_segments::{self, truncated};
use crate::{PipelineError, Settings, SourceFormat, sniff};

/// What the header says, before any decoding. Dimensions are as stored (before EXIF orientation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub format: SourceFormat,
    pub width: u32,
    pub height: u32,
}

/// Reads only the header: refuses unknown types, oversized dimensions and animations.
pub fn probe(bytes: &[u8], settings: &Settings) -> Result<Probe, PipelineError> {
    let format = sniff(bytes).ok_or(if bytes.is_empty() {
        PipelineError::Invalid("empty file".into())
    } else {
        PipelineError::UnsupportedType
    })?;
    let (width, height) = match format {
        SourceFormat::Jpeg => jpeg_dimensions(bytes)?,
        SourceFormat::Png => png_header(bytes)?,
        SourceFormat::Webp => webp_header(bytes)?,
    };
    if width == 0 || height == 0 {
        return Err(PipelineError::invalid("zero width or height"));
    }
    if width > settings.max_side
        || height > settings.max_side
        || u64::from(width) * u64::from(height) > settings.max_pixels
    {
        return Err(PipelineError::TooLarge { width, height });
    }
    Ok(Probe {
        format,
        width,
        height,
    })
}

/// Upper estimate of the bytes processing this image holds at its peak, for a memory budget.
///
/// Counts the full-size decode buffer at its widest (16-bit RGBA PNG; progressive JPEG keeps
/// every DCT coefficient as i16 next to the output) plus the fixed-size variant buffers.
pub fn decode_cost_bytes(probe: &Probe) -> u64 {
    let pixels = u64::from(probe.width) * u64::from(probe.height);
    let per_pixel = match probe.format {
        SourceFormat::Jpeg => 10,
        SourceFormat::Png => 9,
        SourceFormat::Webp => 5,
    };
    // Resize output, orientation copy and two encoders at 2048² RGBA.
    const VARIANTS: u64 = 2048 * 2048 * 4 * 3;
    pixels * per_pixel + VARIANTS
}

fn be16(b: &[u8], at: usize) -> Result<u32, PipelineError> {
    b.get(at..at + 2)
        .map(|s| u32::from(u16::from_be_bytes([s[0], s[1]])))
        .ok_or_else(truncated)
}

fn be32(b: &[u8], at: usize) -> Result<u32, PipelineError> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(truncated)
}

fn le24(b: &[u8], at: usize) -> Result<u32, PipelineError> {
    b.get(at..at + 3)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], 0]))
        .ok_or_else(truncated)
}

/// Walks JPEG marker segments up to the first start-of-frame.
fn jpeg_dimensions(b: &[u8]) -> Result<(u32, u32), PipelineError> {
    let mut i = 2;
    loop {
        let segment = jpeg_segments::next(b, i)?;
        let marker = segment.marker;
        if matches!(marker, 0xD8..=0xDA) {
            return Err(PipelineError::invalid("JPEG has no frame header"));
        }
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            // Valid JPEG the decoder does not take: say so rather than "damaged".
            match marker {
                0xC9..=0xCB | 0xCD..=0xCF => {
                    return Err(PipelineError::Unsupported("arithmetic-coded JPEG"));
                }
                0xC3 => return Err(PipelineError::Unsupported("lossless JPEG")),
                0xC5..=0xC7 => return Err(PipelineError::Unsupported("hierarchical JPEG")),
                _ => {}
            }
            let i = segment.payload;
            match *b.get(i).ok_or_else(truncated)? {
                8 => {}
                12 => return Err(PipelineError::Unsupported("12-bit JPEG")),
                16 => return Err(PipelineError::Unsupported("16-bit JPEG")),
                _ => return Err(PipelineError::invalid("JPEG sample precision is not 8")),
            }
            let height = be16(b, i + 1)?;
            let width = be16(b, i + 3)?;
            return Ok((width, height));
        }
        i = segment.end;
    }
}

/// Reads IHDR and scans the chunks before the first IDAT for an animation of more than one frame.
fn png_header(b: &[u8]) -> Result<(u32, u32), PipelineError> {
    let mut i = 8;
    let first_len = be32(b, i)?;
    if b.get(i + 4..i + 8) != Some(b"IHDR") || first_len != 13 {
        return Err(PipelineError::invalid("PNG does not start with IHDR"));
    }
    let width = be32(b, i + 8)?;
    let height = be32(b, i + 12)?;
    // PNG caps dimensions at 2^31-1; anything above is a corrupt header, not a large image.
    if width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(PipelineError::invalid("PNG dimensions out of range"));
    }
    // An APNG whose one frame is its default image (fcTL before IDAT) is a still image; any
    // other APNG shows, in a browser, frames this decoder does not read.
    let mut frames = None;
    let mut frame_control = false;
    loop {
        let len = be32(b, i)? as usize;
        let kind = b.get(i + 4..i + 8).ok_or_else(truncated)?;
        match kind {
            b"acTL" => frames = Some(be32(b, i + 8)?),
            b"fcTL" => frame_control = true,
            b"IDAT" | b"IEND" => {
                return match frames {
                    Some(n) if n != 1 || !frame_control => {
                        Err(PipelineError::Unsupported("animated PNG"))
                    }
                    _ => Ok((width, height)),
                };
            }
            _ => {}
        }
        // length + type + data + CRC
        i = i
            .checked_add(12)
            .and_then(|n| n.checked_add(len))
            .ok_or_else(truncated)?;
    }
}

/// Reads the first WebP chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended, may animate).
fn webp_header(b: &[u8]) -> Result<(u32, u32), PipelineError> {
    let kind = b.get(12..16).ok_or_else(truncated)?;
    let data = 20;
    match kind {
        b"VP8 " => {
            if b.get(data + 3..data + 6) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err(PipelineError::invalid("bad VP8 start code"));
            }
            let width = be16_le(b, data + 6)? & 0x3FFF;
            let height = be16_le(b, data + 8)? & 0x3FFF;
            Ok((width, height))
        }
        b"VP8L" => {
            if b.get(data) != Some(&0x2F) {
                return Err(PipelineError::invalid("bad VP8L signature"));
            }
            let bits =
                le24(b, data + 1)? | (u32::from(*b.get(data + 4).ok_or_else(truncated)?) << 24);
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let flags = *b.get(data).ok_or_else(truncated)?;
            let width = le24(b, data + 4)? + 1;
            let height = le24(b, data + 7)? + 1;
            if flags & 0x02 != 0 {
                return Err(PipelineError::Unsupported("animated WebP"));
            }
            Ok((width, height))
        }
        _ => Err(PipelineError::invalid("unknown WebP chunk")),
    }
}

fn be16_le(b: &[u8], at: usize) -> Result<u32, PipelineError> {
    b.get(at..at + 2)
        .map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])))
        .ok_or_else(truncated)
}
