//! The hostile corpus (`tests/data/hostile`, made by `make_test_data.py`): each file gets the
//! outcome EXPECTED.tsv names, and whatever is processed carries nothing of the attack along.

use std::path::PathBuf;

use pipeline::{PipelineError, Settings, process};

use crate::helpers::contains;

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
