//! JWKS fetched over HTTP: default URL, refresh on an unknown kid, rate limit, outages.

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

/// A fake identity provider: serves whatever JWKS (or failure) the test sets.
#[derive(Clone, Default)]
struct Provider {
    jwks: Arc<Mutex<Option<Value>>>,
    fetches: Arc<AtomicUsize>,
}

impl Provider {
    fn serve(&self, jwks: Option<Value>) {
        *self.jwks.lock().unwrap() = jwks;
    }
    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn jwks_handler(State(p): State<Provider>) -> Response {
    p.fetches.fetch_add(1, Ordering::SeqCst);
    match p.jwks.lock().unwrap().clone() {
        Some(doc) => axum::Json(doc).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Starts the provider on 127.0.0.1:0 and returns its base URL (our issuer).
async fn start(provider: &Provider) -> String {
    let app = Router::new()
        .route("/.well-known/jwks.json", get(jwks_handler))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn remote_authenticator(issuer: &str) -> Authenticator {
    Authenticator::new(AuthSettings {
        issuer: Some(issuer.to_owned()),
        audiences: vec![AUDIENCE.to_owned()],
        data_dir: std::env::temp_dir(),
        ..AuthSettings::default()
    })
    .await
    .unwrap()
}

fn claims_for(issuer: &str, sub: &str) -> Value {
    let mut c = claims(sub);
    c["iss"] = json!(issuer);
    c
}

#[tokio::test]
async fn unknown_kid_refetches_at_most_once_per_interval() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, false)));
    let issuer = start(&provider).await;
    let mut auth = remote_authenticator(&issuer).await;
    assert_eq!(
        provider.fetches(),
        1,
        "fetched at start from <issuer>/.well-known/jwks.json"
    );
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
    auth.remote.as_mut().unwrap().min_interval = Duration::ZERO;
    assert_eq!(auth.verify(&ec_token).await.unwrap().user.as_str(), "bob");
    assert_eq!(provider.fetches(), 3);
}

#[tokio::test]
async fn failed_refresh_keeps_the_old_keys() {
    let provider = Provider::default();
    provider.serve(Some(jwks(true, false)));
    let issuer = start(&provider).await;
    let mut auth = remote_authenticator(&issuer).await;
    auth.remote.as_mut().unwrap().min_interval = Duration::ZERO;

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

    provider.serve(Some(json!({"keys": "garbage"})));
    assert!(auth.verify(&unknown).await.is_err());
    auth.verify(&rs256(&claims_for(&issuer, "dave")))
        .await
        .unwrap();
}

#[tokio::test]
async fn provider_down_at_start_is_not_fatal() {
    let provider = Provider::default();
    let issuer = start(&provider).await;
    let auth = remote_authenticator(&issuer).await;
    assert_eq!(provider.fetches(), 1);
    // The failed start-up fetch does not count against the rate limit.
    provider.serve(Some(jwks(false, true)));
    auth.verify(&es256(&claims_for(&issuer, "erin")))
        .await
        .unwrap();
    assert_eq!(provider.fetches(), 2);
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
