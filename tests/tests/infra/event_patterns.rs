//! The template's EventBridge wiring against the event fixtures: every fixture reaches exactly
//! the functions that handle it, and nothing else. What a function handles is decided by
//! sagefence's own parser (the code the functions run), the routing by the template's rule
//! patterns (matched as EventBridge does, `sagefence_tests::event_pattern`), so wiring and
//! handlers cannot drift apart. The matcher is checked against the emulator's
//! `TestEventPattern` on every rule and fixture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sagefence_core::event::{parse, Event, IgnoreReason};
use sagefence_tests::event_pattern::matches;
use sagefence_tests::events::{events_dir, fixture_paths};
use sagefence_tests::Emulator;
use serde_yaml_ng::Value as Yaml;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GUARDRAIL: &str = "Guardrail";
const SHIPPER: &str = "AuditShipper";
const SWEEPER: &str = "Sweeper";

/// Malformed fixtures that EventBridge still delivers, because no pattern can see a field's type
/// or a missing request parameter: the guardrail receives them and records them as malformed
/// (and the audit-shipper skips them), which is the designed outcome.
const DELIVERED_MALFORMED: &[(&str, &[&str])] = &[
    (
        "malformed/create-notebook-instance-direct-internet-number.json",
        &[GUARDRAIL, SHIPPER],
    ),
    (
        "malformed/create-notebook-instance-missing-name.json",
        &[GUARDRAIL, SHIPPER],
    ),
    (
        "malformed/create-training-job-subnets-not-list.json",
        &[GUARDRAIL, SHIPPER],
    ),
    ("malformed/state-notebook-instance-missing-name.json", &[GUARDRAIL]),
];

struct Rule {
    name: String,
    pattern: Option<serde_json::Value>,
    schedule: Option<String>,
    targets: BTreeSet<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The logical id a target `Arn` names: `!GetAtt Fn.Arn` or `Fn::GetAtt: [Fn, Arn]`.
fn target_function(arn: &Yaml) -> String {
    match arn {
        Yaml::Tagged(tagged) if tagged.tag.to_string().trim_start_matches('!') == "GetAtt" => {
            let name = tagged.value.as_str().expect("!GetAtt Name.Arn");
            name.strip_suffix(".Arn").expect("a function's Arn").to_owned()
        }
        Yaml::Mapping(map) => {
            let args = map.get("Fn::GetAtt").and_then(Yaml::as_sequence).expect("Fn::GetAtt");
            args[0].as_str().unwrap().to_owned()
        }
        other => panic!("a target names its function with GetAtt, not {other:?}"),
    }
}

fn rules() -> Vec<Rule> {
    let text = std::fs::read_to_string(root().join("infra/template.yaml")).unwrap();
    let template: Yaml = serde_yaml_ng::from_str(&text).unwrap();
    let resources = template["Resources"].as_mapping().unwrap();
    let mut rules = Vec::new();
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Events::Rule") {
            continue;
        }
        let properties = &resource["Properties"];
        let pattern = properties
            .get("EventPattern")
            .map(|p| serde_json::to_value(p).expect("a pattern without intrinsic functions"));
        let targets = properties["Targets"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|target| target_function(&target["Arn"]))
            .collect();
        rules.push(Rule {
            name: name.as_str().unwrap().to_owned(),
            pattern,
            schedule: properties.get("ScheduleExpression").map(|s| format!("{s:?}")),
            targets,
        });
    }
    rules
}

fn relative(file: &Path) -> String {
    file.strip_prefix(events_dir()).unwrap().display().to_string()
}

/// The functions whose code acts on this fixture.
fn handlers(file: &Path, bytes: &[u8]) -> BTreeSet<String> {
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    match parse(bytes) {
        Ok(Event::ApiCall(_)) => names(&[GUARDRAIL, SHIPPER]),
        // A state change to a status AWS sends but sagefence does not act on (a notebook
        // `Deleted`, a status added since) still reaches the guardrail, which records it.
        Ok(Event::StateChange { .. })
        | Ok(Event::Ignored {
            reason: IgnoreReason::UnhandledStatus { .. },
            ..
        }) => names(&[GUARDRAIL]),
        Ok(Event::Scheduled { .. } | Event::Ignored { .. }) => BTreeSet::new(),
        Err(_) => DELIVERED_MALFORMED
            .iter()
            .find(|(name, _)| *name == relative(file))
            .map_or_else(BTreeSet::new, |(_, functions)| names(functions)),
    }
}

/// The functions EventBridge delivers this fixture to, and through which rules.
fn routed(rules: &[Rule], bytes: &[u8]) -> (BTreeSet<String>, Vec<String>) {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return (BTreeSet::new(), Vec::new());
    };
    let mut functions = BTreeSet::new();
    let mut through = Vec::new();
    for rule in rules {
        let Some(pattern) = &rule.pattern else { continue };
        if matches(pattern, &event).unwrap_or_else(|e| panic!("rule {}: {e}", rule.name)) {
            functions.extend(rule.targets.iter().cloned());
            through.push(rule.name.clone());
        }
    }
    (functions, through)
}

#[test]
fn every_fixture_reaches_exactly_the_functions_that_handle_it() {
    let rules = rules();
    let mut wrong = BTreeMap::new();
    let mut routed_count = 0;
    for file in fixture_paths().unwrap() {
        let bytes = std::fs::read(&file).unwrap();
        let want = handlers(&file, &bytes);
        let (got, through) = routed(&rules, &bytes);
        routed_count += usize::from(!got.is_empty());
        if got != want {
            wrong.insert(
                relative(&file),
                format!("handled by {want:?}, routed to {got:?} by {through:?}"),
            );
        }
    }
    assert!(wrong.is_empty(), "wiring and handlers disagree: {wrong:#?}");
    assert!(
        routed_count > 80,
        "only {routed_count} fixtures routed: are the patterns read?"
    );
}

#[test]
fn every_pattern_rule_is_needed_by_some_fixture() {
    let rules = rules();
    let fixtures: Vec<serde_json::Value> = fixture_paths()
        .unwrap()
        .iter()
        .filter_map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).ok())
        .collect();
    for rule in rules.iter().filter(|r| r.pattern.is_some()) {
        let pattern = rule.pattern.as_ref().unwrap();
        assert!(
            fixtures.iter().any(|event| matches(pattern, event).unwrap()),
            "rule {} matches no fixture",
            rule.name
        );
    }
}

#[test]
fn failed_read_only_and_foreign_calls_reach_no_function() {
    let rules = rules();
    for name in [
        "sagemaker/api-create-notebook-instance-failed-validation.json",
        "sagemaker/api-create-training-job-access-denied.json",
        "sagemaker/api-describe-notebook-instance-read-only.json",
        "s3/api-put-object.json",
        "scheduled/scheduled-event.json",
        "malformed/missing-detail-type.json",
        "malformed/cloudtrail-missing-event-name.json",
        "malformed/json-array.json",
    ] {
        let bytes = std::fs::read(root().join("events").join(name)).unwrap();
        let (functions, through) = routed(&rules, &bytes);
        assert!(functions.is_empty(), "{name} reaches {functions:?} through {through:?}");
    }
}

#[test]
fn the_sweeper_runs_on_its_schedule_only() {
    let rules = rules();
    let sweeper_rules: Vec<&Rule> = rules.iter().filter(|r| r.targets.contains(SWEEPER)).collect();
    assert_eq!(sweeper_rules.len(), 1, "one schedule drives the sweeper");
    let rule = sweeper_rules[0];
    assert!(
        rule.pattern.is_none() && rule.schedule.is_some(),
        "{} is a schedule",
        rule.name
    );
    let scheduled = std::fs::read(root().join("events/scheduled/scheduled-event.json")).unwrap();
    assert!(matches!(parse(&scheduled), Ok(Event::Scheduled { .. })));
}

/// The emulator's answer to EventBridge's `TestEventPattern`: the HTTP status and the JSON body.
async fn test_event_pattern(emulator: &Emulator, pattern: &str, event: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({"EventPattern": pattern, "Event": event}).to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Amz-Target: AWSEvents.TestEventPattern\r\n\
         Content-Type: application/x-amz-json-1.1\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/events/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{body}",
        port = emulator.port(),
        length = body.len(),
    );
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port())).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text[9..12].parse().unwrap();
    let split = text.find("\r\n\r\n").unwrap();
    let answer =
        serde_json::from_str(&text[split + 4..]).unwrap_or_else(|_| panic!("TestEventPattern answered {text}"));
    (status, answer)
}

async fn emulator_matches(emulator: &Emulator, pattern: &serde_json::Value, event: &serde_json::Value) -> bool {
    let (status, answer) = test_event_pattern(emulator, &pattern.to_string(), &event.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    answer["Result"]
        .as_bool()
        .unwrap_or_else(|| panic!("TestEventPattern answered {answer}"))
}

#[tokio::test]
async fn the_emulators_test_event_pattern_rejects_what_eventbridge_rejects() {
    let emulator = Emulator::start().await.unwrap();
    let pattern = r#"{"source": ["aws.kms"]}"#;

    let (status, answer) = test_event_pattern(&emulator, pattern, r#"{"source": "aws.kms"}"#).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("ValidationException")),
        "{answer}"
    );

    let event = std::fs::read_to_string(root().join("events/kms/api-disable-key-rotation.json")).unwrap();
    let (status, answer) = test_event_pattern(&emulator, r#"{"source": "aws.kms"}"#, &event).await;
    assert_eq!(
        (status, answer["__type"].as_str()),
        (400, Some("InvalidEventPatternException")),
        "{answer}"
    );
    let (status, answer) = test_event_pattern(&emulator, pattern, &event).await;
    assert_eq!((status, &answer), (200, &serde_json::json!({"Result": true})));
}

#[tokio::test]
async fn the_matcher_agrees_with_the_emulators_test_event_pattern() {
    let emulator = Emulator::start().await.unwrap();
    let rules = rules();
    let mut compared = 0;
    for file in fixture_paths().unwrap() {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&file).unwrap()) else {
            continue;
        };
        if !event.is_object() || event.get("detail-type").is_none() {
            continue;
        }
        for rule in &rules {
            let Some(pattern) = &rule.pattern else { continue };
            let ours = matches(pattern, &event).unwrap();
            let theirs = emulator_matches(&emulator, pattern, &event).await;
            assert_eq!(ours, theirs, "{} on {}", rule.name, relative(&file));
            compared += 1;
        }
    }
    assert!(compared > 400, "only {compared} comparisons");
}
