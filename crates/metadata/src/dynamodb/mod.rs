//! DynamoDB engine: a single-table design (see `items`), for replicas
//! on AWS. `dynamodb://TABLE?region=R&endpoint=URL`.

mod albums;
mod audit;
mod controls;
mod images;
mod items;
mod query;
mod retention;
mod retry;
mod scan;
mod table;

use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use chrono::{DateTime, Utc};
use domain::{
    AlbumCursor, AlbumId, AlbumRecord, AuditEvent, AuditFilter, ImageId, ImageRecord,
    MetadataStore, PageRequest, StoreResult, UserId,
};

use crate::error::OpenError;
pub(crate) use table::migrate;

/// Region used when the URL names an endpoint but no region (local emulators).
const LOCAL_REGION: &str = "us-east-1";

/// The store: one SDK client and the table it owns.
pub(crate) struct DynamoStore {
    client: Client,
    table: String,
}

/// What a `dynamodb://` URL says.
#[derive(Debug, PartialEq)]
struct Target {
    table: String,
    region: Option<String>,
    endpoint: Option<String>,
}

fn parse(url: &str) -> Result<Target, OpenError> {
    let rest = url
        .strip_prefix("dynamodb://")
        .ok_or_else(|| OpenError::InvalidUrl("expected dynamodb://TABLE".into()))?;
    let (table, query) = rest.split_once('?').unwrap_or((rest, ""));
    if table.is_empty() {
        return Err(OpenError::InvalidUrl(
            "dynamodb:// needs a table name".into(),
        ));
    }
    let mut target = Target {
        table: table.into(),
        region: None,
        endpoint: None,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "region" => target.region = Some(value.into()),
            "endpoint" => target.endpoint = Some(percent_decode(value)),
            _ => {
                return Err(OpenError::InvalidUrl(format!(
                    "unknown dynamodb:// parameter `{name}`"
                )));
            }
        }
    }
    Ok(target)
}

/// Decodes `%XX` so an endpoint may be given encoded or not.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_loopback(endpoint: &str) -> bool {
    let host = endpoint.split("://").nth(1).unwrap_or(endpoint);
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|h| host.starts_with(h))
}

/// Builds the client. Credentials come from the usual AWS chain (environment,
/// profile files, container or instance roles); a loopback endpoint with no
/// credentials in the environment gets dummy ones, as local emulators want.
pub(crate) async fn connect(url: &str) -> Result<DynamoStore, OpenError> {
    let target = parse(url)?;
    // ring rather than aws-lc: no C toolchain beyond the one sqlx already needs.
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        // Our own retry loop (retry.rs) owns backoff, so the SDK's is off.
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        );
    if let Some(region) = target.region.clone() {
        loader = loader.region(Region::new(region));
    }
    if let Some(endpoint) = &target.endpoint {
        loader = loader.endpoint_url(endpoint);
        if target.region.is_none() {
            loader = loader.region(Region::new(LOCAL_REGION));
        }
        if is_loopback(endpoint) && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader
                .credentials_provider(Credentials::new("local", "local", None, None, "loopback"));
        }
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(OpenError::InvalidUrl(
            "dynamodb:// needs region=R (or AWS_REGION) unless an endpoint is given".into(),
        ));
    }
    Ok(DynamoStore {
        client: Client::new(&config),
        table: target.table,
    })
}

#[async_trait]
impl MetadataStore for DynamoStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        self.describe().await.map(|_| ())
    }

    #[tracing::instrument(skip_all, fields(image_id = %image.id))]
    async fn insert_image(&self, image: &ImageRecord) -> StoreResult<()> {
        self.insert(image).await
    }

    #[tracing::instrument(skip_all, fields(image_id = %id))]
    async fn get_image(&self, id: ImageId) -> StoreResult<Option<ImageRecord>> {
        self.get(id).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_images(
        &self,
        owner: &UserId,
        album: Option<AlbumId>,
        page: &PageRequest<ImageId>,
    ) -> StoreResult<Vec<ImageRecord>> {
        self.list(owner, album, page).await
    }

    #[tracing::instrument(skip_all, fields(image_id = %image.id))]
    async fn update_image(&self, image: &ImageRecord, expected_version: i64) -> StoreResult<()> {
        self.update(image, expected_version).await
    }

    #[tracing::instrument(skip_all, fields(image_id = %id))]
    async fn delete_image(&self, id: ImageId) -> StoreResult<bool> {
        self.delete(id).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %album.id))]
    async fn insert_album(&self, album: &AlbumRecord) -> StoreResult<()> {
        DynamoStore::insert_album(self, album).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %id))]
    async fn get_album(&self, id: AlbumId) -> StoreResult<Option<AlbumRecord>> {
        DynamoStore::get_album(self, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_albums(
        &self,
        owner: &UserId,
        page: &PageRequest<AlbumCursor>,
    ) -> StoreResult<Vec<AlbumRecord>> {
        DynamoStore::list_albums(self, owner, page).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %album.id))]
    async fn update_album(&self, album: &AlbumRecord, expected_version: i64) -> StoreResult<()> {
        DynamoStore::update_album(self, album, expected_version).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %id))]
    async fn delete_album(&self, id: AlbumId, now: DateTime<Utc>) -> StoreResult<bool> {
        DynamoStore::delete_album(self, id, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_images(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<domain::ScanPage<ImageRecord>> {
        self.scan_images(cursor, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_albums(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<domain::ScanPage<AlbumRecord>> {
        self.scan_albums(cursor, limit).await
    }

    #[tracing::instrument(skip_all, fields(action = %event.action))]
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        self.append(event).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest<String>,
    ) -> StoreResult<Vec<AuditEvent>> {
        self.audit_page(filter, page).await
    }

    #[tracing::instrument(skip_all)]
    async fn audit_chain(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<domain::ChainedAuditEvent>> {
        self.chain_page(after_seq, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn redact_audit_of(&self, user: &UserId) -> StoreResult<u64> {
        self.redact(user).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_controls(&self) -> StoreResult<Vec<domain::ControlEntry>> {
        self.controls().await
    }

    #[tracing::instrument(skip_all, fields(key))]
    async fn set_control(&self, key: &str, value: Option<&str>) -> StoreResult<()> {
        self.put_control(key, value).await
    }

    #[tracing::instrument(skip_all)]
    async fn audit_checkpoint(&self) -> StoreResult<Option<domain::audit_chain::Checkpoint>> {
        self.checkpoint().await
    }

    #[tracing::instrument(skip_all, fields(seq = checkpoint.seq))]
    async fn prune_audit(&self, checkpoint: &domain::audit_chain::Checkpoint) -> StoreResult<u64> {
        self.prune(checkpoint).await
    }

    #[tracing::instrument(skip_all)]
    async fn audit_head(&self) -> StoreResult<Option<(i64, String)>> {
        Ok(self.chain_head().await?.map(|h| (h.seq, h.hash)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let t = parse("dynamodb://images?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A8000")
            .unwrap();
        assert_eq!(t.table, "images");
        assert_eq!(t.region.as_deref(), Some("eu-west-1"));
        assert_eq!(t.endpoint.as_deref(), Some("http://127.0.0.1:8000"));
        assert!(parse("dynamodb://?region=x").is_err());
        assert!(parse("dynamodb://t?password=x").is_err());
        assert!(is_loopback("http://127.0.0.1:8000"));
        assert!(!is_loopback("https://dynamodb.eu-west-1.amazonaws.com"));
    }
}
