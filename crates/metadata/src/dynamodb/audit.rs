//! The append-only audit trail on DynamoDB: chained conditional puts,
//! the chain in `seq` order, filtered pages by id.
//!
//! Events are chained (`crate::chain`): each is one item in the partition
//! `AUDIT#CHAIN`, its sort key the `seq` zero-padded to 20 digits, put only
//! if that key is free (`attribute_not_exists(PK)`), so two writers racing
//! for a `seq` cannot both win. The items keep `GSI1PK = AUDIT`,
//! `GSI1SK = event id`, so `GET /audit` lists them with the events stored
//! before the chain existed (`AUDIT#<id>` / `METADATA`, no `seq`).
//!
//! | item          | PK            | SK                | GSI1PK  | GSI1SK   | chain fields |
//! |---------------|---------------|-------------------|---------|----------|--------------|
//! | chained event | `AUDIT#CHAIN` | `<seq:020>`       | `AUDIT` | event id | `seq`, `prev_hash`, `hash`, seal |
//! | legacy event  | `AUDIT#<id>`  | `METADATA`        | `AUDIT` | event id | –            |
//!
//! The seal of a v2 event (`domain::audit_chain::EventSeal`) is six string
//! attributes, `{actor,target,changes}_commit` and `{actor,target,changes}_salt`;
//! events chained before it have none (v1). Items are never overwritten; the
//! one update is GDPR redaction (`redact`), which rewrites `data`, `actor` and
//! `target` and removes salts, leaving keys, hashes and commitments.

use std::collections::HashMap;

use domain::audit_chain::{Field, REDACTED};
use domain::{
    AuditEvent, AuditFilter, ChainedAuditEvent, EventSeal, FieldSeal, PageRequest, SortOrder,
    StoreError, StoreResult, UserId,
};

use super::DynamoStore;
use super::items::{AUDIT_PARTITION, GSI1, Item, audit_item, corrupt, n, record, s};
use super::query::PartitionPage;
use super::retry::{send, store_error};
use crate::chain::{self, Claim, Head, Link};

/// The partition holding the chain, one item per `seq`.
const CHAIN_PARTITION: &str = "AUDIT#CHAIN";

/// Sort key of `seq`: zero-padded so string order is numeric order.
fn chain_sk(seq: i64) -> String {
    format!("{:020}", seq.max(0))
}

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

impl DynamoStore {
    pub(super) async fn append(&self, event: &AuditEvent) -> StoreResult<()> {
        chain::append(
            event,
            || self.chain_head(),
            |link| self.put_link(event, link),
        )
        .await
    }

    /// The item with the highest `seq` (a strongly consistent read).
    pub(super) async fn chain_head(&self) -> StoreResult<Option<Head>> {
        let out = send(|| {
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(CHAIN_PARTITION))
                .scan_index_forward(false)
                .limit(1)
                .consistent_read(true)
                .send()
        })
        .await
        .map_err(store_error)?;
        out.items()
            .first()
            .map(|item| {
                let seq = number(item, "seq").ok_or_else(|| corrupt("chain item without seq"))?;
                Ok(Head {
                    seq,
                    hash: text(item, "hash"),
                })
            })
            .transpose()
    }

    /// Puts `event` at `link.seq` unless that seq is taken.
    async fn put_link(&self, event: &AuditEvent, link: Link) -> StoreResult<Claim> {
        let mut item = audit_item(event)?;
        item.insert("PK".into(), s(CHAIN_PARTITION));
        item.insert("SK".into(), s(chain_sk(link.seq)));
        item.insert("seq".into(), n(link.seq));
        item.insert("prev_hash".into(), s(link.prev_hash));
        item.insert("hash".into(), s(link.hash));
        for field in Field::ALL {
            let seal = link.seal.field(field);
            item.insert(commit_attr(field), s(seal.commit.clone()));
            if let Some(salt) = &seal.salt {
                item.insert(salt_attr(field), s(salt.clone()));
            }
        }
        let outcome = send(|| {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                // Never overwrite: one event per seq, and the trail is append-only.
                .condition_expression("attribute_not_exists(PK)")
                .send()
        })
        .await;
        match outcome {
            Ok(_) => Ok(Claim::Stored),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Claim::SeqTaken)
            }
            Err(e) => Err(store_error(e)),
        }
    }

    /// Chained events after `after_seq`, in seq order (strongly consistent).
    pub(super) async fn chain_page(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<ChainedAuditEvent>> {
        let items = self
            .query_page(PartitionPage {
                index: None,
                partition: CHAIN_PARTITION.into(),
                after: Some(chain_sk(after_seq)),
                forward: true,
                limit,
                filter: None,
                names: HashMap::new(),
                values: HashMap::new(),
            })
            .await?;
        items.iter().map(link).collect()
    }

    /// GDPR erasure of `user` (`MetadataStore::redact_audit_of`): a scan for
    /// the audit items (chained and legacy) whose actor is `user` or whose
    /// target is `user:<id>`, then one update per item. Erasure is rare and
    /// the trail has no index by actor and target together, so a scan it is.
    pub(super) async fn redact(&self, user: &UserId) -> StoreResult<u64> {
        let target = format!("user:{user}");
        let mut redacted = 0;
        let mut start: Option<Item> = None;
        loop {
            let out = send(|| {
                self.client
                    .scan()
                    .table_name(&self.table)
                    .filter_expression("#gsi = :audit AND (#actor = :user OR #target = :target)")
                    .expression_attribute_names("#gsi", "GSI1PK")
                    .expression_attribute_names("#actor", "actor")
                    .expression_attribute_names("#target", "target")
                    .expression_attribute_values(":audit", s(AUDIT_PARTITION))
                    .expression_attribute_values(":user", s(user.as_str()))
                    .expression_attribute_values(":target", s(target.clone()))
                    .consistent_read(true)
                    .set_exclusive_start_key(start.clone())
                    .send()
            })
            .await
            .map_err(store_error)?;
            for item in out.items() {
                self.redact_item(item, user.as_str(), &target).await?;
                redacted += 1;
            }
            match out.last_evaluated_key() {
                Some(next) => start = Some(next.clone()),
                None => return Ok(redacted),
            }
        }
    }

    /// Redacts one audit item: `data`, and `actor`/`target` where they name
    /// the user, and removes the salts of what was redacted.
    async fn redact_item(&self, item: &Item, user: &str, target: &str) -> StoreResult<()> {
        let mut event: AuditEvent = record(item)?;
        let mut sets = vec!["#data = :data"];
        let mut removes = vec![salt_attr(Field::Changes)];
        let by_user = event.actor == user;
        let of_user = event.target.as_deref() == Some(target);
        if by_user {
            event.actor = REDACTED.into();
            sets.push("#actor = :erased");
            removes.push(salt_attr(Field::Actor));
        }
        if of_user {
            event.target = Some(REDACTED.into());
            sets.push("#target = :erased");
            removes.push(salt_attr(Field::Target));
        }
        event.changes = None;
        let data = serde_json::to_string(&event).map_err(corrupt)?;
        let update = format!("SET {} REMOVE {}", sets.join(", "), removes.join(", "));
        let key: Item = ["PK", "SK"]
            .into_iter()
            .filter_map(|k| Some((k.to_owned(), item.get(k)?.clone())))
            .collect();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update)
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#data", "data")
            .expression_attribute_values(":data", s(data));
        if by_user {
            request = request.expression_attribute_names("#actor", "actor");
        }
        if of_user {
            request = request.expression_attribute_names("#target", "target");
        }
        if by_user || of_user {
            request = request.expression_attribute_values(":erased", s(REDACTED));
        }
        send(|| request.clone().send()).await.map_err(store_error)?;
        Ok(())
    }

    pub(super) async fn audit_page(
        &self,
        filter: &AuditFilter,
        page: &PageRequest<String>,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut clauses = Vec::new();
        let action = filter.action.map(|a| a.as_str().to_owned());
        let equalities = [
            ("actor", &filter.actor),
            ("target", &filter.target),
            ("action", &action),
        ];
        for (field, value) in equalities {
            if let Some(value) = value {
                // `action` is a DynamoDB reserved word, so every name is aliased.
                names.insert(format!("#{field}"), field.to_owned());
                values.insert(format!(":{field}"), s(value.clone()));
                clauses.push(format!("#{field} = :{field}"));
            }
        }
        if let Some(since) = filter.since {
            names.insert("#at".into(), "at".into());
            values.insert(":since".into(), n(since.timestamp_micros()));
            clauses.push("#at >= :since".into());
        }
        let items = self
            .query_page(PartitionPage {
                index: Some(GSI1),
                partition: AUDIT_PARTITION.into(),
                after: page.after.clone(),
                forward: page.order == SortOrder::Asc,
                limit: page.limit,
                filter: (!clauses.is_empty()).then(|| clauses.join(" AND ")),
                names,
                values,
            })
            .await?;
        items.iter().map(record).collect()
    }
}

/// A chain item as the verifier sees it; hashes stay as stored.
fn link(item: &Item) -> StoreResult<ChainedAuditEvent> {
    let seq = number(item, "seq").ok_or_else(|| corrupt("chain item without seq"))?;
    let event: AuditEvent =
        record(item).map_err(|e| StoreError::Internal(format!("audit chain seq {seq}: {e}")))?;
    // Any commitment makes it a v2 event (a missing one is then a broken link).
    let seal = Field::ALL
        .iter()
        .any(|f| item.contains_key(&commit_attr(*f)))
        .then(|| {
            let field = |f: Field| FieldSeal {
                commit: text(item, &commit_attr(f)),
                salt: item.get(&salt_attr(f)).and_then(|v| v.as_s().ok()).cloned(),
            };
            EventSeal {
                actor: field(Field::Actor),
                target: field(Field::Target),
                changes: field(Field::Changes),
            }
        });
    Ok(ChainedAuditEvent {
        seq,
        prev_hash: text(item, "prev_hash"),
        hash: text(item, "hash"),
        event,
        seal,
    })
}

fn commit_attr(field: Field) -> String {
    format!("{}_commit", field.name())
}

fn salt_attr(field: Field) -> String {
    format!("{}_salt", field.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_keys_sort_numerically() {
        assert_eq!(chain_sk(1), "00000000000000000001");
        assert!(chain_sk(9) < chain_sk(10));
        assert!(chain_sk(0) < chain_sk(1));
    }
}
