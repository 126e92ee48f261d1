//! Refusals of anonymous requests (failed authentication, per-IP and
//! whole-service 429s), summarised per client address.
//!
//! A flood of cheap unauthenticated requests must not become a flood of
//! audit writes and log lines, nor crowd out the events about signed-in
//! users. So the first refusal of a client (address, or IPv6 /64) for an
//! action in an interval is recorded as it happens, and the rest of that
//! interval's are counted and recorded once, as a summary event, when the
//! interval ends: at most two events and two log lines per client and
//! action per interval, however fast the flood.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::AuditAction;

/// How long refusals of one client are gathered into one summary.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// Clients tracked at once; past it, further clients share one tally, so a
/// flood from many addresses cannot grow this without bound.
const MAX_CLIENTS: usize = 10_000;
/// The tally of clients past `MAX_CLIENTS`.
const OVERFLOW: &str = "other";

#[derive(Clone, Debug)]
pub struct Tally {
    /// Refusals after the first, which was recorded on its own.
    pub count: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub target: Option<String>,
}

/// Refusals gathered in the current interval, by (client, action).
#[derive(Default)]
pub struct Gathered {
    tallies: Mutex<HashMap<(String, AuditAction), Tally>>,
}

impl Gathered {
    /// Notes one refusal of `client`; true when it is the client's first for
    /// `action` in this interval (record it now), false when it was counted.
    pub fn note(&self, client: &str, action: AuditAction, target: Option<&str>) -> bool {
        let now = Utc::now();
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let full = tallies.len() >= MAX_CLIENTS;
        let key = (client.to_owned(), action);
        let key = if full && !tallies.contains_key(&key) {
            (OVERFLOW.to_owned(), action)
        } else {
            key
        };
        match tallies.get_mut(&key) {
            Some(tally) => {
                tally.count += 1;
                tally.last = now;
                metrics::counter!("audit_events_aggregated_total").increment(1);
                false
            }
            None => {
                tallies.insert(
                    key,
                    Tally {
                        count: 0,
                        first: now,
                        last: now,
                        target: target.map(str::to_owned),
                    },
                );
                true
            }
        }
    }

    /// Ends the interval: the tallies with refusals beyond the first, for
    /// their summary events. Every client starts afresh.
    pub fn take(&self) -> Vec<(String, AuditAction, Tally)> {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *tallies)
            .into_iter()
            .filter(|(_, tally)| tally.count > 0)
            .map(|((client, action), tally)| (client, action, tally))
            .collect()
    }
}

/// The summary event's `changes`.
pub fn summary(client: &str, tally: &Tally) -> serde_json::Value {
    serde_json::json!({
        "client": client,
        "count": tally.count,
        "first": tally.first,
        "last": tally.last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_refusal_is_recorded_and_the_rest_counted() {
        let gathered = Gathered::default();
        let action = AuditAction::AuthFailed;
        assert!(gathered.note("192.0.2.1", action, Some("GET /images")));
        for _ in 0..99 {
            assert!(!gathered.note("192.0.2.1", action, Some("GET /images")));
        }
        assert!(gathered.note("192.0.2.2", action, None));
        assert!(gathered.note("192.0.2.1", AuditAction::RateLimited, None));
        let taken = gathered.take();
        assert_eq!(taken.len(), 1, "only tallies with more than the first");
        let (client, _, tally) = &taken[0];
        assert_eq!((client.as_str(), tally.count), ("192.0.2.1", 99));
        assert!(gathered.note("192.0.2.1", action, None), "a new interval");
    }
}
