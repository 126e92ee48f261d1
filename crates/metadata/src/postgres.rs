//! PostgreSQL engine: the shared SQL store over a connection pool, for replicas.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::OpenError;
use crate::sql::exec::impl_sql_exec;

/// A request waits this long for a free connection before answering 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Per replica; PostgreSQL's default `max_connections` of 100 then fits ~9 replicas.
const MAX_CONNECTIONS: u32 = 10;

/// The pool behind the shared SQL store.
pub(crate) struct PgExec {
    pool: PgPool,
}

impl_sql_exec!(PgExec, sqlx::Postgres);

/// Names the server without its password, for error messages.
fn describe(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

/// Connects to `url` (any form `PgConnectOptions` accepts, `options=` included).
pub(crate) async fn connect(url: &str) -> Result<PgExec, OpenError> {
    // The parser's messages never echo the URL, so they are safe to show.
    let options =
        PgConnectOptions::from_str(url).map_err(|e| OpenError::InvalidUrl(e.to_string()))?;
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(|e| OpenError::Connect {
            target: describe(&options),
            source: e.into(),
        })?;
    Ok(PgExec { pool })
}

/// Applies the embedded PostgreSQL migrations; an advisory lock makes
/// replicas starting together take turns.
pub(crate) async fn migrate(exec: &PgExec) -> Result<(), OpenError> {
    sqlx::migrate!("migrations/postgres")
        .run(&exec.pool)
        .await
        .map_err(|e| OpenError::Migrate {
            target: "postgres database".into(),
            source: e.into(),
        })
}

pub(crate) async fn close(exec: PgExec) {
    exec.pool.close().await;
}
