//! Anchors for the audit chain: every `IMAGE_SERVICE_AUDIT_ANCHOR_SECS` the
//! chain head (`seq` and hash) goes to the log, when it changed. Shipped to a
//! log store the database's administrators cannot rewrite, each line is a
//! head that `image-service audit verify --expect SEQ:HASH` later checks:
//! a rewritten or truncated chain no longer holds it.

use std::sync::Arc;
use std::time::Duration;

use domain::MetadataStore;

/// The log target of anchor lines, for a log shipper to route them.
pub const TARGET: &str = "audit_anchor";

/// Starts the anchor task; `every` of zero turns it off.
pub fn spawn(store: Arc<dyn MetadataStore>, every: Duration) {
    if every.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut last = None;
        loop {
            tick.tick().await;
            match store.audit_head().await {
                Ok(Some(head)) if last.as_ref() != Some(&head) => {
                    tracing::info!(
                        target: TARGET,
                        seq = head.0,
                        hash = %head.1,
                        anchor = %format!("{}:{}", head.0, head.1),
                        "audit chain head"
                    );
                    last = Some(head);
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "audit chain head not read for its anchor")
                }
            }
        }
    });
}
