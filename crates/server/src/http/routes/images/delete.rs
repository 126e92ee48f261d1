//! `DELETE /images/{id}`: metadata first, then every stored variant, so a
//! crash in between leaves only orphan blobs (which `gc` removes), never
//! metadata pointing at a missing blob.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::ImageRecord;
use domain::keys::{BlobKey, Variant};

use super::{Access, load};
use crate::audit::Entry;
use crate::http::error::ApiResult;
use crate::http::extract::Caller;
use crate::state::AppState;
use domain::{AuditAction, AuditOutcome};

#[utoipa::path(delete, path = "/images/{id}", tag = "images",
    params(("id" = String, Path, pattern = "^[0-9A-HJKMNP-TV-Z]{26}$", description = "Image ULID")),
    responses(
        (status = 204, description = "Deleted, with every stored variant"),
        (status = 403, description = "NOT_AUTHORIZED: someone else's image"),
        (status = 404, description = "NOT_FOUND"),
    ),
    security(("bearer" = [])))]
pub async fn delete_image(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let image = load(&state, &caller, &id, Access::Moderate).await?;
    remove(&state, &image).await?;
    state
        .audit
        .record(Entry {
            actor: caller.user().as_str(),
            action: AuditAction::ImageDelete,
            target: Some(image.id.to_string()),
            outcome: AuditOutcome::Success,
            changes: None,
        })
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes one image's metadata and blobs (also used by album and user deletion).
pub async fn remove(state: &AppState, image: &ImageRecord) -> ApiResult<()> {
    state.metadata.delete_image(image.id).await?;
    for variant in Variant::ALL {
        let key = BlobKey::for_variant(&image.user_id, image.id, variant);
        if let Err(err) = state.blobs.delete(&key).await {
            // The metadata is gone, so the image is gone for clients; gc sweeps the blob.
            tracing::warn!(key = %key, error = %err, "blob left behind for gc");
        }
    }
    Ok(())
}
