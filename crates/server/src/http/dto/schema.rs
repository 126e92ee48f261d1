//! OpenAPI schemas of the field rules (docs/API.md, Field rules), so `/openapi.json` says
//! exactly what the validation in `domain::fields` and the extractors accept:
//! lengths in Unicode characters, no control characters but `\n`, `\r`, tab.
//! Used with `#[schema(schema_with = …)]` and in the route annotations.

use domain::fields::{ALT_TEXT_MAX, DESCRIPTION_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};

/// Any characters but the control characters `domain::fields::text` refuses
/// (Unicode `Cc` except `\t`, `\n`, `\r`).
pub const NO_CONTROL_CHARS: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// A ULID in canonical form, as the service writes image ids.
pub const ULID_PATTERN: &str = "^[0-9A-HJKMNP-TV-Z]{26}$";

fn string_type(nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    }
}

/// A text field of `min..=max` characters without control characters.
pub fn text(min: usize, max: usize, nullable: bool, description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .min_length((min > 0).then_some(min))
        .max_length(Some(max))
        .pattern(Some(NO_CONTROL_CHARS))
        .description(Some(description))
        .into()
}

fn tag() -> Schema {
    text(1, TAG_MAX, false, "1..50 characters")
}

fn tags(nullable: bool) -> Schema {
    let ty = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    ArrayBuilder::new()
        .schema_type(ty)
        .items(RefOr::T(tag()))
        .max_items(Some(TAGS_MAX))
        .description(Some("At most 20 tags of 1..50 characters"))
        .into()
}

pub fn uuid(nullable: bool, description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .description(Some(description))
        .into()
}

pub fn ulid(description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(ULID_PATTERN))
        .description(Some(description))
        .into()
}

pub fn date_time() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .into()
}

/// `version`: a positive integer (an `i64` on the server).
pub fn version() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .maximum(Some(i64::MAX))
        .description(Some(
            "The version the change is based on; a mismatch is 409 VERSION_CONFLICT",
        ))
        .into()
}

// One function per field, for `#[schema(schema_with = …)]`.

pub fn image_title() -> Schema {
    text(0, TITLE_MAX, true, "At most 255 characters; null clears it")
}

pub fn image_description() -> Schema {
    text(
        0,
        DESCRIPTION_MAX,
        true,
        "At most 5000 characters; null clears it",
    )
}

pub fn alt_text() -> Schema {
    text(
        0,
        ALT_TEXT_MAX,
        true,
        "At most 255 characters; null clears it",
    )
}

pub fn nullable_tags() -> Schema {
    tags(true)
}

pub fn nullable_album_id() -> Schema {
    uuid(
        true,
        "The UUID of an album the caller owns (else 400 VALIDATION_ERROR on albumId), or null to detach",
    )
}

pub fn album_title() -> Schema {
    text(1, TITLE_MAX, false, "1..255 characters")
}

pub fn album_description() -> Schema {
    text(0, DESCRIPTION_MAX, true, "At most 5000 characters")
}

/// The multipart form of `POST /images`.
pub fn upload_form() -> Schema {
    let file = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .description(Some(
            "JPEG, PNG or WebP (decided by the bytes), at most 10 MiB; the part's type, if given, \
             must be one of image/jpeg, image/png, image/webp, its filename at most 255 characters",
        ));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("file", file)
        .required("file")
        .property(
            "albumId",
            uuid(false, "The UUID of an album the caller owns"),
        )
        .property("title", text(0, TITLE_MAX, false, "At most 255 characters"))
        .property(
            "description",
            text(0, DESCRIPTION_MAX, false, "At most 5000 characters"),
        )
        .property(
            "altText",
            text(0, ALT_TEXT_MAX, false, "At most 255 characters"),
        )
        .property("tags", tags(false))
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
        .into()
}

fn string_enum(values: [&str; 2], description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

// Query parameters, for `#[param(schema_with = …)]`.

/// `limit` 1..100 (default 20).
pub fn limit() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .maximum(Some(100))
        .default(Some(20.into()))
        .description(Some("Page size, 1..100 (default 20)"))
        .into()
}

/// An opaque signed cursor; one that is malformed, tampered, or from another
/// user or query is 400 `INVALID_CURSOR`.
pub fn cursor() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "The nextCursor of the previous page of the same query (else 400 INVALID_CURSOR)",
        ))
        .into()
}

pub fn album_filter() -> Schema {
    uuid(false, "Only the images of this album")
}

pub fn sort_order() -> Schema {
    string_enum(["asc", "desc"], "desc (default, newest first) or asc")
}

pub fn variant() -> Schema {
    string_enum(["display", "thumbnail"], "display (default) or thumbnail")
}

pub fn delete_images() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .default(Some(false.into()))
        .description(Some(
            "Also delete the album's images (else they are detached)",
        ))
        .into()
}

pub fn since() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some("Only events since this RFC 3339 time"))
        .into()
}

/// One of the dotted names of `enum` (`AuditAction`, `AuditOutcome`).
fn names<T: std::fmt::Display>(all: &[T], description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(all.iter().map(ToString::to_string)))
        .description(Some(description))
        .into()
}

pub fn audit_action() -> Schema {
    names(domain::AuditAction::ALL, "What the event records")
}

pub fn audit_outcome() -> Schema {
    names(domain::AuditOutcome::ALL, "How it ended")
}

pub fn nullable_album_title() -> Schema {
    text(
        1,
        TITLE_MAX,
        true,
        "1..255 characters; null leaves it unchanged",
    )
}
