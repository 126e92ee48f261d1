//! Keys from a provider over HTTP: discovery, refresh on an unknown kid and
//! its rate limit, periodic refresh, outages and bounded staleness.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::*;
use crate::auth::AuthError;

/// A provider: serves discovery and whatever JWKS (or failure) the test sets.
#[derive(Clone, Default)]
struct Provider {
    base: Arc<Mutex<String>>,
    /// `Some` overrides the issuer the discovery document names.
    claimed_issuer: Arc<Mutex<Option<String>>>,
    jwks: Arc<Mutex<Option<Value>>>,
    fetches: Arc<AtomicUsize>,
    discoveries: Arc<AtomicUsize>,
}

impl Provider {
    fn serve(&self, jwks: Option<Value>) {
        *self.jwks.lock().unwrap() = jwks;
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn discovery_handler(State(p): State<Provider>) -> Response {
    p.discoveries.fetch_add(1, Ordering::SeqCst);
    let base = p.base.lock().unwrap().clone();
    let issuer = p
        .claimed_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or(base.clone());
    axum::Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{base}/oauth/keys"),
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
    .into_response()
}

async fn jwks_handler(State(p): State<Provider>) -> Response {
    p.fetches.fetch_add(1, Ordering::SeqCst);
    match p.jwks.lock().unwrap().clone() {
        Some(doc) => axum::Json(doc).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Starts the provider on 127.0.0.1:0 and returns its base URL (our issuer).
/// The key URL is not at a guessable place, so only discovery finds it.
async fn start(provider: &Provider) -> String {
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery_handler))
        .route("/oauth/keys", get(jwks_handler))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = format!("http://{addr}");
    *provider.base.lock().unwrap() = base.clone();
    base
}

async fn remote_with(issuer: &str, refresh: Duration, max_stale: Duration) -> Authenticator {
    Authenticator::new(AuthSettings {
        issuer: Some(issuer.to_owned()),
        audiences: vec![AUDIENCE.to_owned()],
        data_dir: std::env::temp_dir(),
        jwks_refresh: refresh,
        jwks_max_stale: max_stale,
        ..AuthSettings::default()
    })
    .await
    .unwrap()
}

async fn remote_authenticator(issuer: &str) -> Authenticator {
    let defaults = AuthSettings::default();
    remote_with(issuer, defaults.jwks_refresh, defaults.jwks_max_stale).await
}

fn claims_for(issuer: &str, sub: &str) -> Value {
    let mut c = claims(sub);
    c["iss"] = json!(issuer);
    c
}

/// Polls `condition` for up to 10 s: the refresher runs on its own clock.
async fn eventually(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn discovery_finds_the_keys_and_unknown_kids_refetch_at_most_once_per_interval() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, false)));
    let issuer = start(&provider).await;
    let auth = remote_authenticator(&issuer).await;
    assert_eq!(provider.discoveries.load(Ordering::SeqCst), 1);
    assert_eq!(
        provider.fetches(),
        1,
        "fetched at start from the discovered jwks_uri"
    );
    assert!(auth.readiness().is_ok());
    auth.verify(&rs256(&claims_for(&issuer, "alice")))
        .await
        .unwrap();
    assert_eq!(provider.fetches(), 1, "known kid needs no fetch");

    // The EC key is not published yet: one refetch, then the rate limit holds.
    let ec_token = es256(&claims_for(&issuer, "bob"));
    assert!(matches!(
        auth.verify(&ec_token).await,
        Err(AuthError::Invalid("unknown kid"))
    ));
    assert_eq!(provider.fetches(), 2);
    provider.serve(Some(jwks(true, true)));
    for _ in 0..5 {
        assert!(auth.verify(&ec_token).await.is_err());
    }
    assert_eq!(provider.fetches(), 2, "no refetch within 30 s");

    // Once the interval has passed (here: shortened), the rotation is picked up.
    auth.remote().unwrap().set_forced_interval(Duration::ZERO);
    assert_eq!(auth.verify(&ec_token).await.unwrap().user.as_str(), "bob");
    assert_eq!(provider.fetches(), 3);
    assert_eq!(
        provider.discoveries.load(Ordering::SeqCst),
        1,
        "discovery is not repeated once it succeeded"
    );
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, true)));
    *provider.claimed_issuer.lock().unwrap() = Some("https://impostor.example".into());
    let issuer = start(&provider).await;
    let auth = remote_authenticator(&issuer).await;
    assert_eq!(
        provider.fetches(),
        0,
        "the keys of a mismatched issuer are not fetched"
    );
    let why = auth.readiness().unwrap_err();
    assert!(why.contains("impostor.example"), "{why}");
    assert!(
        auth.verify(&rs256(&claims_for(&issuer, "a")))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn failed_refresh_keeps_the_old_keys() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, false)));
    let issuer = start(&provider).await;
    let auth = remote_authenticator(&issuer).await;
    auth.remote().unwrap().set_forced_interval(Duration::ZERO);

    provider.serve(None);
    let unknown = sign(
        jsonwebtoken::Algorithm::RS256,
        Some("rotated"),
        &claims_for(&issuer, "a"),
    );
    assert!(auth.verify(&unknown).await.is_err());
    assert_eq!(provider.fetches(), 2);
    auth.verify(&rs256(&claims_for(&issuer, "carol")))
        .await
        .unwrap();
    assert!(auth.readiness().is_ok(), "cached keys still verify");

    provider.serve(Some(json!({"keys": "garbage"})));
    assert!(auth.verify(&unknown).await.is_err());
    auth.verify(&rs256(&claims_for(&issuer, "dave")))
        .await
        .unwrap();
}

#[tokio::test]
async fn provider_down_at_start_is_not_fatal_but_not_ready() {
    let provider = Provider::default();
    let issuer = start(&provider).await;
    let auth = remote_authenticator(&issuer).await;
    assert_eq!(provider.fetches(), 1);
    let why = auth.readiness().unwrap_err();
    assert!(why.contains("500"), "{why}");
    // The failed start-up fetch does not count against the rate limit.
    provider.serve(Some(jwks(false, true)));
    auth.verify(&es256(&claims_for(&issuer, "erin")))
        .await
        .unwrap();
    assert!(auth.readiness().is_ok());
}

#[tokio::test]
async fn concurrent_requests_for_a_new_kid_share_one_fetch() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, false)));
    let issuer = start(&provider).await;
    let auth = Arc::new(remote_authenticator(&issuer).await);
    provider.serve(Some(jwks(true, true)));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let auth = Arc::clone(&auth);
            let token = es256(&claims_for(&issuer, &format!("user{i}")));
            tokio::spawn(async move { auth.verify(&token).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(provider.fetches(), 2, "one start-up fetch, one refresh");
}

#[tokio::test]
async fn a_withdrawn_key_stops_verifying_at_the_next_periodic_refresh() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, true)));
    let issuer = start(&provider).await;
    let auth = remote_with(&issuer, Duration::from_secs(1), Duration::from_secs(60)).await;
    let token = rs256(&claims_for(&issuer, "frank"));
    auth.verify(&token).await.unwrap();
    // Verified once, so cached: the cache must not outlive the key.
    provider.serve(Some(jwks(false, true)));
    eventually("the RSA key is withdrawn", async || {
        auth.verify(&token).await.is_err()
    })
    .await;
    auth.verify(&es256(&claims_for(&issuer, "gina")))
        .await
        .unwrap();
}

#[tokio::test]
async fn cached_keys_are_dropped_past_the_staleness_bound() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, false)));
    let issuer = start(&provider).await;
    let auth = remote_with(&issuer, Duration::from_secs(1), Duration::from_secs(2)).await;
    let token = rs256(&claims_for(&issuer, "hana"));
    auth.verify(&token).await.unwrap();
    provider.serve(None);
    eventually("stale keys are no longer trusted", async || {
        auth.readiness().is_err()
    })
    .await;
    assert!(auth.verify(&token).await.is_err());
    // The provider returns: the refresher picks the keys up again.
    provider.serve(Some(jwks(true, false)));
    eventually("keys come back", async || auth.readiness().is_ok()).await;
    auth.verify(&token).await.unwrap();
}
