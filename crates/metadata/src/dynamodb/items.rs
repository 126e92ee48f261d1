//! The single-table item shapes and their mapping to domain records.
//!
//! | item  | PK            | SK         | GSI1PK (owner lists)   | GSI1SK            | GSI2PK (album) | GSI2SK |
//! |-------|---------------|------------|------------------------|-------------------|----------------|--------|
//! | image | `IMAGE#<id>`  | `METADATA` | `IMAGES#USER#<user>`   | image id          | `ALBUM#<id>`   | image id |
//! | album | `ALBUM#<id>`  | `METADATA` | `ALBUMS#USER#<user>`   | `<time>#<id>`     | –              | –      |
//! | audit | `AUDIT#CHAIN` | `<seq:020>`| `AUDIT`                | event id          | –              | –      |
//! | audit (before the chain) | `AUDIT#<id>` | `METADATA` | `AUDIT`   | event id          | –              | –      |
//!
//! The record itself is the JSON in `data`; `version`, `user_id`, `album_id`
//! and the audit filter fields are copied out for conditions and filters.
//! Audit items are keyed by their place in the tamper-evident chain (`audit.rs`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::{AlbumId, AlbumRecord, AuditEvent, ImageId, ImageRecord, StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) const METADATA: &str = "METADATA";
pub(super) const GSI1: &str = "GSI1";
pub(super) const GSI2: &str = "GSI2";
pub(super) const AUDIT_PARTITION: &str = "AUDIT";

pub(super) fn image_pk(id: ImageId) -> String {
    format!("IMAGE#{id}")
}
pub(super) fn album_pk(id: AlbumId) -> String {
    format!("ALBUM#{id}")
}
pub(super) fn audit_pk(id: &str) -> String {
    format!("AUDIT#{id}")
}
pub(super) fn user_images(user: &str) -> String {
    format!("IMAGES#USER#{user}")
}
pub(super) fn user_albums(user: &str) -> String {
    format!("ALBUMS#USER#{user}")
}

/// Sorts like `(created_at, id)`: the time is shifted to unsigned and zero-padded.
pub(super) fn album_sort_key(created_at: DateTime<Utc>, id: AlbumId) -> String {
    let shifted = (created_at.timestamp_micros() as u64) ^ (1 << 63);
    format!("{shifted:020}#{id}")
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The `PK`/`SK` key of an item.
pub(super) fn key(pk: String) -> Item {
    HashMap::from([("PK".into(), s(pk)), ("SK".into(), s(METADATA))])
}

pub(super) fn image_item(image: &ImageRecord) -> StoreResult<Item> {
    let mut item = key(image_pk(image.id));
    item.insert("user_id".into(), s(image.user_id.as_str()));
    item.insert("version".into(), n(image.version));
    item.insert("data".into(), s(to_json(image)?));
    item.insert("GSI1PK".into(), s(user_images(image.user_id.as_str())));
    item.insert("GSI1SK".into(), s(image.id.to_string()));
    if let Some(album) = image.album_id {
        item.insert("album_id".into(), s(album.to_string()));
        item.insert("GSI2PK".into(), s(album_pk(album)));
        item.insert("GSI2SK".into(), s(image.id.to_string()));
    }
    Ok(item)
}

/// Albums keep no count: it is counted from the album index when read.
pub(super) fn album_item(album: &AlbumRecord) -> StoreResult<Item> {
    let mut item = key(album_pk(album.id));
    item.insert("user_id".into(), s(album.user_id.as_str()));
    item.insert("version".into(), n(album.version));
    item.insert("data".into(), s(to_json(album)?));
    item.insert("GSI1PK".into(), s(user_albums(album.user_id.as_str())));
    item.insert(
        "GSI1SK".into(),
        s(album_sort_key(album.created_at, album.id)),
    );
    Ok(item)
}

pub(super) fn audit_item(event: &AuditEvent) -> StoreResult<Item> {
    let mut item = key(audit_pk(&event.id));
    item.insert("data".into(), s(to_json(event)?));
    item.insert("actor".into(), s(event.actor.clone()));
    item.insert("action".into(), s(event.action.as_str()));
    if let Some(target) = &event.target {
        item.insert("target".into(), s(target.clone()));
    }
    item.insert("at".into(), n(event.at.timestamp_micros()));
    item.insert("GSI1PK".into(), s(AUDIT_PARTITION));
    item.insert("GSI1SK".into(), s(event.id.clone()));
    Ok(item)
}

/// The record stored in an item's `data`.
pub(super) fn record<T: DeserializeOwned>(item: &Item) -> StoreResult<T> {
    let data = item
        .get("data")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| corrupt("item without data"))?;
    serde_json::from_str(data).map_err(corrupt)
}

pub(super) fn version(item: &Item) -> StoreResult<i64> {
    item.get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt("item without version"))
}

pub(super) fn is_deleting(item: &Item) -> bool {
    item.contains_key("deleting")
}

fn to_json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(corrupt)
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("corrupt metadata item: {e}"))
}
