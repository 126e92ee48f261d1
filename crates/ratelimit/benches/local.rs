//! Checks per second of `LocalLimiter`: 64 keys from 2 threads (`cargo bench -p ratelimit`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratelimit::{LocalLimiter, Quota, RateLimiter};

const THREADS: usize = 2;
const KEYS: usize = 64;
const RUN: Duration = Duration::from_secs(2);

fn main() {
    let keys: Arc<Vec<String>> = Arc::new((0..KEYS).map(|i| format!("user:{i}:read")).collect());
    // Mostly allowed (the server's common case) and mostly refused (a flood).
    let cases = [
        ("allowed", Quota::per_second(1_000_000_000)),
        ("refused", Quota::per_minute(10)),
    ];
    for (name, quota) in cases {
        let sync = run(&keys, quota, false);
        let trait_path = run(&keys, quota, true);
        println!(
            "LocalLimiter, {KEYS} keys, {THREADS} threads, {name}: {:.2} M checks/s direct, {:.2} M checks/s through the async trait",
            sync / 1e6,
            trait_path / 1e6
        );
    }
}

/// Runs every thread for `RUN` and returns the total checks per second.
fn run(keys: &Arc<Vec<String>>, quota: Quota, via_trait: bool) -> f64 {
    let limiter = Arc::new(LocalLimiter::new());
    let start = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (limiter, keys) = (limiter.clone(), keys.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                let mut checks = 0u64;
                let mut i = t * 7;
                while start.elapsed() < RUN {
                    for _ in 0..1024 {
                        let key = &keys[i % KEYS];
                        let d = if via_trait {
                            runtime.block_on(limiter.check(key, &quota))
                        } else {
                            limiter.check_now(key, &quota)
                        };
                        std::hint::black_box(d);
                        i += 1;
                    }
                    checks += 1024;
                }
                checks
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    total as f64 / start.elapsed().as_secs_f64()
}
