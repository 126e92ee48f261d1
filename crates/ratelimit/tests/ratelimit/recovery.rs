//! `RedisLimiter` losing Redis and getting it back, through a proxy the test switches on and off.

use std::sync::Arc;
use std::time::Duration;

use ratelimit::{ManualClock, Quota, RateLimiter, RedisLimiter};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards a local port to the real Redis until aborted (which drops every connection).
struct Proxy {
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(listener: TcpListener) -> Self {
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut redis) = TcpStream::connect("127.0.0.1:6379").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut redis).await;
                    }
                });
            }
        });
        Self { task }
    }

    fn stop(self) {
        self.task.abort();
    }
}

/// Checks, moving the clock past each retry delay, until Redis answers again.
async fn check_until_shared(limiter: &RedisLimiter, clock: &ManualClock, quota: &Quota) {
    for _ in 0..50 {
        clock.advance(Duration::from_secs(2));
        limiter.check("probe", quota).await;
        if !limiter.is_degraded() {
            return;
        }
        // Let the connection manager's background reconnect run.
        tokio::task::yield_now().await;
    }
    panic!("Redis never came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_again_once_redis_is_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let clock = Arc::new(ManualClock::new(Duration::from_secs(100)));
    let prefix = format!("ratelimit-test:recovery:{}:{port}:", std::process::id());
    let url = format!("redis://127.0.0.1:{port}");
    let limiter = RedisLimiter::connect(&url, &prefix, clock.clone())
        .await
        .unwrap();
    assert!(limiter.is_degraded(), "nothing listens yet");

    let proxy = Proxy::start(TcpListener::bind(("127.0.0.1", port)).await.unwrap()).await;
    let quota = Quota::new(3, Duration::from_secs(3600));
    check_until_shared(&limiter, &clock, &quota).await;

    // Shared again: a second replica sees the same counts.
    let other = RedisLimiter::connect(&url, &prefix, clock.clone())
        .await
        .unwrap();
    assert!(limiter.check("k", &quota).await.allowed);
    assert!(other.check("k", &quota).await.allowed);
    assert!(limiter.check("k", &quota).await.allowed);
    assert!(!other.check("k", &quota).await.allowed);

    // Redis goes away mid-flight: checks are still answered, locally.
    proxy.stop();
    let d = limiter.check("fresh", &quota).await;
    assert!(d.allowed);
    assert!(limiter.is_degraded());
}
