//! PostgreSQL engine: the shared SQL store over a connection pool, for replicas.

use std::str::FromStr;
use std::time::Duration;

use domain::{Budget, RetryPolicy};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::OpenError;
use crate::sql::exec::impl_sql_exec;

/// How long one attempt waits for a connection: a free one from the pool, or
/// a new one (sqlx keeps reconnecting while the server refuses, until this
/// runs out). Short, so a server that is down is an error in seconds, not a
/// hang; under load a retry (`RETRY`) waits again.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// Three tries in at most 5 s in all. A server that is down costs a full
/// `ACQUIRE_TIMEOUT` per try, so it gets two (2 s + ≤ 100 ms + 2 s) and
/// the request answers 503 `UNAVAILABLE` after about 4 s, far inside the
/// 60 s request timeout and under a client's patience; a fault that fails
/// fast (a connection the restart killed, a serialization failure or a
/// deadlock) gets all three, 100 ms and 200 ms apart at most.
const RETRY: RetryPolicy = RetryPolicy {
    attempts: 3,
    base: Duration::from_millis(100),
    max: Duration::from_secs(5),
    budget: Some(Budget {
        total: Duration::from_secs(5),
        slowest_attempt: ACQUIRE_TIMEOUT,
    }),
};
/// Per replica; PostgreSQL's default `max_connections` of 100 then fits ~9 replicas.
const MAX_CONNECTIONS: u32 = 10;

/// The pool behind the shared SQL store.
pub(crate) struct PgExec {
    pool: PgPool,
}

impl_sql_exec!(PgExec, sqlx::Postgres, RETRY);

impl PgExec {
    async fn fetch_image_rows(
        &self,
        sql: crate::sql::Sql,
    ) -> Result<Vec<crate::sql::rows::ImageRow>, sqlx::Error> {
        self.fetch(sql).await
    }
}

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
