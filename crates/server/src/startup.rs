//! Building the application from configuration: stores, authentication,
//! keys, the processing pool, and the listener.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use ratelimit::RateLimiter;
use tokio::net::TcpListener;

use crate::audit::AuditLog;
use crate::auth::Authenticator;
use crate::config::Config;
use crate::limits::Limits;
use crate::processing::Processor;
use crate::secrets;
use crate::signing::Signer;
use crate::state::{App, AppState};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    tls: Option<crate::tls::Tls>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let state = build_state(config).await?;
        let listen = state.config.listen;
        if state.auth.is_dev_mode() {
            tracing::warn!(
                "development authentication is on: the service signs and trusts its own tokens"
            );
            if !listen.ip().is_loopback() && !state.config.auth.allow_dev_auth {
                anyhow::bail!(
                    "IMAGE_SERVICE_LISTEN: refusing to serve development authentication on non-loopback {listen}; configure IMAGE_SERVICE_AUTH_ISSUER or set IMAGE_SERVICE_ALLOW_DEV_AUTH=1"
                );
            }
        }
        let tls = crate::tls::Tls::from_config(&state.config)?;
        if let Some(tls) = &tls {
            tls.reload_on_sighup()
                .context("IMAGE_SERVICE_TLS_CERT: cannot watch for SIGHUP")?;
        }
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("IMAGE_SERVICE_LISTEN: cannot listen on {listen}"))?;
        Ok(Self {
            listener,
            state,
            tls,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish.
    pub async fn run(self) -> anyhow::Result<()> {
        let addr = self.local_addr()?;
        tracing::info!(addr = %addr, "listening");
        let admin = crate::admin::spawn(&self.state).await?;
        crate::audit_anchor::spawn(self.state.metadata.clone(), self.state.config.audit_anchor);
        let router = crate::http::router(self.state.clone());
        let config = &self.state.config;
        let connections = crate::connections::Connections::new(
            crate::connections::ConnectionLimits::new(
                config.max_connections,
                config.max_connections_per_ip,
                config.idle_timeout,
            ),
            config.limits.trusted_proxies.clone(),
        );
        crate::serve::serve(
            self.listener,
            router,
            self.tls,
            connections,
            shutdown_signal(),
        )
        .await;
        admin.abort();
        tracing::info!("stopped");
        Ok(())
    }
}

pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    crate::admin::recorder()?;
    private_data_dir(&config.data_dir)?;
    let metadata = metadata::open(&config.metadata_url)
        .await
        .context("IMAGE_SERVICE_METADATA_URL: cannot open the metadata store")?;
    // Both name the setting at fault themselves (blob URL, key URL, master
    // key; issuer, JWKS URL or file, data dir).
    let blobs = crate::storage::open_blobs(&config).await?;
    // After the blob store, which generates a missing key file.
    let erasure = crate::storage::erasure_tags(&config)?;
    let auth = Authenticator::new(config.auth.settings.clone()).await?;
    let signing_key = match &config.url_signing_key {
        Some(key) => secrets::decode_key(key.expose())?,
        None => secrets::load_or_generate_key(&config.data_dir.join("url-signing.key"))
            .context("IMAGE_SERVICE_URL_SIGNING_KEY: cannot load or generate the key")?,
    };
    let p = &config.processing;
    let processor = Processor::new(
        pipeline_settings(&config),
        p.workers,
        p.queue,
        p.memory_budget_bytes,
    );
    let limits = Limits::new(rate_limiter(&config).await?, &config.limits);
    let incident = crate::incident::IncidentControls::start(metadata.clone())
        .await
        .context("IMAGE_SERVICE_METADATA_URL: cannot read the incident controls")?;
    Ok(AppState(Arc::new(App {
        limits,
        audit: AuditLog::new(metadata.clone()),
        erasure,
        metadata,
        blobs,
        auth: Arc::new(auth),
        signer: Signer::new(&signing_key, &previous_signing_keys(&config)?),
        processor,
        incident,
        readiness: Default::default(),
        config,
    })))
}

/// `IMAGE_SERVICE_URL_SIGNING_PREVIOUS_KEYS`, decoded (checked by the config already).
fn previous_signing_keys(config: &Config) -> anyhow::Result<Vec<Vec<u8>>> {
    config
        .url_signing_previous_keys
        .iter()
        .map(|key| secrets::decode_key(key.expose()))
        .collect()
}

/// Creates the data directory `0700`, or sets an existing one to `0700`:
/// one made by an older version or by hand may be open to other users, and
/// everything the service writes lives below it (see `domain::private_fs`).
/// A directory the service does not own (a volume mounted for a group) cannot
/// be changed; that is said, not fatal, since the files in it are private.
fn private_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    domain::private_fs::create_dir_all(dir)
        .with_context(|| format!("IMAGE_SERVICE_DATA_DIR: cannot create {}", dir.display()))?;
    if let Err(err) = domain::private_fs::restrict_dir(dir) {
        tracing::warn!(path = %dir.display(), error = %err, "cannot make the data directory private (chmod 700)");
    }
    Ok(())
}

pub fn pipeline_settings(config: &Config) -> pipeline::Settings {
    let p = &config.processing;
    pipeline::Settings {
        display_max_side: p.display_max_side,
        display_quality: p.display_quality,
        display_effort: p.display_effort,
        thumbnail_max_side: p.thumbnail_max_side,
        thumbnail_quality: p.thumbnail_quality,
        thumbnail_effort: p.thumbnail_effort,
        max_pixels: p.max_pixels,
        max_side: p.max_side,
    }
}

/// Shared through Redis when configured (falling back to per-replica limits
/// while Redis is unreachable), else per process.
async fn rate_limiter(config: &Config) -> anyhow::Result<Arc<dyn RateLimiter>> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(
            ratelimit::redis_limiter(url, "image-service:rl:")
                .await
                .context("IMAGE_SERVICE_REDIS_URL: invalid Redis URL")?,
        ),
        None => Arc::new(ratelimit::LocalLimiter::new()),
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
