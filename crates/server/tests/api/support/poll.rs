//! Waiting for something another process does on its own clock (a refresh,
//! a replica's reload): poll, and fail naming what never happened.

use std::time::{Duration, Instant};

/// Polls `check` every 100 ms until it holds and returns how long that took;
/// panics naming `what` once `limit` has passed.
pub async fn eventually(
    what: &str,
    limit: Duration,
    mut check: impl AsyncFnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
