//! The append-only audit trail: chained inserts (see `crate::chain`), the
//! chain in `seq` order, and filtered keyset listing by event id.

use domain::audit_chain::REDACTED;
use domain::{
    AuditEvent, AuditFilter, ChainedAuditEvent, PageRequest, SortOrder, StoreResult, UserId,
};

use super::keyset::Keyset;
use super::rows::micros;
use super::{Param, Sql, SqlExec};
use crate::chain::{self, Claim, Head, Link};
use crate::error::{is_unique_violation, store_error};

pub(super) async fn append(exec: &impl SqlExec, event: &AuditEvent) -> StoreResult<()> {
    let changes = event
        .changes
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| domain::StoreError::Internal(format!("audit changes: {e}")))?;
    chain::append(
        event,
        || head(exec),
        |link| insert(exec, event, changes.clone(), link),
    )
    .await
}

/// The newest chained event (the highest `seq`), if any.
pub(super) async fn head(exec: &impl SqlExec) -> StoreResult<Option<Head>> {
    let sql = Sql::new(
        "SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
        vec![],
    );
    let rows = exec.fetch_head(sql).await.map_err(store_error)?;
    Ok(rows.into_iter().next().map(|row| Head {
        seq: row.seq,
        hash: row.hash.unwrap_or_default(),
    }))
}

/// Inserts `event` at `link`; the unique index on `seq` refuses a taken seq.
async fn insert(
    exec: &impl SqlExec,
    event: &AuditEvent,
    changes: Option<String>,
    link: Link,
) -> StoreResult<Claim> {
    let sql = Sql::new(
        "INSERT INTO audit_events \
         (id, at, request_id, actor, action, target, outcome, changes, seq, prev_hash, hash, \
          actor_salt, target_salt, changes_salt, actor_commit, target_commit, changes_commit) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        vec![
            Param::text(event.id.clone()),
            Param::int(micros(event.at)),
            Param::text(event.request_id.clone()),
            Param::text(event.actor.clone()),
            Param::text(event.action.as_str()),
            Param::opt_text(event.target.clone()),
            Param::text(event.outcome.as_str()),
            Param::opt_text(changes),
            Param::int(link.seq),
            Param::text(link.prev_hash),
            Param::text(link.hash),
            Param::opt_text(link.seal.actor.salt),
            Param::opt_text(link.seal.target.salt),
            Param::opt_text(link.seal.changes.salt),
            Param::text(link.seal.actor.commit),
            Param::text(link.seal.target.commit),
            Param::text(link.seal.changes.commit),
        ],
    );
    match exec.execute(sql).await {
        Ok(_) => Ok(Claim::Stored),
        Err(e) if is_unique_violation(&e) => {
            // The primary key or the seq: only a taken seq is worth a retry.
            let exists = Sql::new(
                "SELECT CAST(1 AS BIGINT) FROM audit_events WHERE id = $1",
                vec![Param::text(event.id.clone())],
            );
            match exec.fetch_i64(exists).await.map_err(store_error)? {
                Some(_) => Err(domain::StoreError::Internal(format!(
                    "audit event {} already exists",
                    event.id
                ))),
                None => Ok(Claim::SeqTaken),
            }
        }
        Err(e) => Err(store_error(e)),
    }
}

/// Chained events after `after_seq`, in seq order.
pub(super) async fn chain(
    exec: &impl SqlExec,
    after_seq: i64,
    limit: u32,
) -> StoreResult<Vec<ChainedAuditEvent>> {
    let mut sql = Sql::new(
        "SELECT seq, prev_hash, hash, actor_salt, target_salt, changes_salt, \
         actor_commit, target_commit, changes_commit, \
         id, at, request_id, actor, action, target, outcome, changes \
         FROM audit_events WHERE 1 = 1",
        vec![],
    );
    sql.push_keyset(Keyset {
        columns: &["seq"],
        after: Some(vec![Param::int(after_seq)]),
        order: SortOrder::Asc,
        limit,
    });
    let rows = exec.fetch_chain(sql).await.map_err(store_error)?;
    rows.into_iter().map(ChainedAuditEvent::try_from).collect()
}

/// GDPR erasure of `user` from the trail (`MetadataStore::redact_audit_of`):
/// the one update the append-only trigger lets through. Events from before
/// the chain are redacted the same way. Every SET expression sees the row
/// as it was, so each CASE tests the old actor and target.
pub(super) async fn redact(exec: &impl SqlExec, user: &UserId) -> StoreResult<u64> {
    let sql = Sql::new(
        "UPDATE audit_events SET \
         actor = CASE WHEN actor = $1 THEN $3 ELSE actor END, \
         actor_salt = CASE WHEN actor = $1 THEN NULL ELSE actor_salt END, \
         target = CASE WHEN target = $2 THEN $3 ELSE target END, \
         target_salt = CASE WHEN target = $2 THEN NULL ELSE target_salt END, \
         changes = NULL, changes_salt = NULL \
         WHERE actor = $1 OR target = $2",
        vec![
            Param::text(user.as_str()),
            Param::text(user_target(user)),
            Param::text(REDACTED),
        ],
    );
    exec.execute(sql).await.map_err(store_error)
}

/// How an event names a user as its target.
fn user_target(user: &UserId) -> String {
    format!("user:{user}")
}

pub(super) async fn list(
    exec: &impl SqlExec,
    filter: &AuditFilter,
    page: &PageRequest<String>,
) -> StoreResult<Vec<AuditEvent>> {
    let mut sql = Sql::new(
        "SELECT id, at, request_id, actor, action, target, outcome, changes \
         FROM audit_events WHERE 1 = 1",
        vec![],
    );
    let action = filter.action.map(|a| a.as_str().to_owned());
    let equalities = [
        ("actor", &filter.actor),
        ("target", &filter.target),
        ("action", &action),
    ];
    for (column, value) in equalities {
        if let Some(value) = value {
            let holder = sql.arg(Param::text(value.clone()));
            sql.text.push_str(&format!(" AND {column} = {holder}"));
        }
    }
    if let Some(since) = filter.since {
        let holder = sql.arg(Param::int(micros(since)));
        sql.text.push_str(&format!(" AND at >= {holder}"));
    }
    sql.push_keyset(Keyset {
        columns: &["id"],
        after: page.after.clone().map(|after| vec![Param::text(after)]),
        order: page.order,
        limit: page.limit,
    });
    let rows = exec.fetch_audit(sql).await.map_err(store_error)?;
    rows.into_iter().map(AuditEvent::try_from).collect()
}
