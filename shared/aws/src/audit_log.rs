//! The logging audit sink: one JSON line per record on a writer (stdout in Lambda, so records
//! land in CloudWatch Logs, where the audit-shipper's subscription picks them up).

use std::io::Write;
use std::sync::Mutex;

use crate::ports::{AuditSink, PortError, PortErrorKind, PortResult};
use sagefence_audit::audit::AuditRecord;

/// Writes each audit record as one JSON line, prefixed by `SAGEFENCE_AUDIT `.
#[derive(Debug)]
pub struct JsonLinesAuditSink<W> {
    out: Mutex<W>,
}

/// The prefix of every audit line, so log subscriptions can filter on it.
pub const AUDIT_PREFIX: &str = "SAGEFENCE_AUDIT ";

impl<W: Write> JsonLinesAuditSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesAuditSink { out: Mutex::new(out) }
    }

    /// The writer, to read back what was written.
    pub fn into_inner(self) -> W {
        match self.out.into_inner() {
            Ok(out) => out,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn sink_error(message: impl ToString) -> PortError {
    PortError {
        operation: "WriteAuditRecord",
        kind: PortErrorKind::Unavailable,
        message: message.to_string(),
    }
}

impl<W: Write + Send> AuditSink for JsonLinesAuditSink<W> {
    async fn record(&self, record: &AuditRecord) -> PortResult<()> {
        let line = serde_json::to_string(record).map_err(sink_error)?;
        let mut out = self.out.lock().map_err(sink_error)?;
        writeln!(out, "{AUDIT_PREFIX}{line}")
            .and_then(|()| out.flush())
            .map_err(sink_error)
    }
}
