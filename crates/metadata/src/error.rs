//! Start-up errors (`OpenError`) and the deliberate mapping of driver errors
//! to `StoreError`: transient faults become `Unavailable`, the rest `Internal`.

use std::path::PathBuf;

use domain::StoreError;
use sqlx::error::ErrorKind;

/// Boxed cause of an `OpenError`, so no driver type leaks into the public API.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the metadata store could not be opened or migrated.
///
/// Messages name the store by scheme, host, port, database and user only:
/// a password in the URL never reaches a log line.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "unsupported metadata URL scheme `{0}`: expected sqlite://PATH, postgres://… or dynamodb://TABLE"
    )]
    UnsupportedScheme(String),
    #[error("invalid metadata URL: {0}")]
    InvalidUrl(String),
    #[error("cannot create the metadata directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the metadata database file {path}: {source}")]
    CreateFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the metadata store {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: Cause,
    },
    #[error("cannot migrate the metadata schema of {target}: {source}")]
    Migrate {
        target: String,
        #[source]
        source: Cause,
    },
}

/// Maps a driver error on purpose: only faults worth a retry are `Unavailable`.
pub(crate) fn store_error(e: sqlx::Error) -> StoreError {
    if is_transient(&e) {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Internal(e.to_string())
    }
}

/// A write referring to an album that does not exist (the only foreign key).
pub(crate) fn on_missing_album(e: sqlx::Error) -> StoreError {
    if is_foreign_key_violation(&e) {
        StoreError::MissingReference("albumId")
    } else {
        store_error(e)
    }
}

pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() == ErrorKind::ForeignKeyViolation)
}

/// A duplicate key: the event id or, for the audit chain, its `seq`.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation)
}

/// Worth another try: the fault clears up on its own (see [`store_error`]).
pub(crate) fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else { return false };
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                sqlite_transient(&code)
            } else {
                sqlstate_transient(&code)
            }
        }
        _ => false,
    }
}

/// SQLite's extended result codes; the primary code is the low byte.
fn sqlite_transient(code: &str) -> bool {
    // BUSY, LOCKED, IOERR, FULL, CANTOPEN.
    code.parse::<i32>()
        .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6 | 10 | 13 | 14))
}

/// PostgreSQL's five-character SQLSTATEs.
fn sqlstate_transient(code: &str) -> bool {
    // Connection exceptions, insufficient resources, server shutting down,
    // serialization failures and deadlocks all clear up on their own.
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code == "40001"
        || code == "40P01"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert!(sqlite_transient("5")); // SQLITE_BUSY
        assert!(sqlite_transient("517")); // SQLITE_BUSY_SNAPSHOT
        assert!(!sqlite_transient("787")); // SQLITE_CONSTRAINT_FOREIGNKEY
        assert!(sqlstate_transient("08006"));
        assert!(sqlstate_transient("57P01"));
        assert!(!sqlstate_transient("23505"));
        assert!(!sqlstate_transient("23503"));
    }

    #[test]
    fn pool_timeout_is_unavailable() {
        assert!(matches!(
            store_error(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            store_error(sqlx::Error::RowNotFound),
            StoreError::Internal(_)
        ));
    }
}
