//! The controls in force, as JSON (`GET /admin/incident`,
//! `incident status --json`) and as text for an operator's terminal.

use domain::{Controls, Revocation, Switch};
use serde_json::{Value, json};

fn switch_json(switch: &Switch) -> Value {
    json!({ "reason": switch.reason, "by": switch.by, "at": switch.at })
}

fn revocation_json(sub: Option<&str>, revocation: &Revocation) -> Value {
    let mut value = switch_json(&revocation.switch);
    value["before"] = json!(revocation.before);
    value["sub"] = json!(sub);
    value
}

/// `{ readOnly, uploads, blocked, revocations }`: `readOnly` and `uploads`
/// say whether the mode is on and why; lists are in key order.
pub fn status_json(controls: &Controls) -> Value {
    json!({
        "readOnly": {
            "enabled": controls.read_only.is_some(),
            "switch": controls.read_only.as_ref().map(switch_json),
        },
        "uploads": {
            "enabled": controls.uploads_off.is_none(),
            "switch": controls.uploads_off.as_ref().map(switch_json),
        },
        "blocked": controls.blocked.iter().map(|(sub, switch)| {
            let mut value = switch_json(switch);
            value["sub"] = json!(sub);
            value
        }).collect::<Vec<_>>(),
        "revocations": controls.revoked_all.iter().map(|r| revocation_json(None, r))
            .chain(controls.revoked_users.iter().map(|(sub, r)| revocation_json(Some(sub), r)))
            .collect::<Vec<_>>(),
    })
}

/// One line per control in force, or a line saying there is none.
pub fn status_text(controls: &Controls) -> String {
    let by = |s: &Switch| format!("by {} at {}: {}", s.by, s.at.to_rfc3339(), s.reason);
    let mut lines = Vec::new();
    if let Some(s) = &controls.read_only {
        lines.push(format!("read-only: ON ({})", by(s)));
    }
    if let Some(s) = &controls.uploads_off {
        lines.push(format!("uploads: OFF ({})", by(s)));
    }
    for (sub, s) in &controls.blocked {
        lines.push(format!("blocked: {sub} ({})", by(s)));
    }
    if let Some(r) = &controls.revoked_all {
        lines.push(format!(
            "revoked: every token issued before {} ({})",
            r.before.to_rfc3339(),
            by(&r.switch)
        ));
    }
    for (sub, r) in &controls.revoked_users {
        lines.push(format!(
            "revoked: tokens of {sub} issued before {} ({})",
            r.before.to_rfc3339(),
            by(&r.switch)
        ));
    }
    if lines.is_empty() {
        lines.push("no incident control is in force".to_owned());
    }
    lines.join("\n")
}
