//! Bounded retries with exponential backoff and jitter for transient store errors.

use std::future::Future;
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};

/// `base × 2^n`, capped at `max`, for at most `attempts` tries in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    pub attempts: u32,
}

impl Default for RetryPolicy {
    /// 100 ms, 200 ms, … at most 5 s: six tries, about 3 s of waiting,
    /// so a store that stays down turns into a 503 quickly.
    fn default() -> Self {
        Self {
            base: Duration::from_millis(100),
            max: Duration::from_secs(5),
            attempts: 6,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `n` (0-based): uniformly in `[cap/2, cap]`
    /// ("equal jitter"), so replicas that failed together do not retry together.
    pub fn delay(&self, n: u32, jitter: f64) -> Duration {
        let cap = self
            .base
            .saturating_mul(2u32.saturating_pow(n.min(31)))
            .min(self.max);
        cap.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    // A failed RNG only costs the jitter, not the retry.
    match SystemRandom::new().fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    }
}

/// Runs `op` until it succeeds, fails permanently (`is_transient` false), or
/// the attempts are used up; returns the last error in the failing cases.
pub async fn retry<T, E, F, Fut>(
    policy: RetryPolicy,
    is_transient: impl Fn(&E) -> bool,
    mut op: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut n = 0;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(e) if is_transient(&e) && n + 1 < policy.attempts => {
                let wait = policy.delay(n, jitter());
                tracing::warn!(attempt = n + 1, wait_ms = wait.as_millis() as u64, error = %e, "transient store error, retrying");
                tokio::time::sleep(wait).await;
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn delays_grow_exponentially_with_jitter_and_a_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(0, 1.0), Duration::from_millis(100));
        assert_eq!(policy.delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(policy.delay(3, 1.0), Duration::from_millis(800));
        assert_eq!(policy.delay(10, 1.0), Duration::from_secs(5));
        assert_eq!(policy.delay(40, 0.0), Duration::from_millis(2500));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_only_and_gives_up() {
        let policy = RetryPolicy::default();
        let calls = AtomicU32::new(0);
        let flaky = retry(
            policy,
            |_: &String| true,
            || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => Err("503".to_string()),
                    _ => Ok(7),
                }
            },
        );
        assert_eq!(flaky.await, Ok(7));
        assert_eq!(calls.swap(0, Ordering::SeqCst), 3);

        let down: Result<(), String> = retry(
            policy,
            |_| true,
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("down".to_string())
            },
        )
        .await;
        assert!(down.is_err());
        assert_eq!(calls.swap(0, Ordering::SeqCst), policy.attempts);

        let permanent: Result<(), String> = retry(
            policy,
            |_| false,
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("403".to_string())
            },
        )
        .await;
        assert!(permanent.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
