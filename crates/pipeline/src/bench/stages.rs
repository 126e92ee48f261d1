//! Where one upload's time goes (`image-service bench-pipeline DIR --stages`), and the display
//! pixels before and after encoding for quality measurements.

use std::path::Path;
use std::time::Instant;

use crate::decode::decode;
use crate::process::{encoded, prepare, thumbnail};
use crate::{PipelineError, Settings, probe, process};

/// Median milliseconds of each stage of one file, one image at a time, every stage run alone.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StageTimes {
    pub file: String,
    pub width: u32,
    pub height: u32,
    pub runs: usize,
    /// Probe and decode to full-size pixels.
    pub decode_ms: f64,
    /// Decode, then shrink to the display size, sRGB, upright: everything before encoding.
    pub prepare_ms: f64,
    /// The display WebP encode alone, from prepared pixels.
    pub display_encode_ms: f64,
    /// The thumbnail alone (shrink from the display pixels, encode).
    pub thumbnail_ms: f64,
    /// The whole job as an upload runs it (the thumbnail beside the display encode).
    pub process_ms: f64,
}

/// Times every stage of each image in `dir`, `runs` times each after one warm-up; each
/// outcome with its file's name.
pub fn stages(
    dir: &Path,
    runs: usize,
    settings: &Settings,
) -> Vec<(String, Result<StageTimes, PipelineError>)> {
    super::image_files(dir)
        .iter()
        .map(|path| {
            let file = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let times = std::fs::read(path)
                .map_err(|e| PipelineError::internal(e.to_string()))
                .and_then(|bytes| file_stages(&bytes, runs.max(1), settings))
                .map(|times| StageTimes {
                    file: file.clone(),
                    ..times
                });
            (file, times)
        })
        .collect()
}

fn file_stages(
    bytes: &[u8],
    runs: usize,
    settings: &Settings,
) -> Result<StageTimes, PipelineError> {
    let prepared = prepare(bytes, settings)?;
    let display = &prepared.display;
    let decode_ms = median_ms(runs, || {
        let probe = probe(bytes, settings)?;
        decode(bytes, &probe, settings).map(drop)
    })?;
    let prepare_ms = median_ms(runs, || prepare(bytes, settings).map(drop))?;
    let display_encode_ms = median_ms(runs, || {
        encoded(display, settings.display_quality, settings.display_effort).map(drop)
    })?;
    let thumbnail_ms = median_ms(runs, || thumbnail(display, settings).map(drop))?;
    let process_ms = median_ms(runs, || process(bytes, settings).map(drop))?;
    Ok(StageTimes {
        file: String::new(),
        width: prepared.width,
        height: prepared.height,
        runs,
        decode_ms,
        prepare_ms,
        display_encode_ms,
        thumbnail_ms,
        process_ms,
    })
}

/// Runs `job` once to warm up, then `runs` times; the median wall time in milliseconds.
fn median_ms(
    runs: usize,
    mut job: impl FnMut() -> Result<(), PipelineError>,
) -> Result<f64, PipelineError> {
    job()?;
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        job()?;
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let mid = ms.len() / 2;
    Ok(if ms.len() % 2 == 1 {
        ms[mid]
    } else {
        (ms[mid - 1] + ms[mid]) / 2.0
    })
}

/// The display variant of one upload: the pixels handed to the encoder (RGB or RGBA, row-major)
/// and the WebP made of them, so the encoder's loss can be measured against its input.
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    /// 3 (RGB) or 4 (RGBA).
    pub channels: usize,
    pub pixels: Vec<u8>,
    pub webp: Vec<u8>,
}

/// Prepares `bytes` as an upload would and encodes the display variant with `settings`.
pub fn render(bytes: &[u8], settings: &Settings) -> Result<Rendition, PipelineError> {
    let display = prepare(bytes, settings)?.display;
    let webp = encoded(&display, settings.display_quality, settings.display_effort)?.bytes;
    Ok(Rendition {
        width: display.width,
        height: display.height,
        channels: display.layout.channels(),
        pixels: display.data,
        webp,
    })
}
