//! `/images`: upload, read, list, update, delete, and the file download.

pub mod delete;
pub mod file;
pub mod list;
pub mod read;
pub mod update;
pub mod upload;

use chrono::Utc;
use domain::{ImageId, ImageRecord};

use crate::http::dto::ImageDto;
use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::request_context as context;
use crate::state::AppState;

/// What the caller wants to do with an image.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read or delete: the owner, a moderator or an admin.
    Moderate,
    /// Change: the owner or an admin.
    Modify,
}

/// A malformed id names no image: 404, like an unknown one.
pub fn parse_id(raw: &str) -> Result<ImageId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// Loads an image and checks the caller may `access` it (404, then 403).
pub async fn load(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    access: Access,
) -> Result<ImageRecord, ApiError> {
    let id = parse_id(raw_id)?;
    context::record(|f| f.image_id = Some(id.to_string()));
    let image = state
        .metadata
        .get_image(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let allowed = match access {
        Access::Moderate => caller.may_moderate(&image.user_id),
        Access::Modify => caller.may_modify(&image.user_id),
    };
    if !allowed {
        state
            .audit
            .denied(caller.user().as_str(), id.to_string())
            .await;
        return Err(ApiError::NotAuthorized);
    }
    Ok(image)
}

pub fn to_dto(state: &AppState, image: ImageRecord) -> ImageDto {
    let ttl =
        chrono::Duration::from_std(state.config.url_ttl).unwrap_or(chrono::Duration::hours(1));
    ImageDto::new(image, &state.signer, Utc::now() + ttl)
}
