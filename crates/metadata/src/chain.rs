//! Appending to the tamper-evident audit chain, the same way on every engine:
//! read the head (highest `seq` and its hash), write the event as `seq + 1`
//! with `prev_hash` = the head's hash, and let the store refuse a second
//! event with the same `seq` (a unique index, a conditional put). The writer
//! that loses such a race reads the new head and tries again, so concurrent
//! appenders — tasks of one process or replicas — never fork the chain, and a
//! writer that dies mid-way leaves no gap: a `seq` is claimed only by the
//! write that stores its event.
//!
//! Events are written in the v2 encoding (`domain::audit_chain`): actor,
//! target and changes enter the hash through salted commitments (the
//! `EventSeal` stored with the event), so that erasure can redact them.

use std::future::Future;
use std::time::Duration;

use domain::audit_chain::{EventSeal, GENESIS_HASH, SALT_LEN, parse_hash, to_hex};
use domain::{AuditEvent, RetryPolicy, StoreError, StoreResult};

/// Tries before giving up as `Unavailable`; the pauses between them (1 ms ×
/// 2^n, each at most 20 ms, full jitter) add up to about half a second on
/// average. Eight writers appending flat out (the conformance suite) need up
/// to ~20; one process's appends are serialised by the server, so in
/// production only replicas race each other.
const MAX_ATTEMPTS: u32 = 50;
const LOST_RACES: RetryPolicy = RetryPolicy {
    attempts: MAX_ATTEMPTS,
    base: Duration::from_millis(1),
    max: Duration::from_millis(20),
    budget: None,
};

/// The newest chained event.
pub(crate) struct Head {
    pub seq: i64,
    /// As stored (hex).
    pub hash: String,
}

/// Where an event goes in the chain, and the commitments it is hashed with.
pub(crate) struct Link {
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub seal: EventSeal,
}

/// What a conditional write of a `Link` did.
pub(crate) enum Claim {
    Stored,
    /// Another event already holds this `seq`.
    SeqTaken,
}

/// The link for `event` after `head` (none: the chain is empty).
fn next(event: &AuditEvent, seal: &EventSeal, head: Option<Head>) -> StoreResult<Link> {
    let (seq, prev) = match head {
        None => (1, GENESIS_HASH),
        Some(head) => {
            let prev = parse_hash(&head.hash).ok_or_else(|| {
                StoreError::Internal(format!(
                    "audit chain head seq {} has a malformed hash; run `image-service audit verify`",
                    head.seq
                ))
            })?;
            (head.seq + 1, prev)
        }
    };
    let hash = event
        .sealed_hash(&prev, seal)
        .ok_or_else(|| StoreError::Internal("audit event seal is malformed".into()))?;
    Ok(Link {
        seq,
        prev_hash: to_hex(&prev),
        hash: to_hex(&hash),
        seal: seal.clone(),
    })
}

/// Appends `event` with `read_head` and `write` (a conditional insert).
pub(crate) async fn append<H, HF, W, WF>(
    event: &AuditEvent,
    mut read_head: H,
    mut write: W,
) -> StoreResult<()>
where
    H: FnMut() -> HF,
    HF: Future<Output = StoreResult<Option<Head>>>,
    W: FnMut(Link) -> WF,
    WF: Future<Output = StoreResult<Claim>>,
{
    // v2: salted commitments to actor, target and changes, fresh per event.
    let seal = EventSeal::new(event, rand::random::<[[u8; SALT_LEN]; 3]>());
    let mut pauses = LOST_RACES.waits();
    for attempt in 0.. {
        let link = next(event, &seal, read_head().await?)?;
        match write(link).await? {
            Claim::Stored => return Ok(()),
            Claim::SeqTaken => {
                let Some(pause) = pauses.next() else { break };
                tracing::debug!(attempt, "audit chain head moved; retrying");
                tokio::time::sleep(pause).await;
            }
        }
    }
    Err(StoreError::Unavailable(format!(
        "audit event {} not appended: lost the race for the chain head {MAX_ATTEMPTS} times",
        event.id
    )))
}
