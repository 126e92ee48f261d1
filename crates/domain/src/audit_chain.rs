//! The tamper-evident audit chain: every stored event carries a sequence
//! number, the hash of the event before it, and its own hash
//! `SHA-256(prev_hash || canonical(event))`.
//!
//! Editing, removing or reordering a stored event breaks the chain at that
//! event; `ChainVerifier` walks the chain in `seq` order and names the first
//! broken link. Cutting off the newest events leaves a shorter, intact chain:
//! only a head hash recorded elsewhere reveals that.
//!
//! Two encodings exist. **v1** (events chained before migration `0003`)
//! hashes every field as it is. **v2** (every event since) hashes `actor`,
//! `target` and `changes` only through per-field commitments
//! `SHA-256(field tag || salt || value)`, each with its own random 16-byte
//! salt stored beside it (`EventSeal`). GDPR erasure can then *redact* those
//! fields — the value becomes `erased` (`changes`: none) and its salt is
//! deleted — while the stored commitment, and so the chain, stays as it was.
//! Without the salt the commitment no longer confirms a guessed value.
//!
//! What the verifier can still tell about a v2 event: every field that is
//! not redacted is checked against its commitment, so changing it to any
//! other value is detected; a redacted field can only ever say `erased`.
//! What it cannot tell: whether a redaction was an erasure or someone with
//! write access to the store deleting a field's salt and value (information
//! removed, never replaced). A v1 event whose fields were redacted no
//! longer hashes to its stored hash; it is accepted as a link of the chain
//! (its `seq`, `prev_hash` and the next event's `prev_hash`) but its
//! contents cannot be checked any more (`ChainVerifier::unverifiable`).

use std::fmt;

use sha2::{Digest, Sha256};

use crate::audit::AuditEvent;

/// `prev_hash` of the first event (seq 1).
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// Versions the encoding below: a different encoding must get a new tag.
const ENCODING_TAG: &[u8] = b"image-service/audit-chain/v1\0";
/// The v2 encoding (`AuditEvent::sealed_hash`): commitments instead of values.
const ENCODING_TAG_V2: &[u8] = b"image-service/audit-chain/v2\0";

/// What erasure leaves in a redacted `actor` or `target`.
pub const REDACTED: &str = "erased";
/// Bytes of random salt per committed field.
pub const SALT_LEN: usize = 16;

/// The fields of an event that enter a v2 hash only through a commitment,
/// because erasure may have to remove them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Actor,
    Target,
    Changes,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Actor, Field::Target, Field::Changes];

    pub fn name(self) -> &'static str {
        match self {
            Field::Actor => "actor",
            Field::Target => "target",
            Field::Changes => "changes",
        }
    }

    /// Domain separation: a commitment to one field never matches another's.
    fn tag(self) -> &'static [u8] {
        match self {
            Field::Actor => b"image-service/audit-commit/v1/actor\0",
            Field::Target => b"image-service/audit-commit/v1/target\0",
            Field::Changes => b"image-service/audit-commit/v1/changes\0",
        }
    }
}

/// One committed field as stored: the commitment, and the salt (hex) until
/// erasure deletes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSeal {
    /// Hex of `SHA-256(field tag || salt || value encoding)`.
    pub commit: String,
    /// Hex of the 16-byte salt; `None` once the field is redacted.
    pub salt: Option<String>,
}

/// The commitments of a v2 event, as stored beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSeal {
    pub actor: FieldSeal,
    pub target: FieldSeal,
    pub changes: FieldSeal,
}

impl EventSeal {
    /// Commits to `event`'s fields with the given salts (actor, target, changes).
    pub fn new(event: &AuditEvent, salts: [[u8; SALT_LEN]; 3]) -> Self {
        let [actor, target, changes] = salts;
        let seal = |field: Field, salt: [u8; SALT_LEN]| FieldSeal {
            commit: to_hex(&commitment(field, &salt, event)),
            salt: Some(to_hex(&salt)),
        };
        Self {
            actor: seal(Field::Actor, actor),
            target: seal(Field::Target, target),
            changes: seal(Field::Changes, changes),
        }
    }

    pub fn field(&self, field: Field) -> &FieldSeal {
        match field {
            Field::Actor => &self.actor,
            Field::Target => &self.target,
            Field::Changes => &self.changes,
        }
    }

    pub fn field_mut(&mut self, field: Field) -> &mut FieldSeal {
        match field {
            Field::Actor => &mut self.actor,
            Field::Target => &mut self.target,
            Field::Changes => &mut self.changes,
        }
    }

    /// Whether erasure removed any of the fields.
    pub fn is_redacted(&self) -> bool {
        Field::ALL.iter().any(|f| self.field(*f).salt.is_none())
    }

    /// The three commitments, parsed (`None` if one is not 64 hex digits).
    fn commits(&self) -> Option<[[u8; 32]; 3]> {
        Some([
            parse_hash(&self.actor.commit)?,
            parse_hash(&self.target.commit)?,
            parse_hash(&self.changes.commit)?,
        ])
    }
}

/// `SHA-256(field tag || salt || value)`, the value encoded as in
/// `canonical_bytes` (`actor` a text, `target` and `changes` optional texts).
pub fn commitment(field: Field, salt: &[u8; SALT_LEN], event: &AuditEvent) -> [u8; 32] {
    let mut value = Vec::new();
    match field {
        Field::Actor => put_text(&mut value, &event.actor),
        Field::Target => put_optional(&mut value, event.target.as_deref()),
        Field::Changes => {
            let changes = event.changes.as_ref().map(canonical_json);
            put_optional(&mut value, changes.as_deref());
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(field.tag());
    hasher.update(salt);
    hasher.update(value);
    hasher.finalize().into()
}

/// Whether `field` of `event` holds what erasure leaves there.
pub fn is_redacted_value(field: Field, event: &AuditEvent) -> bool {
    match field {
        Field::Actor => event.actor == REDACTED,
        Field::Target => event.target.as_deref() == Some(REDACTED),
        Field::Changes => event.changes.is_none(),
    }
}

/// One stored event with its place in the chain, as the store returns it.
/// Hashes are the stored lowercase hex, unparsed, so that a damaged value is
/// reported as a broken link rather than an unreadable row.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainedAuditEvent {
    /// 1, 2, 3 … with no gaps.
    pub seq: i64,
    /// Hex of the hash of event `seq - 1` (`GENESIS_HASH` for seq 1).
    pub prev_hash: String,
    /// Hex of `event.sealed_hash(prev_hash, seal)` (v2), or of
    /// `event.chain_hash(prev_hash)` for a v1 event (no seal).
    pub hash: String,
    pub event: AuditEvent,
    /// The commitments of a v2 event; `None` for one chained before them (v1).
    pub seal: Option<EventSeal>,
}

impl AuditEvent {
    /// `SHA-256(prev || canonical_bytes())`: the hash this event is stored with
    /// when it follows an event whose hash is `prev`.
    pub fn chain_hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(prev);
        hasher.update(self.canonical_bytes());
        hasher.finalize().into()
    }

    /// An unambiguous encoding of every field: a version tag, then each text
    /// as a big-endian `u64` byte length and its UTF-8 bytes, optional texts
    /// behind a `0` (absent) or `1` (present) byte, and `at` as big-endian `i64`
    /// Unix microseconds (the precision every store keeps). `changes` is
    /// canonical JSON text: object keys sorted, no whitespace.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let changes = self.changes.as_ref().map(canonical_json);
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(ENCODING_TAG);
        put_text(&mut out, &self.id);
        out.extend_from_slice(&self.at.timestamp_micros().to_be_bytes());
        put_text(&mut out, &self.request_id);
        put_text(&mut out, &self.actor);
        put_text(&mut out, &self.action);
        put_optional(&mut out, self.target.as_deref());
        put_text(&mut out, &self.outcome);
        put_optional(&mut out, changes.as_deref());
        out
    }
}

impl AuditEvent {
    /// The v2 hash: `SHA-256(prev || canonical_bytes_v2(commitments))`, the
    /// commitments being `seal`'s as stored (`None` if one is malformed).
    pub fn sealed_hash(&self, prev: &[u8; 32], seal: &EventSeal) -> Option<[u8; 32]> {
        let commits = seal.commits()?;
        let mut hasher = Sha256::new();
        hasher.update(prev);
        hasher.update(self.canonical_bytes_v2(&commits));
        Some(hasher.finalize().into())
    }

    /// As `canonical_bytes`, with the v2 tag and the 32-byte commitments of
    /// actor, target and changes (in that order) in place of their values.
    pub fn canonical_bytes_v2(&self, commits: &[[u8; 32]; 3]) -> Vec<u8> {
        let [actor, target, changes] = commits;
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(ENCODING_TAG_V2);
        put_text(&mut out, &self.id);
        out.extend_from_slice(&self.at.timestamp_micros().to_be_bytes());
        put_text(&mut out, &self.request_id);
        out.extend_from_slice(actor);
        put_text(&mut out, &self.action);
        out.extend_from_slice(target);
        put_text(&mut out, &self.outcome);
        out.extend_from_slice(changes);
        out
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u64).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn put_optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            put_text(out, text);
        }
    }
}

/// JSON text with object keys in byte order and no whitespace, whatever
/// order the map kept: the same value always gives the same bytes.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        // Scalars have one serde_json rendering (strings escaped, numbers shortest).
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Lowercase hex, the form hashes are stored in.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Parses 64 hex digits (either case) into a hash.
pub fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    parse_hex(hex)
}

/// Parses 32 hex digits (either case) into a salt.
pub fn parse_salt(hex: &str) -> Option<[u8; SALT_LEN]> {
    parse_hex(hex)
}

fn parse_hex<const N: usize>(hex: &str) -> Option<[u8; N]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 2 * N {
        return None;
    }
    let mut out = [0_u8; N];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

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

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use serde_json::json;

    use super::*;

    fn event(n: u32) -> AuditEvent {
        AuditEvent {
            id: format!("01HZZZZZZZZZZZZZZZZZZZZZ{n:02}"),
            at: DateTime::from_timestamp_micros(1_700_000_000_123_456 + i64::from(n)).unwrap(),
            request_id: format!("req-{n}"),
            actor: "alice".into(),
            action: "image.update".into(),
            target: Some("01ARZ3NDEKTSV4RRFFQ69G5FAV".into()),
            outcome: "success".into(),
            changes: Some(json!({ "title": { "old": "a", "new": "b" } })),
        }
    }

    fn chain(n: u32) -> Vec<ChainedAuditEvent> {
        let mut prev = GENESIS_HASH;
        (1..=n)
            .map(|i| {
                let event = event(i);
                let hash = event.chain_hash(&prev);
                let link = ChainedAuditEvent {
                    seq: i64::from(i),
                    prev_hash: to_hex(&prev),
                    hash: to_hex(&hash),
                    event,
                    seal: None,
                };
                prev = hash;
                link
            })
            .collect()
    }

    fn verify(links: &[ChainedAuditEvent]) -> Result<u64, ChainBreak> {
        let mut verifier = ChainVerifier::new();
        for link in links {
            verifier.check(link)?;
        }
        Ok(verifier.count())
    }

    #[test]
    fn the_encoding_is_pinned() {
        // Stored chains must verify forever: this value changes only with the tag.
        // (Also computed independently, with Python's hashlib, from the doc above.)
        assert_eq!(
            to_hex(&event(1).chain_hash(&GENESIS_HASH)),
            "7abde0007693dc5377bc9618ba37300550cf4ccb68ed258e7de67eee7e5b1259"
        );
    }

    #[test]
    fn every_field_is_hashed() {
        let base = event(1);
        let hash = base.chain_hash(&GENESIS_HASH);
        let variants = [
            AuditEvent {
                id: "other".into(),
                ..base.clone()
            },
            AuditEvent {
                at: base.at + chrono::Duration::microseconds(1),
                ..base.clone()
            },
            AuditEvent {
                request_id: "req-x".into(),
                ..base.clone()
            },
            AuditEvent {
                actor: "mallory".into(),
                ..base.clone()
            },
            AuditEvent {
                action: "image.delete".into(),
                ..base.clone()
            },
            AuditEvent {
                target: None,
                ..base.clone()
            },
            AuditEvent {
                target: Some(String::new()),
                ..base.clone()
            },
            AuditEvent {
                outcome: "denied".into(),
                ..base.clone()
            },
            AuditEvent {
                changes: None,
                ..base.clone()
            },
            AuditEvent {
                changes: Some(json!({ "title": { "old": "a", "new": "c" } })),
                ..base.clone()
            },
        ];
        for variant in variants {
            assert_ne!(variant.chain_hash(&GENESIS_HASH), hash, "{variant:?}");
        }
        assert_ne!(base.chain_hash(&[1; 32]), hash);
    }

    #[test]
    fn fields_cannot_shift_into_each_other() {
        let a = AuditEvent {
            actor: "ab".into(),
            action: "c".into(),
            ..event(1)
        };
        let b = AuditEvent {
            actor: "a".into(),
            action: "bc".into(),
            ..event(1)
        };
        assert_ne!(a.chain_hash(&GENESIS_HASH), b.chain_hash(&GENESIS_HASH));
    }

    #[test]
    fn sub_microsecond_time_and_key_order_do_not_matter() {
        let base = event(1);
        let finer = AuditEvent {
            at: base.at + chrono::Duration::nanoseconds(999),
            ..base.clone()
        };
        assert_eq!(
            finer.chain_hash(&GENESIS_HASH),
            base.chain_hash(&GENESIS_HASH)
        );
        assert_eq!(
            canonical_json(&json!({ "b": [1, "x\"y"], "a": { "d": null, "c": 1.5 } })),
            r#"{"a":{"c":1.5,"d":null},"b":[1,"x\"y"]}"#
        );
    }

    #[test]
    fn hex_round_trips() {
        let hash = event(3).chain_hash(&GENESIS_HASH);
        assert_eq!(parse_hash(&to_hex(&hash)), Some(hash));
        assert_eq!(parse_hash(&to_hex(&hash).to_uppercase()), Some(hash));
        assert_eq!(parse_hash("00"), None);
        assert_eq!(parse_hash(&"zz".repeat(32)), None);
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn an_edited_event_is_named() {
        let mut links = chain(5);
        links[1].event.actor = "mallory".into();
        let broken = verify(&links).unwrap_err();
        assert_eq!(broken.seq, 2);
        assert_eq!(broken.event_id.as_deref(), Some(links[1].event.id.as_str()));
        assert!(broken.to_string().starts_with(&format!(
            "audit chain broken at seq 2 (event {}): ",
            links[1].event.id
        )));
    }

    #[test]
    fn a_rehashed_edit_breaks_the_next_link() {
        let mut links = chain(5);
        links[1].event.actor = "mallory".into();
        let prev = parse_hash(&links[1].prev_hash).unwrap();
        links[1].hash = to_hex(&links[1].event.chain_hash(&prev));
        let broken = verify(&links).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("the hash of seq 2"), "{broken}");
    }

    #[test]
    fn a_deleted_event_is_a_gap() {
        let mut links = chain(5);
        links.remove(2);
        let broken = verify(&links).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert_eq!(broken.event_id, None);
        assert!(broken.reason.contains("seq 3 is missing"), "{broken}");
        assert!(
            broken
                .to_string()
                .starts_with("audit chain broken at seq 3: ")
        );
    }

    #[test]
    fn a_replaced_first_event_and_bad_hex_are_broken_links() {
        let mut links = chain(3);
        links[0].prev_hash = to_hex(&[7; 32]);
        assert_eq!(verify(&links).unwrap_err().seq, 1);
        let mut links = chain(3);
        links[2].hash = "not hex".into();
        assert_eq!(verify(&links).unwrap_err().seq, 3);
    }

    /// Salts for event `n`: fixed, so the encoding can be pinned.
    fn salts(n: u8) -> [[u8; SALT_LEN]; 3] {
        [[n; SALT_LEN], [n + 1; SALT_LEN], [n + 2; SALT_LEN]]
    }

    /// A chain of `v1` v1 events followed by `v2` v2 events.
    fn mixed_chain(v1: u32, v2: u32) -> Vec<ChainedAuditEvent> {
        let mut prev = GENESIS_HASH;
        (1..=v1 + v2)
            .map(|i| {
                let event = event(i);
                let (hash, seal) = if i <= v1 {
                    (event.chain_hash(&prev), None)
                } else {
                    let seal = EventSeal::new(&event, salts(i as u8));
                    (event.sealed_hash(&prev, &seal).unwrap(), Some(seal))
                };
                let link = ChainedAuditEvent {
                    seq: i64::from(i),
                    prev_hash: to_hex(&prev),
                    hash: to_hex(&hash),
                    event,
                    seal,
                };
                prev = hash;
                link
            })
            .collect()
    }

    /// What erasure does to one stored event (as `redact_audit_of` does).
    fn redact(link: &mut ChainedAuditEvent, actor: bool, target: bool) {
        let seal = link.seal.as_mut();
        let mut fields = vec![Field::Changes];
        if actor {
            link.event.actor = REDACTED.into();
            fields.push(Field::Actor);
        }
        if target {
            link.event.target = Some(REDACTED.into());
            fields.push(Field::Target);
        }
        link.event.changes = None;
        if let Some(seal) = seal {
            for field in fields {
                seal.field_mut(field).salt = None;
            }
        }
    }

    #[test]
    fn the_v2_encoding_is_pinned() {
        // Computed independently, with Python's hashlib, from the docs above.
        let event = event(1);
        let seal = EventSeal::new(&event, salts(1));
        assert_eq!(
            seal.actor.commit,
            "179a6c7c3638e5cc0bc46ba3b8bfcefd7a0928468b925eb566652cf18e76cdcb"
        );
        assert_eq!(
            to_hex(&event.sealed_hash(&GENESIS_HASH, &seal).unwrap()),
            "5dde1dd1a558ae557b20cb1fccebc27bcd6f40c67e456ad8e0baa193413b896b"
        );
    }

    #[test]
    fn commitments_are_separated_by_field_and_salt() {
        let base = event(1);
        let salt = [9; SALT_LEN];
        let twin = AuditEvent {
            target: Some(base.actor.clone()),
            ..base.clone()
        };
        assert_ne!(
            commitment(Field::Actor, &salt, &base),
            commitment(Field::Target, &salt, &twin)
        );
        assert_ne!(
            commitment(Field::Actor, &salt, &base),
            commitment(Field::Actor, &[8; SALT_LEN], &base)
        );
    }

    #[test]
    fn a_v1_then_v2_chain_verifies_and_v2_covers_every_field() {
        let links = mixed_chain(2, 3);
        assert_eq!(verify(&links), Ok(5));
        let base = &links[2];
        let prev = parse_hash(&base.prev_hash).unwrap();
        let seal = base.seal.clone().unwrap();
        let hash = base.event.sealed_hash(&prev, &seal).unwrap();
        for field in Field::ALL {
            let mut other = seal.clone();
            other.field_mut(field).commit = to_hex(&[1; 32]);
            assert_ne!(base.event.sealed_hash(&prev, &other), Some(hash));
        }
        let variants = [
            AuditEvent {
                id: "other".into(),
                ..base.event.clone()
            },
            AuditEvent {
                request_id: "req-x".into(),
                ..base.event.clone()
            },
            AuditEvent {
                action: "image.delete".into(),
                ..base.event.clone()
            },
            AuditEvent {
                outcome: "denied".into(),
                ..base.event.clone()
            },
        ];
        for variant in variants {
            assert_ne!(variant.sealed_hash(&prev, &seal), Some(hash), "{variant:?}");
        }
    }

    #[test]
    fn a_redacted_chain_still_verifies() {
        let mut links = mixed_chain(0, 4);
        redact(&mut links[1], true, false);
        redact(&mut links[2], false, true);
        let mut verifier = ChainVerifier::new();
        for link in &links {
            verifier.check(link).unwrap();
        }
        assert_eq!((verifier.count(), verifier.redacted()), (4, 2));
        // The admin actor of a target-only redaction is still checked.
        links[2].event.actor = "mallory".into();
        let broken = verify(&links).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("actor does not match"), "{broken}");
    }

    #[test]
    fn edits_of_v2_events_are_named() {
        for field in Field::ALL {
            let mut links = mixed_chain(0, 3);
            match field {
                Field::Actor => links[1].event.actor = "mallory".into(),
                Field::Target => links[1].event.target = None,
                Field::Changes => links[1].event.changes = Some(serde_json::json!({})),
            }
            let broken = verify(&links).unwrap_err();
            assert_eq!(broken.seq, 2, "{field:?}");
            assert!(
                broken.reason.contains("changed after it was written"),
                "{broken}"
            );
        }
        // Deleting a salt without redacting the value is not an erasure.
        let mut links = mixed_chain(0, 3);
        links[1].seal.as_mut().unwrap().actor.salt = None;
        assert!(verify(&links).unwrap_err().reason.contains("no salt"));
        // Stripping the commitments to fall back to v1 is named too.
        let mut links = mixed_chain(1, 2);
        links[2].seal = None;
        assert_eq!(verify(&links).unwrap_err().seq, 3);
        // And an edit with everything recomputed still breaks the next link.
        let mut links = mixed_chain(0, 3);
        links[1].event.actor = "mallory".into();
        let seal = EventSeal::new(&links[1].event, salts(7));
        let prev = parse_hash(&links[1].prev_hash).unwrap();
        links[1].hash = to_hex(&links[1].event.sealed_hash(&prev, &seal).unwrap());
        links[1].seal = Some(seal);
        let broken = verify(&links).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("the hash of seq 2"), "{broken}");
    }

    #[test]
    fn a_redacted_v1_event_is_linked_but_unverifiable() {
        let mut links = mixed_chain(3, 1);
        redact(&mut links[1], true, false);
        let mut verifier = ChainVerifier::new();
        for link in &links {
            verifier.check(link).unwrap();
        }
        assert_eq!((verifier.count(), verifier.unverifiable()), (4, 1));
        // An edit that does not look like erasure is still named.
        let mut links = mixed_chain(3, 1);
        links[1].event.actor = "mallory".into();
        assert_eq!(verify(&links).unwrap_err().seq, 2);
    }
}
