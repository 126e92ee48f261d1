//! `/healthz` (the process is alive) and `/readyz` (its stores answer, probed
//! at most once a second by `readiness`, and it holds keys to verify tokens with).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::http::error::ApiError;

/// `{ "status": "ok" }` or `{ "status": "ready" }`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Status {
    status: String,
}
use crate::state::AppState;

#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "The process is alive", body = inline(Status))))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Metadata and blob stores answer and signing keys are held", body = inline(Status)),
    (status = 503, description = "UNAVAILABLE: a backing store is down, or no signing key has been fetched from the identity provider"),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .readiness
        .check(|| async {
            let (metadata, blobs) = tokio::join!(state.metadata.ping(), state.blobs.ping());
            metadata.map_err(|e| format!("metadata: {e}"))?;
            blobs.map_err(|e| format!("blobs: {e}"))
        })
        .await
        .map_err(ApiError::Unavailable)?;
    state
        .auth
        .readiness()
        .map_err(|why| ApiError::Unavailable(format!("authentication: {why}")))?;
    Ok(Json(json!({ "status": "ready" })))
}
