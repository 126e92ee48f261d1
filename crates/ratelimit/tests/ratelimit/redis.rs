//! `RedisLimiter` against the real Redis on 127.0.0.1:6379, and its fallback.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ratelimit::{Decision, ManualClock, Quota, RateLimiter, RedisLimiter, redis_limiter};

const REDIS: &str = "redis://127.0.0.1:6379";
/// An injected "now" for the script: any fixed time since the epoch will do.
const T0: Duration = Duration::from_secs(1_700_000_000);

/// A key prefix no other test (or test run) shares.
fn prefix(test: &str) -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!(
        "ratelimit-test:{test}:{}:{nanos}:{seq}:",
        std::process::id()
    )
}

async fn connect(test: &str) -> RedisLimiter {
    let limiter = redis_limiter(REDIS, &prefix(test)).await.unwrap();
    assert!(!limiter.is_degraded(), "Redis must run on 127.0.0.1:6379");
    limiter
}

async fn passes_at(
    limiter: &RedisLimiter,
    key: &str,
    quota: &Quota,
    now: Duration,
    tries: u32,
) -> u32 {
    let mut passed = 0;
    for _ in 0..tries {
        if limiter.check_at(key, quota, now).await.allowed {
            passed += 1;
        }
    }
    passed
}

#[tokio::test]
async fn exactly_burst_pass_then_exact_retry() {
    let limiter = connect("burst").await;
    let quota = Quota::per_minute(10);
    let seen: Vec<u32> = {
        let mut v = Vec::new();
        for _ in 0..10 {
            let d = limiter.check_at("k", &quota, T0).await;
            assert!(d.allowed);
            v.push(d.remaining);
        }
        v
    };
    assert_eq!(seen, (0..10).rev().collect::<Vec<_>>());
    let refused = limiter.check_at("k", &quota, T0).await;
    assert!(!refused.allowed);
    assert_eq!(refused.retry_after, Some(Duration::from_secs(6)));
    assert_eq!(refused.reset_after, Duration::from_secs(60));

    let almost = T0 + Duration::from_secs(6) - Duration::from_micros(1);
    let d = limiter.check_at("k", &quota, almost).await;
    assert_eq!(d.retry_after, Some(Duration::from_micros(1)));
    assert_eq!(
        passes_at(&limiter, "k", &quota, T0 + Duration::from_secs(6), 5).await,
        1
    );
}

#[tokio::test]
async fn replenishes_and_no_double_burst_at_a_boundary() {
    let limiter = connect("boundary").await;
    let quota = Quota::per_minute(10);
    let before = T0 + Duration::from_millis(59_999);
    assert_eq!(passes_at(&limiter, "k", &quota, before, 15).await, 10);
    let after = T0 + Duration::from_millis(60_001);
    assert_eq!(passes_at(&limiter, "k", &quota, after, 10).await, 0);
    for step in 1..=5 {
        let now = before + Duration::from_secs(6 * step);
        assert_eq!(passes_at(&limiter, "k", &quota, now, 3).await, 1);
    }
}

#[tokio::test]
async fn two_replicas_share_one_quota() {
    let prefix = prefix("replicas");
    let a = redis_limiter(REDIS, &prefix).await.unwrap();
    let b = redis_limiter(REDIS, &prefix).await.unwrap();
    // Redis server time here: neither replica's clock is involved.
    let quota = Quota::new(5, Duration::from_secs(3600));
    let mut passed = 0;
    for i in 0..20 {
        let limiter = if i % 2 == 0 { &a } else { &b };
        if limiter.check("user:7:upload", &quota).await.allowed {
            passed += 1;
        }
    }
    assert_eq!(passed, 5);
    assert!(!a.is_degraded() && !b.is_degraded());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checks_are_atomic() {
    let limiter = Arc::new(connect("atomic").await);
    let quota = Quota::new(50, Duration::from_secs(3600));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let mut passed = 0u32;
                for _ in 0..20 {
                    passed += u32::from(limiter.check("k", &quota).await.allowed);
                }
                passed
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 50);
}

#[tokio::test]
async fn limit_zero_is_off() {
    let limiter = connect("off").await;
    let d = limiter.check("k", &Quota::per_minute(0)).await;
    assert_eq!(d, Decision::unlimited());
}

#[tokio::test]
async fn unreachable_redis_falls_back_to_local_limits() {
    let clock = Arc::new(ManualClock::new(Duration::from_secs(100)));
    let limiter = RedisLimiter::connect("redis://127.0.0.1:1", "x:", clock.clone())
        .await
        .expect("an unreachable Redis is not an error");
    assert!(limiter.is_degraded());
    let quota = Quota::per_minute(3);
    let mut passed = 0;
    for _ in 0..10 {
        passed += u32::from(limiter.check("k", &quota).await.allowed);
    }
    assert_eq!(passed, 3, "local limits still apply");
    // The retry probe fails too, and the check is still answered locally.
    clock.advance(Duration::from_secs(2));
    let d = limiter.check("k", &quota).await;
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Some(Duration::from_secs(18)));
    assert!(limiter.is_degraded());
}

#[tokio::test]
async fn malformed_url_is_an_error() {
    assert!(redis_limiter("not a url", "x:").await.is_err());
}

#[tokio::test]
async fn keys_expire_once_replenished() {
    let prefix = prefix("expiry");
    let limiter = redis_limiter(REDIS, &prefix).await.unwrap();
    let quota = Quota::per_minute(10);
    assert!(limiter.check("k", &quota).await.allowed);
    let client = ::redis::Client::open(REDIS).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = ::redis::cmd("PTTL")
        .arg(format!("{prefix}k"))
        .query_async(&mut conn)
        .await
        .unwrap();
    // One event of 10/min is forgotten after one emission interval (6 s).
    assert!((5_000..=6_000).contains(&ttl), "PTTL {ttl}");
}
