//! Answers for unknown routes and methods, in the contract's JSON. On
//! protected prefixes authentication comes first: a bad token is 401, not 404.

use axum::extract::{Request, State};
use axum::http::request::Parts;

use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::state::AppState;

const PROTECTED: [&str; 5] = ["/images", "/albums", "/users", "/audit", "/admin"];

fn is_protected(path: &str) -> bool {
    PROTECTED.iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

pub async fn authenticate_if_protected(
    state: &AppState,
    parts: &mut Parts,
) -> Result<(), ApiError> {
    if is_protected(parts.uri.path()) {
        use axum::extract::FromRequestParts;
        Caller::from_request_parts(parts, state).await?;
    }
    Ok(())
}

pub async fn not_found(State(state): State<AppState>, request: Request) -> ApiError {
    let (mut parts, _) = request.into_parts();
    match authenticate_if_protected(&state, &mut parts).await {
        Err(err) => err,
        Ok(()) => ApiError::NotFound,
    }
}

pub async fn method_not_allowed(State(state): State<AppState>, request: Request) -> ApiError {
    let (mut parts, _) = request.into_parts();
    match authenticate_if_protected(&state, &mut parts).await {
        Err(err) => err,
        Ok(()) => ApiError::MethodNotAllowed,
    }
}
