//! `GET /openapi.json`: OpenAPI 3.1 generated from the handlers' annotations,
//! so the document cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{albums, audit, files, health, images, users};

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
        health::healthz,
        health::readyz,
        openapi_json,
    ),
    modifiers(&BearerAuth),
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

#[utoipa::path(get, path = "/openapi.json", tag = "health", responses((status = 200, description = "This document")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
