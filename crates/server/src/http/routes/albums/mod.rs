//! `/albums`: create, read, list, update, delete.

pub mod create;
pub mod delete;
pub mod read;
pub mod update;

use domain::{AlbumId, AlbumRecord, UserId};

use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::state::AppState;

/// The album `raw` names, if `owner` owns it; anything else is a validation
/// error on `albumId` (docs/API.md, Field rules), so album ids of others are not revealed.
pub async fn owned_album(
    state: &AppState,
    owner: UserId,
    raw: &str,
) -> Result<AlbumRecord, ApiError> {
    let refused = || ApiError::field("albumId", "must be the id of an album you own");
    let id: AlbumId = raw.parse().map_err(|_| refused())?;
    match state.metadata.get_album(id).await? {
        Some(album) if album.user_id == owner => Ok(album),
        _ => Err(refused()),
    }
}

/// Loads an album the caller may access: the owner or an admin (404, then 403).
pub async fn load(state: &AppState, caller: &Caller, raw: &str) -> Result<AlbumRecord, ApiError> {
    let id: AlbumId = raw.parse().map_err(|_| ApiError::NotFound)?;
    let album = state
        .metadata
        .get_album(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !caller.may_modify(&album.user_id) {
        state
            .audit
            .denied(caller.user().as_str(), id.to_string())
            .await;
        return Err(ApiError::NotAuthorized);
    }
    Ok(album)
}
