//! Bounded retries of transient SQL failures (`crate::error` classifies them:
//! the ones that become `StoreError::Unavailable`), with exponential backoff
//! and full jitter: the wait before retry `n` is uniform in
//! `[0, min(5 s, 100 ms × 2^n)]`, the same policy as the DynamoDB store's
//! (`dynamodb/retry.rs`).
//!
//! # What is retried
//!
//! Only an attempt that is safe to repeat:
//!
//! - **Reads**, always: repeating a `SELECT` changes nothing.
//! - **Writes** only when nothing can have been applied ([`Failure::Unapplied`]):
//!   no connection could be had (pool acquire or connect failed, so no
//!   statement was sent), `BEGIN` failed, or a statement of a transaction
//!   failed before its `COMMIT` was sent (the transaction rolls back when the
//!   connection goes). Once a write has been sent in autocommit, or its
//!   `COMMIT` has, a lost connection leaves it unknown whether it was
//!   applied ([`Failure::MaybeApplied`]); repeating it could apply it twice
//!   (an INSERT would then fail on its own key, a second `version + 1` would
//!   skip a version), so such a failure is retried only when the server says
//!   it rolled the work back: a serialization failure (`40001`) or a
//!   deadlock (`40P01`).
//!
//! # How long
//!
//! A [`Policy`] bounds both the number of attempts and the time spent in all:
//! a retry is started only if it can finish within the budget even when it
//! takes as long as an attempt at most can (the pool's acquire timeout, which
//! is what an attempt against a server that is down costs). A store that stays
//! down is therefore an `Unavailable` (503 with `Retry-After`) within the
//! budget, well inside the request timeout, never a hang.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::error::is_transient;

/// The backoff: 100 ms × 2^n …
const BASE: Duration = Duration::from_millis(100);
/// … each wait at most 5 s.
const CAP: Duration = Duration::from_secs(5);

/// How often and for how long an engine's failures are retried.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Policy {
    /// Tries in all, the first one included (1: never retry).
    pub(crate) attempts: u32,
    /// The most a call may spend, attempts and waits together, before it
    /// gives up (when a retry could not finish within it, it is not started).
    pub(crate) budget: Duration,
    /// The longest one failing attempt can take (the pool's acquire timeout).
    pub(crate) slowest_attempt: Duration,
}

impl Policy {
    /// One attempt, no retry: for SQLite, whose `busy_timeout` already waits
    /// out another writer's lock inside the driver, and whose other
    /// transient faults (I/O error, disk full) do not clear in milliseconds.
    pub(crate) const ONCE: Self = Self {
        attempts: 1,
        budget: Duration::ZERO,
        slowest_attempt: Duration::ZERO,
    };

    /// Whether a retry after `attempts_made` failed tries, `elapsed` since the
    /// first began, and then a pause of `wait`, fits the policy.
    fn allows(&self, attempts_made: u32, elapsed: Duration, wait: Duration) -> bool {
        attempts_made < self.attempts && elapsed + wait + self.slowest_attempt <= self.budget
    }
}

/// A failed attempt, sorted by whether repeating it is safe.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Nothing can have been applied: a read, a failure before the statement
    /// was sent, or a transaction that was never committed.
    Unapplied(sqlx::Error),
    /// A write the server may have applied before the error reached us.
    MaybeApplied(sqlx::Error),
}

impl Failure {
    fn repeatable(&self) -> bool {
        match self {
            Self::Unapplied(e) => is_transient(e),
            Self::MaybeApplied(e) => rolled_back(e),
        }
    }

    fn error(&self) -> &sqlx::Error {
        match self {
            Self::Unapplied(e) | Self::MaybeApplied(e) => e,
        }
    }

    fn into_error(self) -> sqlx::Error {
        match self {
            Self::Unapplied(e) | Self::MaybeApplied(e) => e,
        }
    }
}

/// The server reports that it rolled the whole transaction back.
fn rolled_back(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db)
        if db.code().is_some_and(|code| code == "40001" || code == "40P01"))
}

/// Runs `op` until it succeeds, fails in a way not safe to repeat, or the
/// policy says stop; the last error is returned as it is.
pub(crate) async fn run<T, F, Fut>(policy: &Policy, mut op: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let started = Instant::now();
    let mut attempts_made = 0;
    loop {
        let failure = match op().await {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        let wait = backoff(attempts_made);
        attempts_made += 1;
        if !failure.repeatable() || !policy.allows(attempts_made, started.elapsed(), wait) {
            return Err(failure.into_error());
        }
        tracing::warn!(
            attempt = attempts_made,
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            error = %failure.error(),
            "transient metadata store error, retrying"
        );
        tokio::time::sleep(wait).await;
    }
}

/// Full jitter: a uniform wait in `[0, min(CAP, BASE × 2^retry)]`, so
/// replicas that failed together do not retry together.
fn backoff(retry: u32) -> Duration {
    let ceiling = BASE.saturating_mul(1 << retry.min(16)).min(CAP);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const QUICK: Policy = Policy {
        attempts: 3,
        budget: Duration::from_secs(5),
        slowest_attempt: Duration::from_millis(10),
    };

    fn io() -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    }

    async fn count(policy: &Policy, failure: fn() -> Failure) -> u32 {
        let tries = AtomicU32::new(0);
        let outcome: Result<(), _> = run(policy, || {
            tries.fetch_add(1, Ordering::Relaxed);
            async move { Err(failure()) }
        })
        .await;
        assert!(outcome.is_err());
        tries.into_inner()
    }

    #[test]
    fn backoff_is_bounded() {
        for retry in 0..40 {
            let ceiling = BASE.saturating_mul(1 << retry.min(16)).min(CAP);
            assert!(backoff(retry) <= ceiling);
        }
        assert!(backoff(0) <= BASE);
    }

    #[tokio::test]
    async fn unapplied_transient_failures_are_retried_up_to_the_attempts() {
        assert_eq!(count(&QUICK, || Failure::Unapplied(io())).await, 3);
        assert_eq!(
            count(&QUICK, || Failure::Unapplied(sqlx::Error::PoolTimedOut)).await,
            3
        );
    }

    #[tokio::test]
    async fn permanent_and_maybe_applied_failures_are_not_retried() {
        assert_eq!(
            count(&QUICK, || Failure::Unapplied(sqlx::Error::RowNotFound)).await,
            1
        );
        assert_eq!(count(&QUICK, || Failure::MaybeApplied(io())).await, 1);
        assert_eq!(count(&Policy::ONCE, || Failure::Unapplied(io())).await, 1);
    }

    #[test]
    fn a_retry_that_cannot_finish_within_the_budget_is_not_started() {
        let slow = Policy {
            attempts: 3,
            budget: Duration::from_secs(5),
            slowest_attempt: Duration::from_secs(2),
        };
        assert!(slow.allows(1, Duration::from_secs(2), Duration::from_millis(100)));
        assert!(!slow.allows(2, Duration::from_millis(4100), Duration::from_millis(200)));
        assert!(!slow.allows(3, Duration::ZERO, Duration::ZERO));
    }

    #[tokio::test]
    async fn a_success_after_a_transient_failure_is_returned() {
        let tries = AtomicU32::new(0);
        let outcome = run(&QUICK, || {
            let n = tries.fetch_add(1, Ordering::Relaxed);
            async move {
                if n == 0 {
                    Err(Failure::Unapplied(io()))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(outcome.unwrap(), 1);
    }
}
