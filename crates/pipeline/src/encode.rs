//! Lossy WebP encoding with libwebp 1.6 (libwebp-sys, built with its worker threads and SSE4.1).
//!
//! libwebp only ever sees pixels we decoded ourselves, never uploaded bytes. This is the one
//! module with `unsafe`: a thin wrapper over five libwebp calls, each with its invariant stated.
#![allow(unsafe_code)]

use std::ffi::c_int;

use libwebp_sys as ffi;

use crate::PipelineError;
use crate::fault::{self, Fault};
use crate::pixels::{Layout, Pixels};

/// Encodes RGB or RGBA pixels (gray must be expanded first) as lossy WebP at `quality`,
/// with libwebp's `method` `effort` (0 fastest … 6 smallest).
///
/// The output is a bare VP8/VP8L/ALPH RIFF: no EXIF, XMP or ICC chunk can reach it.
pub(crate) fn webp(pixels: &Pixels, quality: f32, effort: u8) -> Result<Vec<u8>, PipelineError> {
    let channels = match pixels.layout {
        Layout::Rgb => 3,
        Layout::Rgba => 4,
        other => {
            return Err(PipelineError::internal(format!(
                "encoder given {other:?} pixels"
            )));
        }
    };
    // The display variant is at most a few thousand pixels a side: never the upload's fault.
    let too_big = || PipelineError::internal("image too large for the WebP encoder");
    let width = c_int::try_from(pixels.width).map_err(|_| too_big())?;
    let height = c_int::try_from(pixels.height).map_err(|_| too_big())?;
    let stride = width.checked_mul(channels).ok_or_else(too_big)?;
    if pixels.data.len() != stride as usize * height as usize {
        return Err(PipelineError::internal(
            "pixel buffer does not match its size",
        ));
    }
    let config = config(quality, effort)?;
    let mut picture = Picture::new(width, height)?;
    let source = pixels.data.as_ptr();
    // SAFETY: `source` points at `stride × height` initialised bytes (checked above) that outlive
    // the call; libwebp copies them into the picture's own YUVA planes and keeps no pointer.
    let imported = unsafe {
        match pixels.layout {
            Layout::Rgba => ffi::WebPPictureImportRGBA(&mut picture.0, source, stride),
            _ => ffi::WebPPictureImportRGB(&mut picture.0, source, stride),
        }
    };
    if imported == 0 {
        return Err(PipelineError::internal("WebP encoder out of memory"));
    }
    let mut out: Vec<u8> = Vec::new();
    picture.0.writer = Some(append_to_vec);
    picture.0.custom_ptr = (&raw mut out).cast();
    // SAFETY: `config` was initialised by libwebp and validated by it inside WebPEncode; the
    // picture holds its own planes; `custom_ptr` points at `out`, which is neither moved nor
    // otherwise borrowed until WebPEncode returns, and `append_to_vec` is its only user.
    let encoded = unsafe { ffi::WebPEncode(&config, &mut picture.0) };
    if fault::injected(Fault::Encoder) {
        return Err(PipelineError::internal(
            "WebP encoding failed: injected encoder fault",
        ));
    }
    if encoded == 0 {
        return Err(PipelineError::internal(format!(
            "WebP encoding failed: {:?}",
            picture.0.error_code
        )));
    }
    Ok(out)
}

/// libwebp's defaults for `quality` with the tools named; sharp's `effort: 4` is method 4.
fn config(quality: f32, effort: u8) -> Result<ffi::WebPConfig, PipelineError> {
    let mut config = std::mem::MaybeUninit::<ffi::WebPConfig>::uninit();
    // SAFETY: WebPConfigInitInternal fills every field of the struct when it returns non-zero
    // (it refuses only an ABI mismatch), so `assume_init` reads an initialised value.
    let config = unsafe {
        let ok = ffi::WebPConfigInitInternal(
            config.as_mut_ptr(),
            ffi::WebPPreset::WEBP_PRESET_DEFAULT,
            quality,
            ffi::WEBP_ENCODER_ABI_VERSION as c_int,
        );
        if ok == 0 {
            return Err(PipelineError::internal("libwebp version mismatch"));
        }
        config.assume_init()
    };
    Ok(ffi::WebPConfig {
        quality,
        method: c_int::from(effort.min(crate::settings::MAX_EFFORT)),
        lossless: 0,
        alpha_compression: 1,
        // Runs the analysis pass and alpha plane on a second thread: same bytes, lower latency.
        thread_level: 1,
        ..config
    })
}

/// A libwebp picture that frees its planes when dropped.
struct Picture(ffi::WebPPicture);

impl Picture {
    fn new(width: c_int, height: c_int) -> Result<Self, PipelineError> {
        let mut picture = std::mem::MaybeUninit::<ffi::WebPPicture>::uninit();
        // SAFETY: WebPPictureInitInternal zeroes the whole struct before it returns non-zero.
        let mut picture = unsafe {
            if ffi::WebPPictureInitInternal(
                picture.as_mut_ptr(),
                ffi::WEBP_ENCODER_ABI_VERSION as c_int,
            ) == 0
            {
                return Err(PipelineError::internal("libwebp version mismatch"));
            }
            picture.assume_init()
        };
        picture.width = width;
        picture.height = height;
        Ok(Self(picture))
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: the picture was initialised by libwebp; freeing an unallocated one is a no-op.
        unsafe { ffi::WebPPictureFree(&mut self.0) }
    }
}

/// libwebp's output callback: appends each chunk to the `Vec<u8>` behind `custom_ptr`.
unsafe extern "C" fn append_to_vec(
    data: *const u8,
    size: usize,
    picture: *const ffi::WebPPicture,
) -> c_int {
    if size == 0 {
        return 1;
    }
    // SAFETY: libwebp passes back the picture `webp` set up, whose `custom_ptr` is the live,
    // exclusively-owned `Vec<u8>` there, and `data` points at `size` bytes it just produced.
    unsafe {
        let out = &mut *(*picture).custom_ptr.cast::<Vec<u8>>();
        out.extend_from_slice(std::slice::from_raw_parts(data, size));
    }
    1
}

#[cfg(test)]
mod tests {
    use super::webp;
    use crate::pixels::{Layout, Pixels};

    fn decode(bytes: &[u8]) -> image::DynamicImage {
        image::load_from_memory_with_format(bytes, image::ImageFormat::WebP).expect("valid WebP")
    }

    #[test]
    fn rgba_round_trips_with_its_alpha() {
        // Left half opaque red, right half fully transparent.
        let (w, h) = (64u32, 32u32);
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                if i % w < w / 2 {
                    [255, 0, 0, 255]
                } else {
                    [0, 0, 0, 0]
                }
            })
            .collect();
        let bytes = webp(&Pixels::new(data, w, h, Layout::Rgba), 80.0, 4).expect("encodes");
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(&bytes[8..12], b"WEBP");
        let img = decode(&bytes).to_rgba8();
        assert_eq!(img.dimensions(), (w, h));
        let left = img.get_pixel(8, 16).0;
        assert!(left[0] > 240 && left[1] < 16 && left[3] == 255, "{left:?}");
        assert_eq!(img.get_pixel(56, 16).0[3], 0);
    }

    #[test]
    fn effort_trades_time_for_bytes_and_every_level_decodes() {
        // Smooth gradients with some texture: room for the higher methods to save.
        let (w, h) = (256u32, 256u32);
        let data: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                [(x ^ y) as u8, (x * 2) as u8, ((x + y) / 2) as u8]
            })
            .collect();
        let pixels = Pixels::new(data, w, h, Layout::Rgb);
        let sizes: Vec<usize> = (0..=crate::settings::MAX_EFFORT)
            .map(|effort| {
                let bytes = webp(&pixels, 80.0, effort).expect("encodes");
                assert_eq!(decode(&bytes).to_rgb8().dimensions(), (w, h));
                bytes.len()
            })
            .collect();
        assert_ne!(sizes[0], sizes[6], "{sizes:?}");
        assert!(
            sizes[6] < sizes[0],
            "method 6 is not smaller than 0: {sizes:?}"
        );
    }

    #[test]
    fn refuses_gray_and_a_buffer_that_does_not_match_its_size() {
        let gray = Pixels {
            data: vec![0; 16],
            width: 4,
            height: 4,
            layout: Layout::Gray,
        };
        assert!(webp(&gray, 80.0, 4).is_err());
        let short = Pixels {
            data: vec![0; 10],
            width: 4,
            height: 4,
            layout: Layout::Rgb,
        };
        assert!(webp(&short, 80.0, 4).is_err());
    }
}
