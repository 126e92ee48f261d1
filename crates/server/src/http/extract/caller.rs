//! `Caller`: the authenticated principal of a protected route. Runs before
//! any body or path validation so a bad token always gets 401 first.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::auth::{AuthError, Principal, Role, parse_bearer};
use crate::http::error::ApiError;
use crate::http::middleware::limits::refuse;
use crate::http::operation::operation_of;
use crate::request_context as context;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct Caller(pub Principal);

impl Caller {
    pub fn user(&self) -> &domain::UserId {
        &self.0.user
    }

    pub fn role(&self) -> Role {
        self.0.role
    }

    /// Owner or admin: may change the resource.
    pub fn may_modify(&self, owner: &domain::UserId) -> bool {
        self.user() == owner || self.role() == Role::Admin
    }

    /// Owner, moderator or admin: may read or delete an image.
    pub fn may_moderate(&self, owner: &domain::UserId) -> bool {
        self.user() == owner || matches!(self.role(), Role::Admin | Role::Moderator)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        match authenticate(parts, state).await {
            Ok(principal) => {
                context::record(|f| f.user_id = Some(principal.user.to_string()));
                if let Err(refusal) = check_incident_controls(&principal, parts, state) {
                    audit_refusal(state, &principal, parts, &refusal).await;
                    return Err(refusal);
                }
                check_scope(&principal, parts, state)?;
                if let Some(operation) = operation_of(&parts.method, parts.uri.path()) {
                    match state.limits.check_user(&principal.user, operation).await {
                        Ok(decision) => context::note_limit(decision),
                        Err(refusal) => {
                            return Err(refuse(state, principal.user.as_str(), refusal).await);
                        }
                    }
                }
                let caller = Caller(principal);
                parts.extensions.insert(caller.clone());
                Ok(caller)
            }
            Err(err) => {
                let reason = match &err {
                    AuthError::Missing => "missing token",
                    AuthError::Expired => "token expired",
                    AuthError::Invalid(reason) => reason,
                };
                // Debug only: under a flood of bad tokens this would be a line per
                // request; the audit trail keeps one per client and interval.
                tracing::debug!(reason, "authentication failed");
                state
                    .audit
                    .security_event(
                        crate::audit::ANONYMOUS,
                        domain::AuditAction::AuthFailed,
                        Some(route_name(parts)),
                    )
                    .await;
                Err(match err {
                    AuthError::Missing => ApiError::MissingToken,
                    AuthError::Expired => ApiError::TokenExpired,
                    AuthError::Invalid(reason) => ApiError::InvalidToken(reason),
                })
            }
        }
    }
}

/// The incident controls (`crate::incident`) in force: a revoked token is
/// 401, a blocked account 403, a write in read-only mode (or an upload with
/// uploads off) 503. The admin incident routes stay open, so the switches can
/// be lifted.
fn check_incident_controls(
    principal: &Principal,
    parts: &Parts,
    state: &AppState,
) -> Result<(), ApiError> {
    let controls = state.incident.current();
    if controls.is_empty() {
        return Ok(());
    }
    let user = principal.user.as_str();
    if controls.is_revoked(user, principal.issued_at) {
        tracing::info!("token revoked by an incident control");
        return Err(ApiError::TokenRevoked);
    }
    if controls.is_blocked(user) {
        tracing::info!("account blocked by an incident control");
        return Err(ApiError::AccountBlocked);
    }
    let path = parts.uri.path();
    let write = !matches!(parts.method, Method::GET | Method::HEAD);
    if write && !path.starts_with("/admin/") {
        if controls.read_only.is_some() {
            return Err(ApiError::Maintenance("The service is read-only for now"));
        }
        if controls.uploads_off.is_some() && parts.method == Method::POST && path == "/images" {
            return Err(ApiError::Maintenance("Uploads are paused for now"));
        }
    }
    Ok(())
}

/// Revoked tokens and blocked accounts leave a trace in the audit trail, so
/// an operator sees who still tries after the switch.
async fn audit_refusal(state: &AppState, principal: &Principal, parts: &Parts, refusal: &ApiError) {
    let action = match refusal {
        ApiError::TokenRevoked => domain::AuditAction::AuthFailed,
        ApiError::AccountBlocked => domain::AuditAction::AccessDenied,
        _ => return,
    };
    state
        .audit
        .security_event(principal.user.as_str(), action, Some(route_name(parts)))
        .await;
}

/// With scopes enforced: reads (GET, HEAD) need the read scope, anything
/// else the write scope.
fn check_scope(principal: &Principal, parts: &Parts, state: &AppState) -> Result<(), ApiError> {
    let write = !matches!(parts.method, Method::GET | Method::HEAD);
    let granted = if write {
        principal.access.write
    } else {
        principal.access.read
    };
    match state.auth.required_scope(write) {
        Some(scope) if !granted => {
            tracing::info!(scope, "token lacks the scope");
            Err(ApiError::InsufficientScope(scope.to_owned()))
        }
        _ => Ok(()),
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, AuthError> {
    let token = parse_bearer(parts.headers.get(header::AUTHORIZATION))?;
    state.auth.verify(token).await
}

/// The route template, never the raw path (which may carry ids or tokens of others).
fn route_name(parts: &Parts) -> String {
    match parts.extensions.get::<axum::extract::MatchedPath>() {
        Some(path) => format!("{} {}", parts.method, path.as_str()),
        None => parts.method.to_string(),
    }
}
