//! Typed configuration (docs/API.md, Configuration): every key parsed once at start-up; a
//! bad value stops the service with one line naming the key.

mod admin;
mod auth;
mod parse;
mod source;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use source::Source;

/// A configuration problem, shown as one line naming the key.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        let key = if key.starts_with('-') {
            key.to_owned()
        } else {
            format!("IMAGE_SERVICE_{}", key.to_ascii_uppercase())
        };
        Self {
            key,
            message: message.into(),
        }
    }
}

/// A secret string whose `Debug` never shows the value.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

pub use auth::AuthConfig;

/// Rate limits (docs/API.md, Limits); `0` switches a limit off.
#[derive(Clone, Debug)]
pub struct LimitsConfig {
    pub uploads_per_min: u32,
    pub reads_per_sec: u32,
    pub updates_per_min: u32,
    pub deletes_per_min: u32,
    pub global_per_sec: u32,
    pub global_burst: u32,
    pub ip_per_5min: u32,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Uploads one user may have in flight on this replica at once.
    pub uploads_in_flight_per_user: usize,
}

#[derive(Clone, Debug)]
pub struct ProcessingConfig {
    pub max_upload_bytes: u64,
    pub max_pixels: u64,
    pub max_side: u32,
    pub display_max_side: u32,
    pub display_quality: f32,
    /// libwebp method 0–6 for the display variant (speed against bytes).
    pub display_effort: u8,
    pub thumbnail_max_side: u32,
    pub thumbnail_quality: f32,
    pub thumbnail_effort: u8,
    pub workers: usize,
    pub queue: usize,
    /// Memory budget for pixels being processed at once.
    pub memory_budget_bytes: u64,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    /// Bearer token every admin-listener route but `/healthz` requires.
    pub admin_token: Option<Secret>,
    pub data_dir: PathBuf,
    pub metadata_url: String,
    pub blob_url: String,
    /// Where wrapped data keys live: apart from the blobs, so a copy of the
    /// blob store holds no key (crypto-shredding then holds against backups).
    pub key_url: String,
    pub redis_url: Option<String>,
    pub auth: AuthConfig,
    pub cors_origins: Vec<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub encryption_key: Option<Secret>,
    /// Master keys rotated away from, still accepted for reading.
    pub encryption_previous_keys: Vec<Secret>,
    pub url_signing_key: Option<Secret>,
    /// URL-signing keys rotated away from: links and cursors they signed
    /// still verify (until they expire); nothing new is signed with them.
    pub url_signing_previous_keys: Vec<Secret>,
    pub url_ttl: Duration,
    pub limits: LimitsConfig,
    pub processing: ProcessingConfig,
    pub request_timeout: Duration,
    /// Serve the web gallery at `/`.
    pub web: bool,
    /// The gallery's public OpenID Connect client (authorization code + PKCE).
    pub web_client_id: Option<String>,
    /// How often the audit chain head is logged as an anchor (zero: never).
    pub audit_anchor: Duration,
    /// The longest pause allowed while a client sends a request body (408 past it).
    pub body_timeout: Duration,
    /// Least average rate of a request body, in bytes per second (0 = off).
    pub min_body_rate: u64,
    /// A connection with no request in flight this long is closed.
    pub idle_timeout: Duration,
    /// Open connections at most; unset, derived from the open-file limit.
    pub max_connections: Option<usize>,
    /// Open connections from one address at most (trusted proxies exempt).
    pub max_connections_per_ip: usize,
}

/// Every key a setting reads; anything else set with the prefix is refused.
pub const KNOWN_KEYS: &[&str] = &[
    "listen",
    "admin_listen",
    "admin_token",
    "admin_allow_remote",
    "data_dir",
    "metadata_url",
    "blob_url",
    "key_url",
    "redis_url",
    "auth_issuer",
    "auth_audience",
    "auth_jwks_url",
    "auth_jwks_file",
    "auth_jwks_refresh_secs",
    "auth_jwks_max_stale_secs",
    "auth_require_at_jwt",
    "auth_max_token_lifetime_secs",
    "auth_role_claim",
    "auth_role_map",
    "auth_scopes",
    "auth_scope_read",
    "auth_scope_write",
    "allow_dev_auth",
    "cors_origins",
    "tls_cert",
    "tls_key",
    "encryption_key",
    "encryption_previous_keys",
    "url_signing_key",
    "url_signing_previous_keys",
    "url_ttl_secs",
    "limit_uploads_per_min",
    "limit_reads_per_sec",
    "limit_updates_per_min",
    "limit_deletes_per_min",
    "limit_global_per_sec",
    "limit_global_burst",
    "limit_ip_per_5min",
    "trusted_proxies",
    "max_upload_bytes",
    "max_pixels",
    "max_side",
    "display_max_side",
    "display_quality",
    "display_effort",
    "thumbnail_max_side",
    "thumbnail_quality",
    "thumbnail_effort",
    "processing_workers",
    "processing_queue",
    "memory_budget_mib",
    "request_timeout_secs",
    "body_timeout_secs",
    "audit_anchor_secs",
    "web",
    "web_client_id",
    "min_body_rate_bytes_per_sec",
    "idle_timeout_secs",
    "max_connections",
    "max_connections_per_ip",
    "uploads_in_flight_per_user",
    "log",
];

impl Config {
    /// Loads from the environment and the optional TOML file.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_source(&Source::load(config_file)?)
    }

    pub fn from_source(src: &Source) -> Result<Self, ConfigError> {
        parse::config(src)
    }

    pub fn dev_auth(&self) -> bool {
        self.auth.settings.issuer.is_none()
    }
}
