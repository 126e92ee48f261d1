//! `cargo run -p pipeline --release --example process_one -- FILE [RUNS]`: median latency of one upload.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: process_one FILE [RUNS]");
    let runs: usize = args
        .next()
        .map_or(9, |r| r.parse().expect("RUNS is a number"));
    let bytes = std::fs::read(&file).expect("readable file");
    let settings = pipeline::Settings::default();
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let out = pipeline::process(&bytes, &settings).expect("processable image");
            std::hint::black_box(out);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "{file}: median {:.1} ms, min {:.1} ms, max {:.1} ms over {runs} runs",
        ms[runs / 2],
        ms[0],
        ms[runs - 1]
    );
}
