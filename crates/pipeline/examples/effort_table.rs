//! The effort table of docs/benchmarks.md: for each libwebp method, how fast the upload pipeline
//! runs over a folder of images, how many bytes it writes, and how close the display WebP stays
//! to the pixels it was made from (SSIMULACRA2: 100 is identical, 90 "visually lossless", 70
//! "high quality", 50 "medium").
//!
//!   cargo run --release -p pipeline --example effort_table -- DIR [EFFORT...]
//!
//! Prints one Markdown row per effort (default 0 to 6). Throughput is the whole pipeline, one
//! image per core, both variants at that effort; quality is the display variant against its
//! encoder input, so it measures what the effort changes and nothing else.

use std::path::PathBuf;

use pipeline::Settings;
use pipeline::bench::{Rendition, image_files, render, run};
use ssimulacra2::{ColorPrimaries, Rgb, TransferCharacteristic, compute_frame_ssimulacra2};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: effort_table DIR [EFFORT...]")?);
    let efforts: Vec<u8> = match args.map(|a| a.parse()).collect::<Result<Vec<u8>, _>>()? {
        e if e.is_empty() => (0..=pipeline::MAX_EFFORT).collect(),
        e => e,
    };
    let sources: Vec<Vec<u8>> = image_files(&dir)
        .iter()
        .map(std::fs::read)
        .collect::<Result<_, _>>()?;
    println!(
        "| effort | images/s | MP/s | output bytes | display bytes | SSIMULACRA2 mean | min |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for effort in efforts {
        let settings = Settings {
            display_effort: effort,
            thumbnail_effort: effort,
            ..Settings::default()
        };
        let speed = run(&dir, 0, &settings);
        let mut scores = Vec::new();
        let mut display_bytes = 0;
        for bytes in &sources {
            let Ok(rendition) = render(bytes, &settings) else {
                continue;
            };
            display_bytes += rendition.webp.len();
            scores.push(score(&rendition)?);
        }
        let mean = scores.iter().sum::<f64>() / scores.len().max(1) as f64;
        let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "| {effort} | {:.2} | {:.1} | {} | {display_bytes} | {mean:.2} | {min:.2} |",
            speed.images_per_s, speed.megapixels_per_s, speed.output_bytes
        );
    }
    Ok(())
}

/// SSIMULACRA2 of the decoded WebP against the encoder's input; alpha is composited over mid
/// grey on both sides, as a viewer would show it on some background.
fn score(rendition: &Rendition) -> Result<f64, Box<dyn std::error::Error>> {
    let decoded = image::load_from_memory_with_format(&rendition.webp, image::ImageFormat::WebP)?;
    let decoded = if rendition.channels == 4 {
        decoded.to_rgba8().into_raw()
    } else {
        decoded.to_rgb8().into_raw()
    };
    let (w, h) = (rendition.width as usize, rendition.height as usize);
    let frame = |pixels: &[u8]| {
        let data = pixels
            .chunks_exact(rendition.channels)
            .map(|p| {
                let alpha = p.get(3).map_or(1.0, |&a| f32::from(a) / 255.0);
                [0, 1, 2].map(|c| (f32::from(p[c]) / 255.0) * alpha + 0.5 * (1.0 - alpha))
            })
            .collect();
        Rgb::new(
            data,
            w,
            h,
            TransferCharacteristic::SRGB,
            ColorPrimaries::BT709,
        )
    };
    Ok(compute_frame_ssimulacra2(
        frame(&rendition.pixels)?,
        frame(&decoded)?,
    )?)
}
