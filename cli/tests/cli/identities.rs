//! The same call made by every kind of caller CloudTrail records gives the same findings and
//! actions as its assumed-role form: `X-<identity>.json` against `X.json`.

use std::collections::BTreeSet;

use sagefence_tests::events::fixture_paths;
use serde_json::Value;

use crate::sagefence;

/// The identity forms among the fixtures, as the suffix each fixture's name ends with.
const FORMS: [&str; 9] = [
    "iam-user",
    "iam-user-access-key",
    "root",
    "federated-user",
    "aws-service",
    "aws-account",
    "identity-center-user",
    "unknown",
    "assumed-role-web-identity",
];

fn evaluate(path: &std::path::Path) -> (i32, Value) {
    let out = sagefence(&["evaluate", "--event", path.to_str().unwrap()]);
    let stdout: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), stdout)
}

#[test]
fn every_identity_form_of_a_call_gives_the_findings_of_its_assumed_role_form() {
    let all = fixture_paths().unwrap();
    let mut compared = BTreeSet::new();
    for fixture in &all {
        let stem = fixture.file_stem().unwrap().to_str().unwrap();
        let Some((base, form)) = FORMS
            .iter()
            .filter_map(|form| stem.strip_suffix(&format!("-{form}")).map(|base| (base, *form)))
            .max_by_key(|(_, form)| form.len())
        else {
            continue;
        };
        let assumed_role = fixture.with_file_name(format!("{base}.json"));
        if !assumed_role.exists() {
            continue;
        }
        let (want_code, want) = evaluate(&assumed_role);
        let (code, got) = evaluate(fixture);
        assert_eq!(code, want_code, "{}", fixture.display());
        assert_eq!(got, want, "{}", fixture.display());
        compared.insert(form);
    }
    for form in ["iam-user", "root", "federated-user", "aws-service"] {
        assert!(compared.contains(form), "no fixture in the {form} form: {compared:?}");
    }
}
