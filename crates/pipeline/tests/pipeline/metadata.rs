//! Metadata stripping: no EXIF, GPS, XMP or ICC survives into the variants.

use pipeline::{Settings, process};

use crate::helpers::*;

#[test]
fn gps_exif_is_absent_from_both_variants() {
    let src = jpeg(&quadrants(64, 64));
    let bytes = with_exif(&src, &exif_block(1, true));
    // The marker really is in the input, so its absence below means something.
    assert!(contains(&bytes, b"SECRET-GPS"));
    let out = process(&bytes, &Settings::default()).unwrap();
    for webp in [&out.display.bytes, &out.thumbnail.bytes] {
        assert!(!contains(webp, b"SECRET-GPS"));
        assert!(!contains(webp, b"Exif"));
        let chunks = riff_chunks(webp);
        for id in [b"EXIF", b"XMP ", b"ICCP"] {
            assert!(!chunks.contains(id), "{:?} chunk in output", id);
        }
        assert!(
            chunks.iter().any(|c| c == b"VP8 " || c == b"VP8X"),
            "lossy WebP expected, got {chunks:?}"
        );
    }
}

#[test]
fn png_text_and_icc_chunks_do_not_reach_the_output() {
    let png = png_rgb(&quadrants(40, 40));
    let text = png_chunk(b"tEXt", b"Comment\0SECRET-COMMENT");
    let bytes = png_insert_after_ihdr(&png, &text);
    let out = process(&bytes, &Settings::default()).unwrap();
    assert!(!contains(&out.display.bytes, b"SECRET-COMMENT"));
    let img = decode_webp(&out.display.bytes).to_rgb8();
    assert!(mean_error(&img, &quadrants(40, 40)) < 6.0);
}
