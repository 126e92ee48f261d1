//! Authentication: JWT verification against the identity provider's keys
//! (found by OpenID Connect discovery and kept fresh), roles and scopes from
//! its claims, development tokens.
//!
//! `Authenticator::verify` checks a token; `parse_bearer` reads the
//! `Authorization` header; `mint_dev_token` backs `image-service dev-token`.
//! Tokens and keys never reach logs or `Debug` output: errors carry only a
//! static reason.

mod cache;
mod claims;
mod dev;
mod discovery;
mod grants;
mod jwks;
mod remote;
mod role;
mod verify;

#[cfg(test)]
mod tests;

pub use dev::{DEV_ISSUER, mint_dev_token};
pub use discovery::check_transport;
pub use grants::{Access, DEFAULT_ROLE_CLAIMS, RoleRules, ScopeRules};
pub use remote::{MIN_REFRESH, ProviderReport, probe};
pub use role::{Principal, Role, UnknownRole};
pub use verify::{
    ANY_AUDIENCE, AuthSettings, Authenticator, DEFAULT_MAX_TOKEN_LIFETIME, LEEWAY_SECS,
    MAX_TOKEN_BYTES,
};

/// The `kid (alg)` of each usable key in a JWKS file, for `check-config`.
pub fn keys_in_file(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    Ok(jwks::KeySet::from_file(path)?.describe())
}

/// Why a request is not authenticated; maps onto the 401 error codes.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No bearer credentials: `MISSING_TOKEN`.
    #[error("missing bearer token")]
    Missing,
    /// Signature fine but `exp` (plus leeway) has passed: `TOKEN_EXPIRED`.
    #[error("token expired")]
    Expired,
    /// Anything else: `INVALID_TOKEN`. The reason is for logs, never for clients.
    #[error("invalid token: {0}")]
    Invalid(&'static str),
}

/// The token from an `Authorization: Bearer <token>` header.
///
/// The scheme is case-insensitive (RFC 7235). No header, another scheme, or an
/// empty token is `Missing`; a token that is not visible ASCII is `Invalid`.
pub fn parse_bearer(header_value: Option<&http::HeaderValue>) -> Result<&str, AuthError> {
    let bytes = header_value.ok_or(AuthError::Missing)?.as_bytes();
    let scheme_len = "bearer".len();
    let is_bearer = bytes.len() > scheme_len
        && bytes[..scheme_len].eq_ignore_ascii_case(b"bearer")
        && bytes[scheme_len] == b' ';
    if !is_bearer {
        return Err(AuthError::Missing);
    }
    let token = std::str::from_utf8(&bytes[scheme_len..])
        .map_err(|_| AuthError::Invalid("token not ASCII"))?
        .trim_matches(' ');
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AuthError::Invalid("token not ASCII"));
    }
    Ok(token)
}
