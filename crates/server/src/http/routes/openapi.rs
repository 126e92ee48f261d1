//! `GET /openapi.json`: OpenAPI 3.1 generated from the handlers' annotations,
//! so the document cannot drift from the code.

use axum::Json;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::http::dto::{ErrorBody, FieldDetail};

use super::{albums, audit, files, health, images, incident, users};

#[derive(OpenApi)]
#[openapi(
    info(title = "Image Service", description = "Authenticated image store: upload, WebP variants, metadata, albums."),
    paths(
        images::upload::upload_image,
        images::list::list_images,
        images::read::get_image,
        images::update::update_image,
        images::delete::delete_image,
        images::file::download,
        files::signed_file,
        albums::create::create_album,
        albums::read::list_albums,
        albums::read::get_album,
        albums::update::update_album,
        albums::delete::delete_album,
        users::erase::erase_user,
        users::export::export_user,
        audit::list_audit,
        incident::get_status,
        incident::set_read_only,
        incident::set_uploads,
        incident::block,
        incident::unblock,
        incident::revoke,
        health::healthz,
        health::readyz,
        openapi_json,
    ),
    components(schemas(ErrorBody, FieldDetail)),
    modifiers(&BearerAuth, &ContractResponses),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The answers every operation shares (docs/API.md: Errors, Limits, Headers), added here once
/// instead of in each annotation: 401 on authenticated routes, 429 wherever a
/// limit applies, 503 and 500 wherever a store is touched; every error status
/// (listed here or in an annotation) gets the `Error` body and its headers,
/// and every response `X-Request-Id` and, where limits apply, `RateLimit-*`.
struct ContractResponses;

/// Never rate limited.
const UNLIMITED: [&str; 3] = ["/healthz", "/readyz", "/openapi.json"];
/// Touch no store: cannot be 503 or 500.
const STORELESS: [&str; 2] = ["/healthz", "/openapi.json"];

impl Modify for ContractResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                complete(path, operation);
            }
        }
    }
}

fn complete(path: &str, operation: &mut Operation) {
    let authenticated = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let limited = !UNLIMITED.contains(&path);
    let responses = &mut operation.responses.responses;
    let mut common = Vec::new();
    if authenticated {
        common.push(("401", "MISSING_TOKEN, TOKEN_EXPIRED or INVALID_TOKEN"));
    }
    if limited {
        common.push(("429", "RATE_LIMITED"));
    }
    if !STORELESS.contains(&path) {
        common.push(("503", "OVERLOADED or UNAVAILABLE"));
        common.push(("500", "INTERNAL_ERROR"));
    }
    for (status, description) in common {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let code: u16 = status.parse().unwrap_or(0);
        if code >= 400 && response.content.is_empty() {
            response.content.insert(
                "application/json".to_owned(),
                Content::new(Some(Ref::from_schema_name("Error"))),
            );
        }
        let mut header = |name: &str, ty: Type, description: &str| {
            response
                .headers
                .entry(name.to_owned())
                .or_insert_with(|| make_header(ty, description));
        };
        header("X-Request-Id", Type::String, "The request's id");
        match code {
            401 => header(
                "WWW-Authenticate",
                Type::String,
                "`Bearer`, or `Bearer error=\"invalid_token\"`",
            ),
            429 | 503 => header("Retry-After", Type::Integer, "Seconds to wait"),
            416 => header("Content-Range", Type::String, "`bytes */{size}`"),
            _ => {}
        }
        if limited {
            header(
                "RateLimit-Limit",
                Type::Integer,
                "The limit nearest exhaustion",
            );
            header("RateLimit-Remaining", Type::Integer, "Requests left in it");
            header(
                "RateLimit-Reset",
                Type::Integer,
                "Seconds until it is full again",
            );
        }
    }
}

fn make_header(ty: Type, description: &str) -> Header {
    let mut header = Header::new(Object::with_type(ty));
    header.description = Some(description.to_owned());
    header
}

#[utoipa::path(get, path = "/openapi.json", tag = "health", responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
