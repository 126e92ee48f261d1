//! The HTTP layer: router, middleware, extractors, JSON shapes and errors.

pub mod dto;
pub mod error;
pub mod error_code;
pub mod extract;
pub mod middleware;
pub mod operation;
pub mod patch;
pub mod routes;
pub mod serve_blob;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};

use crate::request_context as context;
use crate::state::AppState;
use middleware::cors::CorsPolicy;
use routes::{albums, audit, fallback, files, health, images, incident, openapi, users};

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
        .route("/admin/incident", get(incident::get_status))
        .route("/admin/incident/read-only", put(incident::set_read_only))
        .route("/admin/incident/uploads", put(incident::set_uploads))
        .route(
            "/admin/incident/blocks/{sub}",
            put(incident::block).delete(incident::unblock),
        )
        .route("/admin/incident/revocations", post(incident::revoke))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/openapi.json", get(openapi::openapi_json))
        .merge(if state.config.web {
            crate::web::router()
        } else {
            Router::new()
        })
        .route_layer(from_fn_with_state(state.clone(), undecodable_path))
        .route_layer(from_fn(record_operation))
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .with_state(state.clone())
        .layer(from_fn_with_state(
            middleware::body_timeout::BodyPace {
                idle: state.config.body_timeout,
                total: state.config.request_timeout,
                min_bytes_per_sec: state.config.min_body_rate,
            },
            middleware::body_timeout::body_timeout,
        ))
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

/// A path whose percent-escapes do not decode to UTF-8 names no resource: the
/// contract's JSON 404 (after authentication on protected routes), not the
/// framework's plain-text 400 from `Path`.
async fn undecodable_path(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if std::str::from_utf8(&percent_decode(request.uri().path())).is_ok() {
        return next.run(request).await;
    }
    let (mut parts, _) = request.into_parts();
    match fallback::authenticate_if_protected(&state, &mut parts).await {
        Err(err) => err.into_response(),
        Ok(()) => error::ApiError::NotFound.into_response(),
    }
}

/// `%XX` escapes decoded; anything else (a stray `%` too) kept as it is.
fn percent_decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/images/%41b"), b"/images/Ab");
        assert_eq!(percent_decode("/a%FF"), b"/a\xff");
        assert_eq!(percent_decode("/a%"), b"/a%");
        assert_eq!(percent_decode("/a%4"), b"/a%4");
        assert_eq!(percent_decode("/a%zz"), b"/a%zz");
    }
}
