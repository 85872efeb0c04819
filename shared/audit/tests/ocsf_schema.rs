//! Every OCSF record sagefence writes, checked against the OCSF 1.3.0 schema itself (the
//! vendored subset in `fixtures/ocsf/`, see its README): each required attribute present,
//! recursively through every object, profile-gated ones when the record names the profile;
//! every attribute one the class or object defines, with the schema's type and enum values;
//! each object's `at_least_one` / `just_one` constraints; and `type_uid` = class × 100 + activity.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;

use sagefence_audit::ocsf::{self, CallSource, RecordLine, OCSF_VERSION};
use serde_json::{json, Map, Value};

const SCHEMA: &str = include_str!("fixtures/ocsf/schema-1.3.0.json");

struct Schema {
    root: Value,
}

impl Schema {
    fn load() -> Schema {
        let root: Value = serde_json::from_str(SCHEMA).unwrap();
        assert_eq!(
            root["version"], OCSF_VERSION,
            "the fixture is the version the records name"
        );
        Schema { root }
    }

    fn class_by_uid(&self, uid: u64) -> (&str, &Value) {
        self.root["classes"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, class)| class["uid"] == uid)
            .map(|(name, class)| (name.as_str(), class))
            .unwrap_or_else(|| panic!("class_uid {uid} is none of the vendored classes"))
    }

    /// The base type (`string_t`, `integer_t`, `long_t`, ...) of a schema type.
    fn base_type<'a>(&'a self, ty: &'a str) -> &'a str {
        match self.root["types"][ty].as_str() {
            Some(base) if base != ty => self.base_type(base),
            _ => ty,
        }
    }

    /// Every violation of `record` against its class.
    fn violations(&self, record: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let uid = record["class_uid"].as_u64().unwrap_or_default();
        let (name, class) = self.class_by_uid(uid);
        if record["category_uid"] != class["category_uid"] {
            out.push(format!(
                "{name}: category_uid {} is not {}",
                record["category_uid"], class["category_uid"]
            ));
        }
        let activity = record["activity_id"].as_u64().unwrap_or(u64::MAX);
        if record["type_uid"].as_u64() != Some(uid * 100 + activity) {
            out.push(format!(
                "{name}: type_uid {} is not {uid} × 100 + {activity}",
                record["type_uid"]
            ));
        }
        let profiles: Vec<&str> = record["metadata"]["profiles"]
            .as_array()
            .map(|p| p.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let object = record.as_object().unwrap();
        self.check_object(name, &class["attributes"], &Value::Null, object, &profiles, &mut out);
        out
    }

    fn check_object(
        &self,
        path: &str,
        attributes: &Value,
        constraints: &Value,
        value: &Map<String, Value>,
        profiles: &[&str],
        out: &mut Vec<String>,
    ) {
        let attributes = attributes.as_object().unwrap();
        for (name, spec) in attributes {
            let gated_off = spec["profile"].as_str().is_some_and(|p| !profiles.contains(&p));
            if spec["requirement"] == "required" && !gated_off && value.get(name).is_none_or(Value::is_null) {
                out.push(format!("{path}: required `{name}` is missing"));
            }
        }
        let present = |names: &Value| {
            names
                .as_array()
                .map(|names| {
                    names
                        .iter()
                        .filter(|n| n.as_str().is_some_and(|n| value.get(n).is_some_and(|v| !v.is_null())))
                        .count()
                })
                .unwrap_or(0)
        };
        if constraints["at_least_one"].is_array() && present(&constraints["at_least_one"]) == 0 {
            out.push(format!("{path}: needs at least one of {}", constraints["at_least_one"]));
        }
        if constraints["just_one"].is_array() && present(&constraints["just_one"]) != 1 {
            out.push(format!("{path}: needs exactly one of {}", constraints["just_one"]));
        }
        for (name, item) in value {
            let Some(spec) = attributes.get(name) else {
                out.push(format!("{path}: `{name}` is no attribute of the schema"));
                continue;
            };
            let here = format!("{path}.{name}");
            if spec["is_array"] == true {
                match item.as_array() {
                    Some(items) => {
                        for (i, element) in items.iter().enumerate() {
                            self.check_value(&format!("{here}[{i}]"), spec, element, profiles, out);
                        }
                    }
                    None => out.push(format!("{here}: not an array")),
                }
            } else {
                self.check_value(&here, spec, item, profiles, out);
            }
        }
    }

    fn check_value(&self, path: &str, spec: &Value, value: &Value, profiles: &[&str], out: &mut Vec<String>) {
        let ty = spec["type"].as_str().unwrap();
        let typed = match self.base_type(ty) {
            "string_t" => value.is_string(),
            "integer_t" | "long_t" => value.is_i64() || value.is_u64(),
            "float_t" => value.is_number(),
            "boolean_t" => value.is_boolean(),
            "object_t" => value.is_object(),
            _ => true,
        };
        if !typed {
            out.push(format!("{path}: {value} is not {ty}"));
            return;
        }
        if let Some(allowed) = spec["enum"].as_array() {
            if !allowed.contains(value) {
                out.push(format!("{path}: {value} is none of {spec}", spec = spec["enum"]));
            }
        }
        let object_type = spec["object_type"].as_str().unwrap_or("object");
        if let (Some(map), true) = (value.as_object(), object_type != "object") {
            let object = &self.root["objects"][object_type];
            assert!(object.is_object(), "{path}: object `{object_type}` is not vendored");
            self.check_object(path, &object["attributes"], &object["constraints"], map, profiles, out);
        }
    }
}

fn assert_valid(schema: &Schema, record: &Value) {
    let violations = schema.violations(record);
    assert!(violations.is_empty(), "{violations:#?}\nin {record:#}");
}

fn record(subject: Value, actor: Option<Value>, project: Option<&str>) -> RecordLine {
    let mut line = json!({
        "id": "0123456789abcdef", "time": "2026-11-26T10:00:00.250Z", "function": "guardrail",
        "event_id": "ev-1", "account": "111122223333", "region": "eu-west-1", "subject": subject,
    });
    if let Some(actor) = actor {
        line["actor"] = actor;
    }
    if let Some(project) = project {
        line["project"] = json!(project);
    }
    serde_json::from_value(line).unwrap()
}

fn actors() -> Vec<Option<Value>> {
    vec![
        None,
        Some(
            json!({"identity_type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/ds/alice",
                    "role_arn": "arn:aws:iam::111122223333:role/ds"}),
        ),
        Some(json!({"identity_type": "AWSService", "invoked_by": "sagemaker.amazonaws.com"})),
        Some(json!({"identity_type": "Unknown"})),
    ]
}

fn resource(arn: bool) -> Value {
    let mut resource = json!({"kind": "notebook-instance", "name": "nb1"});
    if arn {
        resource["arn"] = json!("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/nb1");
    }
    resource
}

#[test]
fn every_compliance_finding_meets_the_schema() {
    let schema = Schema::load();
    let mut checked = 0;
    for actor in actors() {
        for (status, exemption) in [
            ("FAILED", None),
            ("FAILED", Some(json!({"reason": "approved", "expires": "2027-01-01"}))),
            ("PASSED", None),
            ("NOT_APPLICABLE", None),
        ] {
            for (arn, control, project) in [(true, Some("SageMaker.3"), Some("alpha")), (false, None, None)] {
                let mut finding = json!({"rule": "notebook-root-access-disabled", "resource": resource(arn),
                    "status": status, "severity": "HIGH", "reason": "root access", "mode": "enforce"});
                if let Some(control) = control {
                    finding["control"] = json!(control);
                }
                if let Some(exemption) = &exemption {
                    finding["exemption"] = exemption.clone();
                }
                let line = record(json!({"type": "finding", "finding": finding}), actor.clone(), project);
                let ocsf = ocsf::from_record(&line).unwrap();
                assert_eq!(ocsf["class_uid"], 2003);
                assert_valid(&schema, &ocsf);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 32);
}

#[test]
fn every_remediation_activity_meets_the_schema() {
    let schema = Schema::load();
    let outcomes = [
        json!({"outcome": "applied"}),
        json!({"outcome": "already-done", "detail": "stopped"}),
        json!({"outcome": "dry-run"}),
        json!({"outcome": "deferred", "detail": "pending"}),
        json!({"outcome": "failed", "error": "boom", "retryable": true}),
    ];
    let mut activities = std::collections::BTreeSet::new();
    for actor in actors() {
        for kind in [
            "stop-notebook-instance",
            "start-notebook-instance",
            "enable-key-rotation",
            "tag-resource",
        ] {
            for outcome in &outcomes {
                let mut subject = json!({"type": "action", "action": {
                    "action": {"type": kind}, "resource": resource(kind.contains("notebook")),
                    "rules": ["notebook-root-access-disabled"], "mode": "enforce", "reason": "root access"}});
                for (key, value) in outcome.as_object().unwrap() {
                    subject[key] = value.clone();
                }
                let ocsf = ocsf::from_record(&record(subject, actor.clone(), Some("alpha"))).unwrap();
                assert_eq!(ocsf["class_uid"], 7001);
                assert_valid(&schema, &ocsf);
                activities.insert(ocsf["activity_id"].as_u64().unwrap());
            }
        }
    }
    assert_eq!(
        activities.into_iter().collect::<Vec<_>>(),
        [1, 3, 4],
        "isolate, restore, harden"
    );
}

fn event_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            event_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_api_activity_from_the_event_fixtures_meets_the_schema() {
    let schema = Schema::load();
    let mut files = Vec::new();
    event_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events"), &mut files);
    files.sort();
    let mut checked = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(sagefence_core::Event::ApiCall(call)) = sagefence_core::event::parse(&bytes) else {
            continue;
        };
        let detail = serde_json::from_slice::<Value>(&bytes).unwrap()["detail"].clone();
        let source: CallSource = serde_json::from_value(detail).unwrap_or_default();
        for source in [source, CallSource::default()] {
            let ocsf = ocsf::api_activity(&call.event_id, &call, &source);
            assert_eq!(ocsf["class_uid"], 6003, "{}", path.display());
            let violations = schema.violations(&ocsf);
            assert!(violations.is_empty(), "{}: {violations:#?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} API calls among the event fixtures");
}

#[test]
fn the_checker_catches_what_the_schema_forbids() {
    let schema = Schema::load();
    let line = record(
        json!({"type": "finding", "finding": {"rule": "r", "resource": resource(true), "status": "FAILED",
            "severity": "HIGH", "reason": "x", "mode": "enforce"}}),
        None,
        None,
    );
    let good = ocsf::from_record(&line).unwrap();
    let broken = |change: &dyn Fn(&mut Value)| {
        let mut record = good.clone();
        change(&mut record);
        schema.violations(&record)
    };
    assert!(schema.violations(&good).is_empty());
    assert_eq!(
        broken(&|r| drop(r["finding_info"].as_object_mut().unwrap().remove("uid"))),
        ["compliance_finding.finding_info: required `uid` is missing"]
    );
    assert_eq!(
        broken(&|r| drop(r["metadata"]["product"].as_object_mut().unwrap().remove("name"))),
        ["compliance_finding.metadata.product: needs at least one of [\"name\",\"uid\"]"]
    );
    assert_eq!(
        broken(&|r| drop(r.as_object_mut().unwrap().remove("cloud"))),
        ["compliance_finding: required `cloud` is missing"]
    );
    assert!(broken(&|r| {
        r["metadata"]["profiles"] = json!([]);
        r.as_object_mut().unwrap().remove("cloud");
    })
    .is_empty());
    assert_eq!(
        broken(&|r| r["type_uid"] = json!(200_302)),
        ["compliance_finding: type_uid 200302 is not 2003 × 100 + 1"]
    );
    assert_eq!(
        broken(&|r| r["severity_id"] = json!(7)),
        ["compliance_finding.severity_id: 7 is none of [0,1,2,3,4,5,6,99]"]
    );
    assert_eq!(
        broken(&|r| r["compliance"]["standards"] = json!("sagefence")),
        ["compliance_finding.compliance.standards: not an array"]
    );
    assert_eq!(
        broken(&|r| r["actor"] = json!({"user": {"type": "AssumedRole"}})),
        ["compliance_finding.actor.user: needs at least one of [\"account\",\"name\",\"uid\"]"]
    );
    assert_eq!(
        broken(&|r| r["countermeasures"] = json!([])),
        ["compliance_finding: `countermeasures` is no attribute of the schema"]
    );
}
