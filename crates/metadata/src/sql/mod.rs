//! One `MetadataStore` for every SQL engine, written once.
//!
//! Engines differ only in how a pool runs a statement (`SqlExec`): the SQL
//! text uses `$N` placeholders, which SQLite and PostgreSQL both accept, and
//! every value is a text or a 64-bit integer, so the queries are shared.

mod albums;
mod audit;
mod controls;
pub(crate) mod exec;
mod images;
mod keyset;
mod retention;
pub(crate) mod retry;
pub(crate) mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    AlbumCursor, AlbumId, AlbumRecord, AuditEvent, AuditFilter, ChainedAuditEvent, ControlEntry,
    ImageId, ImageRecord, MetadataStore, PageRequest, StoreResult, UserId,
};

use domain::ScanPage;
use domain::audit_chain::Checkpoint;

use crate::error::store_error;
use rows::{AlbumRow, AuditRow, ChainRow, ControlRow, HeadRow, ImageRow};

/// One bound value.
#[derive(Clone, Debug)]
pub(crate) enum Param {
    Text(Option<String>),
    Int(Option<i64>),
}

impl Param {
    pub(crate) fn text(v: impl Into<String>) -> Self {
        Self::Text(Some(v.into()))
    }
    pub(crate) fn opt_text(v: Option<String>) -> Self {
        Self::Text(v)
    }
    pub(crate) fn int(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

/// A statement and its parameters, `$1` being `params[0]`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) params: Vec<Param>,
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>, params: Vec<Param>) -> Self {
        Self {
            text: text.into(),
            params,
        }
    }

    /// Adds a parameter and returns its placeholder, for SQL built piece by piece.
    pub(crate) fn arg(&mut self, param: Param) -> String {
        self.params.push(param);
        format!("${}", self.params.len())
    }
}

/// What an engine must do; everything else is shared.
#[async_trait]
pub(crate) trait SqlExec: Send + Sync + 'static {
    /// One round trip, never retried (for `/readyz`).
    async fn ping(&self) -> Result<(), sqlx::Error>;
    /// Runs one statement and returns the number of rows it changed.
    async fn execute(&self, sql: Sql) -> Result<u64, sqlx::Error>;
    /// Runs the statements in one transaction; each one's changed-row count.
    async fn execute_all(&self, sqls: Vec<Sql>) -> Result<Vec<u64>, sqlx::Error>;
    /// The first column of the first row, if there is a row.
    async fn fetch_i64(&self, sql: Sql) -> Result<Option<i64>, sqlx::Error>;
    async fn fetch_images(&self, sql: Sql) -> Result<Vec<ImageRow>, sqlx::Error>;
    async fn fetch_albums(&self, sql: Sql) -> Result<Vec<AlbumRow>, sqlx::Error>;
    async fn fetch_audit(&self, sql: Sql) -> Result<Vec<AuditRow>, sqlx::Error>;
    async fn fetch_chain(&self, sql: Sql) -> Result<Vec<ChainRow>, sqlx::Error>;
    async fn fetch_head(&self, sql: Sql) -> Result<Vec<HeadRow>, sqlx::Error>;
    async fn fetch_controls(&self, sql: Sql) -> Result<Vec<ControlRow>, sqlx::Error>;
}

/// The shared SQL store over an engine's executor.
pub(crate) struct SqlStore<E> {
    exec: E,
}

impl<E: SqlExec> SqlStore<E> {
    pub(crate) fn new(exec: E) -> Self {
        Self { exec }
    }
}

/// The cursor after a full page of a whole-table walk (its last key); a short
/// page is the last one.
fn next_cursor<T>(items: &[T], limit: u32, key: impl Fn(&T) -> String) -> Option<String> {
    (items.len() >= limit as usize)
        .then(|| items.last().map(key))
        .flatten()
}

#[async_trait]
impl<E: SqlExec> MetadataStore for SqlStore<E> {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        self.exec.ping().await.map_err(store_error)
    }

    #[tracing::instrument(skip_all, fields(image_id = %image.id))]
    async fn insert_image(&self, image: &ImageRecord) -> StoreResult<()> {
        images::insert(&self.exec, image).await
    }

    #[tracing::instrument(skip_all, fields(image_id = %id))]
    async fn get_image(&self, id: ImageId) -> StoreResult<Option<ImageRecord>> {
        images::get(&self.exec, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_images(
        &self,
        owner: &UserId,
        album: Option<AlbumId>,
        page: &PageRequest<ImageId>,
    ) -> StoreResult<Vec<ImageRecord>> {
        images::list(&self.exec, owner, album, page).await
    }

    #[tracing::instrument(skip_all, fields(image_id = %image.id))]
    async fn update_image(&self, image: &ImageRecord, expected_version: i64) -> StoreResult<()> {
        images::update(&self.exec, image, expected_version).await
    }

    #[tracing::instrument(skip_all, fields(image_id = %id))]
    async fn delete_image(&self, id: ImageId) -> StoreResult<bool> {
        images::delete(&self.exec, id).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %album.id))]
    async fn insert_album(&self, album: &AlbumRecord) -> StoreResult<()> {
        albums::insert(&self.exec, album).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %id))]
    async fn get_album(&self, id: AlbumId) -> StoreResult<Option<AlbumRecord>> {
        albums::get(&self.exec, id).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_albums(
        &self,
        owner: &UserId,
        page: &PageRequest<AlbumCursor>,
    ) -> StoreResult<Vec<AlbumRecord>> {
        albums::list(&self.exec, owner, page).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %album.id))]
    async fn update_album(&self, album: &AlbumRecord, expected_version: i64) -> StoreResult<()> {
        albums::update(&self.exec, album, expected_version).await
    }

    #[tracing::instrument(skip_all, fields(album_id = %id))]
    async fn delete_album(&self, id: AlbumId, now: DateTime<Utc>) -> StoreResult<bool> {
        albums::delete(&self.exec, id, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_images(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<ScanPage<ImageRecord>> {
        images::list_all(&self.exec, cursor, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_all_albums(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<ScanPage<AlbumRecord>> {
        albums::list_all(&self.exec, cursor, limit).await
    }

    #[tracing::instrument(skip_all, fields(action = %event.action))]
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<()> {
        audit::append(&self.exec, event).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest<String>,
    ) -> StoreResult<Vec<AuditEvent>> {
        audit::list(&self.exec, filter, page).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_controls(&self) -> StoreResult<Vec<ControlEntry>> {
        controls::list(&self.exec).await
    }

    #[tracing::instrument(skip_all, fields(key))]
    async fn set_control(&self, key: &str, value: Option<&str>) -> StoreResult<()> {
        controls::set(&self.exec, key, value).await
    }

    #[tracing::instrument(skip_all)]
    async fn audit_chain(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<ChainedAuditEvent>> {
        audit::chain(&self.exec, after_seq, limit).await
    }

    #[tracing::instrument(skip_all)]
    async fn redact_audit_of(&self, user: &UserId) -> StoreResult<u64> {
        audit::redact(&self.exec, user).await
    }

    #[tracing::instrument(skip_all)]
    async fn audit_checkpoint(&self) -> StoreResult<Option<Checkpoint>> {
        retention::checkpoint(&self.exec).await
    }

    #[tracing::instrument(skip_all, fields(seq = checkpoint.seq))]
    async fn prune_audit(&self, checkpoint: &Checkpoint) -> StoreResult<u64> {
        retention::prune(&self.exec, checkpoint).await
    }

    #[tracing::instrument(skip_all)]
    async fn audit_head(&self) -> StoreResult<Option<(i64, String)>> {
        Ok(audit::head(&self.exec).await?.map(|h| (h.seq, h.hash)))
    }
}

/// Why a conditional `UPDATE … WHERE id = $1 AND version = $n` changed nothing:
/// the row is gone, or someone else moved its version on.
async fn update_refused(exec: &impl SqlExec, table: &str, id: String) -> domain::StoreError {
    let sql = Sql::new(
        format!("SELECT version FROM {table} WHERE id = $1"),
        vec![Param::text(id)],
    );
    match exec.fetch_i64(sql).await {
        Ok(Some(current)) => domain::StoreError::VersionConflict { current },
        Ok(None) => domain::StoreError::NotFound,
        Err(e) => store_error(e),
    }
}
