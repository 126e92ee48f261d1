//! Size limits and animations, refused from the header before any pixel is allocated.

use pipeline::{PipelineError, Settings, SourceFormat, decode_cost_bytes, probe, process};

use crate::helpers::*;

#[test]
fn a_20000_square_png_header_is_too_large_without_decoding() {
    let bytes = png_header_only(20_000, 20_000);
    let s = Settings::default();
    for r in [
        probe(&bytes, &s).map(|_| ()),
        process(&bytes, &s).map(|_| ()),
    ] {
        assert!(
            matches!(
                r,
                Err(PipelineError::TooLarge {
                    width: 20_000,
                    height: 20_000
                })
            ),
            "{r:?}"
        );
    }
}

#[test]
fn too_many_pixels_or_too_long_a_side_is_too_large() {
    let s = Settings::default();
    // 60 MP with both sides under 16384.
    let r = probe(&png_header_only(10_000, 6_000), &s);
    assert!(matches!(r, Err(PipelineError::TooLarge { .. })), "{r:?}");
    // Few pixels but one side past the limit.
    let r = probe(&png_header_only(16_385, 1), &s);
    assert!(matches!(r, Err(PipelineError::TooLarge { .. })), "{r:?}");
    // Exactly at the limits is fine for the header check.
    let p = probe(&png_header_only(16_384, 3_000), &s).unwrap();
    assert_eq!(
        (p.format, p.width, p.height),
        (SourceFormat::Png, 16_384, 3_000)
    );
    assert!(decode_cost_bytes(&p) >= 16_384 * 3_000 * 4);
}

#[test]
fn jpeg_and_webp_headers_are_checked_too() {
    let s = Settings {
        max_pixels: 1_000,
        ..Settings::default()
    };
    let img = quadrants(40, 30);
    let r = process(&jpeg(&img), &s);
    assert!(
        matches!(
            r,
            Err(PipelineError::TooLarge {
                width: 40,
                height: 30
            })
        ),
        "{r:?}"
    );
    let webp = process(&jpeg(&img), &Settings::default())
        .unwrap()
        .display
        .bytes;
    let r = probe(&webp, &s);
    assert!(
        matches!(
            r,
            Err(PipelineError::TooLarge {
                width: 40,
                height: 30
            })
        ),
        "{r:?}"
    );
    assert_eq!(probe(&webp, &Settings::default()).unwrap().width, 40);
}

#[test]
fn animated_png_is_refused() {
    let png = png_rgb(&quadrants(16, 16));
    // acTL: 2 frames, loop forever.
    let actl = png_chunk(b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0]);
    let apng = png_insert_after_ihdr(&png, &actl);
    let s = Settings::default();
    assert!(matches!(
        probe(&apng, &s),
        Err(PipelineError::Unsupported("animated PNG"))
    ));
    assert!(matches!(
        process(&apng, &s),
        Err(PipelineError::Unsupported("animated PNG"))
    ));
}

#[test]
fn an_apng_of_one_frame_is_a_still_image() {
    let png = png_rgb(&quadrants(16, 16));
    // acTL: 1 frame, then the fcTL that makes the default image that frame.
    let actl = png_chunk(b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]);
    let mut fctl = vec![0, 0, 0, 0];
    fctl.extend(16u32.to_be_bytes());
    fctl.extend(16u32.to_be_bytes());
    fctl.extend([0; 8]);
    fctl.extend([0, 1, 0, 10, 0, 0]);
    let fctl = png_chunk(b"fcTL", &fctl);
    let apng = png_insert_after_ihdr(&png, &[actl, fctl].concat());
    let processed = process(&apng, &Settings::default()).expect("a still image");
    assert_eq!((processed.width, processed.height), (16, 16));
}

#[test]
fn animated_webp_is_refused() {
    // VP8X with the animation flag, then ANIM; the frames do not matter to the header check.
    let mut vp8x = vec![0x02, 0, 0, 0];
    vp8x.extend(&15u32.to_le_bytes()[..3]);
    vp8x.extend(&15u32.to_le_bytes()[..3]);
    let mut body = b"WEBPVP8X".to_vec();
    body.extend(10u32.to_le_bytes());
    body.extend(vp8x);
    body.extend(b"ANIM");
    body.extend(6u32.to_le_bytes());
    body.extend([0, 0, 0, 0, 0, 0]);
    let mut bytes = b"RIFF".to_vec();
    bytes.extend((body.len() as u32).to_le_bytes());
    bytes.extend(body);
    let r = process(&bytes, &Settings::default());
    assert!(
        matches!(r, Err(PipelineError::Unsupported("animated WebP"))),
        "{r:?}"
    );
}
