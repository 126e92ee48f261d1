//! Shared list parameters (`limit`, `cursor`, `sortOrder`) and the one
//! keyset page every list serves through (`keyset_page`).

use std::future::Future;

use domain::{PageRequest, SortOrder, StoreResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::http::dto::{Page, schema};
use crate::http::error::{ApiError, ApiResult};
use crate::signing::Signer;

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

/// One page of a list: opens `cursor` (it must have been signed for `scope`,
/// the caller and query it came from), asks `fetch` for one item more than
/// `limit` to learn whether another page follows, and signs the last item's
/// key (`key_of`) as the next cursor.
pub async fn keyset_page<K, T, Fut>(
    signer: &Signer,
    scope: &str,
    cursor: Option<&str>,
    limit: u32,
    order: SortOrder,
    fetch: impl FnOnce(PageRequest<K>) -> Fut,
    key_of: impl Fn(&T) -> K,
) -> ApiResult<Page<T>>
where
    K: Serialize + DeserializeOwned,
    Fut: Future<Output = StoreResult<Vec<T>>>,
{
    let after = cursor
        .map(|c| {
            signer
                .open_cursor::<K>(scope, c)
                .ok_or(ApiError::InvalidCursor)
        })
        .transpose()?;
    let mut items = fetch(PageRequest {
        after,
        limit: limit + 1,
        order,
    })
    .await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| signer.cursor(scope, &key_of(last)))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}
