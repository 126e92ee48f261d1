//! EXIF orientation: every one of the eight comes back upright, checked on pixels.

use image::DynamicImage;
use image::metadata::Orientation;
use pipeline::{Settings, process};

use crate::helpers::*;

const ALL: [Orientation; 8] = [
    Orientation::NoTransforms,
    Orientation::FlipHorizontal,
    Orientation::Rotate180,
    Orientation::FlipVertical,
    Orientation::Rotate90FlipH,
    Orientation::Rotate90,
    Orientation::Rotate270FlipH,
    Orientation::Rotate270,
];

/// The stored pixels that, shown under `o`, look like `upright`.
fn stored_for(upright: &image::RgbImage, o: Orientation) -> image::RgbImage {
    let inverse = match o {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    };
    let mut img = DynamicImage::ImageRgb8(upright.clone());
    img.apply_orientation(inverse);
    img.to_rgb8()
}

#[test]
fn all_eight_exif_orientations_come_back_upright() {
    let upright = quadrants(96, 48);
    for o in ALL {
        let stored = stored_for(&upright, o);
        let bytes = with_exif(&jpeg(&stored), &exif_block(u16::from(o.to_exif()), false));
        let out = process(&bytes, &Settings::default()).unwrap();
        assert_eq!((out.width, out.height), (96, 48), "{o:?}");
        let display = decode_webp(&out.display.bytes).to_rgb8();
        let err = mean_error(&display, &upright);
        assert!(err < 6.0, "{o:?}: mean error {err}");
    }
}

#[test]
fn left_red_right_blue_rotated_jpeg_is_upright_in_both_variants() {
    // Displayed: left half red, right half blue, 3000×2000 (so both variants are resized).
    let upright = image::RgbImage::from_fn(3000, 2000, |x, _| {
        image::Rgb(if x < 1500 { RED } else { BLUE })
    });
    let stored = stored_for(&upright, Orientation::Rotate90);
    assert_eq!(stored.dimensions(), (2000, 3000));
    let bytes = with_exif(&jpeg(&stored), &exif_block(6, false));
    let out = process(&bytes, &Settings::default()).unwrap();
    assert_eq!((out.width, out.height), (3000, 2000));
    assert_eq!((out.display.width, out.display.height), (2048, 1365));
    assert_eq!((out.thumbnail.width, out.thumbnail.height), (400, 267));
    for variant in [&out.display, &out.thumbnail] {
        let img = decode_webp(&variant.bytes).to_rgb8();
        assert_eq!(img.dimensions(), (variant.width, variant.height));
        let (w, h) = img.dimensions();
        let left = img.get_pixel(w / 8, h / 2).0;
        let right = img.get_pixel(w - w / 8, h / 2).0;
        assert!(
            left[0] > 180 && left[2] < 60,
            "left should be red: {left:?}"
        );
        assert!(
            right[2] > 180 && right[0] < 60,
            "right should be blue: {right:?}"
        );
    }
}
