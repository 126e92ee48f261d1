//! `image-service`: parse the command line, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use image_service::cli::{Cli, run};

// Many small, short-lived allocations per request across worker threads:
// mimalloc's per-thread heaps serve them without glibc's arena contention.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    image_service::telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line naming the problem (and the setting, where there is one).
            eprintln!("image-service: {err:#}");
            ExitCode::FAILURE
        }
    }
}
