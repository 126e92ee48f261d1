//! `image-service incident …`: the incident controls (docs/incident-response.md)
//! from the command line. Works on the configured metadata store directly,
//! so it works while every replica is sick; each replica obeys within
//! `incident::POLL`. Every change is audited as `cli:<login name>`.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use domain::{ControlChange, Revocation};

use crate::audit::AuditLog;
use crate::config::Config;
use crate::incident::{self, status_json, status_text};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Read-only mode: every write answers 503 MAINTENANCE (on), or lift it (off).
    ReadOnly {
        state: OnOff,
        /// Why (required to turn it on).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Uploads: resume (on) or pause (off; POST /images answers 503 MAINTENANCE).
    Uploads {
        state: OnOff,
        /// Why (required to pause them).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Block an account: every request of SUB answers 403 ACCOUNT_BLOCKED, its links stop.
    Block {
        sub: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a block.
    Unblock {
        sub: String,
        /// Why (optional).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Refuse tokens issued before a time (401 TOKEN_REVOKED), everyone's or one user's.
    RevokeTokens {
        /// RFC 3339, e.g. 2026-12-04T03:00:00Z.
        #[arg(long)]
        before: String,
        /// Only this user's tokens.
        #[arg(long)]
        sub: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Every control in force.
    Status {
        /// As JSON (the shape of GET /admin/incident).
        #[arg(long)]
        json: bool,
    },
}

/// Who the audit trail names: the operator's login name.
pub(super) fn actor() -> String {
    let login = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{login}")
}

fn required(reason: Option<String>, what: &str) -> anyhow::Result<String> {
    let reason = reason.map(|r| r.trim().to_owned()).unwrap_or_default();
    anyhow::ensure!(!reason.is_empty(), "--reason is required to {what}");
    Ok(reason)
}

pub async fn run(config: &Config, command: IncidentCommand) -> anyhow::Result<()> {
    let store = metadata::open(&config.metadata_url)
        .await
        .context("IMAGE_SERVICE_METADATA_URL: cannot open the metadata store")?;
    if let IncidentCommand::Status { json } = command {
        let controls = incident::load(&*store).await?;
        if json {
            println!("{}", status_json(&controls));
        } else {
            println!("{}", status_text(&controls));
        }
        return Ok(());
    }
    let actor = actor();
    let change = match command {
        IncidentCommand::ReadOnly { state, reason } => ControlChange::ReadOnly(match state {
            OnOff::On => Some(incident::switch(
                &actor,
                &required(reason, "turn read-only mode on")?,
            )),
            OnOff::Off => None,
        }),
        IncidentCommand::Uploads { state, reason } => ControlChange::UploadsOff(match state {
            OnOff::Off => Some(incident::switch(
                &actor,
                &required(reason, "pause uploads")?,
            )),
            OnOff::On => None,
        }),
        IncidentCommand::Block { sub, reason } => {
            anyhow::ensure!(!sub.is_empty(), "SUB must not be empty");
            let switch = Some(incident::switch(&actor, &required(Some(reason), "block")?));
            ControlChange::Block { sub, switch }
        }
        IncidentCommand::Unblock { sub, .. } => ControlChange::Block { sub, switch: None },
        IncidentCommand::RevokeTokens {
            before,
            sub,
            reason,
        } => {
            let before: DateTime<Utc> = DateTime::parse_from_rfc3339(&before)
                .context("--before: expected an RFC 3339 time like 2026-12-04T03:00:00Z")?
                .with_timezone(&Utc);
            anyhow::ensure!(sub.as_deref() != Some(""), "--sub must not be empty");
            let revocation = Revocation {
                before,
                switch: incident::switch(&actor, &required(Some(reason), "revoke tokens")?),
            };
            ControlChange::Revoke { sub, revocation }
        }
        IncidentCommand::Status { .. } => unreachable!("answered above"),
    };
    let audit = AuditLog::new(store.clone());
    let controls = incident::apply(&*store, &audit, &actor, &change).await?;
    println!("{}", status_text(&controls));
    println!(
        "every replica obeys within {} s",
        incident::POLL.as_secs() + 1
    );
    Ok(())
}
