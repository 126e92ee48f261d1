//! `image-service bench-pipeline` over the real binary, as the benchmarks in
//! docs/benchmarks.md run it: the throughput line, and `--stages`, one line per
//! image with each stage's median time.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::images::{jpeg, png_with_alpha};

fn bench_pipeline(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_image-service"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("IMAGE_SERVICE_DATA_DIR", dir.join("data"))
        .arg("bench-pipeline")
        .arg(dir)
        .args(args)
        .output()
        .expect("run image-service bench-pipeline")
}

fn json_lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jpg"), jpeg(3000, 2000)).unwrap();
    std::fs::write(dir.path().join("b.png"), png_with_alpha(300, 200)).unwrap();
    std::fs::write(dir.path().join("c.jpg"), b"not an image").unwrap();
    dir
}

#[test]
fn throughput_counts_every_image_and_every_failure() {
    let dir = folder();
    let lines = json_lines(&bench_pipeline(dir.path(), &["--concurrency", "2"]));
    assert_eq!(lines.len(), 1, "{lines:?}");
    let report = &lines[0];
    assert_eq!(report["images"], 3, "{report}");
    assert_eq!(report["failed"], 1, "{report}");
    assert!(report["output_bytes"].as_u64().unwrap() > 0, "{report}");
    assert!(report["images_per_s"].as_f64().unwrap() > 0.0, "{report}");
}

#[test]
fn stages_time_each_stage_of_each_image() {
    let dir = folder();
    std::fs::remove_file(dir.path().join("c.jpg")).unwrap();
    let lines = json_lines(&bench_pipeline(dir.path(), &["--stages", "--runs", "1"]));
    let files: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["a.jpg", "b.png"]);
    assert_eq!(
        (lines[0]["width"].as_u64(), lines[0]["height"].as_u64()),
        (Some(3000), Some(2000))
    );
    for line in &lines {
        assert_eq!(line["runs"], 1, "{line}");
        for stage in [
            "decode_ms",
            "prepare_ms",
            "display_encode_ms",
            "thumbnail_ms",
            "process_ms",
        ] {
            let ms = line[stage].as_f64().unwrap_or(-1.0);
            assert!(ms > 0.0, "{stage} of {line}");
        }
    }
}

#[test]
fn stages_name_an_image_the_pipeline_refuses() {
    let dir = folder();
    let out = bench_pipeline(dir.path(), &["--stages", "--runs", "1"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("c.jpg: not timed"), "{stderr}");
}
