//! `LocalLimiter` on a manual clock: exact counts, waits and replenishment.

use std::sync::Arc;
use std::time::Duration;

use ratelimit::{Decision, LocalLimiter, ManualClock, Quota, RateLimiter};

const SEC: Duration = Duration::from_secs(1);

fn limiter() -> (LocalLimiter, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Duration::from_secs(1000)));
    (LocalLimiter::with_clock(clock.clone()), clock)
}

fn passes(limiter: &LocalLimiter, key: &str, quota: &Quota, tries: u32) -> u32 {
    (0..tries)
        .filter(|_| limiter.check_now(key, quota).allowed)
        .count() as u32
}

#[tokio::test]
async fn exactly_burst_pass_then_refusal() {
    let (limiter, _) = limiter();
    let quota = Quota::per_minute(10);
    for _ in 0..10 {
        assert!(limiter.check("u1:upload", &quota).await.allowed);
    }
    let refused = limiter.check("u1:upload", &quota).await;
    assert!(!refused.allowed);
    assert_eq!(refused.limit, 10);
    assert_eq!(refused.remaining, 0);
}

#[test]
fn burst_larger_than_rate() {
    let (limiter, clock) = limiter();
    let quota = Quota::per_second(1000).with_burst(5000);
    assert_eq!(passes(&limiter, "global", &quota, 6000), 5000);
    clock.advance(Duration::from_millis(1));
    assert_eq!(passes(&limiter, "global", &quota, 10), 1);
    clock.advance(SEC);
    assert_eq!(passes(&limiter, "global", &quota, 2000), 1000);
}

#[test]
fn retry_after_is_exact() {
    let (limiter, clock) = limiter();
    let quota = Quota::per_minute(10);
    assert_eq!(passes(&limiter, "k", &quota, 10), 10);
    let refused = limiter.check_now("k", &quota);
    assert_eq!(refused.retry_after, Some(Duration::from_secs(6)));
    assert_eq!(refused.reset_after, Duration::from_secs(60));

    clock.advance(Duration::from_secs(6) - Duration::from_nanos(1));
    let almost = limiter.check_now("k", &quota);
    assert!(!almost.allowed);
    assert_eq!(almost.retry_after, Some(Duration::from_nanos(1)));

    clock.advance(Duration::from_nanos(1));
    assert!(limiter.check_now("k", &quota).allowed);
}

#[test]
fn replenishes_one_per_emission_interval() {
    let (limiter, clock) = limiter();
    let quota = Quota::per_minute(10);
    assert_eq!(passes(&limiter, "k", &quota, 20), 10);
    for _ in 0..30 {
        clock.advance(Duration::from_secs(6));
        assert_eq!(passes(&limiter, "k", &quota, 5), 1);
    }
    // A full period idle refills the whole burst, and no more.
    clock.advance(Duration::from_secs(600));
    assert_eq!(passes(&limiter, "k", &quota, 20), 10);
}

#[test]
fn no_double_burst_at_a_window_boundary() {
    let clock = Arc::new(ManualClock::new(Duration::ZERO));
    let limiter = LocalLimiter::with_clock(clock.clone());
    let quota = Quota::per_minute(10);
    // Spend the whole burst just before the minute turns...
    clock.set(Duration::from_millis(59_999));
    assert_eq!(passes(&limiter, "k", &quota, 10), 10);
    // ...and just after it, nothing new: a fixed window would allow 10 more here.
    clock.set(Duration::from_millis(60_001));
    assert_eq!(passes(&limiter, "k", &quota, 10), 0);
    clock.set(Duration::from_millis(59_999 + 6_000));
    assert_eq!(passes(&limiter, "k", &quota, 10), 1);
}

#[test]
fn remaining_counts_down() {
    let (limiter, _) = limiter();
    let quota = Quota::per_minute(5);
    let seen: Vec<(u32, Duration)> = (0..5)
        .map(|_| limiter.check_now("k", &quota))
        .map(|d| (d.remaining, d.reset_after))
        .collect();
    let want: Vec<(u32, Duration)> = (0..5)
        .map(|i| (4 - i, Duration::from_secs(12 * u64::from(i + 1))))
        .collect();
    assert_eq!(seen, want);
}

#[test]
fn refusals_do_not_push_the_wait_out() {
    let (limiter, clock) = limiter();
    let quota = Quota::per_minute(10);
    assert_eq!(passes(&limiter, "k", &quota, 10), 10);
    assert_eq!(passes(&limiter, "k", &quota, 1000), 0);
    clock.advance(Duration::from_secs(6));
    assert!(limiter.check_now("k", &quota).allowed);
}

#[test]
fn keys_are_independent() {
    let (limiter, _) = limiter();
    let quota = Quota::per_minute(3);
    assert_eq!(passes(&limiter, "alice", &quota, 5), 3);
    assert_eq!(passes(&limiter, "bob", &quota, 5), 3);
}

#[test]
fn limit_zero_is_off() {
    let (limiter, _) = limiter();
    let quota = Quota::per_minute(0);
    for _ in 0..1000 {
        assert_eq!(limiter.check_now("k", &quota), Decision::unlimited());
    }
    assert_eq!(limiter.tracked_keys(), 0);
}

#[test]
fn idle_keys_are_forgotten() {
    let (limiter, clock) = limiter();
    let quota = Quota::per_minute(10);
    for i in 0..1000 {
        limiter.check_now(&format!("ip:{i}"), &quota);
    }
    assert_eq!(limiter.tracked_keys(), 1000);
    // Not yet replenished: sweeping keeps them, their state still matters.
    clock.advance(Duration::from_secs(5));
    limiter.sweep();
    assert_eq!(limiter.tracked_keys(), 1000);
    clock.advance(Duration::from_secs(1));
    limiter.sweep();
    assert_eq!(limiter.tracked_keys(), 0);
}

#[test]
fn sweeps_happen_on_their_own() {
    let (limiter, clock) = limiter();
    let quota = Quota::per_second(1);
    for round in 0..10 {
        for i in 0..1000 {
            limiter.check_now(&format!("r{round}:{i}"), &quota);
        }
        clock.advance(Duration::from_secs(11));
    }
    // Only about the last round survives; without sweeping it would be 10,000.
    assert!(limiter.tracked_keys() <= 2000, "{}", limiter.tracked_keys());
}

#[test]
fn threads_together_pass_exactly_the_burst() {
    let (limiter, _) = limiter();
    let limiter = Arc::new(limiter);
    let quota = Quota::per_minute(100);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let limiter = limiter.clone();
            std::thread::spawn(move || passes(&limiter, "shared", &quota, 100))
        })
        .collect();
    let total: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 100);
}
