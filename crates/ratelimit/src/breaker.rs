//! When Redis fails: skip it for a while, probe it with one request, and warn rarely.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::to_nanos;

/// How long to use local limits before probing Redis again.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(1);
/// At most one warning per this period, so an outage doesn't flood the log.
pub(crate) const WARN_EVERY: Duration = Duration::from_secs(10);

/// What a check should do about Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Redis is healthy: use it.
    Use,
    /// Redis was down and is due a retry: this check is the single probe.
    Probe,
    /// Redis is down: use local limits without touching it.
    Skip,
}

#[derive(Debug, Default)]
pub(crate) struct Breaker {
    down: AtomicBool,
    retry_at: AtomicU64,
    probing: AtomicBool,
    /// Time of the last warning plus one; 0 = never warned.
    warned_at: AtomicU64,
}

impl Breaker {
    pub fn attempt(&self, now: Duration) -> Attempt {
        if !self.down.load(Ordering::Acquire) {
            return Attempt::Use;
        }
        if to_nanos(now) < self.retry_at.load(Ordering::Acquire) {
            return Attempt::Skip;
        }
        // Only one check pays for a probe; the rest stay local meanwhile.
        match self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Attempt::Probe,
            Err(_) => Attempt::Skip,
        }
    }

    /// Returns whether this was a recovery (Redis had been down).
    pub fn succeeded(&self) -> bool {
        self.probing.store(false, Ordering::Release);
        self.down.swap(false, Ordering::AcqRel)
    }

    /// Returns whether to log a warning now.
    pub fn failed(&self, now: Duration) -> bool {
        let now = to_nanos(now);
        self.retry_at
            .store(now.saturating_add(to_nanos(RETRY_AFTER)), Ordering::Release);
        self.down.store(true, Ordering::Release);
        self.probing.store(false, Ordering::Release);
        let last = self.warned_at.load(Ordering::Acquire);
        let due = last == 0 || now.saturating_add(1) >= last.saturating_add(to_nanos(WARN_EVERY));
        due && self
            .warned_at
            .compare_exchange(
                last,
                now.saturating_add(1),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn healthy_uses_redis() {
        assert_eq!(Breaker::default().attempt(S), Attempt::Use);
    }

    #[test]
    fn failure_skips_then_one_probe() {
        let b = Breaker::default();
        assert!(b.failed(S));
        assert_eq!(b.attempt(S + RETRY_AFTER / 2), Attempt::Skip);
        assert_eq!(b.attempt(S + RETRY_AFTER), Attempt::Probe);
        assert_eq!(b.attempt(S + RETRY_AFTER), Attempt::Skip);
        assert!(b.succeeded());
        assert_eq!(b.attempt(S + RETRY_AFTER), Attempt::Use);
        assert!(!b.succeeded());
    }

    #[test]
    fn warns_at_most_once_per_period() {
        let b = Breaker::default();
        assert!(b.failed(Duration::ZERO));
        assert!(!b.failed(S));
        assert!(!b.failed(WARN_EVERY - Duration::from_nanos(1)));
        assert!(b.failed(WARN_EVERY));
        assert!(!b.failed(WARN_EVERY + S));
    }

    #[test]
    fn failed_probe_waits_again() {
        let b = Breaker::default();
        b.failed(Duration::ZERO);
        assert_eq!(b.attempt(RETRY_AFTER), Attempt::Probe);
        b.failed(RETRY_AFTER);
        assert_eq!(b.attempt(RETRY_AFTER + S / 2), Attempt::Skip);
        assert_eq!(b.attempt(RETRY_AFTER * 2), Attempt::Probe);
    }
}
