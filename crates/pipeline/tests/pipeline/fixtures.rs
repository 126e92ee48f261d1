//! Awkward encodings (CMYK, progressive, gray, 16-bit, palette+tRNS, ICC, WebP with alpha)
//! compared to reference sRGB pixels made by `tests/data/make_test_data.py`.

use std::path::PathBuf;

use image::{ImageEncoder, RgbImage, RgbaImage};
use pipeline::{Settings, process};

use crate::helpers::*;

fn data(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "data",
        "fixtures",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn reference(name: &str) -> image::DynamicImage {
    image::load_from_memory(&data(name)).unwrap()
}

/// Mean error of our display variant of `fixture` against the reference RGB pixels, minus the
/// error the lossy WebP alone costs (the reference itself sent through the pipeline as PNG).
fn rgb_error(fixture: &str, reference: &RgbImage) -> f64 {
    let out = process(&data(fixture), &Settings::default()).unwrap();
    let got = decode_webp(&out.display.bytes).to_rgb8();
    let err = mean_error(&got, reference) - webp_floor(reference);
    eprintln!("{fixture}: mean error above the WebP floor {err:.3}");
    err
}

fn webp_floor(reference: &RgbImage) -> f64 {
    let out = process(&png_rgb(reference), &Settings::default()).unwrap();
    mean_error(&decode_webp(&out.display.bytes).to_rgb8(), reference)
}

/// Mean error over RGBA, with colour weighted by alpha (invisible colour does not matter).
fn rgba_error(got: &RgbaImage, want: &RgbaImage) -> f64 {
    assert_eq!(got.dimensions(), want.dimensions());
    let mut total = 0.0;
    for (g, w) in got.pixels().zip(want.pixels()) {
        let a = f64::from(w[3]) / 255.0;
        for c in 0..3 {
            total += a * f64::from(g[c].abs_diff(w[c]));
        }
        total += f64::from(g[3].abs_diff(w[3]));
    }
    total / (got.pixels().len() * 4) as f64
}

#[test]
fn progressive_jpeg() {
    let err = rgb_error("progressive.jpg", &reference("ref_scene.png").to_rgb8());
    assert!(err < 1.0, "mean error {err}");
}

#[test]
fn grayscale_jpeg() {
    let want = reference("ref_scene_gray.png").to_rgb8();
    let err = rgb_error("gray.jpg", &want);
    assert!(err < 1.0, "mean error {err}");
}

#[test]
fn cmyk_jpeg_without_profile_uses_adobe_inverted_samples() {
    let err = rgb_error("cmyk_naive.jpg", &reference("ref_scene.png").to_rgb8());
    assert!(err < 1.5, "mean error {err}");
}

#[test]
fn cmyk_jpeg_with_profile_is_converted_through_it() {
    let err = rgb_error("cmyk_icc.jpg", &reference("ref_scene.png").to_rgb8());
    assert!(err < 3.0, "mean error {err}");
}

#[test]
fn display_p3_jpeg_and_png_come_out_srgb() {
    let want = reference("ref_scene.png").to_rgb8();
    for f in ["p3_icc.jpg", "p3_icc.png"] {
        let err = rgb_error(f, &want);
        assert!(err < 1.0, "{f}: mean error {err}");
    }
    // Control: the P3 pixels read as if sRGB are clearly off, so the check above means something.
    let raw = image::load_from_memory(&data("p3_icc.png"))
        .unwrap()
        .to_rgb8();
    let control = mean_error(&raw, &want);
    eprintln!("P3 taken as sRGB: mean error {control:.3}");
    assert!(control > 4.0);
}

#[test]
fn sixteen_bit_png() {
    let want = reference("ref_scene.png").to_rgb8();
    let wide: Vec<u16> = want.as_raw().iter().map(|&v| u16::from(v) * 257).collect();
    let mut png = Vec::new();
    // image takes 16-bit samples as native-endian bytes.
    let native: Vec<u8> = wide.iter().flat_map(|v| v.to_ne_bytes()).collect();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            &native,
            want.width(),
            want.height(),
            image::ExtendedColorType::Rgb16,
        )
        .unwrap();
    assert_eq!(png[24], 16, "bit depth in IHDR");
    let out = process(&png, &Settings::default()).unwrap();
    let got = decode_webp(&out.display.bytes).to_rgb8();
    let err = mean_error(&got, &want) - webp_floor(&want);
    assert!(err < 0.5, "mean error {err}");
}

#[test]
fn palette_png_with_transparency() {
    let want = reference("ref_palette_trns.png").to_rgba8();
    let out = process(&data("palette_trns.png"), &Settings::default()).unwrap();
    let got = decode_webp(&out.display.bytes);
    assert!(got.color().has_alpha());
    let got = got.to_rgba8();
    assert_eq!(got.get_pixel(5, 5)[3], 0);
    assert!(got.get_pixel(50, 45)[3].abs_diff(128) <= 2);
    let err = rgba_error(&got, &want);
    eprintln!("palette: rgba mean error {err:.3}");
    assert!(err < 4.0, "mean error {err}");
}

#[test]
fn webp_lossless_and_lossy_with_alpha() {
    let want = reference("ref_alpha.png").to_rgba8();
    for f in ["lossless_alpha.webp", "lossy_alpha.webp"] {
        let out = process(&data(f), &Settings::default()).unwrap();
        let got = decode_webp(&out.display.bytes).to_rgba8();
        let err = rgba_error(&got, &want);
        eprintln!("{f}: rgba mean error {err:.3}");
        assert!(err < 4.0, "{f}: mean error {err}");
        assert_eq!(got.get_pixel(5, 5)[3], 0, "{f}");
    }
}
