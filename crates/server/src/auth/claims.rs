//! The claims we read from a verified token, and the checks jsonwebtoken
//! leaves to us: audience, that it is an access token, and what it grants.

use domain::UserId;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::AuthError;
use super::grants::{Access, RoleRules, ScopeRules};
use super::role::Principal;
use super::verify::ANY_AUDIENCE;

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

/// The claims we act on; the rest of the payload stays in `others`, where
/// role and scope claims are looked up. Wrong JSON types in the typed claims
/// make the whole token invalid; in `others` they only grant nothing.
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    /// A string, never an array: we compare with one configured issuer.
    pub iss: String,
    pub sub: String,
    /// Checked by jsonwebtoken (with leeway); kept here for the verified-token cache.
    pub exp: f64,
    /// When the token was issued; revocations (`crate::incident`) compare it.
    #[serde(default)]
    pub iat: Option<f64>,
    #[serde(default)]
    pub aud: Option<Audience>,
    /// Cognito access tokens name the app client here and carry no `aud`.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Cognito: `access` or `id`.
    #[serde(default)]
    pub token_use: Option<String>,
    /// Only ID tokens carry these (OpenID Connect Core 2 and 3.1.3.6).
    #[serde(default)]
    nonce: Option<IgnoredAny>,
    #[serde(default)]
    at_hash: Option<IgnoredAny>,
    /// Keycloak's payload type: `Bearer` for access tokens, `ID` for ID tokens.
    #[serde(default)]
    typ: Option<Value>,
    #[serde(flatten)]
    others: Map<String, Value>,
}

/// What the configuration says a token must be and what it grants.
pub(crate) struct Policy<'a> {
    pub issuer: &'a str,
    /// Accepted audiences; `[ANY_AUDIENCE]` accepts any, empty none.
    pub audiences: &'a [String],
    pub roles: &'a RoleRules,
    pub scopes: Option<&'a ScopeRules>,
}

impl Claims {
    /// The checks after signature, `exp`, `nbf` and `iss` (which jsonwebtoken
    /// does): audience, that this is an access token, a non-empty `sub`;
    /// then the principal.
    pub(crate) fn into_principal(self, policy: &Policy<'_>) -> Result<Principal, AuthError> {
        // jsonwebtoken already compared `iss`; compare again because it would
        // also accept an array containing the issuer.
        if self.iss != policy.issuer {
            return Err(AuthError::Invalid("issuer"));
        }
        self.check_audience(policy.audiences)?;
        self.check_access_token()?;
        let role = policy.roles.role(&self.others);
        let access = Access::from_claims(policy.scopes, &self.others);
        let user = UserId::new(self.sub).ok_or(AuthError::Invalid("empty sub"))?;
        Ok(Principal {
            user,
            role,
            access,
            issued_at: self.iat.map(|iat| iat as i64),
        })
    }

    /// `aud` decides when present; `client_id` stands in only when there is
    /// no `aud` (Cognito access tokens), so a token the same client got for
    /// another API, or its ID token, cannot pass through `client_id`.
    fn check_audience(&self, audiences: &[String]) -> Result<(), AuthError> {
        if audiences == [ANY_AUDIENCE] {
            return Ok(());
        }
        let accepted = match (&self.aud, &self.client_id) {
            (Some(aud), _) => aud.contains_any(audiences),
            (None, Some(client)) => audiences.contains(client),
            (None, None) => false,
        };
        if accepted {
            Ok(())
        } else {
            Err(AuthError::Invalid("audience"))
        }
    }

    /// A stolen long-lived token stays useful for long, so lifetimes are
    /// capped: `exp - iat`, and `exp - now` (within `leeway`) for every token,
    /// which covers tokens without `iat` and those whose `iat` is in the future.
    pub(crate) fn check_lifetime(&self, now: u64, max: u64, leeway: u64) -> Result<(), AuthError> {
        let max = max as f64;
        let too_long = self.iat.is_some_and(|iat| self.exp - iat > max)
            || self.exp - now as f64 > max + leeway as f64;
        if too_long {
            Err(AuthError::Invalid("lifetime too long"))
        } else {
            Ok(())
        }
    }

    /// ID tokens prove a sign-in to a client; they must not open the API.
    fn check_access_token(&self) -> Result<(), AuthError> {
        match self.token_use.as_deref() {
            None | Some("access") => {}
            Some("id") => return Err(AuthError::Invalid("ID token")),
            Some(_) => return Err(AuthError::Invalid("token_use")),
        }
        if self.nonce.is_some() || self.at_hash.is_some() {
            return Err(AuthError::Invalid("ID token"));
        }
        if self
            .typ
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|typ| typ.eq_ignore_ascii_case("id"))
        {
            return Err(AuthError::Invalid("ID token"));
        }
        Ok(())
    }
}

/// The header `typ` of an access token. RFC 9068 access tokens say `at+jwt`;
/// most providers say `JWT` or nothing. With `require_at_jwt` only the first
/// passes; without it, a type naming something else (a logout token, an
/// `id_token+jwt`) is still refused.
pub(crate) fn check_header_type(typ: Option<&str>, require_at_jwt: bool) -> Result<(), AuthError> {
    let typ = typ.map(|t| {
        let t = t.to_ascii_lowercase();
        t.strip_prefix("application/")
            .map(str::to_owned)
            .unwrap_or(t)
    });
    let ok = match typ.as_deref() {
        Some("at+jwt") => true,
        None | Some("jwt") => !require_at_jwt,
        Some(_) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid("token type"))
    }
}

/// RFC 7515 4.1.11: a `crit` header lists extensions the recipient must
/// understand. We implement none, so any `crit` is refused, as is one that
/// is empty or not an array (malformed). Reads only the protected header,
/// which the caller has already size-checked with the whole token.
pub(crate) fn check_critical_header(token: &str) -> Result<(), AuthError> {
    use base64::Engine as _;
    #[derive(Deserialize)]
    struct Protected {
        // Called whenever the key is there, so `"crit": null` counts too.
        #[serde(default, deserialize_with = "present")]
        crit: bool,
    }
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        IgnoredAny::deserialize(d).map(|_| true)
    }
    let header = token.split('.').next().unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Invalid("malformed header"))?;
    let protected: Protected =
        serde_json::from_slice(&bytes).map_err(|_| AuthError::Invalid("malformed header"))?;
    if protected.crit {
        return Err(AuthError::Invalid("critical header extension"));
    }
    Ok(())
}
