//! The `IMAGE_SERVICE_AUTH_*` settings: the identity provider, its keys'
//! lifetimes, which tokens count, and where roles and scopes come from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::parse::{boolean, list, num, positive};
use super::{ConfigError, Source};
use crate::auth::{
    ANY_AUDIENCE, AuthSettings, DEFAULT_MAX_TOKEN_LIFETIME, DEFAULT_ROLE_CLAIMS, MIN_REFRESH, Role,
    RoleRules, ScopeRules, check_transport,
};

#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// What the authenticator is built from.
    pub settings: AuthSettings,
    /// Serve development authentication on a non-loopback address anyway.
    pub allow_dev_auth: bool,
}

pub(super) fn parse(src: &Source, data_dir: &Path) -> Result<AuthConfig, ConfigError> {
    let issuer = src.get("auth_issuer").map(str::to_owned);
    // Empty used to mean development authentication, silently: unset it instead.
    if issuer.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(ConfigError::new(
            "auth_issuer",
            "is empty; unset it for development authentication",
        ));
    }
    let jwks_url = src.get("auth_jwks_url").map(str::to_owned);
    if let Some(url) = &jwks_url {
        check_transport(url).map_err(|why| ConfigError::new("auth_jwks_url", why))?;
    }
    let jwks_file = src.get("auth_jwks_file").map(PathBuf::from);
    if jwks_url.is_some() && jwks_file.is_some() {
        return Err(ConfigError::new(
            "auth_jwks_file",
            "IMAGE_SERVICE_AUTH_JWKS_URL is set too; choose one",
        ));
    }
    // Read now, so `check-config` catches a file the service could not read.
    if let Some(path) = &jwks_file
        && let Err(e) = std::fs::read(path)
    {
        return Err(ConfigError::new(
            "auth_jwks_file",
            format!("cannot read {}: {}", path.display(), e.kind()),
        ));
    }
    match &issuer {
        None if jwks_url.is_some() || jwks_file.is_some() => {
            let key = if jwks_url.is_some() {
                "auth_jwks_url"
            } else {
                "auth_jwks_file"
            };
            return Err(ConfigError::new(key, "set IMAGE_SERVICE_AUTH_ISSUER too"));
        }
        // Discovery fetches from the issuer itself.
        Some(issuer) if jwks_url.is_none() && jwks_file.is_none() => {
            check_transport(issuer).map_err(|why| ConfigError::new("auth_issuer", why))?;
        }
        _ => {}
    }
    let jwks_refresh = secs(src, "auth_jwks_refresh_secs", 600)?;
    if jwks_refresh < MIN_REFRESH {
        return Err(ConfigError::new(
            "auth_jwks_refresh_secs",
            format!("must be at least {}", MIN_REFRESH.as_secs()),
        ));
    }
    let jwks_max_stale = secs(src, "auth_jwks_max_stale_secs", 3600)?;
    if jwks_max_stale < jwks_refresh {
        return Err(ConfigError::new(
            "auth_jwks_max_stale_secs",
            "must be at least IMAGE_SERVICE_AUTH_JWKS_REFRESH_SECS",
        ));
    }
    let audiences = audiences(src, issuer.is_some())?;
    let max_token_lifetime = Duration::from_secs(positive(
        src,
        "auth_max_token_lifetime_secs",
        DEFAULT_MAX_TOKEN_LIFETIME.as_secs(),
    )?);
    Ok(AuthConfig {
        settings: AuthSettings {
            issuer,
            audiences,
            jwks_url,
            jwks_file,
            jwks_refresh,
            jwks_max_stale,
            require_at_jwt: boolean(src, "auth_require_at_jwt")?,
            max_token_lifetime,
            roles: roles(src)?,
            scopes: scopes(src)?,
            data_dir: data_dir.to_owned(),
        },
        allow_dev_auth: boolean(src, "allow_dev_auth")?,
    })
}

/// `IMAGE_SERVICE_AUTH_AUDIENCE`: required with an issuer, or every client of
/// the issuer could call the API with its roles; `*` says that is intended.
fn audiences(src: &Source, issuer: bool) -> Result<Vec<String>, ConfigError> {
    let audiences = list(src, "auth_audience")?;
    if audiences.iter().any(|a| a == ANY_AUDIENCE) && audiences.len() > 1 {
        return Err(ConfigError::new(
            "auth_audience",
            "`*` accepts every audience and cannot be combined with other values",
        ));
    }
    if issuer && audiences.is_empty() {
        return Err(ConfigError::new(
            "auth_audience",
            "required with IMAGE_SERVICE_AUTH_ISSUER: this API's identifier at the provider (or `*` to accept tokens issued to any client of the issuer)",
        ));
    }
    Ok(audiences)
}

fn secs(src: &Source, key: &str, default: u64) -> Result<Duration, ConfigError> {
    num(src, key, default).map(Duration::from_secs)
}

/// `IMAGE_SERVICE_AUTH_ROLE_CLAIM` (comma list of claim paths) and
/// `IMAGE_SERVICE_AUTH_ROLE_MAP` (`ProviderName=role,…`).
fn roles(src: &Source) -> Result<RoleRules, ConfigError> {
    let mut claims = list(src, "auth_role_claim")?;
    if claims.is_empty() {
        claims = DEFAULT_ROLE_CLAIMS.map(str::to_owned).to_vec();
    }
    if let Some(bad) = claims
        .iter()
        .find(|path| path.split('.').any(str::is_empty))
    {
        return Err(ConfigError::new(
            "auth_role_claim",
            format!("`{bad}` is not a claim name or dotted path"),
        ));
    }
    let mut map = HashMap::new();
    for entry in list(src, "auth_role_map")? {
        let parsed = entry
            .rsplit_once('=')
            .map(|(name, role)| (name.trim(), role.trim()))
            .filter(|(name, _)| !name.is_empty());
        let Some((name, role)) = parsed else {
            return Err(ConfigError::new(
                "auth_role_map",
                format!("`{entry}` is not NAME=ROLE, e.g. ImageAdmins=admin"),
            ));
        };
        let role: Role = role.parse().map_err(|_| {
            ConfigError::new(
                "auth_role_map",
                format!("`{role}` in `{entry}` is not user, moderator or admin"),
            )
        })?;
        map.insert(name.to_owned(), role);
    }
    Ok(RoleRules { claims, map })
}

/// `IMAGE_SERVICE_AUTH_SCOPES=1` with the two scope names.
fn scopes(src: &Source) -> Result<Option<ScopeRules>, ConfigError> {
    let name = |key: &str, default: &str| -> Result<String, ConfigError> {
        let value = src.get(key).unwrap_or(default).trim();
        if value.is_empty() || value.contains(char::is_whitespace) {
            return Err(ConfigError::new(key, "expected one scope name"));
        }
        Ok(value.to_owned())
    };
    let rules = ScopeRules {
        read: name("auth_scope_read", "images:read")?,
        write: name("auth_scope_write", "images:write")?,
    };
    Ok(boolean(src, "auth_scopes")?.then_some(rules))
}
