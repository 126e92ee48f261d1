//! JSON logs on stdout, one object per line; level from `IMAGE_SERVICE_LOG`
//! (default `info`).
//!
//! Audit events (target `audit`) carry the event as a nested object, not as
//! a JSON string inside a field, so a log shipper can index `audit.action`,
//! `audit.actor`, `audit.requestId`:
//!
//! ```json
//! {"timestamp":"…","level":"INFO","target":"audit","message":"audit event",
//!  "audit":{"id":"…","at":"…","requestId":"…","actor":"alice","action":"image.update",…}}
//! ```
//!
//! tracing's own structured values need an unstable cfg, so the audit log
//! hands the event over as its JSON text (`AUDIT_FIELD`) and `LogFormat`
//! embeds it; every other line is tracing-subscriber's JSON format unchanged.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The log target of audit events.
pub const AUDIT_TARGET: &str = "audit";
/// The field of an audit log event holding the event's JSON text.
pub const AUDIT_FIELD: &str = "audit";

pub fn init() {
    let filter = std::env::var("IMAGE_SERVICE_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let json = tracing_subscriber::fmt::format()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true);
    let _ = tracing_subscriber::fmt()
        .json()
        .event_format(LogFormat { json })
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}

/// tracing-subscriber's JSON lines, except that audit events embed the event
/// as an object.
struct LogFormat {
    json: Format<Json, SystemTime>,
}

impl<S, N> FormatEvent<S, N> for LogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != AUDIT_TARGET {
            return self.json.format_event(ctx, writer, event);
        }
        let mut fields = AuditFields::default();
        event.record(&mut fields);
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let mut line = Map::new();
        line.insert("timestamp".into(), timestamp.into());
        line.insert("level".into(), event.metadata().level().to_string().into());
        line.insert("target".into(), AUDIT_TARGET.into());
        line.extend(fields.others);
        if let Some(audit) = fields.audit {
            // Text that is not JSON (never expected) stays a string, not lost.
            let value = serde_json::from_str(&audit).unwrap_or(Value::String(audit));
            line.insert(AUDIT_FIELD.into(), value);
        }
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// The fields of an audit log event: the event's JSON text and the rest
/// (`message`) as text.
#[derive(Default)]
struct AuditFields {
    audit: Option<String>,
    others: Map<String, Value>,
}

impl Visit for AuditFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == AUDIT_FIELD {
            self.audit = Some(value.to_owned());
        } else {
            self.others.insert(field.name().into(), value.into());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}
