//! Type by magic number only, and the errors for unsupported, empty and truncated input.

use pipeline::{PipelineError, Settings, SourceFormat, process, sniff};

use crate::helpers::*;

#[test]
fn magic_numbers_decide_the_type() {
    let img = quadrants(8, 8);
    assert_eq!(sniff(&jpeg(&img)), Some(SourceFormat::Jpeg));
    assert_eq!(sniff(&png_rgb(&img)), Some(SourceFormat::Png));
    assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(SourceFormat::Webp));
    assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), None);
    assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
    assert_eq!(sniff(b"<html>"), None);
    assert_eq!(sniff(b""), None);
}

#[test]
fn a_png_is_a_png_whatever_it_is_called() {
    let out = process(&png_rgb(&quadrants(8, 8)), &Settings::default()).unwrap();
    assert_eq!(out.format, SourceFormat::Png);
}

#[test]
fn non_images_are_unsupported_and_empty_is_invalid() {
    let s = Settings::default();
    assert!(matches!(
        process(b"GIF89a\x01\0\x01\0\0\0\0", &s),
        Err(PipelineError::UnsupportedType)
    ));
    assert!(matches!(
        process(b"%PDF-1.7", &s),
        Err(PipelineError::UnsupportedType)
    ));
    assert!(matches!(process(b"", &s), Err(PipelineError::Invalid(_))));
}

#[test]
fn truncated_files_are_invalid() {
    let s = Settings::default();
    let img = quadrants(300, 200);
    let webp = process(&jpeg(&img), &s).unwrap().display.bytes;
    for (name, full) in [("jpeg", jpeg(&img)), ("png", png_rgb(&img)), ("webp", webp)] {
        for cut in [full.len() / 2, full.len() - 20, 20, 13] {
            let r = process(&full[..cut], &s);
            assert!(
                matches!(r, Err(PipelineError::Invalid(_))),
                "{name} cut at {cut}/{}: {r:?}",
                full.len()
            );
        }
    }
}

#[test]
fn bytes_after_the_image_end_are_ignored() {
    let img = quadrants(64, 64);
    for mut bytes in [jpeg(&img), png_rgb(&img)] {
        bytes.extend(b"PK\x03\x04<html><script>alert(1)</script></html>");
        let out = process(&bytes, &Settings::default()).unwrap();
        assert!(!contains(&out.display.bytes, b"<script>"));
        let got = decode_webp(&out.display.bytes).to_rgb8();
        assert!(mean_error(&got, &img) < 6.0);
    }
}
