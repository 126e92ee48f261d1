//! SQLite engine: the embedded default, one database file in WAL mode.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::OpenError;
use crate::sql::Sql;
use crate::sql::exec::impl_sql_exec;
use crate::sql::rows::ImageRow;

mod reader;

/// How long a writer waits for another writer's lock before giving up (`Unavailable`).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// WAL lets readers run beside the single writer; a few connections suffice
/// on the two to eight cores a single-machine deployment has.
const MAX_CONNECTIONS: u32 = 8;

/// The pool behind the shared SQL store.
pub(crate) struct SqliteExec {
    pool: SqlitePool,
    /// The hot image reads bypass sqlx (see `reader`).
    readers: std::sync::Arc<reader::Readers>,
}

impl_sql_exec!(SqliteExec, sqlx::Sqlite);

impl SqliteExec {
    async fn fetch_image_rows(&self, sql: Sql) -> Result<Vec<ImageRow>, sqlx::Error> {
        self.readers.fetch_images(sql).await
    }
}

/// `sqlite://PATH` (relative or absolute, `sqlite:///abs` too) → the file path.
fn path_of(url: &str) -> Result<PathBuf, OpenError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| OpenError::InvalidUrl("expected sqlite://PATH".into()))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return Err(OpenError::InvalidUrl("sqlite:// needs a file path".into()));
    }
    Ok(PathBuf::from(path))
}

/// Opens (creating file and directory if missing) the database at `url`.
pub(crate) async fn connect(url: &str) -> Result<SqliteExec, OpenError> {
    let path = path_of(url)?;
    create_parent(&path)?;
    create_private(&path)?;
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL, not NORMAL: the contract answers 201 only once metadata is
        // durable, and NORMAL-with-WAL may lose the last commits on power loss.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // GDPR erasure must leave no copy of deleted rows in the files:
        // deleted content is zeroed, every commit is checkpointed into the
        // database file, and the WAL is cut back when it restarts, so stale
        // frames of old page versions do not linger in `-wal` either.
        .pragma("secure_delete", "ON")
        .pragma("wal_autocheckpoint", "1")
        .pragma("journal_size_limit", "0")
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(BUSY_TIMEOUT)
        // A SQLite connection is a local file handle with nothing to go stale;
        // the default ping costs a round trip to its worker thread per query.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| OpenError::Connect {
            target: path.display().to_string(),
            source: e.into(),
        })?;
    let readers = reader::Readers::new(path);
    Ok(SqliteExec { pool, readers })
}

fn create_parent(path: &Path) -> Result<(), OpenError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => domain::private_fs::create_dir_all(dir)
            .map_err(|source| OpenError::CreateDir {
                path: dir.to_path_buf(),
                source,
            }),
        _ => Ok(()),
    }
}

/// Creates the database file `0600` if it does not exist yet, before SQLite
/// would create it `0644`. SQLite gives the `-wal`, `-shm` and `-journal`
/// files it creates later the mode of the database file, so they are private
/// too. An existing file is opened, not truncated, and keeps its mode.
fn create_private(path: &Path) -> Result<(), OpenError> {
    domain::private_fs::file_options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(drop)
        .map_err(|source| OpenError::CreateFile {
            path: path.to_path_buf(),
            source,
        })
}

/// Applies the embedded SQLite migrations that have not run yet.
pub(crate) async fn migrate(exec: &SqliteExec) -> Result<(), OpenError> {
    sqlx::migrate!("migrations/sqlite")
        .run(&exec.pool)
        .await
        .map_err(|e| OpenError::Migrate {
            target: "sqlite database".into(),
            source: e.into(),
        })
}

pub(crate) async fn close(exec: SqliteExec) {
    exec.pool.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse() {
        assert_eq!(
            path_of("sqlite://./data/m.db").unwrap(),
            PathBuf::from("./data/m.db")
        );
        assert_eq!(
            path_of("sqlite:///var/lib/m.db").unwrap(),
            PathBuf::from("/var/lib/m.db")
        );
        assert!(path_of("sqlite://").is_err());
    }
}
