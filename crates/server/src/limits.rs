//! Rate limits (docs/API.md, Limits) as the server applies them: which quota an
//! operation falls under, and the keys it is counted by.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::UserId;
use ratelimit::{Decision, Quota, RateLimiter};

use crate::config::LimitsConfig;

/// The per-user operation a request counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Upload,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Upload => "upload",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// The refused limit, for the 429 and the audit trail.
#[derive(Clone, Copy, Debug)]
pub struct Refusal {
    pub kind: &'static str,
    pub decision: Decision,
}

pub struct Limits {
    limiter: Arc<dyn RateLimiter>,
    uploads: Quota,
    reads: Quota,
    updates: Quota,
    deletes: Quota,
    global: Quota,
    ip: Quota,
    pub trusted_proxies: Vec<IpAddr>,
    uploads_in_flight: Arc<InFlight>,
}

/// Uploads in flight per user on this replica. The upload rate limit only
/// meters request starts; this bounds what slow bodies can hold at once.
struct InFlight {
    max: usize,
    by_user: Mutex<HashMap<UserId, usize>>,
}

/// One user's upload slot, given back when dropped (on every path: success,
/// error, or the client going away mid-body).
pub struct UploadSlot {
    pool: Arc<InFlight>,
    user: UserId,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut by_user = self.pool.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = by_user.get_mut(&self.user) {
            *count -= 1;
            if *count == 0 {
                by_user.remove(&self.user);
            }
        }
    }
}

impl Limits {
    pub fn new(limiter: Arc<dyn RateLimiter>, config: &LimitsConfig) -> Self {
        Self {
            limiter,
            uploads: Quota::per_minute(config.uploads_per_min),
            reads: Quota::per_second(config.reads_per_sec),
            updates: Quota::per_minute(config.updates_per_min),
            deletes: Quota::per_minute(config.deletes_per_min),
            global: Quota::per_second(config.global_per_sec)
                .with_burst(config.global_burst.max(config.global_per_sec)),
            ip: Quota::new(config.ip_per_5min, Duration::from_secs(300)),
            trusted_proxies: config.trusted_proxies.clone(),
            uploads_in_flight: Arc::new(InFlight {
                max: config.uploads_in_flight_per_user,
                by_user: Mutex::default(),
            }),
        }
    }

    /// A slot for one more upload of `user`, or the refusal when they already
    /// have the most allowed in flight (retry after a second or so).
    pub fn upload_slot(&self, user: &UserId) -> Result<UploadSlot, Refusal> {
        let pool = &self.uploads_in_flight;
        let mut by_user = pool.by_user.lock().unwrap_or_else(|e| e.into_inner());
        let count = by_user.entry(user.clone()).or_default();
        if *count >= pool.max {
            let limit = u32::try_from(pool.max).unwrap_or(u32::MAX);
            return Err(Refusal {
                kind: "user.uploads_in_flight",
                decision: Decision {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset_after: Duration::from_secs(1),
                    retry_after: Some(Duration::from_secs(1)),
                },
            });
        }
        *count += 1;
        Ok(UploadSlot {
            pool: Arc::clone(pool),
            user: user.clone(),
        })
    }

    async fn check(
        &self,
        kind: &'static str,
        key: &str,
        quota: &Quota,
    ) -> Result<Decision, Refusal> {
        if quota.is_off() {
            return Ok(Decision::unlimited());
        }
        let decision = self.limiter.check(key, quota).await;
        if decision.allowed {
            Ok(decision)
        } else {
            Err(Refusal { kind, decision })
        }
    }

    /// Per-IP, then whole-service limits, for every limited request. The
    /// per-IP limit comes first so that a client already refused by its own
    /// limit spends nothing of everyone's budget.
    pub async fn check_client(&self, ip: IpAddr) -> Result<Vec<Decision>, Refusal> {
        let ip = self
            .check("ip", &format!("ip:{}", client_key(ip)), &self.ip)
            .await?;
        let global = self.check("global", "global", &self.global).await?;
        Ok(vec![ip, global])
    }

    /// The per-user limit of `operation`.
    pub async fn check_user(
        &self,
        user: &UserId,
        operation: Operation,
    ) -> Result<Decision, Refusal> {
        let quota = match operation {
            Operation::Upload => &self.uploads,
            Operation::Read => &self.reads,
            Operation::Update => &self.updates,
            Operation::Delete => &self.deletes,
        };
        let kind = match operation {
            Operation::Upload => "user.upload",
            Operation::Read => "user.read",
            Operation::Update => "user.update",
            Operation::Delete => "user.delete",
        };
        self.check(
            kind,
            &format!("user:{}:{}", operation.as_str(), user),
            quota,
        )
        .await
    }
}

/// The client's address: the socket peer, or — only when the peer is a
/// trusted proxy — the right-most `X-Forwarded-For` entry that is not itself
/// a trusted proxy. `forwarded_for` holds every header line in order: a
/// proxy may append its own line rather than extend the client's, and the
/// client writes whatever it likes into the first.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut entries = forwarded_for.rev().flat_map(|line| line.rsplit(','));
    for entry in &mut entries {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            // Garbage where the nearest untrusted hop should be: nothing
            // further left can be believed either.
            Err(_) => return peer,
        }
    }
    peer
}

/// What a client is counted by: its IPv4 address, or the /64 of its IPv6
/// address (one subscriber usually holds a whole /64, so per-address keys
/// would let it rotate through 2^64 of them).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let lines = |l: &'static [&'static str]| l.iter().copied();
        assert_eq!(client_ip(client, lines(&["1.2.3.4"]), &[proxy]), client);
        assert_eq!(
            client_ip(proxy, lines(&["1.2.3.4, 203.0.113.9"]), &[proxy]),
            client
        );
        assert_eq!(client_ip(proxy, lines(&[]), &[proxy]), proxy);
        assert_eq!(client_ip(proxy, lines(&["garbage"]), &[proxy]), proxy);
    }

    #[test]
    fn every_forwarded_for_line_counts_in_order() {
        let (proxy, inner) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        // The client sent the first line; the proxy appended the second.
        let lines = ["1.2.3.4", "203.0.113.9"];
        assert_eq!(client_ip(proxy, lines.iter().copied(), &[proxy]), client);
        let chained = ["1.2.3.4", "203.0.113.9, 10.0.0.2"];
        assert_eq!(
            client_ip(proxy, chained.iter().copied(), &[proxy, inner]),
            client
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.1");
    }
}
