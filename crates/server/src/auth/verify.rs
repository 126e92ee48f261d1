//! The `Authenticator`: turns a bearer token into a `Principal` following docs/API.md, Authentication.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use super::cache::{DEFAULT_CAPACITY, TokenCache};
use super::claims::{Claims, Policy, check_critical_header, check_header_type};
use super::dev::{DEV_ISSUER, DevKey};
use super::grants::{RoleRules, ScopeRules};
use super::jwks::{KeyEntry, KeySet};
use super::remote::{RemoteKeys, RemoteSettings};
use super::{AuthError, Principal};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8192;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 60;
/// `IMAGE_SERVICE_AUTH_AUDIENCE=*`: the operator accepts tokens issued to any
/// client of the issuer. Never implied by an unset audience.
pub const ANY_AUDIENCE: &str = "*";
/// Default of `IMAGE_SERVICE_AUTH_MAX_TOKEN_LIFETIME_SECS`.
pub const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(86_400);

/// What the authenticator needs from the configuration.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Expected `iss`; `None` selects development authentication.
    pub issuer: Option<String>,
    /// Accepted `aud` values (or `client_id`, for tokens without `aud`);
    /// `[ANY_AUDIENCE]` skips the check. Empty is refused with an issuer.
    pub audiences: Vec<String>,
    /// The JWKS URL; unset, it comes from the issuer's discovery document.
    pub jwks_url: Option<String>,
    /// A static JWKS instead of the URL (setting both is a configuration error).
    pub jwks_file: Option<PathBuf>,
    /// Period of the JWKS refresh.
    pub jwks_refresh: Duration,
    /// How long fetched keys stay trusted while the provider is unreachable.
    pub jwks_max_stale: Duration,
    /// Accept only RFC 9068 access tokens (`typ: at+jwt`).
    pub require_at_jwt: bool,
    /// The longest lifetime (`exp - iat`, or `exp - now` without `iat`) accepted.
    pub max_token_lifetime: Duration,
    pub roles: RoleRules,
    /// `Some` enforces read and write scopes.
    pub scopes: Option<ScopeRules>,
    /// Where the development signing key lives.
    pub data_dir: PathBuf,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: None,
            audiences: Vec::new(),
            jwks_url: None,
            jwks_file: None,
            jwks_refresh: Duration::from_secs(600),
            jwks_max_stale: Duration::from_secs(3600),
            require_at_jwt: false,
            max_token_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
            roles: RoleRules::default(),
            scopes: None,
            data_dir: PathBuf::new(),
        }
    }
}

/// Where verification keys come from.
enum Keys {
    /// A JWKS file or the development key: fixed for the process's life.
    Fixed(Arc<KeySet>),
    Remote(Arc<RemoteKeys>),
}

/// Verifies bearer tokens. Share it behind an `Arc`; all methods take `&self`.
pub struct Authenticator {
    issuer: String,
    audiences: Vec<String>,
    dev_mode: bool,
    pub(super) require_at_jwt: bool,
    max_lifetime_secs: u64,
    roles: RoleRules,
    scopes: Option<ScopeRules>,
    keys: Keys,
    pub(super) cache: TokenCache,
    /// Unix seconds; injectable so cache expiry is testable without sleeping.
    pub(crate) clock: fn() -> u64,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("dev_mode", &self.dev_mode)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Builds the authenticator: loads (or, in dev mode, generates) the keys,
    /// or fetches them from the provider and starts refreshing them.
    pub async fn new(settings: AuthSettings) -> anyhow::Result<Self> {
        let Some(issuer) = settings.issuer.clone() else {
            let data_dir = settings.data_dir.clone();
            let dev_key = tokio::task::spawn_blocking(move || DevKey::load_or_generate(&data_dir))
                .await?
                .context(
                    "IMAGE_SERVICE_DATA_DIR: cannot load or generate the development signing key",
                )?;
            let keys = Keys::Fixed(Arc::new(dev_key.key_set()?));
            let settings = AuthSettings {
                audiences: vec![DEV_ISSUER.to_owned()],
                ..settings
            };
            return Ok(Self::with_keys(DEV_ISSUER.to_owned(), true, settings, keys));
        };
        if issuer.is_empty() {
            anyhow::bail!(
                "IMAGE_SERVICE_AUTH_ISSUER is empty; unset it for development authentication"
            );
        }
        // The configuration refuses these already; settings built in code must not slip through.
        if settings.audiences.is_empty() {
            anyhow::bail!(
                "IMAGE_SERVICE_AUTH_AUDIENCE: not set; name this API's audience at the provider, or `*` to accept any client's tokens"
            );
        }
        if settings.audiences.iter().any(|a| a == ANY_AUDIENCE) {
            anyhow::ensure!(
                settings.audiences.len() == 1,
                "IMAGE_SERVICE_AUTH_AUDIENCE: `*` cannot be combined with other values"
            );
            tracing::warn!(
                "IMAGE_SERVICE_AUTH_AUDIENCE=*: tokens the issuer gave to any of its clients are accepted, with their roles"
            );
        }
        let keys = match settings.jwks_file.clone() {
            Some(path) => {
                if settings.jwks_url.is_some() {
                    anyhow::bail!(
                        "IMAGE_SERVICE_AUTH_JWKS_URL and IMAGE_SERVICE_AUTH_JWKS_FILE are both set; choose one"
                    );
                }
                let keys = tokio::task::spawn_blocking(move || KeySet::from_file(&path))
                    .await?
                    .context("IMAGE_SERVICE_AUTH_JWKS_FILE")?;
                Keys::Fixed(Arc::new(keys))
            }
            None => Keys::Remote(
                RemoteKeys::start(RemoteSettings {
                    issuer: issuer.clone(),
                    jwks_url: settings.jwks_url.clone(),
                    refresh: settings.jwks_refresh,
                    max_stale: settings.jwks_max_stale,
                })
                .await?,
            ),
        };
        Ok(Self::with_keys(issuer, false, settings, keys))
    }

    fn with_keys(issuer: String, dev_mode: bool, settings: AuthSettings, keys: Keys) -> Self {
        Self {
            issuer,
            audiences: settings.audiences,
            dev_mode,
            require_at_jwt: settings.require_at_jwt,
            max_lifetime_secs: settings.max_token_lifetime.as_secs(),
            roles: settings.roles,
            scopes: settings.scopes,
            keys,
            cache: TokenCache::new(DEFAULT_CAPACITY),
            clock: jsonwebtoken::get_current_timestamp,
        }
    }

    /// `Err` with the reason while tokens cannot be verified for want of keys.
    pub fn readiness(&self) -> Result<(), String> {
        match &self.keys {
            Keys::Fixed(_) => Ok(()),
            Keys::Remote(remote) => remote.readiness(),
        }
    }

    /// Sets the key gauges; called when metrics are scraped.
    pub fn report_metrics(&self) {
        if let Keys::Remote(remote) = &self.keys {
            remote.report_metrics();
        }
    }

    /// The scope a request needs: the write scope for changes, else the read
    /// scope; `None` when scopes are not enforced.
    pub fn required_scope(&self, write: bool) -> Option<&str> {
        self.scopes.as_ref().map(|rules| {
            if write {
                rules.write.as_str()
            } else {
                rules.read.as_str()
            }
        })
    }

    /// True when no issuer is configured and we trust our own dev tokens.
    pub fn is_dev_mode(&self) -> bool {
        self.dev_mode
    }

    /// Verifies a compact JWT (without the `Bearer ` prefix).
    pub async fn verify(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        if bearer_token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Invalid("token too large"));
        }
        let now = (self.clock)();
        if let Some((principal, kid)) = self.cache.get(bearer_token, now)
            && self
                .current_keys()
                .is_some_and(|keys| keys.get(&kid).is_some())
        {
            return Ok(principal);
        }
        if !payload_is_utf8(bearer_token) {
            return Err(AuthError::Invalid("payload not UTF-8"));
        }
        // Fails for `alg: none` and any algorithm jsonwebtoken does not know.
        let header = jsonwebtoken::decode_header(bearer_token)
            .map_err(|_| AuthError::Invalid("malformed header"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(AuthError::Invalid("algorithm not allowed"));
        }
        check_header_type(header.typ.as_deref(), self.require_at_jwt)?;
        // jsonwebtoken's `Header` drops `crit`, so read it from the raw header.
        check_critical_header(bearer_token)?;
        let kid = header
            .kid
            .as_deref()
            .ok_or(AuthError::Invalid("missing kid"))?;
        let entry = self
            .key_for(kid)
            .await
            .ok_or(AuthError::Invalid("unknown kid"))?;
        if entry.alg != header.alg {
            return Err(AuthError::Invalid("key type does not match alg"));
        }
        let data =
            jsonwebtoken::decode::<Claims>(bearer_token, &entry.key, &self.validation(entry.alg))
                .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::ImmatureSignature => AuthError::Invalid("not yet valid"),
                ErrorKind::InvalidSignature => AuthError::Invalid("bad signature"),
                ErrorKind::InvalidIssuer => AuthError::Invalid("issuer"),
                ErrorKind::MissingRequiredClaim(_) => AuthError::Invalid("missing claim"),
                _ => AuthError::Invalid("malformed token"),
            })?;
        data.claims
            .check_lifetime(now, self.max_lifetime_secs, LEEWAY_SECS)?;
        let exp = data.claims.exp;
        let principal = data.claims.into_principal(&Policy {
            issuer: &self.issuer,
            audiences: &self.audiences,
            roles: &self.roles,
            scopes: self.scopes.as_ref(),
        })?;
        // `exp` is finite and non-negative here, or jsonwebtoken would have refused it.
        let valid_until = (exp as u64).saturating_add(LEEWAY_SECS);
        self.cache
            .insert(bearer_token, kid, principal.clone(), valid_until, now);
        Ok(principal)
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        // Audience is checked by `Claims` because `client_id` may stand in for it.
        validation.validate_aud = false;
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation
    }

    /// The key for `kid`; an unknown one makes the remote store refetch
    /// (rate-limited there) before the token is refused.
    async fn key_for(&self, kid: &str) -> Option<KeyEntry> {
        if let Some(entry) = self.current_keys().and_then(|keys| keys.get(kid).cloned()) {
            return Some(entry);
        }
        let Keys::Remote(remote) = &self.keys else {
            return None;
        };
        remote.refresh_for_unknown_kid().await;
        remote.keys()?.get(kid).cloned()
    }

    /// The keys tokens verify against now; `None` when the remote keys are
    /// missing or too stale.
    fn current_keys(&self) -> Option<Arc<KeySet>> {
        match &self.keys {
            Keys::Fixed(keys) => Some(Arc::clone(keys)),
            Keys::Remote(remote) => remote.keys(),
        }
    }

    #[cfg(test)]
    pub(crate) fn remote(&self) -> Option<&RemoteKeys> {
        match &self.keys {
            Keys::Remote(remote) => Some(remote),
            Keys::Fixed(_) => None,
        }
    }
}

/// A claims set is UTF-8 JSON (RFC 7519 section 7.2). serde does not check the
/// strings of claims we ignore, so check the whole payload before trusting it.
fn payload_is_utf8(token: &str) -> bool {
    use base64::Engine as _;
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .is_ok_and(|bytes| std::str::from_utf8(&bytes).is_ok())
}
