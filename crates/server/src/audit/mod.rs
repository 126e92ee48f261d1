//! The audit trail (docs/API.md, Audit): events go to the metadata store
//! (append-only) and to the JSON log on stdout (as a nested `audit` object,
//! see `telemetry`).
//!
//! Changes (create, update, delete, erase) are persisted before the response.
//! Security events (denied access, failed authentication, rate-limit
//! refusals) are logged at once and persisted through bounded queues, so a
//! flood of refused requests cannot turn into a flood of synchronous writes;
//! if a queue is full the event is still in the log and the drop is counted.
//! Events about a signed-in principal have a queue of their own: anonymous
//! noise cannot crowd them out. Anonymous refusals are summarised per client
//! address and interval first (`anonymous`).
//!
//! The store chains the events (`domain::audit_chain`): each append claims
//! the next sequence number at the chain head, and a writer that loses that
//! race retries. This process's appends take turns (`Turn`), so they never
//! race each other and only replicas do; a turn is waited for briefly, so a
//! slow store cannot queue every request behind one append.

mod anonymous;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{AuditAction, AuditEvent, AuditOutcome, MetadataStore};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::request_context as context;

/// The actor of events about requests with no (valid) token.
pub const ANONYMOUS: &str = "anonymous";
const SECURITY_QUEUE: usize = 4096;
/// How long an append waits for this process's previous one before going
/// ahead anyway (the store stays correct, it just retries more).
const TURN_WAIT: Duration = Duration::from_millis(500);
/// How long `flush` waits for the security queue to drain.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

/// One append at a time from this process.
type Turn = Arc<Mutex<()>>;

pub struct AuditLog {
    store: Arc<dyn MetadataStore>,
    /// Security events about signed-in principals.
    security: mpsc::Sender<Queued>,
    /// Anonymous refusals, already summarised per client.
    anonymous: mpsc::Sender<Queued>,
    gathered: Arc<anonymous::Gathered>,
    turn: Turn,
}

/// What the security queue carries.
enum Queued {
    Event(AuditEvent),
    /// Answered once everything queued before it is persisted.
    Flush(oneshot::Sender<()>),
}

pub struct Entry<'a> {
    pub actor: &'a str,
    pub action: AuditAction,
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    pub changes: Option<serde_json::Value>,
}

impl AuditLog {
    /// Starts the background writers for security events and the summaries
    /// of anonymous refusals (needs a Tokio runtime).
    pub fn new(store: Arc<dyn MetadataStore>) -> Self {
        let turn = Turn::default();
        let security = writer(store.clone(), turn.clone());
        let anonymous = writer(store.clone(), turn.clone());
        let gathered = Arc::<anonymous::Gathered>::default();
        let (summaries, tallies) = (anonymous.clone(), Arc::downgrade(&gathered));
        tokio::spawn(async move {
            let mut every = tokio::time::interval(anonymous::INTERVAL);
            every.tick().await;
            loop {
                every.tick().await;
                // Gone with the last `AuditLog`: so is this task.
                let Some(gathered) = tallies.upgrade() else {
                    return;
                };
                for (client, action, tally) in gathered.take() {
                    let event = build(Entry {
                        actor: ANONYMOUS,
                        action,
                        target: tally.target.clone(),
                        outcome: AuditOutcome::Denied,
                        changes: Some(anonymous::summary(&client, &tally)),
                    });
                    log(&event);
                    enqueue(&summaries, event);
                }
            }
        });
        Self {
            store,
            security,
            anonymous,
            gathered,
            turn,
        }
    }

    /// Records a change, persisted before returning. A failure to persist is
    /// logged, not returned: the change it describes has already happened.
    pub async fn record(&self, entry: Entry<'_>) {
        let event = build(entry);
        log(&event);
        persist(&*self.store, &self.turn, &event).await;
    }

    /// A denial or refusal: logged now, persisted in the background. An
    /// anonymous one is recorded only as the client's first of the interval;
    /// the rest go into its summary.
    pub async fn security_event(&self, actor: &str, action: AuditAction, target: Option<String>) {
        let (queue, changes) = if actor == ANONYMOUS {
            let client = context::client().unwrap_or_else(|| "unknown".to_owned());
            if !self.gathered.note(&client, action, target.as_deref()) {
                return;
            }
            (
                &self.anonymous,
                Some(serde_json::json!({ "client": client })),
            )
        } else {
            (&self.security, None)
        };
        let event = build(Entry {
            actor,
            action,
            target,
            outcome: AuditOutcome::Denied,
            changes,
        });
        log(&event);
        enqueue(queue, event);
    }

    /// Waits (briefly) until the security events queued so far are persisted,
    /// so that erasure redacts them too.
    pub async fn flush(&self) {
        let drained = tokio::time::timeout(FLUSH_WAIT, async {
            for queue in [&self.security, &self.anonymous] {
                let (done, flushed) = oneshot::channel();
                if queue.send(Queued::Flush(done)).await.is_ok() {
                    let _ = flushed.await;
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("audit security queue not drained in time");
        }
    }

    /// A signed-in caller touched someone else's resource.
    pub async fn denied(&self, actor: &str, target: String) {
        self.security_event(actor, AuditAction::AccessDenied, Some(target))
            .await;
    }
}

/// A bounded queue and the task that persists what it carries.
fn writer(store: Arc<dyn MetadataStore>, turn: Turn) -> mpsc::Sender<Queued> {
    let (sender, mut queue) = mpsc::channel::<Queued>(SECURITY_QUEUE);
    tokio::spawn(async move {
        while let Some(queued) = queue.recv().await {
            match queued {
                Queued::Event(event) => persist(&*store, &turn, &event).await,
                Queued::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    });
    sender
}

fn enqueue(queue: &mpsc::Sender<Queued>, event: AuditEvent) {
    if queue.try_send(Queued::Event(event)).is_err() {
        metrics::counter!("audit_events_dropped_total").increment(1);
    }
}

fn build(entry: Entry<'_>) -> AuditEvent {
    AuditEvent {
        id: ulid::Ulid::new().to_string(),
        at: now_micros(),
        request_id: context::request_id(),
        actor: entry.actor.to_owned(),
        action: entry.action,
        target: entry.target,
        outcome: entry.outcome,
        changes: entry.changes,
    }
}

/// Now, at the microsecond precision the stores keep (and the chain hashes),
/// so the logged event and the stored one are the same.
fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// One log line with the event as a nested `audit` object (see `telemetry`).
fn log(event: &AuditEvent) {
    let json = serde_json::to_string(event).unwrap_or_default();
    tracing::info!(
        target: crate::telemetry::AUDIT_TARGET,
        audit = json.as_str(),
        "audit event"
    );
}

async fn persist(store: &dyn MetadataStore, turn: &Mutex<()>, event: &AuditEvent) {
    let _turn = tokio::time::timeout(TURN_WAIT, turn.lock()).await.ok();
    if let Err(err) = store.append_audit(event).await {
        metrics::counter!("store_errors_total", "store" => "metadata").increment(1);
        tracing::error!(requestId = %event.request_id, error = %err, "audit event not persisted");
    }
}
