//! `GET /albums/{id}` and `GET /albums` (keyset-paginated by creation time).

use axum::Json;
use axum::extract::{Path, State};
use domain::AlbumCursor;

use super::load;
use crate::http::dto::{AlbumDto, Page};
use crate::http::error::ApiResult;
use crate::http::extract::{Caller, StrictQuery};
use crate::http::routes::list::{ListQuery, keyset_page, order_name, parse_limit, parse_order};
use crate::state::AppState;

#[utoipa::path(get, path = "/albums/{id}", tag = "albums",
    params(("id" = String, Path, format = Uuid, description = "Album UUID")),
    responses(
        (status = 200, body = AlbumDto, description = "The album"),
        (status = 403, description = "NOT_AUTHORIZED: someone else's album"),
        (status = 404, description = "NOT_FOUND"),
    ),
    security(("bearer" = [])))]
pub async fn get_album(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AlbumDto>> {
    Ok(Json(load(&state, &caller, &id).await?.into()))
}

#[utoipa::path(get, path = "/albums", tag = "albums",
    params(ListQuery),
    responses(
        (status = 200, body = inline(Page<AlbumDto>), description = "A page of the caller's albums"),
        (status = 400, description = "VALIDATION_ERROR (bad or unknown query parameter) or INVALID_CURSOR"),
    ),
    security(("bearer" = [])))]
pub async fn list_albums(
    caller: Caller,
    State(state): State<AppState>,
    StrictQuery(query): StrictQuery<ListQuery>,
) -> ApiResult<Json<Page<AlbumDto>>> {
    let limit = parse_limit(query.limit.as_deref())?;
    let order = parse_order(query.sort_order.as_deref())?;
    let scope = format!("albums|{}|{}", caller.user(), order_name(order));
    let (metadata, owner) = (&state.metadata, caller.user());
    let page = keyset_page(
        &state.signer,
        &scope,
        query.cursor.as_deref(),
        limit,
        order,
        |page| async move { metadata.list_albums(owner, &page).await },
        |album| AlbumCursor {
            created_at: album.created_at,
            id: album.id,
        },
    )
    .await?;
    Ok(Json(page.map(AlbumDto::from)))
}
