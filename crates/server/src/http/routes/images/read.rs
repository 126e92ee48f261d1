//! `GET /images/{id}`.

use axum::Json;
use axum::extract::{Path, State};

use super::{Access, load, to_dto};
use crate::http::dto::ImageDto;
use crate::http::error::ApiResult;
use crate::http::extract::Caller;
use crate::state::AppState;

#[utoipa::path(get, path = "/images/{id}", tag = "images",
    params(("id" = String, Path, pattern = "^[0-9A-HJKMNP-TV-Z]{26}$", description = "Image ULID")),
    responses(
        (status = 200, body = ImageDto, description = "The image"),
        (status = 403, description = "NOT_AUTHORIZED: someone else's image"),
        (status = 404, description = "NOT_FOUND"),
    ),
    security(("bearer" = [])))]
pub async fn get_image(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ImageDto>> {
    let image = load(&state, &caller, &id, Access::Moderate).await?;
    Ok(Json(to_dto(&state, image)))
}
