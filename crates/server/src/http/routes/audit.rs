//! `GET /audit`: the audit trail for admins, filtered and cursor-paginated
//! (oldest first, the order it was written). `erasedUser` finds the
//! `user.erase` events of a user id the trail no longer holds (`crate::erasure`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::{AuditAction, AuditEvent, AuditFilter, SortOrder};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Role;
use crate::http::dto::{AuditEventDoc, Page, schema};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictQuery};
use crate::http::routes::list::{keyset_page, parse_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting user's id.
    pub actor: Option<String>,
    /// A resource id.
    pub target: Option<String>,
    #[param(schema_with = schema::audit_action)]
    pub action: Option<String>,
    #[param(schema_with = schema::since)]
    pub since: Option<String>,
    /// The id of an erased user: their `user.erase` events (the trail keeps
    /// only a keyed hash of the id). Not with `actor`, `target` or `action`.
    #[param(min_length = 1)]
    pub erased_user: Option<String>,
    #[param(schema_with = schema::limit)]
    pub limit: Option<String>,
    #[param(schema_with = schema::cursor)]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/audit", tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, body = inline(Page<AuditEventDoc>), description = "A page of events, oldest first"),
        (status = 400, description = "VALIDATION_ERROR (bad or unknown query parameter) or INVALID_CURSOR"),
        (status = 403, description = "NOT_AUTHORIZED: admins only"),
    ),
    security(("bearer" = [])))]
pub async fn list_audit(
    caller: Caller,
    State(state): State<AppState>,
    StrictQuery(query): StrictQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    if caller.role() != Role::Admin {
        state
            .audit
            .denied(caller.user().as_str(), "audit".to_owned())
            .await;
        return Err(ApiError::NotAuthorized);
    }
    let limit = parse_limit(query.limit.as_deref())?;
    let since = query
        .since
        .as_deref()
        .map(DateTime::parse_from_rfc3339)
        .transpose()
        .map_err(|_| ApiError::field("since", "must be an RFC 3339 time"))?
        .map(|t| t.with_timezone(&Utc));
    let action = query.action.as_deref().map(parse_action).transpose()?;
    let filter = match query.erased_user.as_deref() {
        None => AuditFilter {
            actor: query.actor,
            target: query.target,
            action,
            since,
        },
        Some("") => return Err(ApiError::field("erasedUser", "must not be empty")),
        Some(_) if query.actor.is_some() || query.target.is_some() || action.is_some() => {
            return Err(ApiError::field(
                "erasedUser",
                "cannot be combined with actor, target or action",
            ));
        }
        Some(user) => AuditFilter {
            since,
            ..state.erasure.filter(&*state.metadata, user).await?
        },
    };
    let scope = format!("audit|{filter:?}");
    let (metadata, filter) = (&state.metadata, &filter);
    let page = keyset_page(
        &state.signer,
        &scope,
        query.cursor.as_deref(),
        limit,
        SortOrder::Asc,
        |page| async move { metadata.list_audit(filter, &page).await },
        |event: &AuditEvent| event.id.clone(),
    )
    .await?;
    Ok(Json(page))
}

/// An action name, or 400 naming `action` and the names there are.
fn parse_action(name: &str) -> ApiResult<AuditAction> {
    name.parse().map_err(|_| {
        let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        ApiError::field("action", format!("must be one of {}", known.join(", ")))
    })
}
