//! Walking a stored chain link by link and naming the first broken one.

use std::fmt;

use super::*;

/// The first broken link of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    /// The event stored at `seq`, if there is one (none when `seq` is missing).
    pub event_id: Option<String>,
    pub reason: String,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.event_id {
            Some(id) => write!(
                f,
                "audit chain broken at seq {} (event {id}): {}",
                self.seq, self.reason
            ),
            None => write!(f, "audit chain broken at seq {}: {}", self.seq, self.reason),
        }
    }
}

impl std::error::Error for ChainBreak {}

/// Checks a chain fed to it in `seq` order, from seq 1, link by link.
#[derive(Clone, Debug)]
pub struct ChainVerifier {
    next_seq: i64,
    prev: [u8; 32],
    count: u64,
    /// v2 events with at least one redacted field.
    redacted: u64,
    /// Redacted v1 events: linked, contents no longer checkable.
    unverifiable: u64,
    /// Whether a v2 event has been seen: no v1 event may follow one.
    sealed: bool,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev: GENESIS_HASH,
            count: 0,
            redacted: 0,
            unverifiable: 0,
            sealed: false,
        }
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts after a retention checkpoint: the next event must be
    /// `seq + 1` and chain from the checkpoint's hash.
    pub fn after(checkpoint: &Checkpoint) -> Result<Self, ChainBreak> {
        let prev = parse_hash(&checkpoint.hash).ok_or_else(|| ChainBreak {
            seq: checkpoint.seq,
            event_id: None,
            reason: format!("the checkpoint's hash {} is not a hash", checkpoint.hash),
        })?;
        Ok(Self {
            next_seq: checkpoint.seq + 1,
            prev,
            ..Self::default()
        })
    }

    /// Checks the next stored event: its `seq` follows the last one's, its
    /// `prev_hash` is the last one's hash, and its `hash` is what its contents
    /// hash to. The first failure is the broken link.
    pub fn check(&mut self, link: &ChainedAuditEvent) -> Result<(), ChainBreak> {
        let expected = self.next_seq;
        if link.seq > expected {
            let missing = if link.seq - 1 == expected {
                format!("seq {expected} is")
            } else {
                format!("seqs {expected} to {} are", link.seq - 1)
            };
            return Err(ChainBreak {
                seq: expected,
                event_id: None,
                reason: format!(
                    "{missing} missing (deleted?): the next stored event is seq {} (event {})",
                    link.seq, link.event.id
                ),
            });
        }
        let at = |reason: String| ChainBreak {
            seq: link.seq,
            event_id: Some(link.event.id.clone()),
            reason,
        };
        if link.seq < expected {
            return Err(at(format!("out of order: expected seq {expected}")));
        }
        if parse_hash(&link.prev_hash) != Some(self.prev) {
            let previous = if expected == 1 {
                "the genesis hash (64 zeros)".to_owned()
            } else {
                format!("the hash of seq {}", expected - 1)
            };
            return Err(at(format!(
                "prev_hash {} is not {previous} ({}): an earlier event was changed, removed or replaced",
                link.prev_hash,
                to_hex(&self.prev)
            )));
        }
        let hash = match &link.seal {
            Some(seal) => {
                let hash = self.check_sealed(link, seal).map_err(at)?;
                self.sealed = true;
                if seal.is_redacted() {
                    self.redacted += 1;
                }
                hash
            }
            None if self.sealed => {
                return Err(at(
                    "it has no commitments, but an earlier event has: the event was changed after it was written"
                        .to_owned(),
                ));
            }
            None => {
                let hash = link.event.chain_hash(&self.prev);
                match parse_hash(&link.hash) {
                    Some(stored) if stored == hash => hash,
                    // Erasure redacted a v1 event: only its place in the chain
                    // can still be checked (by the next event's prev_hash).
                    Some(stored) if looks_redacted_v1(&link.event) => {
                        self.unverifiable += 1;
                        stored
                    }
                    _ => {
                        return Err(at(format!(
                            "its contents hash to {}, not the stored {}: the event was changed after it was written",
                            to_hex(&hash),
                            link.hash
                        )));
                    }
                }
            }
        };
        self.prev = hash;
        self.next_seq += 1;
        self.count += 1;
        Ok(())
    }

    /// A v2 event: each field with a salt matches its commitment, each field
    /// without one is redacted, and the commitments hash to the stored hash.
    fn check_sealed(&self, link: &ChainedAuditEvent, seal: &EventSeal) -> Result<[u8; 32], String> {
        for field in Field::ALL {
            let stored = seal.field(field);
            let name = field.name();
            match &stored.salt {
                Some(salt) => {
                    let salt = parse_salt(salt)
                        .ok_or_else(|| format!("its {name} salt {salt:?} is not 32 hex digits"))?;
                    if parse_hash(&stored.commit) != Some(commitment(field, &salt, &link.event)) {
                        return Err(format!(
                            "its {name} does not match its commitment {}: the event was changed after it was written",
                            stored.commit
                        ));
                    }
                }
                None if is_redacted_value(field, &link.event) => {}
                None => {
                    return Err(format!(
                        "its {name} has no salt but is not redacted: the event was changed after it was written"
                    ));
                }
            }
        }
        let hash = link
            .event
            .sealed_hash(&self.prev, seal)
            .ok_or_else(|| "a commitment is not 64 hex digits".to_owned())?;
        if parse_hash(&link.hash) != Some(hash) {
            return Err(format!(
                "its contents hash to {}, not the stored {}: the event was changed after it was written",
                to_hex(&hash),
                link.hash
            ));
        }
        Ok(hash)
    }

    /// v2 events checked so far with a field redacted by erasure.
    pub fn redacted(&self) -> u64 {
        self.redacted
    }

    /// v1 events checked so far that erasure redacted: linked into the chain,
    /// but their contents can no longer be recomputed.
    pub fn unverifiable(&self) -> u64 {
        self.unverifiable
    }

    /// How many links checked out so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The seq of the last good link (0 if none): where the next page starts.
    pub fn last_seq(&self) -> i64 {
        self.next_seq - 1
    }

    /// The hash of the last good link (`GENESIS_HASH` if none).
    pub fn head_hash(&self) -> [u8; 32] {
        self.prev
    }
}

/// What erasure leaves in a v1 event: an `erased` actor or target, no changes.
fn looks_redacted_v1(event: &AuditEvent) -> bool {
    (event.actor == REDACTED || event.target.as_deref() == Some(REDACTED))
        && event.changes.is_none()
}
