//! The admin listener (`IMAGE_SERVICE_ADMIN_LISTEN`): `/metrics` in the
//! Prometheus text format, kept off the public API port, behind
//! `IMAGE_SERVICE_ADMIN_TOKEN` when set; `/healthz` is always open.

use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use http::StatusCode;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use ring::hmac;
use tokio::task::JoinHandle;

use crate::state::AppState;

/// The process-wide recorder: `metrics` allows exactly one. Installed before
/// the stores and the identity provider are first contacted, so failures at
/// start-up are counted.
pub fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets(&[
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ])
        .context("metrics buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    describe();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// Help text for every series, and zeroes for the counters an operator
/// alerts on, so they exist before the first event.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "Requests answered, by route and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by route and status"
    );
    describe_counter!(
        "rate_limit_refusals_total",
        "429s, by the limit that refused (user.upload, user.read, user.update, user.delete, ip, global)"
    );
    describe_counter!(
        "uploads_processed_total",
        "Uploads through the processing pool, by outcome (ok, refused, overloaded, failed)"
    );
    describe_histogram!(
        "processing_duration_seconds",
        Unit::Seconds,
        "Time the image pipeline took for one upload"
    );
    describe_histogram!(
        "processing_wait_seconds",
        Unit::Seconds,
        "Time an upload waited for memory budget and a worker"
    );
    describe_gauge!(
        "processing_queue_depth",
        "Uploads waiting for or in processing"
    );
    describe_counter!(
        "store_errors_total",
        "Failed metadata or blob store operations, by store"
    );
    describe_counter!(
        "audit_events_dropped_total",
        "Security events not persisted because the queue was full"
    );
    describe_counter!(
        "auth_jwks_fetch_failures_total",
        "Failed fetches from the identity provider, by stage (discovery, jwks)"
    );
    describe_gauge!(
        "auth_jwks_keys",
        "Signing keys tokens are verified with; 0 before the first fetch or once too stale"
    );
    describe_gauge!(
        "auth_jwks_age_seconds",
        Unit::Seconds,
        "Time since the signing keys were last fetched (-1: never)"
    );
    describe_gauge!(
        "auth_jwks_stale",
        "1 while the last key refresh failed and cached keys are served"
    );
    describe_gauge!(
        "incident_control_active",
        "1 while an incident control is in force on this replica, by control (read_only, uploads_paused)"
    );
    describe_gauge!(
        "incident_blocked_accounts",
        "Accounts blocked by an incident control"
    );
    describe_gauge!(
        "incident_revocations",
        "Token revocations in force (everyone's, or one user's)"
    );
    for stage in ["discovery", "jwks"] {
        metrics::counter!("auth_jwks_fetch_failures_total", "stage" => stage).absolute(0);
    }
    metrics::counter!("store_errors_total", "store" => "metadata").absolute(0);
    for outcome in ["ok", "refused", "overloaded", "failed"] {
        metrics::counter!("uploads_processed_total", "outcome" => outcome).absolute(0);
    }
    metrics::counter!("audit_events_dropped_total").absolute(0);
}

/// The incident controls this replica obeys, read at scrape time.
fn report_incident_controls(state: &AppState) {
    let controls = state.incident.current();
    let flag = |on: bool| if on { 1.0 } else { 0.0 };
    metrics::gauge!("incident_control_active", "control" => "read_only")
        .set(flag(controls.read_only.is_some()));
    metrics::gauge!("incident_control_active", "control" => "uploads_paused")
        .set(flag(controls.uploads_off.is_some()));
    metrics::gauge!("incident_blocked_accounts").set(controls.blocked.len() as f64);
    let revocations = controls.revoked_users.len() + usize::from(controls.revoked_all.is_some());
    metrics::gauge!("incident_revocations").set(revocations as f64);
}

pub async fn spawn(state: &AppState) -> anyhow::Result<JoinHandle<()>> {
    let handle = recorder()?;
    let addr = state.config.admin_listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("IMAGE_SERVICE_ADMIN_LISTEN: cannot listen on {addr}"))?;
    let token = (state.config.admin_token.as_ref())
        .map(|t| AdminToken::new(t.expose()))
        .transpose()?;
    tracing::info!(addr = %listener.local_addr()?, token = token.is_some(), "admin listening");
    let state = state.clone();
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            let state = state.clone();
            async move {
                metrics::gauge!("processing_queue_depth").set(state.processor.depth() as f64);
                state.auth.report_metrics();
                report_incident_controls(&state);
                handle.render()
            }
        }),
    );
    let app = match token {
        Some(token) => app.layer(middleware::from_fn_with_state(
            Arc::new(token),
            require_token,
        )),
        None => app,
    };
    // Added after the layer, so it stays open: liveness probes carry no token.
    let app = app.route(
        "/healthz",
        get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
    );
    Ok(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "admin listener stopped");
        }
    }))
}

/// The admin bearer token, kept as an HMAC under a per-process random key so
/// that checking a presented token is ring's constant-time tag comparison.
struct AdminToken {
    key: hmac::Key,
    tag: hmac::Tag,
}

impl AdminToken {
    fn new(token: &str) -> anyhow::Result<Self> {
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &ring::rand::SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("no system randomness for the admin token check"))?;
        let tag = hmac::sign(&key, token.as_bytes());
        Ok(Self { key, tag })
    }

    fn matches(&self, presented: &str) -> bool {
        hmac::verify(&self.key, presented.as_bytes(), self.tag.as_ref()).is_ok()
    }
}

async fn require_token(
    State(token): State<Arc<AdminToken>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = crate::auth::parse_bearer(request.headers().get(AUTHORIZATION)).ok();
    if presented.is_some_and(|p| token.matches(p)) {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, r#"Bearer realm="admin""#)],
        "unauthorized\n",
    )
        .into_response()
}
