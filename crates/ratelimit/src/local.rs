//! `LocalLimiter`: GCRA in process, in sharded maps whose idle keys are swept away.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{Clock, SystemClock, to_nanos};
use crate::gcra::Params;
use crate::{Decision, Quota, RateLimiter};

/// Shards keep the lock per check short and uncontended (no global mutex).
const SHARDS: usize = 64;
/// How often a shard drops keys that are fully replenished.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// An in-process rate limiter; per replica, or the fallback when Redis is down.
pub struct LocalLimiter {
    shards: Box<[Shard]>,
    hasher: RandomState,
    clock: Arc<dyn Clock>,
}

// Aligned to a cache line so two cores locking neighbouring shards don't contend.
#[repr(align(64))]
struct Shard(Mutex<ShardState>);

#[derive(Default)]
struct ShardState {
    /// Theoretical arrival time per key, in ns on the limiter's clock.
    tats: HashMap<Box<str>, u64>,
    next_sweep: u64,
}

impl LocalLimiter {
    /// A limiter on real time.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock::new()))
    }

    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard(Mutex::default())).collect(),
            hasher: RandomState::new(),
            clock,
        }
    }

    /// `check` without the async wrapper, at the limiter's clock.
    pub fn check_now(&self, key: &str, quota: &Quota) -> Decision {
        self.check_at(key, quota, self.clock.now())
    }

    /// `check` at an explicit time on the limiter's clock.
    pub fn check_at(&self, key: &str, quota: &Quota, now: Duration) -> Decision {
        if quota.is_off() {
            return Decision::unlimited();
        }
        let params = Params::new(quota, 1);
        let now = to_nanos(now);
        let mut shard = self.shard(key);
        shard.sweep_if_due(now);
        let tat = shard.tats.get(key).copied().unwrap_or(0);
        let backlog = tat.saturating_sub(now);
        let allowed = params.allows(backlog);
        if allowed {
            // A refusal leaves the state alone, so hammering doesn't push the wait out.
            let new_tat = now + backlog.saturating_add(params.interval);
            match shard.tats.get_mut(key) {
                Some(slot) => *slot = new_tat,
                None => {
                    shard.tats.insert(key.into(), new_tat);
                }
            }
        }
        params.decision(backlog, allowed)
    }

    /// Drops every fully replenished key now (sweeps otherwise happen as keys are used).
    pub fn sweep(&self) {
        let now = to_nanos(self.clock.now());
        for shard in &self.shards {
            lock(shard).sweep(now);
        }
    }

    /// How many keys hold state; a replenished key is forgotten at the next sweep.
    pub fn tracked_keys(&self) -> usize {
        self.shards.iter().map(|s| lock(s).tats.len()).sum()
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, ShardState> {
        let hash = self.hasher.hash_one(key);
        // The map hashes the low bits; the shard takes the high ones.
        let index = (hash >> 58) as usize % SHARDS;
        lock(&self.shards[index])
    }
}

impl Default for LocalLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl ShardState {
    fn sweep_if_due(&mut self, now: u64) {
        if now >= self.next_sweep {
            self.sweep(now);
        }
    }

    /// A key whose TAT has passed is as good as absent, so dropping it changes nothing.
    fn sweep(&mut self, now: u64) {
        self.tats.retain(|_, tat| *tat > now);
        self.next_sweep = now.saturating_add(to_nanos(SWEEP_EVERY));
    }
}

/// A panic while holding a shard cannot leave a TAT half-written, so poison is ignored.
fn lock(shard: &Shard) -> MutexGuard<'_, ShardState> {
    shard.0.lock().unwrap_or_else(|poison| poison.into_inner())
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn check(&self, key: &str, quota: &Quota) -> Decision {
        self.check_now(key, quota)
    }
}
