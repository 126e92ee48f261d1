//! Colour management: embedded ICC profiles to sRGB with moxcms, and CMYK/YCCK JPEG conversion.

use moxcms::{ColorProfile, DataColorSpace, Layout as CmsLayout, TransformOptions};

use crate::pixels::{Layout, Pixels};

/// Converts pixels tagged with `icc` to sRGB. A profile that does not parse or does not fit the
/// pixels is ignored (the pixels are taken as sRGB), as browsers do.
pub(crate) fn to_srgb(pixels: Pixels, icc: Option<&[u8]>) -> Pixels {
    let Some(profile) = icc.and_then(|icc| ColorProfile::new_from_slice(icc).ok()) else {
        return pixels;
    };
    let (src, dst, out_layout) = match (pixels.layout, profile.color_space) {
        (Layout::Rgb, DataColorSpace::Rgb) => (CmsLayout::Rgb, CmsLayout::Rgb, Layout::Rgb),
        (Layout::Rgba, DataColorSpace::Rgb) => (CmsLayout::Rgba, CmsLayout::Rgba, Layout::Rgba),
        (Layout::Gray, DataColorSpace::Gray) => (CmsLayout::Gray, CmsLayout::Rgb, Layout::Rgb),
        (Layout::GrayAlpha, DataColorSpace::Gray) => {
            (CmsLayout::GrayAlpha, CmsLayout::Rgba, Layout::Rgba)
        }
        _ => return pixels,
    };
    let srgb = ColorProfile::new_srgb();
    let Ok(transform) = profile.create_transform_8bit(src, &srgb, dst, TransformOptions::default())
    else {
        return pixels;
    };
    let count = pixels.width as usize * pixels.height as usize;
    let mut out = vec![0u8; count * out_layout.channels()];
    if transform.transform(&pixels.data, &mut out).is_err() {
        return pixels;
    }
    Pixels::new(out, pixels.width, pixels.height, out_layout)
}

/// Turns raw YCCK samples into the Adobe-style (inverted) CMYK they encode, in place.
pub(crate) fn ycck_to_cmyk(data: &mut [u8]) {
    for px in data.chunks_exact_mut(4) {
        let y = f32::from(px[0]);
        let cb = f32::from(px[1]) - 128.0;
        let cr = f32::from(px[2]) - 128.0;
        px[0] = (y + 1.402 * cr).round().clamp(0.0, 255.0) as u8;
        px[1] = (y - 0.344_136 * cb - 0.714_136 * cr)
            .round()
            .clamp(0.0, 255.0) as u8;
        px[2] = (y + 1.772 * cb).round().clamp(0.0, 255.0) as u8;
    }
}

/// Adobe-style CMYK (as Photoshop writes it: 255 = no ink) to sRGB RGB.
///
/// With a CMYK ICC profile the ink values go through moxcms; without one, the naive
/// `R = (1 - C)(1 - K)` formula that libjpeg-based viewers use.
pub(crate) fn cmyk_to_srgb(data: &[u8], icc: Option<&[u8]>) -> Vec<u8> {
    let count = data.len() / 4;
    let mut out = vec![0u8; count * 3];
    if let Some(profile) = icc.and_then(|icc| ColorProfile::new_from_slice(icc).ok())
        && profile.color_space == DataColorSpace::Cmyk
        && let Ok(transform) = profile.create_transform_8bit(
            CmsLayout::Rgba,
            &ColorProfile::new_srgb(),
            CmsLayout::Rgb,
            TransformOptions::default(),
        )
    {
        let ink: Vec<u8> = data.iter().map(|v| 255 - v).collect();
        if transform.transform(&ink, &mut out).is_ok() {
            return out;
        }
    }
    for (px, o) in data.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let k = u32::from(px[3]);
        for c in 0..3 {
            o[c] = ((u32::from(px[c]) * k + 127) / 255) as u8;
        }
    }
    out
}
