//! Store-outage assertions shared by the fault tests: a request must answer
//! 503 `UNAVAILABLE` with `Retry-After` in bounded time (never a 500 or a
//! hang), and the service must come back by itself within a deadline.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::app::TestApp;

/// How long a request may take to say a store is down, and how long the
/// service may take to recover once the store is back.
pub struct Outage {
    pub answer_within: Duration,
    pub recover_within: Duration,
}

impl Outage {
    /// Sends `request`, checks that it answered within `answer_within` with
    /// 503 `UNAVAILABLE` and a `Retry-After`, and returns how long it took.
    pub async fn assert_unavailable(
        &self,
        app: &TestApp,
        what: &str,
        request: reqwest::RequestBuilder,
    ) -> Duration {
        let started = Instant::now();
        let response = request
            .timeout(self.answer_within * 2)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: no answer ({e}); logs:\n{}", app.logs()));
        let took = started.elapsed();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(
            status,
            500,
            "{what}: 500 while the store is down: {body}; logs:\n{}",
            app.logs()
        );
        assert_eq!(status, 503, "{what}: {body}; logs:\n{}", app.logs());
        assert_eq!(body["code"], "UNAVAILABLE", "{what}: {body}");
        let retry_after = retry_after.unwrap_or_else(|| panic!("{what}: no Retry-After"));
        assert!(
            retry_after.parse::<u64>().is_ok_and(|s| s > 0),
            "{what}: Retry-After {retry_after:?}"
        );
        assert!(
            took < self.answer_within,
            "{what}: took {took:?} to say the store is down"
        );
        eprintln!("{what}: 503 UNAVAILABLE after {took:?}");
        took
    }

    /// The status `request` answers within `answer_within`, if any.
    pub async fn status_of(&self, request: reqwest::RequestBuilder) -> Option<u16> {
        request
            .timeout(self.answer_within)
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16())
    }

    /// Polls `request` until it answers `expected`, for at most `recover_within`.
    pub async fn wait_for_status(
        &self,
        app: &TestApp,
        what: &str,
        expected: u16,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) {
        let deadline = Instant::now() + self.recover_within;
        let mut last = None;
        while Instant::now() < deadline {
            last = self.status_of(request()).await;
            if last == Some(expected) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "{what}: not {expected} within {:?} (last: {last:?}); logs:\n{}",
            self.recover_within,
            app.logs()
        );
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}
