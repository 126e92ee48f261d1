//! `RedisLimiter`: the same GCRA in one Lua script, shared by every replica; local limits while Redis is down.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::breaker::{Attempt, Breaker};
use crate::clock::{Clock, SystemClock};
use crate::gcra::Params;
use crate::{Decision, Error, LocalLimiter, Quota, RateLimiter};

/// Redis works in microseconds (its `TIME` resolution).
const TICK_NANOS: u64 = 1_000;
/// A check never waits longer than this for Redis before going local.
const CALL_BUDGET: Duration = Duration::from_millis(500);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(400);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);

/// Rate limits shared through Redis; never fails a check because of Redis.
pub struct RedisLimiter {
    conn: ConnectionManager,
    script: redis::Script,
    prefix: String,
    fallback: LocalLimiter,
    clock: Arc<dyn Clock>,
    breaker: Breaker,
}

/// Connects to `url` (lazily: an unreachable Redis is not an error) and keys every
/// limit under `key_prefix`. Errors only for a malformed URL.
pub async fn redis_limiter(url: &str, key_prefix: &str) -> Result<RedisLimiter, Error> {
    RedisLimiter::connect(url, key_prefix, Arc::new(SystemClock::new())).await
}

impl RedisLimiter {
    /// As `redis_limiter`, with the clock that drives the fallback and retries.
    pub async fn connect(
        url: &str,
        key_prefix: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(Error::InvalidUrl)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn =
            ConnectionManager::new_lazy_with_config(client, config).map_err(Error::Connection)?;
        let limiter = Self {
            conn,
            script: redis::Script::new(include_str!("gcra.lua")),
            prefix: key_prefix.to_owned(),
            fallback: LocalLimiter::with_clock(clock.clone()),
            clock,
            breaker: Breaker::default(),
        };
        limiter.warm_up().await;
        Ok(limiter)
    }

    /// `check` with an explicit "now" (time since the Unix epoch) instead of the
    /// Redis server time; for exact tests of the shared path.
    pub async fn check_at(&self, key: &str, quota: &Quota, now: Duration) -> Decision {
        self.check_with(key, quota, Some(now)).await
    }

    /// Whether checks currently use the per-replica fallback.
    pub fn is_degraded(&self) -> bool {
        self.breaker.is_down()
    }

    /// Loads the script so the first check is one EVALSHA; if Redis is unreachable,
    /// start on local limits right away instead of making the first request wait.
    async fn warm_up(&self) {
        let mut conn = self.conn.clone();
        let load = self.script.load_async(&mut conn);
        match tokio::time::timeout(CALL_BUDGET, load).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => self.failed(&e),
            Err(_) => self.failed(&"timed out"),
        }
    }

    async fn check_with(&self, key: &str, quota: &Quota, now: Option<Duration>) -> Decision {
        if quota.is_off() {
            return Decision::unlimited();
        }
        if self.breaker.attempt(self.clock.now()) == Attempt::Skip {
            return self.fallback.check_now(key, quota);
        }
        match tokio::time::timeout(CALL_BUDGET, self.eval(key, quota, now)).await {
            Ok(Ok(decision)) => {
                if self.breaker.succeeded() {
                    tracing::info!("Redis is back; rate limits are shared again");
                }
                decision
            }
            Ok(Err(e)) => {
                self.failed(&e);
                self.fallback.check_now(key, quota)
            }
            Err(_) => {
                self.failed(&"timed out");
                self.fallback.check_now(key, quota)
            }
        }
    }

    async fn eval(
        &self,
        key: &str,
        quota: &Quota,
        now: Option<Duration>,
    ) -> redis::RedisResult<Decision> {
        let params = Params::new(quota, TICK_NANOS);
        let now = now.map_or_else(String::new, |n| n.as_micros().to_string());
        let mut conn = self.conn.clone();
        let (allowed, backlog): (i64, i64) = self
            .script
            .key(format!("{}{}", self.prefix, key))
            .arg(params.interval)
            .arg(params.tolerance)
            .arg(now)
            .invoke_async(&mut conn)
            .await?;
        Ok(params.decision(u64::try_from(backlog).unwrap_or(0), allowed == 1))
    }

    fn failed(&self, error: &dyn std::fmt::Display) {
        if self.breaker.failed(self.clock.now()) {
            tracing::warn!(
                error = %error,
                "Redis unavailable for rate limits; using per-replica limits until it answers"
            );
        }
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, key: &str, quota: &Quota) -> Decision {
        self.check_with(key, quota, None).await
    }
}
