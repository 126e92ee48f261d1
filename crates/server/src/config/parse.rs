//! Turning raw strings into the typed `Config`, key by key.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use super::{Config, ConfigError, KNOWN_KEYS, LimitsConfig, ProcessingConfig, Secret, Source};

pub(super) fn config(src: &Source) -> Result<Config, ConfigError> {
    if let Some(key) = src.unknown_keys(KNOWN_KEYS).next() {
        return Err(ConfigError::new(key, "unknown setting"));
    }
    let data_dir = PathBuf::from(src.get("data_dir").unwrap_or("./data"));
    if data_dir.as_os_str().is_empty() {
        return Err(ConfigError::new("data_dir", "must not be empty"));
    }
    // A PostgreSQL URL may hold a password: a secret, so `_FILE` works too.
    let metadata_url = src
        .secret("metadata_url")?
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("metadata.db").display()));
    check_scheme(
        "metadata_url",
        &metadata_url,
        &["sqlite://", "postgres://", "postgresql://", "dynamodb://"],
    )?;
    let blob_url = src
        .get("blob_url")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("file://{}", data_dir.join("blobs").display()));
    check_scheme("blob_url", &blob_url, &["file://", "s3://", "memory://"])?;
    let key_url = key_url(src, &data_dir, &blob_url)?;

    let tls_cert = src.get("tls_cert").map(PathBuf::from);
    let tls_key = src.get("tls_key").map(PathBuf::from);
    if tls_cert.is_some() != tls_key.is_some() {
        let missing = if tls_cert.is_none() {
            "tls_cert"
        } else {
            "tls_key"
        };
        return Err(ConfigError::new(
            missing,
            "TLS needs both a certificate and a key",
        ));
    }

    let admin = super::admin::parse(src)?;

    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = num(src, "processing_workers", cpus)?;
    if workers == 0 {
        return Err(ConfigError::new("processing_workers", "must be at least 1"));
    }

    Ok(Config {
        listen: addr(src, "listen", "127.0.0.1:8080")?,
        admin_listen: admin.listen,
        admin_token: admin.token,
        metadata_url,
        blob_url,
        key_url,
        redis_url: src.secret("redis_url")?.filter(|s| !s.is_empty()),
        auth: super::auth::parse(src, &data_dir)?,
        cors_origins: cors_origins(src)?,
        tls_cert,
        tls_key,
        encryption_key: key_secret(src, "encryption_key")?,
        encryption_previous_keys: previous_keys(src, "encryption_previous_keys")?,
        url_signing_key: key_secret(src, "url_signing_key")?,
        url_signing_previous_keys: previous_keys(src, "url_signing_previous_keys")?,
        url_ttl: Duration::from_secs(positive(src, "url_ttl_secs", 3600)?),
        limits: LimitsConfig {
            uploads_per_min: num(src, "limit_uploads_per_min", 10)?,
            reads_per_sec: num(src, "limit_reads_per_sec", 1000)?,
            updates_per_min: num(src, "limit_updates_per_min", 50)?,
            deletes_per_min: num(src, "limit_deletes_per_min", 50)?,
            global_per_sec: num(src, "limit_global_per_sec", 1000)?,
            global_burst: num(src, "limit_global_burst", 5000)?,
            ip_per_5min: num(src, "limit_ip_per_5min", 2000)?,
            // A person uploading a batch from a browser sends a few at a time.
            uploads_in_flight_per_user: positive(src, "uploads_in_flight_per_user", 4)?,
            trusted_proxies: list(src, "trusted_proxies")?
                .iter()
                .map(|s| IpAddr::from_str(s))
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    ConfigError::new("trusted_proxies", "expected a comma list of IP addresses")
                })?,
        },
        processing: ProcessingConfig {
            max_upload_bytes: positive(src, "max_upload_bytes", 10 * 1024 * 1024)?,
            max_pixels: positive(src, "max_pixels", 50_000_000)?,
            max_side: positive(src, "max_side", 16384)?,
            display_max_side: positive(src, "display_max_side", 2048)?,
            display_quality: quality(src, "display_quality", 80.0)?,
            display_effort: effort(src, "display_effort")?,
            thumbnail_max_side: positive(src, "thumbnail_max_side", 400)?,
            thumbnail_quality: quality(src, "thumbnail_quality", 75.0)?,
            thumbnail_effort: effort(src, "thumbnail_effort")?,
            workers,
            queue: num(src, "processing_queue", workers * 16)?,
            memory_budget_bytes: positive::<u64>(src, "memory_budget_mib", 512)? * 1024 * 1024,
        },
        // 10 MiB in two minutes needs ~90 KB/s: a slow phone uplink, not a trickle.
        request_timeout: Duration::from_secs(positive(src, "request_timeout_secs", 120)?),
        body_timeout: Duration::from_secs(positive(src, "body_timeout_secs", 30)?),
        audit_anchor: Duration::from_secs(num(src, "audit_anchor_secs", 300)?),
        web: src.get("web").is_none() || boolean(src, "web")?,
        web_client_id: src
            .get("web_client_id")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        // 10 MiB at 16 KiB/s is 10 minutes; a phone on a bad network still
        // does better, a byte-a-second trickle does not.
        min_body_rate: num(src, "min_body_rate_bytes_per_sec", 16 * 1024)?,
        // Long enough for a person between two clicks, short enough that idle
        // connections do not pile up.
        idle_timeout: Duration::from_secs(positive(src, "idle_timeout_secs", 60)?),
        max_connections: match src.get("max_connections") {
            Some(_) => Some(positive(src, "max_connections", 1)?),
            None => None,
        },
        // A household or office behind one NAT opens a few each; a flood more.
        max_connections_per_ip: positive(src, "max_connections_per_ip", 256)?,
        data_dir,
    })
}

fn cors_origins(src: &Source) -> Result<Vec<String>, ConfigError> {
    // The local web app's origin is a default for development authentication
    // only (no issuer; an empty one is refused by the auth settings first).
    let dev_auth = src.get("auth_issuer").is_none();
    let origins = match src.get("cors_origins") {
        Some(_) => list(src, "cors_origins")?,
        None if dev_auth => vec!["http://localhost:3002".to_owned()],
        None => Vec::new(),
    };
    for origin in &origins {
        if crate::origin::OriginPattern::parse(origin).is_none() {
            return Err(ConfigError::new(
                "cors_origins",
                format!(
                    "`{origin}` is not an origin like https://app.example.com or https://*.example.com"
                ),
            ));
        }
    }
    Ok(origins)
}

/// Wrapped data keys: `<data>/keys` (a sibling of the blob dir, not inside it)
/// for file blobs; the blob store itself (under `keys/`) for S3 and memory,
/// unless configured.
fn key_url(src: &Source, data_dir: &Path, blob_url: &str) -> Result<String, ConfigError> {
    let key_url = match src.get("key_url").filter(|s| !s.is_empty()) {
        Some(url) => url.to_owned(),
        None if blob_url.starts_with("file://") => {
            format!("file://{}", data_dir.join("keys").display())
        }
        None => blob_url.to_owned(),
    };
    check_scheme("key_url", &key_url, &["file://", "s3://", "memory://"])?;
    if key_url.starts_with("memory://") && !blob_url.starts_with("memory://") {
        return Err(ConfigError::new(
            "key_url",
            "memory:// would lose every data key (and so every blob) on restart; use file:// or s3://",
        ));
    }
    Ok(key_url)
}

fn check_scheme(key: &str, value: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    if schemes.iter().any(|s| value.starts_with(s)) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            format!("expected a URL starting with one of {}", schemes.join(", ")),
        ))
    }
}

pub(super) fn addr(src: &Source, key: &str, default: &str) -> Result<SocketAddr, ConfigError> {
    src.get(key)
        .unwrap_or(default)
        .parse()
        .map_err(|_| ConfigError::new(key, "expected an address like 127.0.0.1:8080"))
}

pub(super) fn num<T: FromStr>(src: &Source, key: &str, default: T) -> Result<T, ConfigError> {
    match src.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            ConfigError::new(key, format!("expected a non-negative integer, got `{v}`"))
        }),
    }
}

pub(super) fn positive<T: FromStr + Default + PartialEq>(
    src: &Source,
    key: &str,
    default: T,
) -> Result<T, ConfigError> {
    let value = num(src, key, default)?;
    if value == T::default() {
        return Err(ConfigError::new(key, "must be greater than 0"));
    }
    Ok(value)
}

/// libwebp's method, 0 (fastest) to 6 (smallest); 4 (sharp's default) unset.
fn effort(src: &Source, key: &str) -> Result<u8, ConfigError> {
    let value: u8 = num(src, key, 4)?;
    if value > pipeline::MAX_EFFORT {
        return Err(ConfigError::new(
            key,
            format!("expected an effort between 0 and {}", pipeline::MAX_EFFORT),
        ));
    }
    Ok(value)
}

fn quality(src: &Source, key: &str, default: f32) -> Result<f32, ConfigError> {
    let value: f32 = num(src, key, default)?;
    if !(1.0..=100.0).contains(&value) {
        return Err(ConfigError::new(
            key,
            "expected a quality between 1 and 100",
        ));
    }
    Ok(value)
}

pub(super) fn boolean(src: &Source, key: &str) -> Result<bool, ConfigError> {
    match src.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off" | "") => Ok(false),
        Some(_) => Err(ConfigError::new(key, "expected 1/0 or true/false")),
    }
}

pub(super) fn list(src: &Source, key: &str) -> Result<Vec<String>, ConfigError> {
    Ok(src
        .get(key)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

/// A base64 32-byte key, checked here so a bad one stops start-up by name.
fn key_secret(src: &Source, key: &str) -> Result<Option<Secret>, ConfigError> {
    use base64::Engine as _;
    let Some(value) = src.secret(key)? else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| ConfigError::new(key, "expected base64"))?;
    if decoded.len() != 32 {
        return Err(ConfigError::new(key, "expected 32 bytes, base64-encoded"));
    }
    Ok(Some(Secret(value.trim().to_owned())))
}

/// A comma list of base64 32-byte keys (a secret: `_FILE` works too).
fn previous_keys(src: &Source, key: &str) -> Result<Vec<Secret>, ConfigError> {
    use base64::Engine as _;
    let Some(value) = src.secret(key)? else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(
            |k| match base64::engine::general_purpose::STANDARD.decode(k) {
                Ok(bytes) if bytes.len() == 32 => Ok(Secret(k.to_owned())),
                _ => Err(ConfigError::new(
                    key,
                    "expected a comma list of base64 32-byte keys",
                )),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars = vars
            .iter()
            .map(|(k, v)| (format!("IMAGE_SERVICE_{k}"), (*v).to_owned()));
        config(&Source::from_parts(vars, None).unwrap())
    }

    #[test]
    fn key_url_defaults_beside_file_blobs_and_into_other_stores() {
        let c = parsed(&[("DATA_DIR", "/srv/img")]).unwrap();
        assert_eq!(c.blob_url, "file:///srv/img/blobs");
        assert_eq!(c.key_url, "file:///srv/img/keys");
        let c = parsed(&[("DATA_DIR", "/srv/img"), ("BLOB_URL", "file:///mnt/b")]).unwrap();
        assert_eq!(c.key_url, "file:///srv/img/keys");
        let s3 = "s3://bucket?region=eu-west-1";
        assert_eq!(parsed(&[("BLOB_URL", s3)]).unwrap().key_url, s3);
        assert_eq!(
            parsed(&[("BLOB_URL", "memory://")]).unwrap().key_url,
            "memory://"
        );
        let c = parsed(&[("BLOB_URL", s3), ("KEY_URL", "s3://keys-bucket")]).unwrap();
        assert_eq!(c.key_url, "s3://keys-bucket");
        for bad in ["ftp://x", "keys", "memory://"] {
            let err = parsed(&[("KEY_URL", bad)]).unwrap_err();
            assert_eq!(err.key, "IMAGE_SERVICE_KEY_URL", "{bad}");
        }
    }

    #[test]
    fn file_indirection_is_for_secrets_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pg");
        std::fs::write(&path, "postgres://app:pw@db/images\n").unwrap();
        let path = path.display().to_string();
        let c = parsed(&[("METADATA_URL_FILE", &path)]).unwrap();
        assert_eq!(c.metadata_url, "postgres://app:pw@db/images");
        let c = parsed(&[("REDIS_URL_FILE", &path)]).unwrap();
        assert!(c.redis_url.is_some());
        // Not a secret: `_FILE` would otherwise be silently ignored.
        let err = parsed(&[("LISTEN_FILE", &path)]).unwrap_err();
        assert_eq!(err.key, "IMAGE_SERVICE_LISTEN_FILE");
    }
}
