//! Downscaling with fast_image_resize (SIMD convolution, alpha premultiplied while filtering).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::PipelineError;
use crate::fault::{self, Fault};
use crate::pixels::{Layout, Pixels};

/// Size that fits `width × height` inside a `max_side` square, never larger than the source.
pub(crate) fn fit(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_side || max_side == 0 {
        return (width, height);
    }
    let scale = f64::from(max_side) / f64::from(long);
    let w = ((f64::from(width) * scale).round() as u32).clamp(1, max_side);
    let h = ((f64::from(height) * scale).round() as u32).clamp(1, max_side);
    (w, h)
}

/// Downscales so the long edge is at most `max_side`; returns the input untouched when it fits.
pub(crate) fn shrink_to(pixels: Pixels, max_side: u32) -> Result<Pixels, PipelineError> {
    let (w, h) = fit(pixels.width, pixels.height, max_side);
    if (w, h) == (pixels.width, pixels.height) {
        return Ok(pixels);
    }
    resize(&pixels, w, h)
}

/// Like [`shrink_to`] but borrows, for deriving a thumbnail from pixels still needed.
pub(crate) fn shrink_ref(pixels: &Pixels, max_side: u32) -> Result<Pixels, PipelineError> {
    let (w, h) = fit(pixels.width, pixels.height, max_side);
    if (w, h) == (pixels.width, pixels.height) {
        return Ok(pixels.clone());
    }
    resize(pixels, w, h)
}

/// Resamples to exactly `width × height` with Lanczos3.
pub(crate) fn resize(pixels: &Pixels, width: u32, height: u32) -> Result<Pixels, PipelineError> {
    let pixel_type = match pixels.layout {
        Layout::Gray => PixelType::U8,
        Layout::GrayAlpha => PixelType::U8x2,
        Layout::Rgb => PixelType::U8x3,
        Layout::Rgba => PixelType::U8x4,
    };
    // Both failures mean our buffers disagree with their sizes: never the upload's fault.
    if fault::injected(Fault::Resizer) {
        return Err(PipelineError::internal(
            "resize failed: injected resizer fault",
        ));
    }
    let src = ImageRef::new(pixels.width, pixels.height, &pixels.data, pixel_type)
        .map_err(|e| PipelineError::internal(format!("resize source: {e}")))?;
    let mut dst = Image::new(width, height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| PipelineError::internal(format!("resize failed: {e}")))?;
    Ok(Pixels::new(dst.into_vec(), width, height, pixels.layout))
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn fit_never_upscales_and_keeps_aspect() {
        assert_eq!(fit(100, 50, 400), (100, 50));
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 400), (300, 400));
        assert_eq!(fit(10000, 1, 400), (400, 1));
    }
}
