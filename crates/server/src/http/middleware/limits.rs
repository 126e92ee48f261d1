//! Whole-service and per-client-IP limits for every request but health,
//! readiness and the OpenAPI document. Per-user limits are checked by the
//! `Caller` extractor, once the user is known.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::Method;

use crate::limits::{Refusal, client_ip, client_key};
use crate::request_context as context;
use crate::state::AppState;

const UNLIMITED_PATHS: [&str; 3] = ["/healthz", "/readyz", "/openapi.json"];

pub async fn limit_clients(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if UNLIMITED_PATHS.contains(&request.uri().path()) || request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    // Every line, in order: `get` would read only the first, which the client wrote.
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("garbage"))
        .collect();
    let ip = client_ip(peer, forwarded.into_iter(), &state.limits.trusted_proxies);
    context::record(|f| f.client = Some(client_key(ip)));
    match state.limits.check_client(ip).await {
        Ok(decisions) => {
            decisions.into_iter().for_each(context::note_limit);
            next.run(request).await
        }
        Err(refusal) => refuse(&state, crate::audit::ANONYMOUS, refusal)
            .await
            .into_response(),
    }
}

/// The 429 for a refused limit; the refusal is audited and counted.
pub async fn refuse(
    state: &AppState,
    actor: &str,
    refusal: Refusal,
) -> crate::http::error::ApiError {
    context::note_limit(refusal.decision);
    metrics::counter!("rate_limit_refusals_total", "kind" => refusal.kind).increment(1);
    state
        .audit
        .security_event(
            actor,
            domain::AuditAction::RateLimited,
            Some(refusal.kind.to_owned()),
        )
        .await;
    let retry = refusal.decision.retry_after.unwrap_or_default();
    crate::http::error::ApiError::RateLimited {
        retry_after_secs: retry.as_secs() + u64::from(retry.subsec_nanos() > 0),
    }
}
