//! HTTPS for the API: rustls on ring, TLS 1.2 and 1.3 only, ALPN `h2` then
//! `http/1.1`, and a certificate that SIGHUP re-reads from disk.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject as _};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::Config;

/// How long a client may take to finish the handshake; without it a client
/// that connects and says nothing would hold a task (and a socket) forever.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

const CERT_SETTING: &str = "IMAGE_SERVICE_TLS_CERT";
const KEY_SETTING: &str = "IMAGE_SERVICE_TLS_KEY";

/// Why the certificate or key could not be used. Each message is one line
/// that starts with the setting to fix. The cause is part of the message
/// rather than a `source`, so `{:#}` does not print it twice.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{setting}: cannot read {}: {cause}", path.display())]
    Read {
        setting: &'static str,
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{setting}: {} is not usable PEM: {cause}", path.display())]
    Pem {
        setting: &'static str,
        path: PathBuf,
        cause: pem::Error,
    },
    #[error("IMAGE_SERVICE_TLS_CERT: {} holds no certificate", path.display())]
    NoCertificate { path: PathBuf },
    #[error("IMAGE_SERVICE_TLS_KEY: {} is not a usable key for the certificate: {cause}", path.display())]
    Key { path: PathBuf, cause: rustls::Error },
    #[error("IMAGE_SERVICE_TLS_CERT: cannot build the TLS configuration: {cause}")]
    Config { cause: rustls::Error },
}

/// The TLS side of the listener: an acceptor whose certificate can be swapped
/// while it runs. Cloning shares the same certificate.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    certs: Arc<ReloadableCert>,
}

impl Tls {
    /// `Some` when the configuration names a certificate and key (parsing
    /// already checked they come as a pair).
    pub fn from_config(config: &Config) -> Result<Option<Self>, TlsError> {
        match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Self::load(cert, key).map(Some),
            _ => Ok(None),
        }
    }

    /// Reads the PEM files and builds the server configuration.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        // ring explicitly: the process-wide default provider is ambiguous when
        // another crate in the tree enables aws-lc.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = Arc::new(ReloadableCert {
            current: ArcSwap::from_pointee(read_certified_key(cert, key, &provider)?),
            cert_path: cert.to_owned(),
            key_path: key.to_owned(),
            provider: provider.clone(),
        });
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|cause| TlsError::Config { cause })?
            .with_no_client_auth()
            .with_cert_resolver(certs.clone());
        // h2 first so clients that can speak it do; hyper's auto builder
        // serves whichever protocol the client then opens with.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            certs,
        })
    }

    /// Re-reads the certificate and key. New handshakes use them; on error
    /// the certificate in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        self.certs.reload()
    }

    /// Reloads on every SIGHUP, logging the outcome. Call before announcing
    /// the listener: until the handler is installed, SIGHUP kills the process.
    pub fn reload_on_sighup(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut hangups = signal(SignalKind::hangup())?;
            let tls = self.clone();
            tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    // Two small files: not worth a trip to the blocking pool.
                    match tls.reload() {
                        Ok(()) => tracing::info!(
                            cert = %tls.certs.cert_path.display(),
                            "TLS certificate reloaded"
                        ),
                        Err(err) => tracing::error!(
                            error = %err,
                            "TLS reload failed; keeping the current certificate"
                        ),
                    }
                }
            });
        }
        Ok(())
    }

    /// Runs the handshake with a deadline. Failures are the client's business
    /// (scanners, plain HTTP, expired trust), so they are logged at debug only.
    pub async fn accept(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
    ) -> Option<TlsStream<TcpStream>> {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(stream)).await {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(err)) => {
                tracing::debug!(peer = %peer, error = %err, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(peer = %peer, "TLS handshake timed out");
                None
            }
        }
    }
}

/// Hands every handshake the certificate of the moment; a reload swaps it
/// atomically, so a handshake sees either the old pair or the new, never a mix.
#[derive(Debug)]
struct ReloadableCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: ArcSwap<CertifiedKey>,
}

impl ReloadableCert {
    fn reload(&self) -> Result<(), TlsError> {
        let fresh = read_certified_key(&self.cert_path, &self.key_path, &self.provider)?;
        self.current.store(Arc::new(fresh));
        Ok(())
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// Reads the chain (leaf first) and key, and checks the key fits the leaf, so
/// a half-replaced pair is refused instead of failing every handshake.
fn read_certified_key(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let cert_pem = read(CERT_SETTING, cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|cause| TlsError::Pem {
            setting: CERT_SETTING,
            path: cert.to_owned(),
            cause,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.to_owned(),
        });
    }
    let key_pem = read(KEY_SETTING, key)?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|cause| TlsError::Pem {
        setting: KEY_SETTING,
        path: key.to_owned(),
        cause,
    })?;
    CertifiedKey::from_der(chain, private, provider).map_err(|cause| TlsError::Key {
        path: key.to_owned(),
        cause,
    })
}

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|cause| TlsError::Read {
        setting,
        path: path.to_owned(),
        cause,
    })
}
