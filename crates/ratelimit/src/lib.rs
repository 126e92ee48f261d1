//! Rate limits as a domain service: GCRA in process (`LocalLimiter`) or shared by every replica through Redis (`RedisLimiter`).
//!
//! GCRA (the generic cell rate algorithm) keeps one "theoretical arrival time" per
//! key instead of counters per window, so it is exact at the edges: a client that
//! spends its burst just before a minute boundary gets nothing extra just after it.

mod breaker;
mod clock;
mod gcra;
mod local;
mod redis_backend;

use std::time::Duration;

use async_trait::async_trait;

pub use clock::{Clock, ManualClock, SystemClock};
pub use local::LocalLimiter;
pub use redis_backend::{RedisLimiter, redis_limiter};

/// How many events a key may make: `limit` per `period`, at most `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Events per `period`; 0 switches the limit off.
    pub limit: u32,
    pub period: Duration,
    /// Most events allowed back to back; equals `limit` for per-minute limits.
    pub burst: u32,
}

impl Quota {
    /// `limit` per `period`, with a burst of `limit`.
    pub const fn new(limit: u32, period: Duration) -> Self {
        Self {
            limit,
            period,
            burst: limit,
        }
    }

    pub const fn per_second(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }

    pub const fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    pub const fn with_burst(self, burst: u32) -> Self {
        Self { burst, ..self }
    }

    /// A limit of 0 means "no limit".
    pub const fn is_off(&self) -> bool {
        self.limit == 0
    }
}

/// The outcome of one check, with what the `RateLimit-*` and `Retry-After` headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The burst the client sees (`RateLimit-Limit`); 0 when the quota is off.
    pub limit: u32,
    /// How many more events would pass right now; `u32::MAX` when the quota is off,
    /// so an "off" limit is never the one nearest exhaustion.
    pub remaining: u32,
    /// Until the key is fully replenished (`RateLimit-Reset`).
    pub reset_after: Duration,
    /// When refused: how long until the next event would pass (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl Decision {
    /// What a switched-off quota answers.
    pub const fn unlimited() -> Self {
        Self {
            allowed: true,
            limit: 0,
            remaining: u32::MAX,
            reset_after: Duration::ZERO,
            retry_after: None,
        }
    }
}

/// The port the server checks every request against.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one event for `key` if `quota` allows it; a refusal changes nothing.
    async fn check(&self, key: &str, quota: &Quota) -> Decision;
}

/// Why a limiter could not be built (at start-up only: checks never fail).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid Redis URL")]
    InvalidUrl(#[source] redis::RedisError),
    #[error("cannot set up the Redis connection")]
    Connection(#[source] redis::RedisError),
}
