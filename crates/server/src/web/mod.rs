//! The web gallery (`IMAGE_SERVICE_WEB`, on by default): a page at `/` and
//! its files, same origin as the API, plain ES modules with no build step
//! (see docs/ARCHITECTURE.md). Its own Content-Security-Policy: scripts,
//! styles, images and requests from this origin only (and the identity
//! provider's, for sign-in), no inline code, no framing.

mod assets;

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Role, mint_dev_token};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::StrictJson;
use crate::state::AppState;

/// Lifetime of a development sign-in.
const DEV_SIGN_IN_TTL: Duration = Duration::from_secs(3600);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{version}/{file}", get(asset))
        .route("/web/config.json", get(config))
        .route("/web/dev-sign-in", post(dev_sign_in))
}

/// The page's policy: everything from this origin, requests also to the
/// identity provider's origin when one is configured.
fn content_security_policy(state: &AppState) -> HeaderValue {
    let issuer = state
        .config
        .auth
        .settings
        .issuer
        .as_deref()
        .and_then(|i| reqwest::Url::parse(i).ok())
        .map(|url| format!(" {}", url.origin().ascii_serialization()))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'{issuer}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'none'"))
}

async fn index(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                content_security_policy(&state),
            ),
        ],
        assets::INDEX.as_str(),
    )
        .into_response()
}

async fn asset(
    State(state): State<AppState>,
    Path((version, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    // Another version's URL: a page from before a deploy. Not found, so it
    // is never cached under the wrong name.
    if version != *assets::VERSION {
        return Err(ApiError::NotFound);
    }
    let (kind, body) = assets::file(&file).ok_or(ApiError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                content_security_policy(&state),
            ),
        ],
        body,
    )
        .into_response())
}

/// What the page needs to know before anyone signs in.
async fn config(State(state): State<AppState>) -> impl IntoResponse {
    let settings = &state.config.auth.settings;
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(json!({
            "devSignIn": state.config.dev_auth(),
            "issuer": settings.issuer,
            "clientId": state.config.web_client_id,
        })),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevSignIn {
    sub: String,
    role: String,
}

/// Development authentication only: a token for whoever the person says
/// they are, as `image-service dev-token` mints. Not found with a real issuer.
async fn dev_sign_in(
    State(state): State<AppState>,
    StrictJson(body): StrictJson<DevSignIn>,
) -> ApiResult<impl IntoResponse> {
    if !state.config.dev_auth() {
        return Err(ApiError::NotFound);
    }
    let sub = body.sub.trim();
    if sub.is_empty() || sub.len() > 200 {
        return Err(ApiError::field("sub", "must be 1 to 200 characters"));
    }
    let role: Role = body
        .role
        .parse()
        .map_err(|_| ApiError::field("role", "must be user, moderator or admin"))?;
    let token = mint_dev_token(&state.config.data_dir, sub, role, DEV_SIGN_IN_TTL)
        .map_err(|e| ApiError::Internal(format!("development token: {e:#}")))?;
    Ok((
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "accessToken": token,
            "tokenType": "Bearer",
            "expiresIn": DEV_SIGN_IN_TTL.as_secs(),
        })),
    ))
}
