//! `GET /audit`: the audit trail for admins, filtered and cursor-paginated
//! (oldest first, the order it was written).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::{AuditEvent, AuditFilter, SortOrder};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Role;
use crate::http::dto::{AuditEventDoc, Page, schema};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictQuery};
use crate::http::routes::list::{keyset_page, parse_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting user's id.
    pub actor: Option<String>,
    /// A resource id.
    pub target: Option<String>,
    /// E.g. `image.update`.
    pub action: Option<String>,
    #[param(schema_with = schema::since)]
    pub since: Option<String>,
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
    let filter = AuditFilter {
        actor: query.actor,
        target: query.target,
        action: query.action,
        since,
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
