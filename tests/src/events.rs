//! Event fixtures from the workspace's `events/` directory, loaded with a fresh id and the
//! emulator's account and rewritten field by field to name a test's resources.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use serde_json::Value;

use crate::world::ACCOUNT;
use crate::SupportError;

/// The workspace's `events/` directory.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("../events"), |root| root.join("events"))
}

/// The raw bytes of a fixture, e.g. `malformed/truncated.json`.
pub fn fixture_bytes(path: &str) -> Result<Vec<u8>, SupportError> {
    let path = events_dir().join(path);
    std::fs::read(&path).map_err(|source| SupportError::Fixture { path, source })
}

/// Every event fixture under `events/` (one folder deep, not the `.expected.json` sidecars),
/// sorted.
pub fn fixture_paths() -> Result<Vec<PathBuf>, SupportError> {
    let read = |path: &Path| {
        std::fs::read_dir(path).map_err(|source| SupportError::Fixture {
            path: path.to_owned(),
            source,
        })
    };
    let mut out = Vec::new();
    for dir in read(&events_dir())? {
        let dir = dir
            .map_err(|source| SupportError::Fixture {
                path: events_dir(),
                source,
            })?
            .path();
        if !dir.is_dir() {
            continue;
        }
        for file in read(&dir)? {
            let path = file
                .map_err(|source| SupportError::Fixture {
                    path: dir.clone(),
                    source,
                })?
                .path();
            let name = path.to_string_lossy();
            if name.ends_with(".json") && !name.ends_with(".expected.json") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A fresh EventBridge event id, unique within the process.
pub fn fresh_event_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = Utc::now().timestamp_subsec_nanos();
    format!(
        "{:08x}-5afe-4000-8000-{:04x}{n:08x}",
        std::process::id(),
        nanos & 0xffff
    )
}

/// An event loaded from a fixture, rewritten field by field to name a test's resources.
#[derive(Debug, Clone)]
pub struct EventTemplate {
    event: Value,
}

impl EventTemplate {
    /// Loads `events/<path>` with a fresh event id and the emulator's account.
    pub fn load(path: &str) -> Result<Self, SupportError> {
        let bytes = fixture_bytes(path)?;
        let event = serde_json::from_slice(&bytes).map_err(|source| SupportError::Json {
            what: path.to_owned(),
            source,
        })?;
        EventTemplate { event }
            .set("/id", fresh_event_id())?
            .set("/account", ACCOUNT)
    }

    /// Replaces the value at an existing JSON pointer (a typo is an error, not a new field).
    pub fn set(mut self, pointer: &str, value: impl Into<Value>) -> Result<Self, SupportError> {
        let slot = self.event.pointer_mut(pointer).ok_or_else(|| SupportError::Template {
            pointer: pointer.to_owned(),
        })?;
        *slot = value.into();
        Ok(self)
    }

    /// Sets `key` in the object at `pointer`, adding it when absent.
    pub fn insert(mut self, pointer: &str, key: &str, value: impl Into<Value>) -> Result<Self, SupportError> {
        let object = self
            .event
            .pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| SupportError::Template {
                pointer: pointer.to_owned(),
            })?;
        object.insert(key.to_owned(), value.into());
        Ok(self)
    }

    /// The event.
    pub fn build(self) -> Value {
        self.event
    }
}

/// A CloudTrail `CreateNotebookInstance` (or other notebook call) event from `fixture`, naming
/// the notebook `name` with ARN `arn`.
pub fn notebook_call_event(fixture: &str, name: &str, arn: &str) -> Result<Value, SupportError> {
    Ok(EventTemplate::load(fixture)?
        .set("/detail/requestParameters/notebookInstanceName", name)?
        .insert(
            "/detail",
            "responseElements",
            serde_json::json!({ "notebookInstanceArn": arn }),
        )?
        .build())
}

/// A `SageMaker Notebook Instance State Change` event for notebook `name` entering `status`.
pub fn notebook_state_event(name: &str, arn: &str, status: &str) -> Result<Value, SupportError> {
    Ok(EventTemplate::load("sagemaker/state-notebook-instance-inservice.json")?
        .set("/resources", serde_json::json!([arn]))?
        .set("/detail/NotebookInstanceArn", arn)?
        .set("/detail/NotebookInstanceName", name)?
        .set("/detail/NotebookInstanceStatus", status)?
        .build())
}

/// The event of `fixture` with each `(pointer, value)` of `fields` set (see [`EventTemplate::set`]).
pub fn event_with(fixture: &str, fields: &[(&str, &str)]) -> Result<Value, SupportError> {
    fields
        .iter()
        .try_fold(EventTemplate::load(fixture)?, |event, (pointer, value)| {
            event.set(pointer, *value)
        })
        .map(EventTemplate::build)
}
