//! Incident controls: `(key, JSON)` rows, read whole, upserted or deleted.

use domain::{ControlEntry, StoreResult};

use super::{Param, Sql, SqlExec};
use crate::error::store_error;

pub(super) async fn list(exec: &impl SqlExec) -> StoreResult<Vec<ControlEntry>> {
    let sql = Sql::new(
        "SELECT key, value FROM incident_controls ORDER BY key",
        vec![],
    );
    let rows = exec.fetch_controls(sql).await.map_err(store_error)?;
    Ok(rows.into_iter().map(|row| (row.key, row.value)).collect())
}

pub(super) async fn set(exec: &impl SqlExec, key: &str, value: Option<&str>) -> StoreResult<()> {
    // One statement either way, and both are safe to repeat.
    let sql = match value {
        Some(value) => Sql::new(
            "INSERT INTO incident_controls (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![Param::text(key), Param::text(value)],
        ),
        None => Sql::new(
            "DELETE FROM incident_controls WHERE key = $1",
            vec![Param::text(key)],
        ),
    };
    exec.execute(sql).await.map_err(store_error)?;
    Ok(())
}
