//! The HTTP layer: router, middleware, extractors, JSON shapes and errors.

pub mod context;
pub mod dto;
pub mod error;
pub mod extract;
pub mod middleware;
pub mod patch;
pub mod routes;
pub mod serve_blob;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{delete, get};

use crate::state::AppState;
use middleware::cors::CorsPolicy;
use routes::{albums, audit, fallback, files, health, images, openapi, users};

pub fn router(state: AppState) -> Router {
    let cors = CorsPolicy::new(&state.config.cors_origins);
    Router::new()
        .route(
            "/images",
            get(images::list::list_images).post(images::upload::upload_image),
        )
        .route(
            "/images/{id}",
            get(images::read::get_image)
                .patch(images::update::update_image)
                .delete(images::delete::delete_image),
        )
        .route("/images/{id}/file", get(images::file::download))
        .route("/files/{token}", get(files::signed_file))
        .route(
            "/albums",
            get(albums::read::list_albums).post(albums::create::create_album),
        )
        .route(
            "/albums/{id}",
            get(albums::read::get_album)
                .patch(albums::update::update_album)
                .delete(albums::delete::delete_album),
        )
        .route("/users/{user_id}", delete(users::erase::erase_user))
        .route("/users/{user_id}/export", get(users::export::export_user))
        .route("/audit", get(audit::list_audit))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi::openapi_json))
        .route_layer(from_fn(record_operation))
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .with_state(state.clone())
        .layer(from_fn_with_state(state, middleware::limits::limit_clients))
        .layer(from_fn_with_state(cors, middleware::cors::cors))
        .layer(from_fn(middleware::observe::observe))
}

/// Names the matched route (never the raw path, which may hold a signed token).
async fn record_operation(request: Request, next: Next) -> Response {
    if let Some(path) = request.extensions().get::<MatchedPath>() {
        let operation = format!("{} {}", request.method(), path.as_str());
        context::record(|f| f.operation = Some(operation));
    }
    next.run(request).await
}
