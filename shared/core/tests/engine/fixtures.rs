//! Every fixture in `events/` against its `.expected.json` sidecar, under the built-in policy,
//! offline: whether it is evaluated at all, exactly the findings that do not pass (rule and
//! status; every other finding passes) and the exit code the CLI must give. Which rules govern
//! each kind is pinned once, in `evaluation.rs`, so a new rule that every fixture passes changes
//! no sidecar.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use sagefence_core::{assess_event, Facts, Policy, Status};
use serde_json::Value;

pub(crate) fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

pub(crate) fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![events_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                && !path.to_string_lossy().ends_with(".expected.json")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn sidecar(fixture: &Path) -> Value {
    let path = fixture.with_extension("expected.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_fixture_gives_exactly_its_expected_findings_and_exit_code() {
    let policy = Policy::builtin();
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    let all = fixtures();
    assert!(all.len() >= 100, "expected the full fixture set, found {}", all.len());
    let mut failures = Vec::new();
    for fixture in &all {
        let expected = sidecar(fixture);
        let bytes = std::fs::read(fixture).unwrap();
        let name = fixture.strip_prefix(events_dir()).unwrap().display().to_string();
        match assess_event(&policy, &bytes, &Facts::default(), now) {
            Ok(assessment) => {
                let got: BTreeMap<String, String> = assessment
                    .findings
                    .iter()
                    .filter(|f| f.status != Status::Passed)
                    .map(|f| {
                        let status = serde_json::to_value(f.status).unwrap();
                        (f.rule.to_string(), status.as_str().unwrap().to_owned())
                    })
                    .collect();
                let want: BTreeMap<String, String> = serde_json::from_value(expected["not_passed"].clone())
                    .unwrap_or_else(|_| panic!("{name}: sidecar has no `not_passed`"));
                let evaluated = !assessment.findings.is_empty();
                let exit = i64::from(assessment.has_violation());
                if got != want
                    || Some(evaluated) != expected["evaluated"].as_bool()
                    || Some(exit) != expected["exit"].as_i64()
                {
                    failures.push(format!(
                        "{name}: got exit {exit}, evaluated {evaluated}, not passed {got:?}\n   want {expected}"
                    ));
                }
            }
            Err(err) => {
                let message = err.to_string().to_lowercase();
                let needle = expected["error"].as_str().unwrap_or("\u{0}").to_lowercase();
                if expected["exit"].as_i64() != Some(2) || !message.contains(&needle) {
                    failures.push(format!("{name}: error `{message}`\n   want {expected}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
