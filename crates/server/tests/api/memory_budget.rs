//! The processing memory budget over HTTP (issue: 8 concurrent 10 MiB uploads
//! of 40-megapixel images keep the process under 1 GiB resident, and smaller
//! images still flow in parallel).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::{images, spawn_with};

const GIB: u64 = 1 << 30;

/// Peak resident set of a process, from `/proc/PID/status` (`VmHWM`, kB).
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

#[tokio::test]
async fn forty_megapixel_uploads_stay_under_a_gib_and_small_ones_pass_them() {
    // Eight (and a small ninth) at once from one user: past the default
    // in-flight cap of four.
    let app = Arc::new(spawn_with(&[("IMAGE_SERVICE_UPLOADS_IN_FLIGHT_PER_USER", "16")]).await);
    let token = app.token("alice");
    // 8000 × 5000 = 40 MP, grainy enough to weigh close to the 10 MiB cap.
    let big = images::grainy_jpeg(8000, 5000, 16);
    assert!(
        (6 << 20..=10 << 20).contains(&big.len()),
        "big upload is {} bytes",
        big.len()
    );

    let done = Arc::new(AtomicUsize::new(0));
    let uploads: Vec<_> = (0..8)
        .map(|_| {
            let (app, token, big, done) = (app.clone(), token.clone(), big.clone(), done.clone());
            tokio::spawn(async move {
                let response = app.upload_with(&token, big, "image/jpeg", &[]).await;
                done.fetch_add(1, Ordering::SeqCst);
                response.status().as_u16()
            })
        })
        .collect();

    // Once all eight are in the pool, a small image must not queue behind them.
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.metric("processing_queue_depth").await < Some(8.0) {
        assert!(Instant::now() < deadline, "the big uploads never queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let small = app
        .upload_with(&token, images::jpeg(800, 600), "image/jpeg", &[])
        .await;
    assert_eq!(small.status(), 201);
    let big_done_before_small = done.load(Ordering::SeqCst);
    assert!(
        big_done_before_small <= 4,
        "the small upload waited for {big_done_before_small} of 8 big ones"
    );

    for upload in uploads {
        assert_eq!(upload.await.unwrap(), 201);
    }
    let peak = peak_rss_bytes(app.pid());
    assert!(peak < GIB, "peak resident set {} MiB", peak >> 20);
}
