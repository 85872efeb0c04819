//! The audit records the functions write, captured in memory and read back: the shared
//! buffer their JSON-lines audit sink writes to, the parsed records, and views of them
//! (by subject type, action outcomes, finding statuses).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use sagefence_aws::audit_log::AUDIT_PREFIX;
use serde_json::Value;

use crate::SupportError;

/// A byte buffer shared between the audit sink (which writes to it) and the test (which reads it).
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far.
    pub fn contents(&self) -> Result<Vec<u8>, SupportError> {
        self.0
            .lock()
            .map(|bytes| bytes.clone())
            .map_err(|_| SupportError::Poisoned)
    }

    /// Everything written so far, leaving the buffer empty.
    pub fn take(&self) -> Result<Vec<u8>, SupportError> {
        self.0
            .lock()
            .map(|mut bytes| std::mem::take(&mut *bytes))
            .map_err(|_| SupportError::Poisoned)
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = self.0.lock().map_err(|_| io::Error::other("audit buffer poisoned"))?;
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Parses JSON text; `what` names it in the error.
pub(crate) fn json(what: impl Into<String>, text: &str) -> Result<Value, SupportError> {
    serde_json::from_str(text).map_err(|source| SupportError::Json {
        what: what.into(),
        source,
    })
}

/// The audit records in these `SAGEFENCE_AUDIT ` lines, parsed.
pub fn parse_audit(bytes: &[u8]) -> Result<Vec<Value>, SupportError> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| line.strip_prefix(AUDIT_PREFIX))
        .map(|record| json("an audit record", record))
        .collect()
}

/// The `subject.type` of an audit record (`finding`, `action`, `own-call`, `malformed`, ...).
pub fn record_type(record: &Value) -> &str {
    record
        .pointer("/subject/type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The audit records of this `subject.type`.
pub fn records_of<'r>(records: &'r [Value], kind: &str) -> Vec<&'r Value> {
    records.iter().filter(|r| record_type(r) == kind).collect()
}

/// The action records, each as `"<action kind> <outcome>"`, e.g. `"stop-notebook-instance applied"`.
pub fn action_outcomes(records: &[Value]) -> Vec<String> {
    records_of(records, "action")
        .into_iter()
        .map(|r| {
            let text = |pointer: &str| r.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
            format!("{} {}", text("/subject/action/action/type"), text("/subject/outcome"))
        })
        .collect()
}

/// The finding records as `rule -> status` (`PASSED`, `FAILED`, `NOT_APPLICABLE`).
pub fn finding_statuses(records: &[Value]) -> BTreeMap<String, String> {
    records_of(records, "finding")
        .into_iter()
        .map(|r| {
            let text = |pointer: &str| {
                r.pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (text("/subject/finding/rule"), text("/subject/finding/status"))
        })
        .collect()
}
