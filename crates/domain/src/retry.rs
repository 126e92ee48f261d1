//! The one retry policy of every store: a bounded number of attempts,
//! exponential backoff with full jitter, and optionally a time budget. The
//! loop itself is `backon`'s; each store keeps its own numbers (a
//! [`RetryPolicy`]) and its own rule for which failures are transient, since
//! only it knows its error type.
//!
//! It lives here because `domain` is the lowest crate that the metadata and
//! blob stores both build on; a crate of its own for one small module would
//! add a workspace member and isolate nothing.

use std::future::Future;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};

/// How often, how far apart and for how long a store's calls are retried.
///
/// The wait before retry `n` (0-based) is uniform in
/// `[0, min(max, base × 2^n)]` ("full jitter"), so replicas that failed
/// together do not retry together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first one included (1: never retry).
    pub attempts: u32,
    /// The ceiling of the first wait, doubled for each further retry …
    pub base: Duration,
    /// … up to this.
    pub max: Duration,
    /// A bound on the whole call, attempts and waits together (none: only
    /// `attempts` bounds it).
    pub budget: Option<Budget>,
}

/// The time a call may spend before it gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The most a call may spend, attempts and waits together.
    pub total: Duration,
    /// The longest one failing attempt can take: a retry is started only if
    /// it could still finish within `total` when it takes that long.
    pub slowest_attempt: Duration,
}

impl RetryPolicy {
    /// One attempt, never a retry.
    pub const ONCE: Self = Self {
        attempts: 1,
        base: Duration::ZERO,
        max: Duration::ZERO,
        budget: None,
    };

    /// The waits between attempts, for one call starting now; it ends when
    /// the attempts or the budget run out.
    pub fn waits(&self) -> Waits {
        let retries = usize::try_from(self.attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        Waits {
            ceilings: ExponentialBuilder::new()
                .with_min_delay(self.base)
                .with_max_delay(self.max)
                .with_factor(2.0)
                .with_max_times(retries)
                .build(),
            budget: self.budget,
            started: Instant::now(),
        }
    }
}

/// The waits of one call (a `backon` backoff).
#[derive(Debug)]
pub struct Waits {
    /// `min(max, base × 2^n)`: backon's exponential schedule without its own
    /// jitter, which only ever lengthens a wait (up to twice the cap).
    ceilings: <ExponentialBuilder as BackoffBuilder>::Backoff,
    budget: Option<Budget>,
    started: Instant,
}

impl Iterator for Waits {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let wait = self.ceilings.next()?.mul_f64(fastrand::f64());
        match self.budget {
            Some(budget)
                if self.started.elapsed() + wait + budget.slowest_attempt > budget.total =>
            {
                None
            }
            _ => Some(wait),
        }
    }
}

/// Runs `op` until it succeeds, fails in a way `transient` says is not worth
/// repeating, or `policy` says stop; the last error is returned as it is.
/// Each retry is logged (a warning, naming `store`).
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    store: &'static str,
    transient: impl FnMut(&E) -> bool,
    op: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut attempt = 0_u32;
    op.retry(policy.waits())
        .when(transient)
        .notify(|error, wait| {
            attempt += 1;
            tracing::warn!(
                store,
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %error,
                "transient store error, retrying"
            );
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const QUICK: RetryPolicy = RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
        budget: None,
    };

    /// Tries of a call that always fails with `transient`.
    async fn tries(policy: &RetryPolicy, transient: bool) -> u32 {
        let tries = AtomicU32::new(0);
        let outcome: Result<(), String> = retry(
            policy,
            "test",
            |_| transient,
            || async {
                tries.fetch_add(1, Ordering::Relaxed);
                Err("down".to_owned())
            },
        )
        .await;
        assert_eq!(outcome, Err("down".to_owned()));
        tries.into_inner()
    }

    #[test]
    fn waits_are_full_jitter_below_a_doubling_capped_ceiling() {
        let policy = RetryPolicy {
            attempts: 40,
            base: Duration::from_millis(100),
            max: Duration::from_secs(5),
            budget: None,
        };
        let waits: Vec<Duration> = policy.waits().collect();
        assert_eq!(waits.len(), 39);
        for (n, wait) in waits.iter().enumerate() {
            let ceiling = Duration::from_millis(100)
                .saturating_mul(1 << n.min(16))
                .min(Duration::from_secs(5));
            // backon computes in f32 seconds: allow its rounding.
            assert!(*wait <= ceiling + Duration::from_micros(1), "{n}: {wait:?}");
        }
        // Full jitter: over many draws some wait is well below its ceiling.
        assert!(
            waits
                .iter()
                .skip(6)
                .any(|w| *w < Duration::from_millis(4_500))
        );
    }

    #[test]
    fn one_attempt_never_waits() {
        assert_eq!(RetryPolicy::ONCE.waits().count(), 0);
    }

    #[test]
    fn a_retry_that_cannot_finish_within_the_budget_is_not_started() {
        let slow = RetryPolicy {
            budget: Some(Budget {
                total: Duration::from_secs(5),
                slowest_attempt: Duration::from_secs(5),
            }),
            ..QUICK
        };
        assert_eq!(slow.waits().count(), 0);
        let fits = RetryPolicy {
            budget: Some(Budget {
                total: Duration::from_secs(5),
                slowest_attempt: Duration::from_secs(1),
            }),
            ..QUICK
        };
        assert_eq!(fits.waits().count(), 2);
    }

    #[tokio::test]
    async fn transient_failures_are_retried_up_to_the_attempts() {
        assert_eq!(tries(&QUICK, true).await, 3);
        assert_eq!(tries(&RetryPolicy::ONCE, true).await, 1);
    }

    #[tokio::test]
    async fn permanent_failures_are_not_retried() {
        assert_eq!(tries(&QUICK, false).await, 1);
    }

    #[tokio::test]
    async fn a_success_after_a_transient_failure_is_returned() {
        let tries = AtomicU32::new(0);
        let outcome: Result<u32, String> = retry(
            &QUICK,
            "test",
            |_| true,
            || async {
                match tries.fetch_add(1, Ordering::Relaxed) {
                    0 => Err("blip".to_owned()),
                    n => Ok(n),
                }
            },
        )
        .await;
        assert_eq!(outcome, Ok(1));
    }
}
