//! The admin listener's settings: `IMAGE_SERVICE_ADMIN_LISTEN`, its bearer
//! token, and the opt-in to serve it unauthenticated beyond loopback.

use std::net::SocketAddr;

use super::parse::{addr, boolean};
use super::{ConfigError, Secret, Source};

/// Long enough that guessing is hopeless, short enough for a random hex string.
const MIN_TOKEN_LEN: usize = 16;

pub(super) struct AdminConfig {
    pub listen: SocketAddr,
    pub token: Option<Secret>,
}

pub(super) fn parse(src: &Source) -> Result<AdminConfig, ConfigError> {
    let listen = addr(src, "admin_listen", "127.0.0.1:9090")?;
    let token = src.secret("admin_token")?;
    if let Some(token) = &token {
        // Never echo the value: it is a secret.
        if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::new(
                "admin_token",
                format!(
                    "expected at least {MIN_TOKEN_LEN} printable ASCII characters without spaces, e.g. `openssl rand -hex 32`"
                ),
            ));
        }
    }
    let allow_remote = boolean(src, "admin_allow_remote")?;
    // `/metrics` tells anyone who can reach it about traffic, users and keys.
    if !listen.ip().is_loopback() && token.is_none() && !allow_remote {
        return Err(ConfigError::new(
            "admin_listen",
            format!(
                "{listen} is not loopback and the admin listener has no authentication; set IMAGE_SERVICE_ADMIN_TOKEN, or IMAGE_SERVICE_ADMIN_ALLOW_REMOTE=1 to serve it to anyone who can reach it"
            ),
        ));
    }
    Ok(AdminConfig {
        listen,
        token: token.map(Secret),
    })
}
