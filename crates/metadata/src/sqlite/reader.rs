//! The hot image reads (`get`, `list`) on SQLite, through read-only rusqlite
//! connections on the blocking pool.
//!
//! sqlx's SQLite driver gives each connection a thread of its own and hands
//! every row back through a channel, so a 20-row page costs a thread handoff
//! per row. Here a statement runs to completion in one hop to the blocking
//! pool and one back. WAL lets these readers run beside the writer, and each
//! statement sees every commit made before it started: a read after a write
//! sees the write.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::Semaphore;

use super::BUSY_TIMEOUT;
use crate::sql::rows::ImageRow;
use crate::sql::{Param, Sql};

/// Reads running at once, and so connections and blocking threads in use:
/// they are CPU work on a page cache, so more would only queue in the kernel.
const MAX_READERS: usize = 8;
/// Lets the readers map the database instead of copying pages with `pread`.
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// A small pool of read-only connections to one database file.
pub(crate) struct Readers {
    path: PathBuf,
    permits: Semaphore,
    /// At most `MAX_READERS`, opened on first need and kept.
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            path,
            permits: Semaphore::new(MAX_READERS),
            idle: Mutex::new(Vec::with_capacity(MAX_READERS)),
        })
    }

    /// Runs one `SELECT` of `IMAGE_COLUMNS` with `$1…$n` parameters.
    pub(crate) async fn fetch_images(
        self: &Arc<Self>,
        sql: Sql,
    ) -> Result<Vec<ImageRow>, sqlx::Error> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || readers.run(&sql))
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    fn run(&self, sql: &Sql) -> Result<Vec<ImageRow>, sqlx::Error> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open().map_err(driver_error)?,
        };
        let rows = query(&conn, sql).map_err(driver_error);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        rows
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        Ok(conn)
    }
}

fn query(conn: &Connection, sql: &Sql) -> rusqlite::Result<Vec<ImageRow>> {
    let mut statement = conn.prepare_cached(&sql.text)?;
    for (i, param) in sql.params.iter().enumerate() {
        // SQLite numbers named parameters by first appearance; bind by name
        // so the order they appear in the text does not matter.
        let name = format!("${}", i + 1);
        let index = statement
            .parameter_index(&name)?
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name))?;
        match param {
            Param::Text(v) => statement.raw_bind_parameter(index, v.as_deref())?,
            Param::Int(v) => statement.raw_bind_parameter(index, v)?,
        }
    }
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(ImageRow::from_rusqlite(row)?);
    }
    Ok(out)
}

/// Into the error type the SQL store maps (`crate::error::store_error`):
/// a busy or unreadable database is transient, anything else is not.
fn driver_error(e: rusqlite::Error) -> sqlx::Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => sqlx::Error::PoolTimedOut,
        Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) => {
            sqlx::Error::Io(std::io::Error::other(e.to_string()))
        }
        _ => sqlx::Error::Protocol(format!("sqlite read: {e}")),
    }
}
