//! `S3BlobStore`: blobs on any S3-compatible store via `object_store`, SSE-S3 on every put.

mod credentials;
mod errors;
mod url;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use domain::keys::BlobKey;
use domain::ports::{BlobStore, StoreError, StoreResult};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, PutMode, PutOptions, PutPayload, RetryConfig};

use self::errors::{is_transient, to_store_error};
pub use self::url::S3Url;
use crate::raw::RawBlobStore;
use domain::RetryPolicy;
use domain::retry::retry;

/// An S3 bucket (AWS or compatible). Credentials come from the AWS environment
/// variables, the shared AWS files, web identity or instance metadata.
#[derive(Clone)]
pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    retry: RetryPolicy,
}

impl std::fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3BlobStore")
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

/// Explicit credentials, for tests and tools; normally the AWS environment is used.
/// `Debug` never shows the secret.
#[derive(Clone)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// 100 ms, 200 ms, … at most 5 s: six tries, at most about 3 s of waiting,
/// so a store that stays down turns into a 503 quickly.
const RETRY: RetryPolicy = RetryPolicy {
    attempts: 6,
    base: Duration::from_millis(100),
    max: Duration::from_secs(5),
    budget: None,
};

/// How to talk to the bucket beyond what the URL says.
#[derive(Clone, Debug)]
pub struct S3Settings {
    pub retry: RetryPolicy,
    /// Overrides the environment and the shared AWS files when set.
    pub credentials: Option<S3Credentials>,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            retry: RETRY,
            credentials: None,
        }
    }
}

impl S3BlobStore {
    /// Builds the client; nothing is contacted until the first request.
    pub fn new(url: &S3Url, settings: S3Settings) -> Result<Self, object_store::Error> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&url.bucket)
            .with_virtual_hosted_style_request(!url.path_style)
            // Our own loop retries (RetryPolicy); object_store's would multiply it.
            .with_retry(RetryConfig {
                max_retries: 0,
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(Duration::from_secs(30))
                    .with_connect_timeout(Duration::from_secs(5)),
            )
            // Every put asks for server-side encryption (docs/API.md, Stored data).
            .with_config(
                "aws_server_side_encryption".parse::<AmazonS3ConfigKey>()?,
                "AES256",
            );
        if let Some(creds) = &settings.credentials {
            builder = builder
                .with_access_key_id(&creds.access_key_id)
                .with_secret_access_key(&creds.secret_access_key);
        } else if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            let files = credentials::from_files();
            if let (Some(id), Some(secret)) = (files.access_key_id, files.secret_access_key) {
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
                if let Some(token) = files.session_token {
                    builder = builder.with_token(token);
                }
            }
            if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none()
                && let Some(region) = files.region
            {
                builder = builder.with_region(region);
            }
        }
        if let Some(region) = &url.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &url.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        Ok(Self {
            store: Arc::new(builder.build()?),
            bucket: url.bucket.clone(),
            retry: settings.retry,
        })
    }

    fn path(key: &BlobKey) -> StoreResult<Path> {
        Path::parse(key.as_str()).map_err(|e| StoreError::Internal(format!("s3 key {key}: {e}")))
    }

    async fn put_with(
        &self,
        key: &BlobKey,
        bytes: Bytes,
        mode: PutMode,
    ) -> Result<(), object_store::Error> {
        let path = Self::path(key).map_err(|e| object_store::Error::Generic {
            store: "S3",
            source: e.into(),
        })?;
        retry(&self.retry, "blob", is_transient, || {
            let opts = PutOptions {
                mode: mode.clone(),
                ..PutOptions::default()
            };
            self.store
                .put_opts(&path, PutPayload::from(bytes.clone()), opts)
        })
        .await
        .map(drop)
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn ping(&self) -> StoreResult<()> {
        let probe = Path::from("keys");
        retry(&self.retry, "blob", is_transient, || {
            self.store.list_with_delimiter(Some(&probe))
        })
        .await
        .map(drop)
        .map_err(|e| to_store_error("ping", &self.bucket, e))
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<()> {
        self.put_with(key, bytes, PutMode::Overwrite)
            .await
            .map_err(|e| to_store_error("put", key.as_str(), e))
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn get(&self, key: &BlobKey) -> StoreResult<Option<Bytes>> {
        let path = Self::path(key)?;
        let result = retry(&self.retry, "blob", is_transient, || async {
            self.store.get(&path).await?.bytes().await
        })
        .await;
        match result {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(to_store_error("get", key.as_str(), e)),
        }
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        let path = Self::path(key)?;
        match retry(&self.retry, "blob", is_transient, || {
            self.store.delete(&path)
        })
        .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(to_store_error("delete", key.as_str(), e)),
        }
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<(BlobKey, DateTime<Utc>)>> {
        // object_store lists whole path segments; narrow to the string prefix after.
        let dir = prefix
            .rfind('/')
            .map(|at| &prefix[..at])
            .filter(|d| !d.is_empty());
        let dir = dir
            .map(Path::parse)
            .transpose()
            .map_err(|e| StoreError::Internal(format!("s3 list {prefix}: {e}")))?;
        let objects: Vec<_> = retry(&self.retry, "blob", is_transient, || {
            self.store.list(dir.as_ref()).try_collect::<Vec<_>>()
        })
        .await
        .map_err(|e| to_store_error("list", prefix, e))?;
        let mut out: Vec<_> = objects
            .into_iter()
            .filter(|meta| meta.location.as_ref().starts_with(prefix))
            .filter_map(|meta| Some((BlobKey::parse(meta.location.as_ref())?, meta.last_modified)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

#[async_trait]
impl RawBlobStore for S3BlobStore {
    async fn put_if_absent(&self, key: &BlobKey, bytes: Bytes) -> StoreResult<bool> {
        match self.put_with(key, bytes, PutMode::Create).await {
            Ok(()) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(e) => Err(to_store_error("create", key.as_str(), e)),
        }
    }
}
