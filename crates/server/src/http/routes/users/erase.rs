//! `DELETE /users/{userId}`: erases every image, variant, album and metadata
//! row of the user. The user's data key is destroyed first (crypto-shredding),
//! so blob copies in backups or replicas are unreadable at once; then rows and
//! blobs go. From the start until every blob is gone, every replica refuses
//! uploads for the user (`409 ACCOUNT_ERASING`), so none is sealed with the
//! destroyed key. Idempotent: after a crash half-way a re-run finishes the job
//! (and lifts the refusal).
//!
//! Then the audit trail is redacted (`MetadataStore::redact_audit_of`): the
//! user's id leaves every event they acted in or that targeted them, and the
//! changes (titles, descriptions …) of those events go, while the hash chain
//! stays verifiable. The `user.erase` event that follows is the record that
//! the erasure happened — when, by which admin (or `erased` when the user
//! erased themself), how much. Its target is `erased:<keyed hash of the id>`
//! (`crate::erasure`): it names no one, yet whoever knows the id can find it
//! (`GET /audit?erasedUser=`).

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use domain::audit_chain::REDACTED;
use domain::{PageRequest, SortOrder};
use serde::Serialize;
use utoipa::ToSchema;

use super::target_user;
use crate::audit::Entry;
use crate::http::error::ApiResult;
use crate::http::extract::Caller;
use crate::http::routes::images::delete::remove;
use crate::state::AppState;
use domain::{AuditAction, AuditOutcome};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
    pub deleted_images: u64,
    pub deleted_albums: u64,
}

#[utoipa::path(delete, path = "/users/{userId}", tag = "users",
    params(("userId" = String, Path, min_length = 1, description = "The user's id (`sub`)")),
    responses(
        (status = 200, body = Erased, description = "Erased (idempotent)"),
        (status = 403, description = "NOT_AUTHORIZED: neither the user nor an admin"),
        (status = 404, description = "NOT_FOUND: not a user id"),
    ),
    security(("bearer" = [])))]
pub async fn erase_user(
    caller: Caller,
    State(state): State<AppState>,
    Path(user): Path<String>,
) -> ApiResult<Json<Erased>> {
    let user = target_user(&state, &caller, user).await?;
    state.blobs.forget_user(&user).await?;

    let mut deleted_images = 0;
    loop {
        let page = PageRequest {
            after: None,
            limit: 100,
            order: SortOrder::Asc,
        };
        let images = state.metadata.list_images(&user, None, &page).await?;
        if images.is_empty() {
            break;
        }
        for image in &images {
            remove(&state, image).await?;
            deleted_images += 1;
        }
    }
    let mut deleted_albums = 0;
    loop {
        let page = PageRequest {
            after: None,
            limit: 100,
            order: SortOrder::Asc,
        };
        let albums = state.metadata.list_albums(&user, &page).await?;
        if albums.is_empty() {
            break;
        }
        for album in &albums {
            if state.metadata.delete_album(album.id, Utc::now()).await? {
                deleted_albums += 1;
            }
        }
    }
    // Blobs whose rows were erased by an earlier, interrupted run.
    for prefix in ["images", "thumbnails"] {
        for (key, _) in state
            .blobs
            .list(&format!("{prefix}/{}/", user.storage_segment()))
            .await?
        {
            state.blobs.delete(&key).await?;
        }
    }
    // Everything is gone: the user may store again, under a new data key.
    state.blobs.user_forgotten(&user).await?;
    // Security events of this user still queued must land before the redaction.
    state.audit.flush().await;
    let redacted_events = state.metadata.redact_audit_of(&user).await?;
    let actor = if caller.user() == &user {
        REDACTED
    } else {
        caller.user().as_str()
    };
    state
        .audit
        .record(Entry {
            actor,
            action: AuditAction::UserErase,
            target: Some(state.erasure.target(user.as_str())),
            outcome: AuditOutcome::Success,
            changes: Some(serde_json::json!({
                "deletedImages": deleted_images,
                "deletedAlbums": deleted_albums,
                "redactedEvents": redacted_events,
            })),
        })
        .await;
    Ok(Json(Erased {
        deleted_images,
        deleted_albums,
    }))
}
