//! The `sagefence` binary run as a user would: its commands over fixtures, `audit verify`, and `sweep` against the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit_verify;
mod commands;
mod identities;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the `sagefence` binary with `args` from the workspace root.
fn sagefence(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sagefence"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

/// Writes `yaml` to `<temp>/<dir>-<pid>/<name>`; its path.
fn policy_file(dir: &str, name: &str, yaml: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{dir}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    path
}
