//! Shared list parameters (`limit`, `cursor`, `sortOrder`) and cursor scopes.

use domain::SortOrder;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::dto::schema;

use crate::http::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// `limit` 1..100 (default 20).
pub fn parse_limit(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be an integer from 1 to 100")),
    }
}

/// `sortOrder` `asc`/`desc` (default `desc`, newest first).
pub fn parse_order(raw: Option<&str>) -> Result<SortOrder, ApiError> {
    match raw {
        None | Some("desc") => Ok(SortOrder::Desc),
        Some("asc") => Ok(SortOrder::Asc),
        Some(_) => Err(ApiError::field("sortOrder", "must be asc or desc")),
    }
}

pub fn order_name(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Asc => "asc",
        SortOrder::Desc => "desc",
    }
}

/// Query parameters of `GET /albums` (and the common part of other lists).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(schema_with = schema::limit)]
    pub limit: Option<String>,
    #[param(schema_with = schema::cursor)]
    pub cursor: Option<String>,
    #[param(schema_with = schema::sort_order)]
    pub sort_order: Option<String>,
}
