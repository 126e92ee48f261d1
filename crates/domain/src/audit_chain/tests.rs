//! The chain's encodings, commitments and verifier, with pinned test vectors.

use chrono::DateTime;
use serde_json::json;

use super::*;
use crate::audit::{AuditAction, AuditOutcome};

fn event(n: u32) -> AuditEvent {
    AuditEvent {
        id: format!("01HZZZZZZZZZZZZZZZZZZZZZ{n:02}"),
        at: DateTime::from_timestamp_micros(1_700_000_000_123_456 + i64::from(n)).unwrap(),
        request_id: format!("req-{n}"),
        actor: "alice".into(),
        action: AuditAction::ImageUpdate,
        target: Some("01ARZ3NDEKTSV4RRFFQ69G5FAV".into()),
        outcome: AuditOutcome::Success,
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
            action: AuditAction::ImageDelete,
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
            outcome: AuditOutcome::Denied,
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
        request_id: "ab".into(),
        actor: "c".into(),
        ..event(1)
    };
    let b = AuditEvent {
        request_id: "a".into(),
        actor: "bc".into(),
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
            action: AuditAction::ImageDelete,
            ..base.event.clone()
        },
        AuditEvent {
            outcome: AuditOutcome::Denied,
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
