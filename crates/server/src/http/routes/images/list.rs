//! `GET /images`: the caller's images, newest first by default, keyset-paginated
//! with signed cursors bound to the caller and the query.

use axum::Json;
use axum::extract::State;
use domain::AlbumId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::to_dto;
use crate::http::dto::{ImageDto, Page, schema};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Caller, StrictQuery};
use crate::http::routes::list::{keyset_page, order_name, parse_limit, parse_order};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListImagesQuery {
    #[param(schema_with = schema::limit)]
    pub limit: Option<String>,
    #[param(schema_with = schema::cursor)]
    pub cursor: Option<String>,
    #[param(schema_with = schema::album_filter)]
    pub album_id: Option<String>,
    #[param(schema_with = schema::sort_order)]
    pub sort_order: Option<String>,
}

#[utoipa::path(get, path = "/images", tag = "images",
    params(ListImagesQuery),
    responses(
        (status = 200, body = inline(Page<ImageDto>), description = "A page of the caller's images"),
        (status = 400, description = "VALIDATION_ERROR (bad or unknown query parameter) or INVALID_CURSOR"),
    ),
    security(("bearer" = [])))]
pub async fn list_images(
    caller: Caller,
    State(state): State<AppState>,
    StrictQuery(query): StrictQuery<ListImagesQuery>,
) -> ApiResult<Json<Page<ImageDto>>> {
    let limit = parse_limit(query.limit.as_deref())?;
    let order = parse_order(query.sort_order.as_deref())?;
    let album = query
        .album_id
        .as_deref()
        .map(|a| a.parse::<AlbumId>())
        .transpose()
        .map_err(|_| ApiError::field("albumId", "must be a UUID"))?;
    let scope = format!(
        "images|{}|{}|{}",
        caller.user(),
        album.map(|a| a.to_string()).unwrap_or_default(),
        order_name(order)
    );
    let (metadata, owner) = (&state.metadata, caller.user());
    let page = keyset_page(
        &state.signer,
        &scope,
        query.cursor.as_deref(),
        limit,
        order,
        |page| async move { metadata.list_images(owner, album, &page).await },
        |image| image.id,
    )
    .await?;
    Ok(Json(page.map(|image| to_dto(&state, image))))
}
