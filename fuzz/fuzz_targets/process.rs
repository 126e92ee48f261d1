//! Fuzzes the whole validate-and-process path: probe must never panic, and process must
//! either refuse with a PipelineError or return variants that respect the bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipeline::{Settings, probe, process};

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast and let the fuzzer reach the size checks.
    let settings = Settings {
        max_pixels: 4_000_000,
        max_side: 4096,
        display_max_side: 256,
        thumbnail_max_side: 64,
        ..Settings::default()
    };
    let probed = probe(data, &settings);
    if let Ok(out) = process(data, &settings) {
        let p = probed.expect("process succeeded where probe failed");
        assert_eq!(out.format, p.format);
        assert!(out.display.width.max(out.display.height) <= 256);
        assert!(out.thumbnail.width.max(out.thumbnail.height) <= 64);
        assert!(out.display.width <= out.width && out.display.height <= out.height);
        assert!(u64::from(out.width) * u64::from(out.height) <= settings.max_pixels);
    }
});
