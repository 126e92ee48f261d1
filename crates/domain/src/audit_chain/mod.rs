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

use sha2::{Digest, Sha256};

use crate::audit::AuditEvent;

mod checkpoint;
mod verify;

pub use checkpoint::Checkpoint;
pub use verify::{ChainBreak, ChainVerifier};

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
        put_text(&mut out, self.action.as_str());
        put_optional(&mut out, self.target.as_deref());
        put_text(&mut out, self.outcome.as_str());
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
        put_text(&mut out, self.action.as_str());
        out.extend_from_slice(target);
        put_text(&mut out, self.outcome.as_str());
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

#[cfg(test)]
mod tests;
