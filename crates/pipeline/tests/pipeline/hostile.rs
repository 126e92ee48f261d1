//! The hostile corpus (`tests/data/hostile`, made by `make_test_data.py`): each file gets the
//! outcome EXPECTED.tsv names, and whatever is processed carries nothing of the attack along.

use std::path::PathBuf;

use pipeline::{PipelineError, Settings, process};

use crate::helpers::{contains, decode_webp, jpeg, mean_error, quadrants};

fn dir() -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests", "data", "hostile"]
        .iter()
        .collect()
}

fn outcome(r: &Result<pipeline::Processed, PipelineError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(PipelineError::Invalid(_)) => "invalid",
        Err(PipelineError::TooLarge { .. }) => "too_large",
        Err(PipelineError::Unsupported(what)) if what.starts_with("animated") => "animated",
        Err(PipelineError::Unsupported(_)) => "not_supported",
        Err(PipelineError::UnsupportedType) => "unsupported",
        // No hostile file may pass for our fault: that would be a 500, not a 400.
        Err(PipelineError::Internal(_)) => "internal",
    }
}

#[test]
fn every_hostile_file_gets_its_expected_outcome() {
    let expected = std::fs::read_to_string(dir().join("EXPECTED.tsv")).unwrap();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for line in expected.lines().filter(|l| !l.starts_with('#')) {
        let (name, want) = line.split_once('\t').unwrap();
        let bytes = std::fs::read(dir().join(name)).unwrap();
        let r = process(&bytes, &Settings::default());
        if outcome(&r) != want {
            wrong.push(format!("{name}: want {want}, got {r:?}"));
        }
        if let Ok(p) = &r {
            for v in [&p.display.bytes, &p.thumbnail.bytes] {
                assert!(!contains(v, b"<script"), "{name}: script survived");
                assert!(
                    !contains(v, b"ICC_PROFILE") && !contains(v, b"Exif"),
                    "{name}"
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} files listed");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Stray bytes between header segments are skipped as libjpeg skips them, even when there are
/// hundreds of thousands of them, and the picture comes out as it went in.
#[test]
fn stray_bytes_between_jpeg_segments_are_skipped() {
    let picture = quadrants(64, 48);
    let clean = jpeg(&picture);
    // Start of image and the first segment as they were (a JPEG is known by FF D8 FF).
    let first_end = 4 + usize::from(u16::from_be_bytes([clean[4], clean[5]]));
    let mut stray = clean[..first_end].to_vec();
    for _ in 0..200_000 {
        // A stray byte, then an empty comment segment.
        stray.extend([0x42, 0xFF, 0xFE, 0x00, 0x02]);
    }
    stray.extend_from_slice(&[0x13, 0x37]);
    stray.extend_from_slice(&clean[first_end..]);
    let processed = process(&stray, &Settings::default()).expect("read as libjpeg reads it");
    assert_eq!((processed.width, processed.height), (64, 48));
    let shown = decode_webp(&processed.display.bytes).to_rgb8();
    assert!(mean_error(&shown, &picture) < 8.0);
}
