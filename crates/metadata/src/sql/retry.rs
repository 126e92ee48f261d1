//! Which SQL failures are retried, under the store's `domain::RetryPolicy`
//! (`crate::error` classifies the transient ones: those that become
//! `StoreError::Unavailable`).
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
//! An engine's policy bounds both the number of attempts and, with a
//! `domain::retry::Budget`, the time spent in all: a retry is started only if
//! it can finish within the budget even when it takes as long as an attempt at
//! most can (the pool's acquire timeout, which is what an attempt against a
//! server that is down costs). A store that stays down is therefore an
//! `Unavailable` (503 with `Retry-After`) within the budget, well inside the
//! request timeout, never a hang.

use std::fmt;
use std::future::Future;

use domain::RetryPolicy;

use crate::error::is_transient;

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

    fn into_error(self) -> sqlx::Error {
        match self {
            Self::Unapplied(e) | Self::MaybeApplied(e) => e,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unapplied(e) | Self::MaybeApplied(e) => e.fmt(f),
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
pub(crate) async fn run<T, F, Fut>(policy: &RetryPolicy, op: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    domain::retry::retry(policy, "metadata", Failure::repeatable, op)
        .await
        .map_err(Failure::into_error)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    const QUICK: RetryPolicy = RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
        budget: None,
    };

    fn io() -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    }

    async fn count(policy: &RetryPolicy, failure: fn() -> Failure) -> u32 {
        let tries = AtomicU32::new(0);
        let outcome: Result<(), _> = run(policy, || {
            tries.fetch_add(1, Ordering::Relaxed);
            async move { Err(failure()) }
        })
        .await;
        assert!(outcome.is_err());
        tries.into_inner()
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
        assert_eq!(
            count(&RetryPolicy::ONCE, || Failure::Unapplied(io())).await,
            1
        );
    }
}
