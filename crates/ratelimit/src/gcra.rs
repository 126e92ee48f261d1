//! The GCRA arithmetic both limiters share, in whole ticks (ns locally, µs in Redis).
//!
//! State per key is the theoretical arrival time (TAT). The "backlog" is how far the
//! TAT runs ahead of now; an event passes while the backlog is at most the tolerance.

use std::time::Duration;

use crate::{Decision, Quota};

/// A quota turned into ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Params {
    /// Emission interval T = period / limit.
    pub interval: u64,
    /// Tolerance (burst - 1) * T: how far ahead the TAT may run.
    pub tolerance: u64,
    pub burst: u32,
    tick_nanos: u64,
}

impl Params {
    /// `quota` must not be off (limit > 0).
    pub fn new(quota: &Quota, tick_nanos: u64) -> Self {
        debug_assert!(!quota.is_off());
        let period = quota.period.as_nanos();
        let limit = u128::from(quota.limit.max(1));
        // Rounding T up errs on the strict side: never more than `limit` per period.
        let interval_nanos = period.div_ceil(limit);
        let interval = interval_nanos.div_ceil(u128::from(tick_nanos)).max(1);
        let interval = u64::try_from(interval).unwrap_or(u64::MAX);
        let burst = quota.burst.max(1);
        Self {
            interval,
            tolerance: interval.saturating_mul(u64::from(burst - 1)),
            burst,
            tick_nanos,
        }
    }

    /// Whether an event passes with this backlog (TAT minus now, 0 if in the past).
    pub fn allows(&self, backlog: u64) -> bool {
        backlog <= self.tolerance
    }

    /// The decision for an event seen with `backlog`; `allowed` is what the state
    /// store did (it applies `allows` itself, atomically).
    pub fn decision(&self, backlog: u64, allowed: bool) -> Decision {
        if allowed {
            let after = backlog.saturating_add(self.interval);
            // Room left below the tolerance, counted in whole emission intervals.
            let room = self.tolerance.saturating_sub(backlog) / self.interval;
            Decision {
                allowed: true,
                limit: self.burst,
                remaining: u32::try_from(room).unwrap_or(u32::MAX),
                reset_after: self.duration(after),
                retry_after: None,
            }
        } else {
            Decision {
                allowed: false,
                limit: self.burst,
                remaining: 0,
                reset_after: self.duration(backlog),
                retry_after: Some(self.duration(backlog.saturating_sub(self.tolerance))),
            }
        }
    }

    fn duration(&self, ticks: u64) -> Duration {
        Duration::from_nanos(ticks.saturating_mul(self.tick_nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_and_tolerance() {
        let p = Params::new(&Quota::per_second(1000).with_burst(5000), 1);
        assert_eq!(p.interval, 1_000_000);
        assert_eq!(p.tolerance, 4999 * 1_000_000);
        let p = Params::new(&Quota::new(2000, Duration::from_secs(300)), 1000);
        assert_eq!(p.interval, 150_000);
    }

    #[test]
    fn uneven_interval_rounds_up() {
        let p = Params::new(&Quota::per_minute(7), 1);
        assert_eq!(p.interval, 8_571_428_572);
    }

    #[test]
    fn fresh_key_has_burst_minus_one_left() {
        let p = Params::new(&Quota::per_minute(10), 1);
        let d = p.decision(0, p.allows(0));
        assert!(d.allowed);
        assert_eq!(d.remaining, 9);
        assert_eq!(d.reset_after, Duration::from_secs(6));
    }

    #[test]
    fn refusal_reports_wait() {
        let p = Params::new(&Quota::per_minute(10), 1);
        let backlog = 60_000_000_000;
        assert!(!p.allows(backlog));
        let d = p.decision(backlog, false);
        assert_eq!(d.retry_after, Some(Duration::from_secs(6)));
        assert_eq!(d.reset_after, Duration::from_secs(60));
        assert_eq!(d.remaining, 0);
    }
}
