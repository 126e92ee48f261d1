//! The audit trail: round trip, filters, and id-ordered cursors.

use std::sync::Arc;

use domain::{AuditEvent, AuditFilter, MetadataStore, PageRequest, SortOrder};

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
        outcome: "denied".into(),
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
            got.iter().map(|e| e.action.clone()).collect::<Vec<_>>()
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
        action: Some("image.create".into()),
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
        action: Some("image.update".into()),
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
