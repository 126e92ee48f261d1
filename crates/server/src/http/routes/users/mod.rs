//! `/users/{userId}`: GDPR erasure and export, for the user themself or an admin.

pub mod erase;
pub mod export;

use domain::UserId;

use crate::auth::Role;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::state::AppState;

/// The user named in the path, if the caller is that user or an admin.
pub async fn target_user(
    state: &AppState,
    caller: &Caller,
    raw: String,
) -> Result<UserId, ApiError> {
    let user = UserId::new(raw).ok_or(ApiError::NotFound)?;
    if caller.user() != &user && caller.role() != Role::Admin {
        state
            .audit
            .denied(caller.user().as_str(), format!("user:{user}"))
            .await;
        return Err(ApiError::NotAuthorized);
    }
    Ok(user)
}
