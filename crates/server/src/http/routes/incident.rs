//! The admin incident API (docs/API.md, Incident controls): the same
//! switches as `image-service incident`, for admins over HTTP. Every answer
//! is the controls now in force; this replica obeys at once, the others
//! within `incident::POLL`.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use domain::{ControlChange, Revocation};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Role;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictJson};
use crate::incident::{self, status_json};
use crate::state::AppState;

/// Longest reason kept; a reason is a line in a log, not a report.
const MAX_REASON: usize = 500;

/// Turns a mode on or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeChange {
    /// Read-only: `true` puts the service in read-only mode. Uploads:
    /// `false` pauses uploads, `true` resumes them.
    pub enabled: bool,
    /// Why (kept with the switch and in the audit trail), 1 to 500 characters.
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    /// Why, 1 to 500 characters.
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// RFC 3339: tokens issued (`iat`) before this are refused.
    pub before: String,
    /// Only this user's tokens; absent: everyone's.
    #[serde(default)]
    pub sub: Option<String>,
    /// Why, 1 to 500 characters.
    pub reason: String,
}

/// The controls in force (see docs/API.md, Incident controls).
#[derive(ToSchema)]
#[allow(dead_code)]
struct IncidentStatus {
    #[schema(value_type = Object)]
    read_only: Value,
    #[schema(value_type = Object)]
    uploads: Value,
    #[schema(value_type = Vec<Object>)]
    blocked: Value,
    #[schema(value_type = Vec<Object>)]
    revocations: Value,
}

/// Admins only; anyone else is refused and the refusal audited.
async fn admin(caller: &Caller, state: &AppState) -> ApiResult<()> {
    if caller.role() == Role::Admin {
        return Ok(());
    }
    state
        .audit
        .denied(caller.user().as_str(), "incident".to_owned())
        .await;
    Err(ApiError::NotAuthorized)
}

fn reason(text: String) -> ApiResult<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_REASON {
        return Err(ApiError::field(
            "reason",
            format!("must be 1 to {MAX_REASON} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Stores the change, obeys it here at once, answers the new status.
async fn change(
    state: &AppState,
    caller: &Caller,
    change: ControlChange,
) -> ApiResult<Json<Value>> {
    let controls = incident::apply(
        &*state.metadata,
        &state.audit,
        caller.user().as_str(),
        &change,
    )
    .await?;
    state.incident.reload().await;
    Ok(Json(status_json(&controls)))
}

#[utoipa::path(get, path = "/admin/incident", tag = "incident",
    responses(
        (status = 200, body = inline(IncidentStatus), description = "The controls in force"),
        (status = 403, description = "NOT_AUTHORIZED: admins only"),
    ),
    security(("bearer" = [])))]
pub async fn get_status(caller: Caller, State(state): State<AppState>) -> ApiResult<Json<Value>> {
    admin(&caller, &state).await?;
    let controls = incident::load(&*state.metadata).await?;
    Ok(Json(status_json(&controls)))
}

#[utoipa::path(put, path = "/admin/incident/read-only", tag = "incident", request_body = ModeChange,
    responses(
        (status = 200, body = inline(IncidentStatus), description = "The controls now in force"),
        (status = 400, description = "VALIDATION_ERROR"),
        (status = 403, description = "NOT_AUTHORIZED: admins only"),
        (status = 413, description = "FILE_TOO_LARGE: a body over 1 MiB"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not application/json"),
    ),
    security(("bearer" = [])))]
pub async fn set_read_only(
    caller: Caller,
    State(state): State<AppState>,
    StrictJson(body): StrictJson<ModeChange>,
) -> ApiResult<Json<Value>> {
    admin(&caller, &state).await?;
    let reason = reason(body.reason)?;
    let switch = body
        .enabled
        .then(|| incident::switch(caller.user().as_str(), &reason));
    change(&state, &caller, ControlChange::ReadOnly(switch)).await
}

#[utoipa::path(put, path = "/admin/incident/uploads", tag = "incident", request_body = ModeChange,
    responses(
        (status = 200, body = inline(IncidentStatus), description = "The controls now in force"),
        (status = 400, description = "VALIDATION_ERROR"),
        (status = 403, description = "NOT_AUTHORIZED: admins only"),
        (status = 413, description = "FILE_TOO_LARGE: a body over 1 MiB"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not application/json"),
    ),
    security(("bearer" = [])))]
pub async fn set_uploads(
    caller: Caller,
    State(state): State<AppState>,
    StrictJson(body): StrictJson<ModeChange>,
) -> ApiResult<Json<Value>> {
    admin(&caller, &state).await?;
    let reason = reason(body.reason)?;
    let switch = (!body.enabled).then(|| incident::switch(caller.user().as_str(), &reason));
    change(&state, &caller, ControlChange::UploadsOff(switch)).await
}

#[utoipa::path(put, path = "/admin/incident/blocks/{sub}", tag = "incident", request_body = BlockRequest,
    params(("sub" = String, Path, description = "The user id (token `sub`) to block")),
    responses(
        (status = 200, body = inline(IncidentStatus), description = "The controls now in force"),
        (status = 400, description = "VALIDATION_ERROR"),
        (status = 403, description = "NOT_AUTHORIZED: admins only"),
        (status = 413, description = "FILE_TOO_LARGE: a body over 1 MiB"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not application/json"),
    ),
    security(("bearer" = [])))]
pub async fn block(
    caller: Caller,
    State(state): State<AppState>,
    Path(sub): Path<String>,
    StrictJson(body): StrictJson<BlockRequest>,
) -> ApiResult<Json<Value>> {
    admin(&caller, &state).await?;
    let reason = reason(body.reason)?;
    let switch = Some(incident::switch(caller.user().as_str(), &reason));
    change(&state, &caller, ControlChange::Block { sub, switch }).await
}

#[utoipa::path(delete, path = "/admin/incident/blocks/{sub}", tag = "incident",
    params(("sub" = String, Path, description = "The user id to unblock")),
    responses(
        (status = 200, body = inline(IncidentStatus), description = "The controls now in force (unblocking someone not blocked changes nothing)"),
        (status = 403, description = "NOT_AUTHORIZED: admins only"),
    ),
    security(("bearer" = [])))]
pub async fn unblock(
    caller: Caller,
    State(state): State<AppState>,
    Path(sub): Path<String>,
) -> ApiResult<Json<Value>> {
    admin(&caller, &state).await?;
    change(&state, &caller, ControlChange::Block { sub, switch: None }).await
}

#[utoipa::path(post, path = "/admin/incident/revocations", tag = "incident", request_body = RevokeRequest,
    responses(
        (status = 200, body = inline(IncidentStatus), description = "The controls now in force"),
        (status = 400, description = "VALIDATION_ERROR"),
        (status = 403, description = "NOT_AUTHORIZED: admins only"),
        (status = 413, description = "FILE_TOO_LARGE: a body over 1 MiB"),
        (status = 415, description = "UNSUPPORTED_MEDIA_TYPE: not application/json"),
    ),
    security(("bearer" = [])))]
pub async fn revoke(
    caller: Caller,
    State(state): State<AppState>,
    StrictJson(body): StrictJson<RevokeRequest>,
) -> ApiResult<Json<Value>> {
    admin(&caller, &state).await?;
    let before = DateTime::parse_from_rfc3339(&body.before)
        .map_err(|_| ApiError::field("before", "must be an RFC 3339 time"))?
        .with_timezone(&Utc);
    if body.sub.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::field("sub", "must not be empty"));
    }
    let reason = reason(body.reason)?;
    let revocation = Revocation {
        before,
        switch: incident::switch(caller.user().as_str(), &reason),
    };
    change(
        &state,
        &caller,
        ControlChange::Revoke {
            sub: body.sub,
            revocation,
        },
    )
    .await
}
