//! Incident controls at run time (docs/incident-response.md): read-only
//! mode, uploads off, blocked accounts, revoked tokens.
//!
//! They live in the metadata store, so every replica obeys them and they
//! survive restarts. Each replica keeps a copy (`IncidentControls`) that a
//! background task reloads every `POLL`; a request only reads that copy, so
//! the switches cost no store read per request. `apply` is the one way to
//! change them, from the CLI and from the admin API alike: it writes the
//! store and the audit trail.

mod status;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::Utc;
use domain::{AuditAction, AuditOutcome, ControlChange, Controls, MetadataStore, StoreResult};
use serde_json::json;

use crate::audit::{AuditLog, Entry};
pub use status::{status_json, status_text};

/// How often each replica reloads the controls: a switch set anywhere is
/// obeyed everywhere within this (plus one store round trip).
pub const POLL: Duration = Duration::from_secs(2);

/// This replica's copy of the controls.
pub struct IncidentControls {
    current: ArcSwap<Controls>,
    store: Arc<dyn MetadataStore>,
}

impl IncidentControls {
    /// Loads the controls once (a store that cannot be read at start is an
    /// error: serving while blind to a block or read-only mode is not safe)
    /// and starts reloading them every `POLL`.
    pub async fn start(store: Arc<dyn MetadataStore>) -> StoreResult<Arc<Self>> {
        let controls = Arc::new(Self {
            current: ArcSwap::from_pointee(load(&*store).await?),
            store,
        });
        let weak = Arc::downgrade(&controls);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                let Some(controls) = weak.upgrade() else {
                    return;
                };
                controls.reload().await;
            }
        });
        Ok(controls)
    }

    /// The controls in force, as last loaded. A guard, not an `Arc`: every
    /// request reads this, and a reference count bumped by every request on
    /// every core would be one contended cache line.
    pub fn current(&self) -> arc_swap::Guard<Arc<Controls>> {
        self.current.load()
    }

    /// Reloads now; on a store failure the last copy stays in force.
    pub async fn reload(&self) {
        match load(&*self.store).await {
            Ok(controls) => {
                if *self.current.load_full() != controls {
                    tracing::warn!(controls = %status_json(&controls), "incident controls changed");
                }
                self.current.store(Arc::new(controls));
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot reload incident controls; the last ones stay in force");
            }
        }
    }
}

/// Reads every control from the store.
pub async fn load(store: &dyn MetadataStore) -> StoreResult<Controls> {
    let entries = store.list_controls().await?;
    let (controls, bad) = Controls::from_entries(&entries);
    for key in bad {
        tracing::error!(
            key,
            "an incident control in the store cannot be read; ignored"
        );
    }
    Ok(controls)
}

/// Makes `change` in the store, records it in the audit trail as done by
/// `actor`, and returns the controls now in force.
pub async fn apply(
    store: &dyn MetadataStore,
    audit: &AuditLog,
    actor: &str,
    change: &ControlChange,
) -> StoreResult<Controls> {
    let (key, value) = change.entry();
    store.set_control(&key, value.as_deref()).await?;
    let (action, target, changes) = describe(change);
    audit
        .record(Entry {
            actor,
            action,
            target,
            outcome: AuditOutcome::Success,
            changes: Some(changes),
        })
        .await;
    load(store).await
}

/// The audit action, target and details of a change.
fn describe(change: &ControlChange) -> (AuditAction, Option<String>, serde_json::Value) {
    let reason = |switch: &Option<domain::Switch>| switch.as_ref().map(|s| s.reason.clone());
    match change {
        ControlChange::ReadOnly(switch) => (
            AuditAction::IncidentReadOnly,
            None,
            json!({ "enabled": switch.is_some(), "reason": reason(switch) }),
        ),
        ControlChange::UploadsOff(switch) => (
            AuditAction::IncidentUploads,
            None,
            json!({ "enabled": switch.is_none(), "reason": reason(switch) }),
        ),
        ControlChange::Block { sub, switch } => (
            if switch.is_some() {
                AuditAction::IncidentBlock
            } else {
                AuditAction::IncidentUnblock
            },
            Some(format!("user:{sub}")),
            json!({ "reason": reason(switch) }),
        ),
        ControlChange::Revoke { sub, revocation } => (
            AuditAction::IncidentRevokeTokens,
            sub.as_ref().map(|sub| format!("user:{sub}")),
            json!({ "before": revocation.before, "reason": revocation.switch.reason }),
        ),
    }
}

/// A switch set now by `actor` for `reason`.
pub fn switch(actor: &str, reason: &str) -> domain::Switch {
    domain::Switch {
        reason: reason.to_owned(),
        by: actor.to_owned(),
        at: Utc::now(),
    }
}
