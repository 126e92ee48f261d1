//! The audit trail (spec 9): events go to the metadata store (append-only)
//! and to the JSON log on stdout.
//!
//! Changes (create, update, delete, erase) are persisted before the response.
//! Security events (denied access, failed authentication, rate-limit
//! refusals) are logged at once and persisted through a bounded queue, so a
//! flood of refused requests cannot turn into a flood of synchronous writes;
//! if the queue is full the event is still in the log and the drop is counted.

use std::sync::Arc;

use chrono::Utc;
use domain::{AuditEvent, MetadataStore};
use tokio::sync::mpsc;

use crate::http::context;

const SECURITY_QUEUE: usize = 4096;

pub struct AuditLog {
    store: Arc<dyn MetadataStore>,
    security: mpsc::Sender<AuditEvent>,
}

pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: &'static str,
    pub target: Option<String>,
    pub outcome: &'static str,
    pub changes: Option<serde_json::Value>,
}

impl AuditLog {
    /// Starts the background writer for security events (needs a Tokio runtime).
    pub fn new(store: Arc<dyn MetadataStore>) -> Self {
        let (security, mut queue) = mpsc::channel::<AuditEvent>(SECURITY_QUEUE);
        let writer = store.clone();
        tokio::spawn(async move {
            while let Some(event) = queue.recv().await {
                persist(&*writer, &event).await;
            }
        });
        Self { store, security }
    }

    /// Records a change, persisted before returning. A failure to persist is
    /// logged, not returned: the change it describes has already happened.
    pub async fn record(&self, entry: Entry<'_>) {
        let event = build(entry);
        log(&event);
        persist(&*self.store, &event).await;
    }

    /// A denial or refusal: logged now, persisted in the background.
    pub async fn security_event(&self, actor: &str, action: &'static str, target: Option<String>) {
        let event = build(Entry {
            actor,
            action,
            target,
            outcome: "denied",
            changes: None,
        });
        log(&event);
        if self.security.try_send(event).is_err() {
            metrics::counter!("audit_events_dropped_total").increment(1);
        }
    }

    /// A signed-in caller touched someone else's resource.
    pub async fn denied(&self, actor: &str, target: String) {
        self.security_event(actor, "access.denied", Some(target))
            .await;
    }
}

fn build(entry: Entry<'_>) -> AuditEvent {
    AuditEvent {
        id: ulid::Ulid::new().to_string(),
        at: Utc::now(),
        request_id: context::request_id(),
        actor: entry.actor.to_owned(),
        action: entry.action.to_owned(),
        target: entry.target,
        outcome: entry.outcome.to_owned(),
        changes: entry.changes,
    }
}

fn log(event: &AuditEvent) {
    tracing::info!(
        target: "audit",
        audit = %serde_json::to_string(event).unwrap_or_default(),
        "audit event"
    );
}

async fn persist(store: &dyn MetadataStore, event: &AuditEvent) {
    if let Err(err) = store.append_audit(event).await {
        metrics::counter!("store_errors_total", "store" => "metadata").increment(1);
        tracing::error!(requestId = %event.request_id, error = %err, "audit event not persisted");
    }
}
