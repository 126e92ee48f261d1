//! Audit retention on SQL: the checkpoint row, and pruning the chained
//! events behind it. The delete trigger (migration 0005) lets through only
//! events at or behind the stored checkpoint, so the checkpoint is written
//! first and nothing newer can ever be deleted.

use domain::audit_chain::Checkpoint;
use domain::{StoreError, StoreResult};

use super::{Param, Sql, SqlExec};
use crate::error::store_error;

/// Events deleted per statement: a long prune never holds a long lock.
const BATCH: i64 = 1000;

pub(super) async fn checkpoint(exec: &impl SqlExec) -> StoreResult<Option<Checkpoint>> {
    let sql = Sql::new(
        "SELECT 'checkpoint' AS key, value FROM audit_checkpoint WHERE id = 1",
        vec![],
    );
    let rows = exec.fetch_controls(sql).await.map_err(store_error)?;
    rows.into_iter()
        .next()
        .map(|row| {
            serde_json::from_str(&row.value)
                .map_err(|e| StoreError::Internal(format!("audit checkpoint: {e}")))
        })
        .transpose()
}

pub(super) async fn prune(exec: &impl SqlExec, checkpoint: &Checkpoint) -> StoreResult<u64> {
    let value = serde_json::to_string(checkpoint)
        .map_err(|e| StoreError::Internal(format!("audit checkpoint: {e}")))?;
    // Forward only: the trigger refuses a smaller seq.
    let record = Sql::new(
        "INSERT INTO audit_checkpoint (id, seq, value) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, value = excluded.value",
        vec![Param::int(checkpoint.seq), Param::text(value)],
    );
    exec.execute(record).await.map_err(store_error)?;
    let mut deleted = 0;
    loop {
        let batch = Sql::new(
            "DELETE FROM audit_events WHERE seq IN \
             (SELECT seq FROM audit_events WHERE seq IS NOT NULL AND seq <= $1 \
              ORDER BY seq LIMIT $2)",
            vec![Param::int(checkpoint.seq), Param::int(BATCH)],
        );
        let n = exec.execute(batch).await.map_err(store_error)?;
        deleted += n;
        if n == 0 {
            return Ok(deleted);
        }
    }
}
