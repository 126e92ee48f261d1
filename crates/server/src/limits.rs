//! Rate limits (docs/API.md, Limits) as the server applies them: which quota an
//! operation falls under, and the keys it is counted by.

use std::net::IpAddr;
use std::sync::Arc;
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
        }
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

    /// Whole-service and per-IP limits, for every limited request.
    pub async fn check_client(&self, ip: IpAddr) -> Result<Vec<Decision>, Refusal> {
        let global = self.check("global", "global", &self.global).await?;
        let ip = self.check("ip", &format!("ip:{ip}"), &self.ip).await?;
        Ok(vec![global, ip])
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
/// a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    header
        .rsplit(',')
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let spoofed = Some("1.2.3.4, 203.0.113.9");
        assert_eq!(client_ip(client, Some("1.2.3.4"), &[proxy]), client);
        assert_eq!(client_ip(proxy, spoofed, &[proxy]), client);
        assert_eq!(client_ip(proxy, None, &[proxy]), proxy);
        assert_eq!(client_ip(proxy, Some("garbage"), &[proxy]), proxy);
    }
}
