//! The error JSON (docs/API.md, Errors), shared by every error response (`ApiError`
//! serialises exactly this, so the document cannot drift from the answers).

use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::http::error_code::ErrorCode;

fn code_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ErrorCode::ALL.map(ErrorCode::as_str)))
        .description(Some("Machine-readable error code"))
        .into()
}

/// `{ error, code, message, requestId, details?, currentVersion? }`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Error)]
pub struct ErrorBody {
    /// Error class, e.g. `ValidationError`.
    pub error: &'static str,
    #[schema(schema_with = code_schema)]
    pub code: &'static str,
    /// Human-readable; never carries internals.
    pub message: String,
    /// The request's `X-Request-Id`.
    pub request_id: String,
    /// Only for `VALIDATION_ERROR`: the fields that broke a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<Vec<FieldDetail>>,
    /// Only for `VERSION_CONFLICT`: the resource's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 1)]
    pub current_version: Option<i64>,
}

/// One broken field rule.
#[derive(Serialize, ToSchema)]
pub struct FieldDetail {
    pub field: String,
    pub message: String,
}
