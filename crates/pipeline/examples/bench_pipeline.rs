//! `cargo run -p pipeline --release --example bench_pipeline -- DIR [CONCURRENCY]`: prints one JSON line.

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: bench_pipeline DIR [CONCURRENCY]");
    let concurrency = args
        .next()
        .map_or(0, |c| c.parse().expect("CONCURRENCY is a number"));
    let report = pipeline::bench::run(
        std::path::Path::new(&dir),
        concurrency,
        &pipeline::Settings::default(),
    );
    println!(
        "{}",
        serde_json::to_string(&report).expect("report serialises")
    );
}
