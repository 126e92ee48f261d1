//! `image-service audit prune --before T`: retention for the audit trail.
//!
//! The chain is verified first (pruning a broken chain would destroy the
//! evidence of the break). The cut is the last event, in `seq` order, written
//! before `T`, never the newest event (appends chain from it). A checkpoint
//! naming that link is stored, the events up to it are deleted, and the prune
//! itself is audited. `audit verify` then starts from the checkpoint and
//! still proves every kept event.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use domain::audit_chain::Checkpoint;
use domain::{AuditAction, AuditOutcome, MetadataStore};

use super::audit::walk;
use crate::audit::{AuditLog, Entry};
use crate::config::Config;

/// Events read per round trip while looking for the cut.
const PAGE: u32 = 500;

pub async fn run(config: &Config, before: &str) -> anyhow::Result<()> {
    let before: DateTime<Utc> = DateTime::parse_from_rfc3339(before)
        .context("--before: expected an RFC 3339 time, e.g. 2026-01-01T00:00:00Z")?
        .with_timezone(&Utc);
    let store = metadata::open(&config.metadata_url)
        .await
        .context("IMAGE_SERVICE_METADATA_URL: cannot open the metadata store")?;
    let verifier = walk(&*store, None)
        .await?
        .map_err(|broken| anyhow::anyhow!("refusing to prune a broken chain: {broken}"))?;
    let previous = store.audit_checkpoint().await?;
    let Some((seq, hash, count)) =
        cut(&*store, previous.as_ref(), before, verifier.last_seq()).await?
    else {
        println!(
            "nothing to prune: no event before {} but the newest",
            before.to_rfc3339()
        );
        return Ok(());
    };
    let actor = super::incident::actor();
    let checkpoint = Checkpoint {
        seq,
        hash,
        at: Utc::now(),
        by: actor.clone(),
        pruned: previous.map_or(0, |p| p.pruned) + count,
    };
    let deleted = store.prune_audit(&checkpoint).await?;
    AuditLog::new(store.clone())
        .record(Entry {
            actor: &actor,
            action: AuditAction::AuditPrune,
            target: None,
            outcome: AuditOutcome::Success,
            changes: Some(serde_json::json!({
                "before": before,
                "throughSeq": seq,
                "deleted": deleted,
            })),
        })
        .await;
    println!(
        "pruned {deleted} events through seq {seq}; checkpoint {seq}:{} kept, so `audit verify` proves the rest",
        checkpoint.hash
    );
    Ok(())
}

/// The last link written before `before`, and how many links that cuts,
/// stopping short of `head` (the newest event stays).
async fn cut(
    store: &dyn MetadataStore,
    previous: Option<&Checkpoint>,
    before: DateTime<Utc>,
    head: i64,
) -> anyhow::Result<Option<(i64, String, u64)>> {
    let mut after = previous.map_or(0, |p| p.seq);
    let mut cut = None;
    let mut count = 0;
    loop {
        let page = store.audit_chain(after, PAGE).await?;
        for link in &page {
            if link.event.at >= before || link.seq >= head {
                return Ok(cut.map(|(seq, hash)| (seq, hash, count)));
            }
            cut = Some((link.seq, link.hash.clone()));
            count += 1;
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.seq,
            _ => return Ok(cut.map(|(seq, hash)| (seq, hash, count))),
        }
    }
}
