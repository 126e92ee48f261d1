//! The `Authenticator`: turns a bearer token into a `Principal` following docs/API.md, Authentication.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use anyhow::Context as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use super::cache::{DEFAULT_CAPACITY, TokenCache};
use super::claims::Claims;
use super::dev::{DEV_ISSUER, DevKey};
use super::jwks::{KeyEntry, KeySet, RemoteJwks};
use super::{AuthError, Principal};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8192;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// What the authenticator needs from the configuration.
#[derive(Clone, Debug, Default)]
pub struct AuthSettings {
    /// Expected `iss`; `None` selects development authentication.
    pub issuer: Option<String>,
    /// Accepted `aud` / `client_id` values; empty skips the audience check.
    pub audiences: Vec<String>,
    /// Defaults to `<issuer>/.well-known/jwks.json`.
    pub jwks_url: Option<String>,
    /// A static JWKS instead of the URL (setting both is a configuration error).
    pub jwks_file: Option<PathBuf>,
    /// Where the development signing key lives.
    pub data_dir: PathBuf,
}

/// Verifies bearer tokens. Share it behind an `Arc`; all methods take `&self`.
pub struct Authenticator {
    issuer: String,
    audiences: Vec<String>,
    dev_mode: bool,
    keys: RwLock<Arc<KeySet>>,
    pub(crate) remote: Option<RemoteJwks>,
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
            .field("jwks_url", &self.remote.as_ref().map(|r| &r.url))
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Builds the authenticator: loads (or, in dev mode, generates) the keys.
    pub async fn new(settings: AuthSettings) -> anyhow::Result<Self> {
        let AuthSettings {
            issuer,
            audiences,
            jwks_url,
            jwks_file,
            data_dir,
        } = settings;
        let Some(issuer) = issuer else {
            let dev_key = tokio::task::spawn_blocking(move || DevKey::load_or_generate(&data_dir))
                .await?
                .context(
                    "IMAGE_SERVICE_DATA_DIR: cannot load or generate the development signing key",
                )?;
            let keys = dev_key.key_set()?;
            return Ok(Self::with_keys(
                DEV_ISSUER.to_owned(),
                vec![DEV_ISSUER.to_owned()],
                true,
                keys,
                None,
            ));
        };
        if issuer.is_empty() {
            anyhow::bail!(
                "IMAGE_SERVICE_AUTH_ISSUER is empty; unset it for development authentication"
            );
        }
        if audiences.is_empty() {
            tracing::warn!(
                "no IMAGE_SERVICE_AUTH_AUDIENCE set: tokens for any client of the issuer are accepted"
            );
        }
        if let Some(path) = jwks_file {
            if jwks_url.is_some() {
                anyhow::bail!(
                    "IMAGE_SERVICE_AUTH_JWKS_URL and IMAGE_SERVICE_AUTH_JWKS_FILE are both set; choose one"
                );
            }
            let keys = tokio::task::spawn_blocking(move || KeySet::from_file(&path))
                .await?
                .context("IMAGE_SERVICE_AUTH_JWKS_FILE")?;
            return Ok(Self::with_keys(issuer, audiences, false, keys, None));
        }
        let url = jwks_url
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
        let remote = RemoteJwks::new(url).context("IMAGE_SERVICE_AUTH_JWKS_URL")?;
        // An unreachable identity provider must not stop the service starting;
        // the first token with an unknown kid retries.
        let keys = match remote.fetch().await {
            Ok(keys) => {
                tracing::info!(url = %remote.url, keys = keys.len(), "loaded JWKS");
                keys
            }
            Err(error) => {
                tracing::warn!(url = %remote.url, error = %format!("{error:#}"), "JWKS fetch failed at start; will retry on demand");
                KeySet::default()
            }
        };
        Ok(Self::with_keys(
            issuer,
            audiences,
            false,
            keys,
            Some(remote),
        ))
    }

    fn with_keys(
        issuer: String,
        audiences: Vec<String>,
        dev_mode: bool,
        keys: KeySet,
        remote: Option<RemoteJwks>,
    ) -> Self {
        Self {
            issuer,
            audiences,
            dev_mode,
            keys: RwLock::new(Arc::new(keys)),
            remote,
            cache: TokenCache::new(DEFAULT_CAPACITY),
            clock: jsonwebtoken::get_current_timestamp,
        }
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
        if let Some(principal) = self.cache.get(bearer_token, now) {
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
        let exp = data.claims.exp;
        let principal = data.claims.into_principal(&self.issuer, &self.audiences)?;
        // `exp` is finite and non-negative here, or jsonwebtoken would have refused it.
        let valid_until = (exp as u64).saturating_add(LEEWAY_SECS);
        self.cache
            .insert(bearer_token, principal.clone(), valid_until, now);
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

    /// The key for `kid`, refetching the remote JWKS once if it is unknown
    /// (rate-limited, so a flood of made-up kids cannot hammer the provider).
    async fn key_for(&self, kid: &str) -> Option<KeyEntry> {
        if let Some(entry) = self.current_keys().get(kid) {
            return Some(entry.clone());
        }
        let remote = self.remote.as_ref()?;
        let install = |keys: KeySet| {
            tracing::info!(url = %remote.url, keys = keys.len(), "refreshed JWKS");
            *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
            // A key may have been withdrawn; tokens it signed must not live on in the cache.
            self.cache.clear();
        };
        if let Err(error) = remote.refresh(install).await {
            // Keep the old keys: a provider outage must not log everyone out.
            tracing::warn!(url = %remote.url, error = %format!("{error:#}"), "JWKS refresh failed");
        }
        self.current_keys().get(kid).cloned()
    }

    fn current_keys(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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
