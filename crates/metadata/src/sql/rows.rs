//! Row shapes shared by the SQL engines, and their mapping to domain records.

use chrono::{DateTime, Utc};
use domain::{
    AlbumRecord, AuditEvent, ChainedAuditEvent, EventSeal, FieldSeal, ImageRecord, OriginalInfo,
    StoreError, StoreResult, UserId, VariantInfo,
};

use super::Param;

/// Every column of `images`, in the order `ImageRow::params` binds them.
pub(crate) const IMAGE_COLUMNS: [&str; 21] = [
    "id",
    "user_id",
    "album_id",
    "title",
    "description",
    "alt_text",
    "tags",
    "width",
    "height",
    "size",
    "thumb_width",
    "thumb_height",
    "thumb_size",
    "original_content_type",
    "original_width",
    "original_height",
    "original_size",
    "original_filename",
    "version",
    "created_at",
    "updated_at",
];

/// One `images` row as both engines return it (integers are `i64`, times micros).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ImageRow {
    id: String,
    user_id: String,
    album_id: Option<String>,
    title: Option<String>,
    description: Option<String>,
    alt_text: Option<String>,
    tags: String,
    width: i64,
    height: i64,
    size: i64,
    thumb_width: i64,
    thumb_height: i64,
    thumb_size: i64,
    original_content_type: String,
    original_width: i64,
    original_height: i64,
    original_size: i64,
    original_filename: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl ImageRow {
    /// A row selected as `IMAGE_COLUMNS`, in that order (the SQLite readers).
    pub(crate) fn from_rusqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            user_id: row.get(1)?,
            album_id: row.get(2)?,
            title: row.get(3)?,
            description: row.get(4)?,
            alt_text: row.get(5)?,
            tags: row.get(6)?,
            width: row.get(7)?,
            height: row.get(8)?,
            size: row.get(9)?,
            thumb_width: row.get(10)?,
            thumb_height: row.get(11)?,
            thumb_size: row.get(12)?,
            original_content_type: row.get(13)?,
            original_width: row.get(14)?,
            original_height: row.get(15)?,
            original_size: row.get(16)?,
            original_filename: row.get(17)?,
            version: row.get(18)?,
            created_at: row.get(19)?,
            updated_at: row.get(20)?,
        })
    }
}

/// One `albums` row with its computed `image_count`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AlbumRow {
    id: String,
    user_id: String,
    title: String,
    description: Option<String>,
    image_count: i64,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

/// One `audit_events` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: String,
    at: i64,
    request_id: String,
    actor: String,
    action: String,
    target: Option<String>,
    outcome: String,
    changes: Option<String>,
}

/// One chained `audit_events` row (`seq` not null); the commitments are
/// NULL for an event chained before migration 0003 (encoding v1).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ChainRow {
    seq: i64,
    prev_hash: Option<String>,
    hash: Option<String>,
    actor_salt: Option<String>,
    target_salt: Option<String>,
    changes_salt: Option<String>,
    actor_commit: Option<String>,
    target_commit: Option<String>,
    changes_commit: Option<String>,
    #[sqlx(flatten)]
    event: AuditRow,
}

/// One incident control.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ControlRow {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// The newest chained row's `seq` and `hash`.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct HeadRow {
    pub(crate) seq: i64,
    pub(crate) hash: Option<String>,
}

/// Parameters for `IMAGE_COLUMNS`, in that order.
pub(crate) fn image_params(image: &ImageRecord) -> StoreResult<Vec<Param>> {
    let tags = serde_json::to_string(&image.tags).map_err(corrupt)?;
    Ok(vec![
        Param::text(image.id.to_string()),
        Param::text(image.user_id.as_str()),
        Param::opt_text(image.album_id.map(|a| a.to_string())),
        Param::opt_text(image.title.clone()),
        Param::opt_text(image.description.clone()),
        Param::opt_text(image.alt_text.clone()),
        Param::text(tags),
        Param::int(image.display.width.into()),
        Param::int(image.display.height.into()),
        Param::int(to_i64(image.display.size)?),
        Param::int(image.thumbnail.width.into()),
        Param::int(image.thumbnail.height.into()),
        Param::int(to_i64(image.thumbnail.size)?),
        Param::text(image.original.content_type.clone()),
        Param::int(image.original.width.into()),
        Param::int(image.original.height.into()),
        Param::int(to_i64(image.original.size)?),
        Param::opt_text(image.original.filename.clone()),
        Param::int(image.version),
        Param::int(micros(image.created_at)),
        Param::int(micros(image.updated_at)),
    ])
}

impl TryFrom<ImageRow> for ImageRecord {
    type Error = StoreError;
    fn try_from(row: ImageRow) -> StoreResult<Self> {
        Ok(ImageRecord {
            id: row.id.parse().map_err(corrupt)?,
            user_id: user(row.user_id)?,
            album_id: row
                .album_id
                .map(|a| a.parse())
                .transpose()
                .map_err(corrupt)?,
            title: row.title,
            description: row.description,
            alt_text: row.alt_text,
            tags: serde_json::from_str(&row.tags).map_err(corrupt)?,
            display: variant(row.width, row.height, row.size)?,
            thumbnail: variant(row.thumb_width, row.thumb_height, row.thumb_size)?,
            original: OriginalInfo {
                content_type: row.original_content_type,
                width: to_u32(row.original_width)?,
                height: to_u32(row.original_height)?,
                size: to_u64(row.original_size)?,
                filename: row.original_filename,
            },
            version: row.version,
            created_at: time(row.created_at)?,
            updated_at: time(row.updated_at)?,
        })
    }
}

impl TryFrom<AlbumRow> for AlbumRecord {
    type Error = StoreError;
    fn try_from(row: AlbumRow) -> StoreResult<Self> {
        Ok(AlbumRecord {
            id: row.id.parse().map_err(corrupt)?,
            user_id: user(row.user_id)?,
            title: row.title,
            description: row.description,
            image_count: to_u64(row.image_count)?,
            version: row.version,
            created_at: time(row.created_at)?,
            updated_at: time(row.updated_at)?,
        })
    }
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> StoreResult<Self> {
        Ok(AuditEvent {
            id: row.id,
            at: time(row.at)?,
            request_id: row.request_id,
            actor: row.actor,
            action: row.action.parse().map_err(corrupt)?,
            target: row.target,
            outcome: row.outcome.parse().map_err(corrupt)?,
            changes: row
                .changes
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(corrupt)?,
        })
    }
}

impl TryFrom<ChainRow> for ChainedAuditEvent {
    type Error = StoreError;
    fn try_from(row: ChainRow) -> StoreResult<Self> {
        let (seq, id) = (row.seq, row.event.id.clone());
        let event = AuditEvent::try_from(row.event)
            .map_err(|e| corrupt(format!("audit event seq {seq} ({id}): {e}")))?;
        // Any commitment makes it a v2 event; a missing one is then a broken
        // link for the verifier (an empty commitment), not a v1 event.
        let seal = match (row.actor_commit, row.target_commit, row.changes_commit) {
            (None, None, None) => None,
            (actor, target, changes) => Some(EventSeal {
                actor: FieldSeal {
                    commit: actor.unwrap_or_default(),
                    salt: row.actor_salt,
                },
                target: FieldSeal {
                    commit: target.unwrap_or_default(),
                    salt: row.target_salt,
                },
                changes: FieldSeal {
                    commit: changes.unwrap_or_default(),
                    salt: row.changes_salt,
                },
            }),
        };
        Ok(ChainedAuditEvent {
            seq,
            // A missing hash is a broken link for the verifier, not an unreadable row.
            prev_hash: row.prev_hash.unwrap_or_default(),
            hash: row.hash.unwrap_or_default(),
            event,
            seal,
        })
    }
}

/// Unix microseconds: exact in both engines' BIGINT and in keyset comparisons.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn time(micros: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| corrupt("timestamp out of range"))
}

fn user(id: String) -> StoreResult<UserId> {
    UserId::new(id).ok_or_else(|| corrupt("empty user id"))
}

fn variant(width: i64, height: i64, size: i64) -> StoreResult<VariantInfo> {
    Ok(VariantInfo {
        width: to_u32(width)?,
        height: to_u32(height)?,
        size: to_u64(size)?,
    })
}

fn to_u32(v: i64) -> StoreResult<u32> {
    u32::try_from(v).map_err(corrupt)
}

fn to_u64(v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(corrupt)
}

fn to_i64(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(corrupt)
}

/// A stored value that does not fit the domain type: a bug or tampering.
fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("corrupt metadata row: {e}"))
}
