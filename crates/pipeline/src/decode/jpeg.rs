//! JPEG decoding with zune-jpeg (pure Rust), including raw CMYK/YCCK for ICC-correct conversion.

use image::metadata::Orientation;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::Decoded;
use crate::pixels::{Layout, Pixels};
use crate::{PipelineError, Probe, Settings, color, jpeg_segments};

pub(super) fn decode(
    bytes: &[u8],
    probe: &Probe,
    settings: &Settings,
) -> Result<Decoded, PipelineError> {
    let max = settings.max_side as usize;
    // Strict mode turns truncated or corrupt entropy data into an error instead of grey blocks.
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(max)
        .set_max_height(max);
    let cleaned = jpeg_segments::cleaned_header(bytes)?;
    let bytes = cleaned.as_deref().unwrap_or(bytes);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(PipelineError::invalid)?;
    let input = decoder
        .input_colorspace()
        .ok_or_else(|| PipelineError::invalid("JPEG colour space unknown"))?;
    let (output, layout) = match input {
        ColorSpace::Luma => (ColorSpace::Luma, Layout::Gray),
        // Four-channel sources come out raw so their ICC profile (or the naive formula) applies.
        ColorSpace::CMYK | ColorSpace::YCCK => (input, Layout::Rgba),
        _ => (ColorSpace::RGB, Layout::Rgb),
    };
    decoder.set_options(options.jpeg_set_out_colorspace(output));
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| PipelineError::invalid("JPEG dimensions unknown"))?;
    if (width as u64, height as u64) != (u64::from(probe.width), u64::from(probe.height)) {
        return Err(PipelineError::invalid(
            "JPEG frame header disagrees with probe",
        ));
    }
    let icc = decoder.icc_profile();
    let orientation = decoder
        .exif()
        .and_then(|exif| Orientation::from_exif_chunk(exif))
        .unwrap_or(Orientation::NoTransforms);
    let size = decoder
        .output_buffer_size()
        .ok_or_else(|| PipelineError::invalid("JPEG output size unknown"))?;
    let mut data = crate::pixels::zeroed(size)?;
    decoder
        .decode_into(&mut data)
        .map_err(PipelineError::invalid)?;
    let (width, height) = (probe.width, probe.height);
    if matches!(input, ColorSpace::CMYK | ColorSpace::YCCK) {
        if input == ColorSpace::YCCK {
            color::ycck_to_cmyk(&mut data);
        }
        let rgb = color::cmyk_to_srgb(&data, icc.as_deref());
        return Ok(Decoded {
            pixels: Pixels::new(rgb, width, height, Layout::Rgb),
            icc: None,
            orientation,
        });
    }
    Ok(Decoded {
        pixels: Pixels::new(data, width, height, layout),
        icc,
        orientation,
    })
}
