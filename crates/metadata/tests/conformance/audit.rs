//! The audit trail: round trip, filters, id-ordered cursors, the
//! tamper-evident chain under concurrent appenders, and GDPR redaction that
//! leaves the chain verifiable.

use std::collections::BTreeSet;
use std::sync::Arc;

use domain::audit_chain::{GENESIS_HASH, REDACTED, to_hex};
use domain::{
    AuditEvent, AuditFilter, ChainVerifier, ChainedAuditEvent, MetadataStore, PageRequest,
    SortOrder, UserId,
};

use crate::fixtures::{event, later, now};

fn page(after: Option<String>, limit: u32, order: SortOrder) -> PageRequest<String> {
    PageRequest {
        after,
        limit,
        order,
    }
}

fn ids(events: &[AuditEvent]) -> Vec<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

pub async fn audit_round_trips(store: Arc<dyn MetadataStore>) {
    let mut update = event(
        "alice",
        "image.update",
        Some("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        now(),
    );
    update.changes = Some(serde_json::json!({ "title": { "old": "a", "new": "b" } }));
    let denied = AuditEvent {
        outcome: domain::AuditOutcome::Denied,
        ..event("anonymous", "auth.failed", None, now())
    };
    store.append_audit(&update).await.unwrap();
    store.append_audit(&denied).await.unwrap();
    let all = store
        .list_audit(&AuditFilter::default(), &page(None, 10, SortOrder::Asc))
        .await
        .unwrap();
    let mut expected = vec![update, denied];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(all, expected);
}

pub async fn audit_filters(store: Arc<dyn MetadataStore>) {
    let base = now();
    let events = [
        event("alice", "image.create", Some("img-1"), base),
        event("alice", "image.update", Some("img-1"), later(base, 10)),
        event("bob", "image.create", Some("img-2"), later(base, 20)),
        event("admin", "user.erase", Some("alice"), later(base, 30)),
    ];
    for e in &events {
        store.append_audit(e).await.unwrap();
    }
    let query = |filter: AuditFilter| {
        let store = store.clone();
        async move {
            let mut got = store
                .list_audit(&filter, &page(None, 100, SortOrder::Asc))
                .await
                .unwrap();
            got.sort_by(|a, b| a.actor.cmp(&b.actor).then(a.at.cmp(&b.at)));
            got.iter().map(|e| e.action.as_str()).collect::<Vec<_>>()
        }
    };
    let by_actor = AuditFilter {
        actor: Some("alice".into()),
        ..Default::default()
    };
    assert_eq!(query(by_actor).await, ["image.create", "image.update"]);
    let by_target = AuditFilter {
        target: Some("img-1".into()),
        ..Default::default()
    };
    assert_eq!(query(by_target).await, ["image.create", "image.update"]);
    let by_action = AuditFilter {
        action: Some(domain::AuditAction::ImageCreate),
        ..Default::default()
    };
    assert_eq!(query(by_action).await, ["image.create", "image.create"]);
    let since = AuditFilter {
        since: Some(later(base, 20)),
        ..Default::default()
    };
    assert_eq!(query(since).await, ["user.erase", "image.create"]);
    let combined = AuditFilter {
        actor: Some("alice".into()),
        action: Some(domain::AuditAction::ImageUpdate),
        since: Some(later(base, 5)),
        ..Default::default()
    };
    assert_eq!(query(combined).await, ["image.update"]);
}

pub async fn audit_pages_by_id(store: Arc<dyn MetadataStore>) {
    let mut all = Vec::new();
    for n in 0..15 {
        let e = event("alice", "image.create", Some("img"), later(now(), n));
        store.append_audit(&e).await.unwrap();
        all.push(e.id);
    }
    all.sort();
    for order in [SortOrder::Asc, SortOrder::Desc] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let got = store
                .list_audit(&AuditFilter::default(), &page(after, 4, order))
                .await
                .unwrap();
            seen.extend(ids(&got));
            after = match got.last() {
                Some(last) if got.len() == 4 => Some(last.id.clone()),
                _ => break,
            };
        }
        let mut expected = all.clone();
        if order == SortOrder::Desc {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{order:?}");
    }
}

/// The whole chain, read in pages of `page` after `after`.
async fn whole_chain(store: &dyn MetadataStore, page: u32) -> Vec<ChainedAuditEvent> {
    let mut links = Vec::new();
    loop {
        let after = links.last().map_or(0, |l: &ChainedAuditEvent| l.seq);
        let got = store.audit_chain(after, page).await.unwrap();
        assert!(got.len() <= page as usize);
        let done = got.len() < page as usize;
        links.extend(got);
        if done {
            return links;
        }
    }
}

pub async fn audit_chain_links_in_seq_order(store: Arc<dyn MetadataStore>) {
    assert!(store.audit_chain(0, 10).await.unwrap().is_empty());
    let mut update = event("alice", "image.update", Some("img-1"), now());
    update.changes = Some(serde_json::json!({ "title": { "old": "a", "new": "b" } }));
    let events = [
        event("alice", "image.create", Some("img-1"), now()),
        update,
        event("anonymous", "auth.failed", None, now()),
    ];
    for e in &events {
        store.append_audit(e).await.unwrap();
    }
    let links = store.audit_chain(0, 10).await.unwrap();
    assert_eq!(links.iter().map(|l| l.seq).collect::<Vec<_>>(), [1, 2, 3]);
    let mut prev = GENESIS_HASH;
    for (link, event) in links.iter().zip(&events) {
        assert_eq!(&link.event, event, "the chain returns the event as stored");
        assert_eq!(link.prev_hash, to_hex(&prev));
        // New events are v2: the hash covers salted commitments, stored with them.
        let seal = link.seal.as_ref().expect("a new event has a seal");
        assert!(!seal.is_redacted());
        prev = event.sealed_hash(&prev, seal).unwrap();
        assert_eq!(link.hash, to_hex(&prev));
    }
    let after_one = store.audit_chain(1, 1).await.unwrap();
    assert_eq!(after_one.len(), 1);
    assert_eq!(after_one[0].seq, 2);
    assert!(store.audit_chain(3, 10).await.unwrap().is_empty());
    // Chained events are still listed by `GET /audit`.
    let listed = store
        .list_audit(&AuditFilter::default(), &page(None, 10, SortOrder::Asc))
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
}

/// Many writers (tasks here, replicas in production) racing for the head:
/// every event lands exactly once, seq is 1..=N, and every link holds.
pub async fn audit_chain_survives_concurrent_appends(store: Arc<dyn MetadataStore>) {
    const TASKS: usize = 8;
    const EVENTS: usize = 50;
    let writers: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in (task..EVENTS).step_by(TASKS) {
                    let e = event(
                        &format!("user-{task}"),
                        "image.create",
                        Some(&format!("img-{n}")),
                        now(),
                    );
                    store
                        .append_audit(&e)
                        .await
                        .expect("append under contention");
                    ids.push(e.id);
                }
                ids
            })
        })
        .collect();
    let mut appended = BTreeSet::new();
    for writer in futures::future::join_all(writers).await {
        appended.extend(writer.expect("writer task"));
    }
    assert_eq!(appended.len(), EVENTS);

    let links = whole_chain(&*store, 7).await;
    let seqs: Vec<i64> = links.iter().map(|l| l.seq).collect();
    assert_eq!(
        seqs,
        (1..=EVENTS as i64).collect::<Vec<_>>(),
        "no gaps, no forks"
    );
    let chained: BTreeSet<String> = links.iter().map(|l| l.event.id.clone()).collect();
    assert_eq!(chained, appended, "every event exactly once");
    let mut verifier = ChainVerifier::new();
    for link in &links {
        verifier
            .check(link)
            .unwrap_or_else(|broken| panic!("{broken}"));
    }
    assert_eq!(verifier.count(), EVENTS as u64);
    for pair in links.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
}

fn verified(links: &[ChainedAuditEvent]) -> ChainVerifier {
    let mut verifier = ChainVerifier::new();
    for link in links {
        verifier
            .check(link)
            .unwrap_or_else(|broken| panic!("{broken}"));
    }
    verifier
}

/// Erasure of alice: every event she acted in or that targeted `user:alice`
/// loses her id and its changes; the rest stays, and so does the chain.
pub async fn audit_redaction_keeps_the_chain_verifiable(store: Arc<dyn MetadataStore>) {
    let with_changes = |mut e: AuditEvent, title: &str| {
        e.changes = Some(serde_json::json!({ "title": { "old": null, "new": title } }));
        e
    };
    let events = [
        with_changes(
            event("alice", "image.update", Some("img-1"), now()),
            "alice's secret title",
        ),
        event("admin", "access.denied", Some("user:alice"), now()),
        with_changes(
            event("bob", "image.update", Some("img-2"), now()),
            "bob's title",
        ),
        // Prefixes and look-alikes are other users.
        event("alice-2", "image.create", Some("user:alice-2"), now()),
        event("alice", "auth.failed", None, now()),
    ];
    for e in &events {
        store.append_audit(e).await.unwrap();
    }
    let before = whole_chain(&*store, 100).await;
    let alice = UserId::new("alice").unwrap();
    assert_eq!(store.redact_audit_of(&alice).await.unwrap(), 3);

    let after = whole_chain(&*store, 100).await;
    assert_eq!(after.len(), 5);
    let verifier = verified(&after);
    assert_eq!((verifier.count(), verifier.redacted()), (5, 3));
    assert_eq!(verifier.head_hash(), verified(&before).head_hash());
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            (new.seq, &new.prev_hash, &new.hash),
            (old.seq, &old.prev_hash, &old.hash),
            "seq and hashes stay"
        );
        let (old_seal, new_seal) = (old.seal.as_ref().unwrap(), new.seal.as_ref().unwrap());
        assert_eq!(old_seal.actor.commit, new_seal.actor.commit);
        assert_eq!(old_seal.target.commit, new_seal.target.commit);
        assert_eq!(old_seal.changes.commit, new_seal.changes.commit);
    }
    let got: Vec<&AuditEvent> = after.iter().map(|l| &l.event).collect();
    // Her own update: actor erased, changes gone, the image id kept.
    assert_eq!(got[0].actor, REDACTED);
    assert_eq!(got[0].target.as_deref(), Some("img-1"));
    assert_eq!(got[0].changes, None);
    assert_eq!(after[0].seal.as_ref().unwrap().actor.salt, None);
    assert!(after[0].seal.as_ref().unwrap().target.salt.is_some());
    // The admin's denial that targeted her: the admin is kept, and checked.
    assert_eq!(got[1].actor, "admin");
    assert_eq!(got[1].target.as_deref(), Some(REDACTED));
    assert!(after[1].seal.as_ref().unwrap().actor.salt.is_some());
    // Everyone else is untouched.
    assert_eq!(got[2], &events[2]);
    assert_eq!(got[3], &events[3]);
    assert_eq!(
        (got[4].actor.as_str(), got[4].action.as_str()),
        (REDACTED, "auth.failed")
    );
    let text = serde_json::to_string(&got).unwrap();
    assert!(!text.contains("\"alice\""), "{text}");
    assert!(!text.contains("user:alice\""), "{text}");
    assert!(!text.contains("secret"), "{text}");

    // `GET /audit` sees the redacted events too.
    let listed = |actor: &str| {
        let store = store.clone();
        let filter = AuditFilter {
            actor: Some(actor.into()),
            ..Default::default()
        };
        async move {
            store
                .list_audit(&filter, &page(None, 100, SortOrder::Asc))
                .await
                .unwrap()
        }
    };
    assert!(listed("alice").await.is_empty());
    assert_eq!(listed(REDACTED).await.len(), 2);
    let by_target = AuditFilter {
        target: Some("user:alice".into()),
        ..Default::default()
    };
    assert!(
        store
            .list_audit(&by_target, &page(None, 100, SortOrder::Asc))
            .await
            .unwrap()
            .is_empty()
    );

    // Idempotent, and appending goes on from the same head.
    assert_eq!(store.redact_audit_of(&alice).await.unwrap(), 0);
    store
        .append_audit(&event("admin", "user.erase", Some("user:erased"), now()))
        .await
        .unwrap();
    let verifier = verified(&whole_chain(&*store, 2).await);
    assert_eq!((verifier.count(), verifier.redacted()), (6, 3));
}

/// Redacting a user who never appears changes nothing.
pub async fn audit_redaction_of_an_unknown_user_is_a_no_op(store: Arc<dyn MetadataStore>) {
    let e = event("bob", "image.create", Some("img-1"), now());
    store.append_audit(&e).await.unwrap();
    let nobody = UserId::new("nobody").unwrap();
    assert_eq!(store.redact_audit_of(&nobody).await.unwrap(), 0);
    let links = whole_chain(&*store, 10).await;
    assert_eq!(links[0].event, e);
    assert_eq!(verified(&links).redacted(), 0);
}
