//! The append-only audit trail: insert and filtered keyset listing by event id.

use domain::{AuditEvent, AuditFilter, PageRequest, StoreResult};

use super::rows::micros;
use super::{Param, Sql, SqlExec, keyset};
use crate::error::store_error;

pub(super) async fn append(exec: &impl SqlExec, event: &AuditEvent) -> StoreResult<()> {
    let changes = event
        .changes
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| domain::StoreError::Internal(format!("audit changes: {e}")))?;
    let sql = Sql::new(
        "INSERT INTO audit_events (id, at, request_id, actor, action, target, outcome, changes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            Param::text(event.id.clone()),
            Param::int(micros(event.at)),
            Param::text(event.request_id.clone()),
            Param::text(event.actor.clone()),
            Param::text(event.action.clone()),
            Param::opt_text(event.target.clone()),
            Param::text(event.outcome.clone()),
            Param::opt_text(changes),
        ],
    );
    exec.execute(sql).await.map_err(store_error)?;
    Ok(())
}

pub(super) async fn list(
    exec: &impl SqlExec,
    filter: &AuditFilter,
    page: &PageRequest<String>,
) -> StoreResult<Vec<AuditEvent>> {
    let (cmp, dir) = keyset(page.order);
    let mut sql = Sql::default();
    let mut text = String::from(
        "SELECT id, at, request_id, actor, action, target, outcome, changes \
         FROM audit_events WHERE 1 = 1",
    );
    let equalities = [
        ("actor", &filter.actor),
        ("target", &filter.target),
        ("action", &filter.action),
    ];
    for (column, value) in equalities {
        if let Some(value) = value {
            let holder = sql.arg(Param::text(value.clone()));
            text.push_str(&format!(" AND {column} = {holder}"));
        }
    }
    if let Some(since) = filter.since {
        let holder = sql.arg(Param::int(micros(since)));
        text.push_str(&format!(" AND at >= {holder}"));
    }
    if let Some(after) = &page.after {
        let holder = sql.arg(Param::text(after.clone()));
        text.push_str(&format!(" AND id {cmp} {holder}"));
    }
    let limit = sql.arg(Param::int(page.limit.into()));
    text.push_str(&format!(" ORDER BY id {dir} LIMIT {limit}"));
    sql.text = text;
    let rows = exec.fetch_audit(sql).await.map_err(store_error)?;
    rows.into_iter().map(AuditEvent::try_from).collect()
}
