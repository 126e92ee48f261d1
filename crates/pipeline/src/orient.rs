//! EXIF orientation applied to pixels, so the stored variants are upright.

use image::metadata::Orientation;

use crate::pixels::Pixels;

/// Returns the pixels as they should be displayed under `orientation`.
pub(crate) fn apply(pixels: Pixels, orientation: Orientation) -> Pixels {
    use Orientation::*;
    if orientation == NoTransforms {
        return pixels;
    }
    let (w, h) = (pixels.width as usize, pixels.height as usize);
    let n = pixels.layout.channels();
    let swaps = matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    );
    let (ow, oh) = if swaps { (h, w) } else { (w, h) };
    let mut out = vec![0u8; pixels.data.len()];
    for y in 0..h {
        let row = &pixels.data[y * w * n..(y + 1) * w * n];
        for x in 0..w {
            // Destination of source pixel (x, y); Rotate* are clockwise, as image defines them.
            let (dx, dy) = match orientation {
                NoTransforms => (x, y),
                FlipHorizontal => (w - 1 - x, y),
                Rotate180 => (w - 1 - x, h - 1 - y),
                FlipVertical => (x, h - 1 - y),
                Rotate90 => (h - 1 - y, x),
                Rotate270 => (y, w - 1 - x),
                Rotate90FlipH => (y, x),
                Rotate270FlipH => (h - 1 - y, w - 1 - x),
            };
            let d = (dy * ow + dx) * n;
            out[d..d + n].copy_from_slice(&row[x * n..x * n + n]);
        }
    }
    Pixels::new(out, ow as u32, oh as u32, pixels.layout)
}

/// Dimensions as displayed: width and height swap for the four orientations that rotate a quarter turn.
pub(crate) fn apply_dims(width: u32, height: u32, orientation: Orientation) -> (u32, u32) {
    use Orientation::*;
    match orientation {
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH => (height, width),
        _ => (width, height),
    }
}
