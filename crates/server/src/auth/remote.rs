//! Signing keys from the identity provider, kept fresh: fetched at start,
//! refreshed periodically and on an unknown `kid`, served on while the
//! provider is briefly unreachable, and dropped once too stale to trust.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::discovery::{Discovered, discover, get_document, http_client};
use super::jwks::KeySet;

/// The floor on every refresh period: between refetches forced by unknown
/// kids, and under a provider's short `Cache-Control: max-age`.
pub const MIN_REFRESH: Duration = Duration::from_secs(30);
/// The longest the first fetch may hold up start-up.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the keys come from and how long they live.
#[derive(Clone, Debug)]
pub(crate) struct RemoteSettings {
    pub issuer: String,
    /// `None`: take `jwks_uri` from discovery.
    pub jwks_url: Option<String>,
    /// The period between refreshes (a shorter provider `max-age` wins).
    pub refresh: Duration,
    /// How long after the last successful fetch the keys are still trusted
    /// while the provider cannot be reached.
    pub max_stale: Duration,
}

#[derive(Default)]
struct State {
    keys: Arc<KeySet>,
    /// The last successful fetch.
    fetched_at: Option<Instant>,
    /// Attempts failed in a row since then.
    failures: u32,
    last_error: Option<String>,
    discovered: Option<Discovered>,
}

pub(crate) struct RemoteKeys {
    settings: RemoteSettings,
    client: reqwest::Client,
    state: RwLock<State>,
    /// Held across a fetch so concurrent refreshes make one request; holds
    /// when the last refetch forced by an unknown kid happened.
    fetching: tokio::sync::Mutex<Option<Instant>>,
    /// Milliseconds between forced refetches: `MIN_REFRESH`, lowered by tests.
    forced_interval_ms: AtomicU64,
}

impl RemoteKeys {
    /// Builds the store, makes the first fetch (bounded, so a hanging
    /// provider delays start-up by seconds, not forever) and starts the
    /// periodic refresh. A failed first fetch is not fatal: `/readyz` says
    /// 503 and the refresh keeps trying.
    pub async fn start(settings: RemoteSettings) -> anyhow::Result<Arc<Self>> {
        let keys = Arc::new(Self {
            settings,
            client: http_client()?,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(None),
            forced_interval_ms: AtomicU64::new(MIN_REFRESH.as_millis() as u64),
        });
        let first_wait = match tokio::time::timeout(START_TIMEOUT, keys.refresh()).await {
            Ok(wait) => wait,
            Err(_) => keys.record_failure(&anyhow::anyhow!(
                "no answer within {}s",
                START_TIMEOUT.as_secs()
            )),
        };
        spawn_refresher(Arc::downgrade(&keys), first_wait);
        Ok(keys)
    }

    /// The keys to verify with; `None` before the first successful fetch and
    /// once that fetch is older than `max_stale`.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        let state = self.read();
        let fresh = state
            .fetched_at
            .is_some_and(|at| at.elapsed() <= self.settings.max_stale);
        fresh.then(|| Arc::clone(&state.keys))
    }

    /// `Err` with the reason while no usable key is held (for `/readyz`).
    pub fn readiness(&self) -> Result<(), String> {
        if self.keys().is_some_and(|keys| keys.len() > 0) {
            return Ok(());
        }
        let state = self.read();
        let why = state.last_error.as_deref().unwrap_or("not fetched yet");
        Err(match state.fetched_at {
            None => format!("no signing keys from the identity provider: {why}"),
            Some(at) if at.elapsed() > self.settings.max_stale => format!(
                "signing keys are {}s old, past IMAGE_SERVICE_AUTH_JWKS_MAX_STALE_SECS: {why}",
                at.elapsed().as_secs()
            ),
            Some(_) => "the identity provider's key set has no RS256 or ES256 key".to_owned(),
        })
    }

    /// A refetch because a token named a kid we do not have, at most once
    /// per `MIN_REFRESH` so made-up kids cannot hammer the provider.
    pub async fn refresh_for_unknown_kid(&self) {
        let mut last_forced = self.fetching.lock().await;
        let interval = Duration::from_millis(self.forced_interval_ms.load(Ordering::Relaxed));
        if last_forced.is_some_and(|at| at.elapsed() < interval) {
            return;
        }
        *last_forced = Some(Instant::now());
        self.refresh_locked().await;
    }

    /// One attempt, waiting for any in flight; returns the wait before the next.
    async fn refresh(&self) -> Duration {
        let _in_flight = self.fetching.lock().await;
        self.refresh_locked().await
    }

    async fn refresh_locked(&self) -> Duration {
        match self.fetch().await {
            Ok((keys, max_age)) => self.install(keys, max_age),
            Err(error) => self.record_failure(&error),
        }
    }

    /// Discovery (until it has succeeded once), then the key set.
    async fn fetch(&self) -> anyhow::Result<(KeySet, Option<Duration>)> {
        let discovered = self.read().discovered.clone();
        let url = match (&self.settings.jwks_url, discovered) {
            (Some(url), _) => url.clone(),
            (None, Some(found)) => found.jwks_uri,
            (None, None) => {
                let found = discover(&self.client, &self.settings.issuer)
                    .await
                    .inspect_err(|_| {
                        metrics::counter!("auth_jwks_fetch_failures_total", "stage" => "discovery")
                            .increment(1);
                    })?;
                tracing::info!(
                    issuer = %self.settings.issuer,
                    jwks_uri = %found.jwks_uri,
                    signing_algs = ?found.signing_algs,
                    "discovered the identity provider"
                );
                let usable = ["RS256", "ES256"];
                if !found.signing_algs.is_empty()
                    && !found
                        .signing_algs
                        .iter()
                        .any(|alg| usable.contains(&alg.as_str()))
                {
                    tracing::warn!(
                        signing_algs = ?found.signing_algs,
                        "the identity provider advertises neither RS256 nor ES256; its tokens will be refused"
                    );
                }
                let url = found.jwks_uri.clone();
                self.write().discovered = Some(found);
                url
            }
        };
        let fetched = async {
            let document = get_document(&self.client, &url).await?;
            let keys = KeySet::from_json(&document.body)
                .with_context(|| format!("{url} is not a JWKS document"))?;
            anyhow::Ok((keys, document.max_age))
        }
        .await;
        if fetched.is_err() {
            metrics::counter!("auth_jwks_fetch_failures_total", "stage" => "jwks").increment(1);
        }
        fetched
    }

    fn install(&self, keys: KeySet, max_age: Option<Duration>) -> Duration {
        let kids = keys.describe();
        let mut state = self.write();
        if state.keys.describe() != kids || state.failures > 0 || state.fetched_at.is_none() {
            tracing::info!(url = %self.url_for_logs(&state), keys = ?kids, "loaded signing keys");
        }
        if kids.is_empty() {
            tracing::error!(url = %self.url_for_logs(&state), "the identity provider's key set has no RS256 or ES256 key with a kid: every token is refused");
        }
        state.keys = Arc::new(keys);
        state.fetched_at = Some(Instant::now());
        state.failures = 0;
        state.last_error = None;
        refresh_period(self.settings.refresh, max_age)
    }

    /// Logs at error level, keeps the old keys, and returns the retry delay:
    /// 2 s doubling to 30 s, never longer than the refresh period.
    fn record_failure(&self, error: &anyhow::Error) -> Duration {
        let mut state = self.write();
        state.failures = state.failures.saturating_add(1);
        state.last_error = Some(format!("{error:#}"));
        let serving = match state.fetched_at {
            None => "no keys yet: every token is refused".to_owned(),
            Some(at) if at.elapsed() > self.settings.max_stale => {
                "cached keys are past their maximum staleness: every token is refused".to_owned()
            }
            Some(at) => format!("serving the keys fetched {}s ago", at.elapsed().as_secs()),
        };
        tracing::error!(
            url = %self.url_for_logs(&state),
            error = %format!("{error:#}"),
            failures = state.failures,
            "cannot fetch the identity provider's signing keys; {serving}"
        );
        let backoff = Duration::from_secs(1u64 << state.failures.min(5)).min(MIN_REFRESH);
        backoff.min(self.settings.refresh)
    }

    /// Gauges read at scrape time: key count (0 when unusable), age, staleness.
    pub fn report_metrics(&self) {
        let usable = self.keys().map_or(0, |keys| keys.len());
        let state = self.read();
        metrics::gauge!("auth_jwks_keys").set(usable as f64);
        metrics::gauge!("auth_jwks_age_seconds").set(
            state
                .fetched_at
                .map_or(-1.0, |at| at.elapsed().as_secs_f64()),
        );
        metrics::gauge!("auth_jwks_stale").set(if state.failures > 0 { 1.0 } else { 0.0 });
    }

    fn url_for_logs(&self, state: &State) -> String {
        match (&self.settings.jwks_url, &state.discovered) {
            (Some(url), _) => url.clone(),
            (None, Some(found)) => found.jwks_uri.clone(),
            (None, None) => super::discovery::discovery_url(&self.settings.issuer),
        }
    }

    #[cfg(test)]
    pub fn set_forced_interval(&self, interval: Duration) {
        self.forced_interval_ms
            .store(interval.as_millis() as u64, Ordering::Relaxed);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The configured period, or the provider's shorter `max-age` but never
/// under `MIN_REFRESH`.
fn refresh_period(configured: Duration, max_age: Option<Duration>) -> Duration {
    match max_age {
        Some(age) if age < configured => age.max(MIN_REFRESH),
        _ => configured,
    }
}

/// Refreshes until the store is dropped.
fn spawn_refresher(keys: Weak<RemoteKeys>, first_wait: Duration) {
    tokio::spawn(async move {
        let mut wait = first_wait;
        loop {
            tokio::time::sleep(wait).await;
            let Some(keys) = keys.upgrade() else {
                return;
            };
            wait = keys.refresh().await;
        }
    });
}

/// What `check-config` reports about the provider: one fetch, no retries.
pub struct ProviderReport {
    /// `None` when the key URL is configured rather than discovered.
    pub discovery: Option<(String, Vec<String>)>,
    pub jwks_url: String,
    pub keys: Vec<String>,
}

/// Fetches discovery (unless `jwks_url` is given) and the key set once.
pub async fn probe(issuer: &str, jwks_url: Option<&str>) -> anyhow::Result<ProviderReport> {
    let client = http_client()?;
    let (discovery, jwks_url) = match jwks_url {
        Some(url) => (None, url.to_owned()),
        None => {
            let found = discover(&client, issuer).await?;
            (
                Some((super::discovery::discovery_url(issuer), found.signing_algs)),
                found.jwks_uri,
            )
        }
    };
    let document = get_document(&client, &jwks_url).await?;
    let keys = KeySet::from_json(&document.body)
        .with_context(|| format!("{jwks_url} is not a JWKS document"))?;
    Ok(ProviderReport {
        discovery,
        jwks_url,
        keys: keys.describe(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shorter_max_age_wins_down_to_the_floor() {
        let ten_minutes = Duration::from_secs(600);
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(refresh_period(ten_minutes, None), ten_minutes);
        assert_eq!(refresh_period(ten_minutes, secs(3600)), ten_minutes);
        assert_eq!(
            refresh_period(ten_minutes, secs(120)),
            Duration::from_secs(120)
        );
        assert_eq!(refresh_period(ten_minutes, secs(5)), MIN_REFRESH);
        assert_eq!(refresh_period(ten_minutes, secs(0)), MIN_REFRESH);
    }
}
