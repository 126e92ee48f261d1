//! The pipeline benchmark behind `image-service bench-pipeline DIR`: the whole upload job, storage excluded.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

mod stages;

pub use stages::{Rendition, StageTimes, render, stages};

use crate::{Settings, process};

/// Totals of one benchmark run; serialises to the one JSON line the CLI prints.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct BenchReport {
    pub images: u64,
    pub seconds: f64,
    pub images_per_s: f64,
    pub megapixels_per_s: f64,
    pub output_bytes: u64,
    pub failed: u64,
}

#[derive(Default)]
struct Totals {
    images: u64,
    pixels: u64,
    output_bytes: u64,
    failed: u64,
}

/// Runs [`process`] over every `.jpg`, `.jpeg`, `.png` and `.webp` file in `dir` (not recursive),
/// `concurrency` images at a time (0 = one per core). Reading a file counts; nothing is written.
pub fn run(dir: &Path, concurrency: usize, settings: &Settings) -> BenchReport {
    let files = image_files(dir);
    let workers = if concurrency == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        concurrency
    };
    let next = AtomicUsize::new(0);
    let totals = Mutex::new(Totals::default());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..workers.min(files.len().max(1)) {
            s.spawn(|| {
                while let Some(path) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = std::fs::read(path)
                        .ok()
                        .and_then(|bytes| process(&bytes, settings).ok());
                    let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
                    t.images += 1;
                    match outcome {
                        Some(p) => {
                            t.pixels += u64::from(p.width) * u64::from(p.height);
                            t.output_bytes +=
                                (p.display.bytes.len() + p.thumbnail.bytes.len()) as u64;
                        }
                        None => t.failed += 1,
                    }
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let t = totals.into_inner().unwrap_or_else(|p| p.into_inner());
    let per_s = |x: f64| if seconds > 0.0 { x / seconds } else { 0.0 };
    BenchReport {
        images: t.images,
        seconds,
        images_per_s: per_s(t.images as f64),
        megapixels_per_s: per_s(t.pixels as f64 / 1e6),
        output_bytes: t.output_bytes,
        failed: t.failed,
    }
}

/// The `.jpg`, `.jpeg`, `.png` and `.webp` files directly in `dir`, sorted.
pub fn image_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["jpg", "jpeg", "png", "webp"]
                        .iter()
                        .any(|x| e.eq_ignore_ascii_case(x))
                })
        })
        .collect();
    files.sort();
    files
}
