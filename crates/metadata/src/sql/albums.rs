//! Album rows: counts computed on read, keyset by `(created_at, id)`, and
//! deletion that detaches the album's images in the same transaction.

use chrono::{DateTime, Utc};
use domain::{
    AlbumCursor, AlbumId, AlbumRecord, PageRequest, ScanPage, SortOrder, StoreError, StoreResult,
    UserId,
};

use super::keyset::Keyset;
use super::rows::micros;
use super::{Param, Sql, SqlExec, update_refused};
use crate::error::{is_foreign_key_violation, store_error};

/// `image_count` is counted through the `images (album_id)` index on every read,
/// so it can never drift from the images themselves.
const SELECT: &str = "SELECT a.id, a.user_id, a.title, a.description, a.version, \
     a.created_at, a.updated_at, \
     (SELECT COUNT(*) FROM images i WHERE i.album_id = a.id) AS image_count \
     FROM albums a";

/// How often `delete` starts over when an image is attached concurrently.
const DELETE_ATTEMPTS: usize = 3;

pub(super) async fn insert(exec: &impl SqlExec, album: &AlbumRecord) -> StoreResult<()> {
    let sql = Sql::new(
        "INSERT INTO albums (id, user_id, title, description, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            Param::text(album.id.to_string()),
            Param::text(album.user_id.as_str()),
            Param::text(album.title.clone()),
            Param::opt_text(album.description.clone()),
            Param::int(album.version),
            Param::int(micros(album.created_at)),
            Param::int(micros(album.updated_at)),
        ],
    );
    exec.execute(sql).await.map_err(store_error)?;
    Ok(())
}

pub(super) async fn get(exec: &impl SqlExec, id: AlbumId) -> StoreResult<Option<AlbumRecord>> {
    let sql = Sql::new(
        format!("{SELECT} WHERE a.id = $1"),
        vec![Param::text(id.to_string())],
    );
    let rows = exec.fetch_albums(sql).await.map_err(store_error)?;
    rows.into_iter()
        .next()
        .map(AlbumRecord::try_from)
        .transpose()
}

/// One keyset page, served by `albums (user_id, created_at, id)`.
pub(super) async fn list(
    exec: &impl SqlExec,
    owner: &UserId,
    page: &PageRequest<AlbumCursor>,
) -> StoreResult<Vec<AlbumRecord>> {
    let mut sql = Sql::new(
        format!("{SELECT} WHERE a.user_id = $1"),
        vec![Param::text(owner.as_str())],
    );
    sql.push_keyset(Keyset {
        columns: &["a.created_at", "a.id"],
        after: page.after.as_ref().map(|after| {
            vec![
                Param::int(micros(after.created_at)),
                Param::text(after.id.to_string()),
            ]
        }),
        order: page.order,
        limit: page.limit,
    });
    let rows = exec.fetch_albums(sql).await.map_err(store_error)?;
    rows.into_iter().map(AlbumRecord::try_from).collect()
}

/// Every user's albums in id order (the primary key serves it); the cursor
/// is the last id of the previous page.
pub(super) async fn list_all(
    exec: &impl SqlExec,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<ScanPage<AlbumRecord>> {
    let mut sql = Sql::new(format!("{SELECT} WHERE 1 = 1"), vec![]);
    sql.push_keyset(Keyset {
        columns: &["a.id"],
        after: cursor.map(|after| vec![Param::text(after)]),
        order: SortOrder::Asc,
        limit,
    });
    let rows = exec.fetch_albums(sql).await.map_err(store_error)?;
    let items = rows
        .into_iter()
        .map(AlbumRecord::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    let next = super::next_cursor(&items, limit, |album| album.id.to_string());
    Ok(ScanPage { items, next })
}

/// Owner and creation time are fixed at insert; `image_count` is derived.
pub(super) async fn update(
    exec: &impl SqlExec,
    album: &AlbumRecord,
    expected_version: i64,
) -> StoreResult<()> {
    let sql = Sql::new(
        "UPDATE albums SET title = $2, description = $3, version = $4, updated_at = $5 \
         WHERE id = $1 AND version = $6",
        vec![
            Param::text(album.id.to_string()),
            Param::text(album.title.clone()),
            Param::opt_text(album.description.clone()),
            Param::int(album.version),
            Param::int(micros(album.updated_at)),
            Param::int(expected_version),
        ],
    );
    if exec.execute(sql).await.map_err(store_error)? == 1 {
        return Ok(());
    }
    Err(update_refused(exec, "albums", album.id.to_string()).await)
}

pub(super) async fn delete(
    exec: &impl SqlExec,
    id: AlbumId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let id = id.to_string();
    let detach = Sql::new(
        "UPDATE images SET album_id = NULL, version = version + 1, updated_at = $2 \
         WHERE album_id = $1",
        vec![Param::text(id.clone()), Param::int(micros(now))],
    );
    let remove = Sql::new("DELETE FROM albums WHERE id = $1", vec![Param::text(id)]);
    let mut attempt = 1;
    loop {
        match exec.execute_all(vec![detach.clone(), remove.clone()]).await {
            Ok(counts) => return Ok(counts.get(1).is_some_and(|n| *n > 0)),
            // An image attached between the detach and the delete (possible
            // under PostgreSQL's read committed) makes the foreign key refuse
            // the delete; starting over detaches it too.
            Err(e) if is_foreign_key_violation(&e) && attempt < DELETE_ATTEMPTS => attempt += 1,
            Err(e) if is_foreign_key_violation(&e) => {
                return Err(StoreError::Internal(
                    "album kept gaining images while being deleted".into(),
                ));
            }
            Err(e) => return Err(store_error(e)),
        }
    }
}
