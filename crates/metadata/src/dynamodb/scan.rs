//! Whole-table walks for `migrate-storage`: a `Scan` filtered to one item
//! type, resumable through an opaque cursor (the scan's last evaluated key).
//!
//! No index holds every user's images, and a migration reads everything
//! once, so a scan is the honest tool; the service itself never scans.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{AlbumRecord, ImageRecord, ScanPage, StoreError, StoreResult};

use super::DynamoStore;
use super::items::{Item, METADATA, is_deleting, record, s};
use super::retry::{send, store_error};

impl DynamoStore {
    pub(super) async fn scan_images(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<ScanPage<ImageRecord>> {
        let (found, next) = self.scan_kind("IMAGE#", cursor, limit).await?;
        let items = found.iter().map(record).collect::<StoreResult<_>>()?;
        Ok(ScanPage { items, next })
    }

    /// Albums being deleted are left out: their deletion is already under way.
    pub(super) async fn scan_albums(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<ScanPage<AlbumRecord>> {
        let (found, next) = self.scan_kind("ALBUM#", cursor, limit).await?;
        let mut items = Vec::with_capacity(found.len());
        for item in found.iter().filter(|item| !is_deleting(item)) {
            items.push(self.with_count(item).await?);
        }
        Ok(ScanPage { items, next })
    }

    /// One scan page of the `METADATA` items whose `PK` starts with `prefix`.
    /// `limit` bounds the items *read*, so a page may come back short or empty
    /// while `next` is still set.
    async fn scan_kind(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<(Vec<Item>, Option<String>)> {
        let start = cursor.map(decode_cursor).transpose()?;
        let limit = i32::try_from(limit).unwrap_or(i32::MAX).max(1);
        let out = send(|| {
            self.client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(PK, :prefix) AND SK = :sk")
                .expression_attribute_values(":prefix", s(prefix))
                .expression_attribute_values(":sk", s(METADATA))
                .consistent_read(true)
                .limit(limit)
                .set_exclusive_start_key(start.clone())
                .send()
        })
        .await
        .map_err(store_error)?;
        let next = out.last_evaluated_key().map(encode_cursor).transpose()?;
        Ok((out.items().to_vec(), next))
    }
}

/// The last evaluated key (`PK`, `SK`: both strings) as JSON text.
fn encode_cursor(key: &Item) -> StoreResult<String> {
    let mut plain = HashMap::new();
    for (name, value) in key {
        let text = value
            .as_s()
            .map_err(|_| StoreError::Internal(format!("scan key {name} is not a string")))?;
        plain.insert(name.clone(), text.clone());
    }
    serde_json::to_string(&plain).map_err(|e| StoreError::Internal(format!("scan cursor: {e}")))
}

fn decode_cursor(cursor: &str) -> StoreResult<Item> {
    let plain: HashMap<String, String> = serde_json::from_str(cursor)
        .map_err(|e| StoreError::Internal(format!("scan cursor: {e}")))?;
    Ok(plain
        .into_iter()
        .map(|(name, value)| (name, AttributeValue::S(value)))
        .collect())
}
