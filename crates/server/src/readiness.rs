//! `/readyz` answers from a probe of the stores made at most once per
//! [`PROBE_INTERVAL`]: the route is public and unlimited, and with S3 every
//! probe is a billable request, so any rate of calls costs one probe per
//! interval. Concurrent calls wait for the probe under way and share it.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// How long a probe's outcome is reused.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// A store that does not answer within this is reported down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct ReadinessCache {
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl ReadinessCache {
    /// The last outcome if it is recent, else the outcome of `probe` now.
    pub async fn check<F>(&self, probe: impl FnOnce() -> F) -> Result<(), String>
    where
        F: Future<Output = Result<(), String>>,
    {
        let mut last = self.last.lock().await;
        if let Some((at, outcome)) = last.as_ref()
            && at.elapsed() < PROBE_INTERVAL
        {
            return outcome.clone();
        }
        metrics::counter!("readiness_probes_total").increment(1);
        let outcome = tokio::time::timeout(PROBE_TIMEOUT, probe())
            .await
            .unwrap_or_else(|_| Err("the stores did not answer in time".to_owned()));
        *last = Some((Instant::now(), outcome.clone()));
        outcome
    }
}
