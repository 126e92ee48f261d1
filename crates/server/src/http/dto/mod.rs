//! The JSON shapes of docs/API.md, Resources, built from domain records.

pub mod album;
pub mod error;
pub mod image;
pub mod schema;

pub use album::AlbumDto;
pub use error::{ErrorBody, FieldDetail};
pub use image::{ImageDto, ImageUrls, OriginalDto, VariantDto};

use serde::Serialize;
use utoipa::ToSchema;

/// A page of a list: `{ items, nextCursor }`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The `cursor` of the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item converted (a record into its DTO).
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(convert).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// One audit event as `GET /audit` returns it: the OpenAPI shape of
/// `domain::AuditEvent`, which serialises itself.
#[derive(ToSchema)]
#[schema(as = AuditEvent)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AuditEventDoc {
    /// A ULID, so events sort by time.
    #[schema(pattern = "^[0-9A-HJKMNP-TV-Z]{26}$")]
    id: String,
    #[schema(format = DateTime)]
    at: String,
    request_id: String,
    /// The acting user's id, `anonymous`, or `erased` after GDPR erasure.
    actor: String,
    #[schema(schema_with = schema::audit_action)]
    action: String,
    target: Option<String>,
    #[schema(schema_with = schema::audit_outcome)]
    outcome: String,
    /// For updates `{ field: { old, new } }`.
    #[schema(value_type = Option<Object>, nullable = false)]
    changes: Option<serde_json::Value>,
}
