//! `image-service audit erased --user ID`: the `user.erase` events of a user
//! id the trail no longer holds (see `crate::erasure`), one JSON per line.
//!
//! `image-service audit verify`: walks the tamper-evident audit chain
//! (`domain::audit_chain`) from seq 1, page by page, recomputes every hash,
//! checks that each event names the previous one's hash and that no seq is
//! missing, and names the first broken link.
//!
//! An intact chain proves that no chained event was changed, removed or
//! reordered — unless the newest events were cut off, which leaves a shorter
//! chain that is still intact — and except for redaction by GDPR erasure,
//! which may only replace actor, target and changes with `erased` (see
//! `domain::audit_chain`). The head printed here, recorded somewhere the
//! store's administrators cannot rewrite and passed back as `--expect`, closes
//! that gap up to the recorded event.

use anyhow::Context as _;
use clap::Subcommand;
use domain::audit_chain::{parse_hash, to_hex};
use domain::{ChainBreak, ChainVerifier, MetadataStore, PageRequest, SortOrder};

use crate::config::Config;

/// Events read per round trip.
const PAGE: u32 = 500;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit chain: recompute every event's hash, follow every link,
    /// and name the first broken one (exit status 1).
    Verify {
        /// A head printed by an earlier run, as SEQ:HASH: also fail unless the
        /// chain still holds that event with that hash (detects removal of
        /// the newest events).
        #[arg(long, value_name = "SEQ:HASH")]
        expect: Option<String>,
    },
    /// Delete the chained events older than a time, after checking the
    /// chain: a checkpoint of the last pruned link is kept, so `verify`
    /// still proves every remaining event.
    Prune {
        /// RFC 3339: events before this go (e.g. 2026-01-01T00:00:00Z).
        #[arg(long)]
        before: String,
    },
    /// Print the `user.erase` events of an erased user, found by their id
    /// (which the trail keeps only as a keyed hash), one JSON object per line.
    Erased {
        /// The erased user's id (`sub`).
        #[arg(long)]
        user: String,
    },
}

pub async fn run(config: &Config, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Prune { before } => super::audit_prune::run(config, &before).await,
        AuditCommand::Erased { user } => {
            anyhow::ensure!(!user.is_empty(), "--user must not be empty");
            let erasure = crate::storage::erasure_tags(config)?;
            let store = metadata::open(&config.metadata_url)
                .await
                .context("IMAGE_SERVICE_METADATA_URL: cannot open the metadata store")?;
            let filter = erasure.filter(&*store, &user).await?;
            let mut after = None;
            loop {
                let page = PageRequest {
                    after,
                    limit: PAGE,
                    order: SortOrder::Asc,
                };
                let events = store.list_audit(&filter, &page).await?;
                for event in &events {
                    println!("{}", serde_json::to_string(event)?);
                }
                if events.len() < PAGE as usize {
                    return Ok(());
                }
                after = events.last().map(|e| e.id.clone());
            }
        }
        AuditCommand::Verify { expect } => {
            let anchor = expect
                .as_deref()
                .map(parse_anchor)
                .transpose()
                .context("--expect")?;
            let store = metadata::open(&config.metadata_url)
                .await
                .context("IMAGE_SERVICE_METADATA_URL: cannot open the metadata store")?;
            let verifier = walk(&*store, anchor.as_ref()).await??;
            match store.audit_checkpoint().await? {
                Some(checkpoint) => println!(
                    "audit chain intact: {} events after the retention checkpoint at seq {} \
                     ({} pruned, the last on {} by {})",
                    verifier.count(),
                    checkpoint.seq,
                    checkpoint.pruned,
                    checkpoint.at.to_rfc3339(),
                    checkpoint.by
                ),
                None => println!("audit chain intact: {} events", verifier.count()),
            }
            if verifier.redacted() > 0 {
                println!(
                    "{} of them redacted by GDPR erasure (checked through their commitments)",
                    verifier.redacted()
                );
            }
            if verifier.unverifiable() > 0 {
                println!(
                    "{} of them written before commitments (v1) and redacted by erasure: \
                     only their place in the chain is checked",
                    verifier.unverifiable()
                );
            }
            if verifier.count() == 0 {
                println!("head: none (the chain is empty)");
            } else {
                println!(
                    "head: {}:{}",
                    verifier.last_seq(),
                    to_hex(&verifier.head_hash())
                );
                println!(
                    "(keep the head elsewhere: `audit verify --expect SEQ:HASH` then also detects removal of newer events)"
                );
            }
            if let Some(anchor) = anchor {
                println!("expected seq {} found with the recorded hash", anchor.seq);
            }
            Ok(())
        }
    }
}

/// A head recorded earlier: event `seq` had `hash`.
#[derive(Debug, PartialEq)]
pub(super) struct Anchor {
    seq: i64,
    hash: [u8; 32],
}

fn parse_anchor(text: &str) -> anyhow::Result<Anchor> {
    let (seq, hash) = text
        .split_once(':')
        .context("expected SEQ:HASH, as `audit verify` prints the head")?;
    let seq: i64 = seq.trim().parse().context("SEQ must be a number")?;
    anyhow::ensure!(seq >= 1, "SEQ starts at 1");
    let hash = parse_hash(hash.trim()).context("HASH must be 64 hex digits")?;
    Ok(Anchor { seq, hash })
}

/// Walks the whole chain. The outer error is a store failure, the inner one
/// the first broken link.
pub(super) async fn walk(
    store: &dyn MetadataStore,
    anchor: Option<&Anchor>,
) -> anyhow::Result<Result<ChainVerifier, ChainBreak>> {
    let mut verifier = match store.audit_checkpoint().await? {
        Some(checkpoint) => match ChainVerifier::after(&checkpoint) {
            Ok(verifier) => verifier,
            Err(broken) => return Ok(Err(broken)),
        },
        None => ChainVerifier::new(),
    };
    loop {
        let after = verifier.last_seq();
        let page = store
            .audit_chain(after, PAGE)
            .await
            .with_context(|| format!("reading the audit chain after seq {after}"))?;
        for link in &page {
            if let Err(broken) = verifier.check(link) {
                return Ok(Err(broken));
            }
            if let Some(anchor) = anchor.filter(|a| a.seq == link.seq)
                && anchor.hash != verifier.head_hash()
            {
                return Ok(Err(ChainBreak {
                    seq: link.seq,
                    event_id: Some(link.event.id.clone()),
                    reason: format!(
                        "hash {} is not the recorded {}: the chain was rewritten up to here",
                        link.hash,
                        to_hex(&anchor.hash)
                    ),
                }));
            }
        }
        if page.len() < PAGE as usize {
            break;
        }
    }
    if let Some(anchor) = anchor
        && anchor.seq > verifier.last_seq()
    {
        return Ok(Err(ChainBreak {
            seq: verifier.last_seq() + 1,
            event_id: None,
            reason: format!(
                "missing: the chain ends at seq {}, but seq {} was recorded (newest events removed?)",
                verifier.last_seq(),
                anchor.seq
            ),
        }));
    }
    Ok(Ok(verifier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_parse() {
        let hash = "ab".repeat(32);
        assert_eq!(
            parse_anchor(&format!("12:{hash}")).unwrap(),
            Anchor {
                seq: 12,
                hash: [0xab; 32]
            }
        );
        assert!(parse_anchor(&hash).is_err());
        assert!(parse_anchor(&format!("0:{hash}")).is_err());
        assert!(parse_anchor("3:abc").is_err());
    }
}
