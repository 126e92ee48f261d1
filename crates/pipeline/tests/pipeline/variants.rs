//! Variant sizes (never upscaled), alpha handling and pixel fidelity of both outputs.

use image::RgbaImage;
use pipeline::{Settings, process};

use crate::helpers::*;

#[test]
fn small_images_are_never_upscaled() {
    let img = quadrants(100, 50);
    let out = process(&jpeg(&img), &Settings::default()).unwrap();
    assert_eq!((out.display.width, out.display.height), (100, 50));
    assert_eq!((out.thumbnail.width, out.thumbnail.height), (100, 50));
    let thumb = decode_webp(&out.thumbnail.bytes).to_rgb8();
    assert!(mean_error(&thumb, &img) < 6.0);
}

#[test]
fn large_images_fit_both_bounds_and_keep_their_pixels() {
    let img = quadrants(3000, 1000);
    let out = process(&png_rgb(&img), &Settings::default()).unwrap();
    assert_eq!((out.width, out.height), (3000, 1000));
    assert_eq!((out.display.width, out.display.height), (2048, 683));
    assert_eq!((out.thumbnail.width, out.thumbnail.height), (400, 133));
    let thumb = decode_webp(&out.thumbnail.bytes).to_rgb8();
    let expected = quadrants(400, 133);
    // Lossy and resampled: only the quadrant edges may differ much.
    assert!(mean_error(&thumb, &expected) < 8.0);
}

#[test]
fn png_alpha_survives() {
    let img = RgbaImage::from_fn(64, 64, |x, y| {
        image::Rgba(match (x < 32, y < 32) {
            (true, true) => [200, 30, 30, 255],
            (false, true) => [30, 30, 200, 0],
            (true, false) => [30, 200, 30, 128],
            (false, false) => [240, 240, 240, 255],
        })
    });
    let out = process(&png_rgba(&img), &Settings::default()).unwrap();
    let got = decode_webp(&out.display.bytes);
    assert!(got.color().has_alpha(), "alpha channel lost");
    let got = got.to_rgba8();
    assert_eq!(
        got.get_pixel(48, 8).0[3],
        0,
        "transparent stays transparent"
    );
    let half = got.get_pixel(8, 48).0;
    assert!(half[3].abs_diff(128) <= 2, "half transparent: {half:?}");
    assert!(half[1] > 170, "colour under partial alpha kept: {half:?}");
    let opaque = got.get_pixel(8, 8).0;
    assert!(
        opaque[3] == 255 && opaque[0] > 170 && opaque[2] < 70,
        "{opaque:?}"
    );
}

#[test]
fn opaque_sources_produce_no_alpha() {
    let out = process(&jpeg(&quadrants(32, 32)), &Settings::default()).unwrap();
    assert!(!decode_webp(&out.display.bytes).color().has_alpha());
}
