//! The claims we read from a verified token, and the checks jsonwebtoken leaves to us.

use domain::UserId;
use serde::Deserialize;

use super::AuthError;
use super::role::{Principal, role_from_claims};

/// `aud` may be one string or an array of them (RFC 7519 4.1.3).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains_any(&self, allowed: &[String]) -> bool {
        match self {
            Audience::One(aud) => allowed.contains(aud),
            Audience::Many(auds) => auds.iter().any(|aud| allowed.contains(aud)),
        }
    }
}

/// Only the claims we act on; anything else in the payload is ignored.
/// Wrong JSON types make the whole token invalid rather than being skipped.
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    /// A string, never an array: we compare with one configured issuer.
    pub iss: String,
    pub sub: String,
    /// Checked by jsonwebtoken (with leeway); kept here for the verified-token cache.
    pub exp: f64,
    #[serde(default)]
    pub aud: Option<Audience>,
    /// Cognito access tokens carry the app client here instead of in `aud`.
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub token_use: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default, rename = "cognito:groups")]
    pub groups: Vec<String>,
}

impl Claims {
    /// The checks after signature, `exp`, `nbf` and `iss` (which jsonwebtoken does):
    /// audience, `token_use`, a non-empty `sub`; then the principal.
    pub(crate) fn into_principal(
        self,
        issuer: &str,
        audiences: &[String],
    ) -> Result<Principal, AuthError> {
        // jsonwebtoken already compared `iss`; compare again because it would
        // also accept an array containing the issuer.
        if self.iss != issuer {
            return Err(AuthError::Invalid("issuer"));
        }
        if !audiences.is_empty() {
            let by_aud = self
                .aud
                .as_ref()
                .is_some_and(|aud| aud.contains_any(audiences));
            let by_client = self
                .client_id
                .as_ref()
                .is_some_and(|id| audiences.contains(id));
            if !by_aud && !by_client {
                return Err(AuthError::Invalid("audience"));
            }
        }
        if let Some(token_use) = &self.token_use
            && token_use != "id"
            && token_use != "access"
        {
            return Err(AuthError::Invalid("token_use"));
        }
        let role = role_from_claims(self.role.as_deref(), &self.groups);
        let user = UserId::new(self.sub).ok_or(AuthError::Invalid("empty sub"))?;
        Ok(Principal { user, role })
    }
}
