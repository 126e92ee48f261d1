//! Image rows: insert, read, keyset listing and optimistic updates.

use std::sync::LazyLock;

use domain::{
    AlbumId, ImageId, ImageRecord, PageRequest, ScanPage, SortOrder, StoreResult, UserId,
};

use super::keyset::Keyset;
use super::rows::{IMAGE_COLUMNS, image_params};
use super::{Param, Sql, SqlExec, update_refused};
use crate::error::{on_missing_album, store_error};

static SELECT: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM images", IMAGE_COLUMNS.join(", ")));

static INSERT: LazyLock<String> = LazyLock::new(|| {
    let holders: Vec<String> = (1..=IMAGE_COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO images ({}) VALUES ({})",
        IMAGE_COLUMNS.join(", "),
        holders.join(", ")
    )
});

/// Rewrites every column but the key (`$1`) when the version still matches.
static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = IMAGE_COLUMNS
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, column)| format!("{column} = ${}", i + 1))
        .collect();
    format!(
        "UPDATE images SET {} WHERE id = $1 AND version = ${}",
        sets.join(", "),
        IMAGE_COLUMNS.len() + 1
    )
});

pub(super) async fn insert(exec: &impl SqlExec, image: &ImageRecord) -> StoreResult<()> {
    let sql = Sql::new(INSERT.as_str(), image_params(image)?);
    exec.execute(sql).await.map_err(on_missing_album)?;
    Ok(())
}

pub(super) async fn get(exec: &impl SqlExec, id: ImageId) -> StoreResult<Option<ImageRecord>> {
    let sql = Sql::new(
        format!("{} WHERE id = $1", *SELECT),
        vec![Param::text(id.to_string())],
    );
    let rows = exec.fetch_images(sql).await.map_err(store_error)?;
    rows.into_iter()
        .next()
        .map(ImageRecord::try_from)
        .transpose()
}

/// One keyset page: served by `(user_id, id)` or `(user_id, album_id, id)`.
pub(super) async fn list(
    exec: &impl SqlExec,
    owner: &UserId,
    album: Option<AlbumId>,
    page: &PageRequest<ImageId>,
) -> StoreResult<Vec<ImageRecord>> {
    let mut sql = Sql::new(
        format!("{} WHERE user_id = $1", *SELECT),
        vec![Param::text(owner.as_str())],
    );
    if let Some(album) = album {
        let holder = sql.arg(Param::text(album.to_string()));
        sql.text.push_str(&format!(" AND album_id = {holder}"));
    }
    sql.push_keyset(Keyset {
        columns: &["id"],
        after: page.after.map(|id| vec![Param::text(id.to_string())]),
        order: page.order,
        limit: page.limit,
    });
    let rows = exec.fetch_images(sql).await.map_err(store_error)?;
    rows.into_iter().map(ImageRecord::try_from).collect()
}

/// Every user's images in id order (the primary key serves it); the cursor
/// is the last id of the previous page.
pub(super) async fn list_all(
    exec: &impl SqlExec,
    cursor: Option<&str>,
    limit: u32,
) -> StoreResult<ScanPage<ImageRecord>> {
    let mut sql = Sql::new(format!("{} WHERE 1 = 1", *SELECT), vec![]);
    sql.push_keyset(Keyset {
        columns: &["id"],
        after: cursor.map(|after| vec![Param::text(after)]),
        order: SortOrder::Asc,
        limit,
    });
    let rows = exec.fetch_images(sql).await.map_err(store_error)?;
    let items = rows
        .into_iter()
        .map(ImageRecord::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    let next = super::next_cursor(&items, limit, |image| image.id.to_string());
    Ok(ScanPage { items, next })
}

/// One conditional UPDATE, so two writers holding the same version cannot both win.
pub(super) async fn update(
    exec: &impl SqlExec,
    image: &ImageRecord,
    expected_version: i64,
) -> StoreResult<()> {
    let mut params = image_params(image)?;
    params.push(Param::int(expected_version));
    let changed = exec
        .execute(Sql::new(UPDATE.as_str(), params))
        .await
        .map_err(on_missing_album)?;
    if changed == 1 {
        return Ok(());
    }
    Err(update_refused(exec, "images", image.id.to_string()).await)
}

pub(super) async fn delete(exec: &impl SqlExec, id: ImageId) -> StoreResult<bool> {
    let sql = Sql::new(
        "DELETE FROM images WHERE id = $1",
        vec![Param::text(id.to_string())],
    );
    Ok(exec.execute(sql).await.map_err(store_error)? > 0)
}
