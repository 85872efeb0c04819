//! The mutation test: every fixture, each of its fields in turn set to `null`, removed, given
//! the wrong type, an unknown enum string or a 1 MB string; deep nesting; invalid UTF-8. Every
//! mutant must parse or end in a typed error, never panic, and plan no action the unmutated
//! event would not plan, unless the mutation is itself the violation (a removed
//! `directInternetAccess` means `Enabled`): then the new failure's reason names the setting the
//! mutation touched (a key on its path, or a key or text inside what it replaced), so no rule
//! needs an exception written here.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use chrono::{TimeZone, Utc};
use sagefence_core::{assess_event, Facts, Policy};
use serde_json::Value;

use crate::fixtures::{events_dir, fixtures};

/// One step into a JSON document.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// What a mutant does at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    Null,
    Removed,
    WrongType,
    UnknownEnum,
    Huge,
}

/// The actions, as far as the comparison goes: each action's type with each rule it serves
/// (`""` for none), and the reasons of the failed findings by rule. The resource's name is left
/// out: a mutated name names another resource, not another remedy.
#[derive(Default)]
struct Planned {
    actions: BTreeSet<(String, String)>,
    reasons: BTreeMap<String, String>,
}

/// Path keys that name no setting: the envelope's and the tag entries' structure.
const STRUCTURAL: &[&str] = &[
    "detail",
    "requestparameters",
    "responseelements",
    "key",
    "value",
    "name",
];

/// A setting's name as reasons spell it, loosely: lowercase letters and digits, without a
/// trailing `ids`, `id` or `s` (`SubnetIds` and "no subnet" meet at `subnet`).
fn stem(word: &str) -> String {
    let word: String = word
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    ["ids", "id", "s"]
        .iter()
        .find_map(|end| word.strip_suffix(end).filter(|w| w.len() >= 3))
        .unwrap_or(&word)
        .to_owned()
}

/// The settings a mutation at `path` touches: the keys on its path (but the envelope's) and
/// every key and text inside the value it replaces.
fn touched(root: &Value, path: &[Step]) -> Vec<String> {
    fn inside(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push(k.clone());
                inside(v, out);
            }),
            Value::Array(items) => items.iter().for_each(|v| inside(v, out)),
            Value::String(text) => out.push(text.clone()),
            _ => {}
        }
    }
    let mut words: Vec<String> = path
        .iter()
        .filter_map(|step| match step {
            Step::Key(key) => Some(key.clone()),
            Step::Index(_) => None,
        })
        .collect();
    if let Some(value) = at(root, path) {
        inside(value, &mut words);
    }
    words
        .iter()
        .filter(|w| !STRUCTURAL.contains(&w.to_lowercase().as_str()))
        .map(|w| stem(w))
        .filter(|w| w.len() >= 3)
        .collect()
}

/// Whether a new action for `rule` is the violation the mutation at `path` makes: a failed call
/// made successful, or a failure whose reason names a setting the mutation touched.
fn justified(root: &Value, path: &[Step], reason: Option<&String>) -> bool {
    if path
        .iter()
        .any(|step| matches!(step, Step::Key(k) if k.eq_ignore_ascii_case("errorCode")))
    {
        return true;
    }
    let Some(reason) = reason else {
        return false;
    };
    let reason = stem(reason);
    touched(root, path).iter().any(|word| reason.contains(word.as_str()))
}

fn planned(policy: &Policy, bytes: &[u8]) -> Result<Planned, String> {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    let outcome = catch_unwind(AssertUnwindSafe(|| assess_event(policy, bytes, &Facts::default(), now)));
    match outcome {
        Err(_) => Err("panicked".to_owned()),
        Ok(Err(err)) => {
            if err.to_string().is_empty() {
                Err("an error without a message".to_owned())
            } else {
                Ok(Planned::default())
            }
        }
        Ok(Ok(assessment)) => {
            let actions = assessment
                .actions
                .iter()
                .flat_map(|a| {
                    let kind = serde_json::to_value(&a.action).unwrap();
                    let kind = kind.get("type").cloned().unwrap_or(kind).to_string();
                    let rules: Vec<String> = if a.rules.is_empty() {
                        vec![String::new()]
                    } else {
                        a.rules.iter().map(ToString::to_string).collect()
                    };
                    rules.into_iter().map(move |rule| (kind.clone(), rule))
                })
                .collect();
            let reasons = assessment
                .findings
                .iter()
                .filter(|f| f.is_violation())
                .map(|f| (f.rule.to_string(), f.reason.clone()))
                .collect();
            Ok(Planned { actions, reasons })
        }
    }
}

/// Every path in `value` (objects' keys, arrays' indices), depth first.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(Step::Index(index));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(key) => v.get(key),
        Step::Index(i) => v.get(i),
    })
}

/// The document with `mutation` applied at `path`; `None` when it does not apply there.
fn mutate(root: &Value, path: &[Step], mutation: Mutation) -> Option<Value> {
    let (last, parent_path) = path.split_last()?;
    let current = at(root, path)?;
    let replacement = match (mutation, current) {
        (Mutation::Null, Value::Null) => return None,
        (Mutation::Null, _) => Value::Null,
        (Mutation::Removed, _) => Value::Null,
        (Mutation::WrongType, Value::String(_)) => Value::from(42),
        (Mutation::WrongType, Value::Number(_) | Value::Bool(_)) => Value::from("42"),
        (Mutation::WrongType, Value::Object(_)) => Value::from("an object was here"),
        (Mutation::WrongType, Value::Array(_)) => serde_json::json!({ "an": "array was here" }),
        (Mutation::WrongType, Value::Null) => Value::from(true),
        (Mutation::UnknownEnum, Value::String(_)) => Value::from("SagefenceUnknownValue"),
        (Mutation::Huge, Value::String(_)) => Value::from("x".repeat(1 << 20)),
        (Mutation::UnknownEnum | Mutation::Huge, _) => return None,
    };
    let mut out = root.clone();
    let mut parent = &mut out;
    for step in parent_path {
        parent = match step {
            Step::Key(key) => parent.get_mut(key)?,
            Step::Index(i) => parent.get_mut(i)?,
        };
    }
    match (parent, last, mutation) {
        (Value::Object(map), Step::Key(key), Mutation::Removed) => {
            map.remove(key);
        }
        (Value::Array(items), Step::Index(i), Mutation::Removed) => {
            items.remove(*i);
        }
        (Value::Object(map), Step::Key(key), _) => {
            map.insert(key.clone(), replacement);
        }
        (Value::Array(items), Step::Index(i), _) => {
            *items.get_mut(*i)? = replacement;
        }
        _ => return None,
    }
    Some(out)
}

/// Mutants that are not one field's change: the detail or its parameters nested deeper than
/// any parser allows, and bytes that are not UTF-8 inside a string.
fn structural(root: &Value, bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let deep = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let nested = |depth: usize| format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    for (name, target) in [("detail", "detail"), ("requestParameters", "requestParameters")] {
        let text = serde_json::to_string(root).unwrap();
        let needle = format!("\"{target}\":");
        if let Some(at) = text.find(&needle) {
            let (head, tail) = text.split_at(at + needle.len());
            for (label, value) in [("array", deep(10_000)), ("object", nested(300))] {
                out.push((
                    format!("{name} nested as a deep {label}"),
                    format!("{head}{value},\"sagefenceReplaced\":{tail}").into_bytes(),
                ));
            }
        }
    }
    for (i, position) in bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'"')
        .map(|(i, _)| i)
        .step_by(25)
        .enumerate()
    {
        let mut broken = bytes.to_vec();
        broken.insert(position + 1, 0xFF);
        out.push((format!("invalid UTF-8 #{i}"), broken));
    }
    out
}

/// Runs every mutant of one fixture: how many, and the failures.
fn mutants_of(policy: &Policy, index: usize, fixture: &Path) -> (usize, Vec<String>) {
    let mut run = 0usize;
    let mut failures = Vec::new();
    let name = fixture
        .strip_prefix(events_dir())
        .unwrap_or(fixture)
        .display()
        .to_string();
    let bytes = std::fs::read(fixture).unwrap();
    let Ok(root) = serde_json::from_slice::<Value>(&bytes) else {
        return (run, failures);
    };
    let original = match planned(policy, &bytes) {
        Ok(original) => original,
        Err(why) => return (run, vec![format!("{name}: unmutated: {why}")]),
    };
    let mut all_paths = Vec::new();
    paths(&root, &mut Vec::new(), &mut all_paths);
    // A 1 MB string in every fifth fixture, at a string field chosen by its position.
    let strings: Vec<&Vec<Step>> = all_paths
        .iter()
        .filter(|p| matches!(at(&root, p), Some(Value::String(_))))
        .collect();
    let huge_at = strings.get(index / 5 % strings.len().max(1)).filter(|_| index % 5 == 0);
    for path in &all_paths {
        for mutation in [
            Mutation::Null,
            Mutation::Removed,
            Mutation::WrongType,
            Mutation::UnknownEnum,
            Mutation::Huge,
        ] {
            if mutation == Mutation::Huge && !huge_at.is_some_and(|p| std::ptr::eq(*p, path)) {
                continue;
            }
            let Some(mutant) = mutate(&root, path, mutation) else {
                continue;
            };
            run += 1;
            match planned(policy, &serde_json::to_vec(&mutant).unwrap()) {
                Err(why) => failures.push(format!("{name}: {mutation:?} at {path:?}: {why}")),
                Ok(mutant) => {
                    for extra in mutant.actions.difference(&original.actions) {
                        if !justified(&root, path, mutant.reasons.get(&extra.1)) {
                            failures.push(format!("{name}: {mutation:?} at {path:?} plans {extra:?}"));
                        }
                    }
                }
            }
        }
    }
    for (label, mutant_bytes) in structural(&root, &bytes) {
        run += 1;
        match planned(policy, &mutant_bytes) {
            Err(why) => failures.push(format!("{name}: {label}: {why}")),
            Ok(mutant) if !mutant.actions.is_subset(&original.actions) => {
                failures.push(format!("{name}: {label} plans {:?}", mutant.actions));
            }
            Ok(_) => {}
        }
    }
    (run, failures)
}

#[test]
fn no_mutant_of_any_fixture_panics_or_plans_an_action_its_original_does_not() {
    let policy = Policy::builtin();
    let all = fixtures();
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, 4);
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let (policy, all) = (&policy, &all);
                scope.spawn(move || {
                    all.iter()
                        .enumerate()
                        .skip(worker)
                        .step_by(workers)
                        .map(|(index, fixture)| mutants_of(policy, index, fixture))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let run: usize = results.iter().map(|(n, _)| n).sum();
    let failures: Vec<&String> = results.iter().flat_map(|(_, f)| f).collect();
    eprintln!("mutants: {run} run, {} failed", failures.len());
    assert!(run > 10_000, "too few mutants: {run}");
    assert!(
        failures.is_empty(),
        "{} mutant(s) failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
