//! The template's function environments against the functions' own settings readers: each
//! function, configured only with what `infra/template.yaml` gives it (with the parameters'
//! defaults, and with every optional parameter set),
//! starts without a missing or malformed setting, reads its policy from the stack's SSM
//! parameter, and is given no variable it never reads. So a renamed setting cannot leave a
//! deployed function failing at cold start or silently running on a default.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sagefence_aws::ssm::{env as policy_env, PolicySource};
use sagefence_aws::AUDIT_QUEUE_URL_ENV;
use serde_yaml_ng::{Mapping, Value as Yaml};

/// The variables a function's `main` reads besides its settings reader: the policy's source
/// (`load_policy`) and the audit queue (`AuditDestination::from_env`).
const POLICY_AND_AUDIT: &[&str] = &[policy_env::POLICY_PARAMETER, policy_env::POLICY, AUDIT_QUEUE_URL_ENV];

fn template() -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The optional parameters a customer may set, with values their `AllowedPattern`s accept.
const OPTIONS: &[(&str, &str)] = &[
    ("Mode", "enforce"),
    ("PolicyParameterName", "/acme/sagefence/policy"),
    ("NotificationEmail", "secops@example.com"),
    ("MemberRoleName", "sagefence-member"),
    ("MemberAccountIds", "111122223333,444455556666"),
    ("OrganizationId", "o-abcdefghij"),
    (
        "DataSciencePrincipalArn",
        "arn:aws:iam::123456789012:role/data-science-sso",
    ),
    ("CloudTrailLogGroupName", "org-trail"),
];

/// A stack as CloudFormation would deploy it: parameter values, and the template's conditions
/// evaluated on them. Resources resolve to placeholders of their kind.
struct Deployment<'t> {
    parameters: BTreeMap<String, String>,
    conditions: &'t Mapping,
}

impl<'t> Deployment<'t> {
    /// Every parameter at its default (required ones at a sample value), or, with `options`,
    /// every optional parameter set too.
    fn new(template: &'t Yaml, options: bool) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, parameter) in template["Parameters"].as_mapping().unwrap() {
            let name = name.as_str().unwrap();
            let value = match parameter.get("Default") {
                Some(Yaml::String(text)) => text.clone(),
                Some(Yaml::Number(number)) => number.to_string(),
                Some(other) => panic!("parameter `{name}` has a default this test cannot read: {other:?}"),
                None => format!("https://example.com/{name}"),
            };
            parameters.insert(name.to_owned(), value);
        }
        if options {
            for (name, value) in OPTIONS {
                assert!(
                    parameters.contains_key(*name),
                    "`{name}` is a parameter of the template"
                );
                parameters.insert((*name).to_owned(), (*value).to_owned());
            }
        }
        Deployment {
            parameters,
            conditions: template["Conditions"].as_mapping().unwrap(),
        }
    }

    /// The value of a property; `None` where it resolves to `AWS::NoValue`.
    fn value(&self, value: &Yaml) -> Option<String> {
        match value {
            Yaml::String(text) => Some(text.clone()),
            Yaml::Number(number) => Some(number.to_string()),
            Yaml::Bool(flag) => Some(flag.to_string()),
            Yaml::Tagged(tagged) => {
                let args = &tagged.value;
                match tagged.tag.to_string().trim_start_matches('!') {
                    "Ref" => match args.as_str().unwrap() {
                        "AWS::NoValue" => None,
                        "AWS::Region" => Some("eu-west-1".to_owned()),
                        "AWS::AccountId" => Some("123456789012".to_owned()),
                        "AWS::Partition" => Some("aws".to_owned()),
                        name => Some(
                            self.parameters
                                .get(name)
                                .cloned()
                                .unwrap_or_else(|| format!("{name}-ref")),
                        ),
                    },
                    "GetAtt" => {
                        let attribute = args.as_str().unwrap();
                        Some(match attribute.strip_suffix("Role.Arn") {
                            Some(role) => format!("arn:aws:iam::123456789012:role/{role}Role-ref"),
                            None => format!("arn:aws:test:eu-west-1:123456789012:{attribute}"),
                        })
                    }
                    "Sub" => {
                        let text = args.as_str().or_else(|| args[0].as_str()).unwrap();
                        Some(self.substitute(text))
                    }
                    "Join" => {
                        let separator = args[0].as_str().unwrap();
                        let parts: Vec<String> = match &args[1] {
                            Yaml::Sequence(items) => items.iter().filter_map(|item| self.value(item)).collect(),
                            list => self.value(list).into_iter().collect(),
                        };
                        Some(parts.join(separator))
                    }
                    "If" => {
                        let condition = args[0].as_str().unwrap();
                        self.value(&args[if self.holds(&self.conditions[condition]) { 1 } else { 2 }])
                    }
                    other => panic!("an intrinsic function this test cannot resolve: `{other}`"),
                }
            }
            other => panic!("a property value this test cannot resolve: {other:?}"),
        }
    }

    /// A `!Sub` string with its pseudo parameters, parameters and resource references resolved
    /// (a resource's `${Name}` to `Name-ref`, as `!Ref` resolves it).
    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some((before, after)) = rest.split_once("${") {
            out.push_str(before);
            let Some((name, tail)) = after.split_once('}') else {
                out.push_str(after);
                return out;
            };
            let reference = Yaml::Tagged(Box::new(serde_yaml_ng::value::TaggedValue {
                tag: serde_yaml_ng::value::Tag::new("Ref"),
                value: Yaml::String(name.to_owned()),
            }));
            out.push_str(&self.value(&reference).unwrap_or_default());
            rest = tail;
        }
        out.push_str(rest);
        out
    }

    /// Whether a condition holds in this deployment.
    fn holds(&self, condition: &Yaml) -> bool {
        let Yaml::Tagged(tagged) = condition else {
            panic!("a condition this test cannot evaluate: {condition:?}");
        };
        let args = &tagged.value;
        match tagged.tag.to_string().trim_start_matches('!') {
            "Equals" => self.value(&args[0]) == self.value(&args[1]),
            "Not" => !self.holds(&args[0]),
            "And" => args.as_sequence().unwrap().iter().all(|c| self.holds(c)),
            "Or" => args.as_sequence().unwrap().iter().any(|c| self.holds(c)),
            "Condition" => self.holds(&self.conditions[args.as_str().unwrap()]),
            other => panic!("a condition function this test cannot evaluate: `{other}`"),
        }
    }
}

/// Each function's environment variables, by logical id, as the template sets them.
fn environments(template: &Yaml, options: bool) -> BTreeMap<String, BTreeMap<String, String>> {
    let deployment = Deployment::new(template, options);
    let mut functions = BTreeMap::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let variables = resource["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .unwrap_or_else(|| panic!("`{name:?}` has no environment variables"));
        let set = variables
            .iter()
            .filter_map(|(key, value)| Some((key.as_str()?.to_owned(), deployment.value(value)?)))
            .collect();
        functions.insert(name.as_str().unwrap().to_owned(), set);
    }
    functions
}

/// Runs the function's settings reader on `environment`: the names it asked for, or why it
/// refused to start.
fn read_settings(function: &str, environment: &BTreeMap<String, String>) -> Result<BTreeSet<String>, String> {
    let asked = RefCell::new(BTreeSet::new());
    let var = |name: &str| {
        asked.borrow_mut().insert(name.to_owned());
        environment.get(name).cloned()
    };
    let read = match function {
        "Guardrail" => sagefence_guardrail::settings::Environment::read(var, Some("123456789012".to_owned()))
            .map(drop)
            .map_err(|e| e.to_string()),
        "Sweeper" => sagefence_sweeper::settings::Environment::read(var)
            .map(drop)
            .map_err(|e| e.to_string()),
        "Provisioner" => sagefence_provisioner::settings::Environment::read(var)
            .map(drop)
            .map_err(|e| e.to_string()),
        "AuditShipper" => sagefence_audit_shipper::Environment::read(var)
            .map(drop)
            .map_err(|e| e.to_string()),
        other => panic!("`{other}` is a function this test has no settings reader for"),
    };
    read.map(|()| asked.into_inner())
}

#[test]
fn every_function_starts_from_the_environment_the_template_gives_it() {
    let template = template();
    for options in [false, true] {
        let functions = environments(&template, options);
        assert_eq!(
            functions.keys().map(String::as_str).collect::<Vec<_>>(),
            ["AuditShipper", "Guardrail", "Provisioner", "Sweeper"],
            "the four functions"
        );
        for (function, environment) in &functions {
            let asked = read_settings(function, environment).unwrap_or_else(|error| {
                panic!("`{function}` fails at cold start (optional parameters set: {options}): {error}")
            });
            let mut reads = asked.clone();
            if function != "AuditShipper" {
                reads.extend(POLICY_AND_AUDIT.iter().map(|name| (*name).to_owned()));
                let var = |name: &str| environment.get(name).cloned();
                assert!(
                    matches!(PolicySource::from_env(var), PolicySource::Parameter(_)),
                    "`{function}` reads its policy from the stack's parameter"
                );
                assert!(
                    environment.contains_key(AUDIT_QUEUE_URL_ENV),
                    "`{function}` sends audit records to the queue"
                );
            }
            let unread: Vec<&String> = environment.keys().filter(|name| !reads.contains(*name)).collect();
            assert!(
                unread.is_empty(),
                "`{function}` is given variables it never reads: {unread:?}"
            );
        }
    }
}

#[test]
fn a_setting_the_template_forgot_fails_the_start_naming_it() {
    let functions = environments(&template(), true);
    let mut guardrail = functions["Guardrail"].clone();
    guardrail.remove("SAGEFENCE_TOPIC_ARN");
    let error = read_settings("Guardrail", &guardrail).unwrap_err();
    assert!(error.contains("`SAGEFENCE_TOPIC_ARN`"), "{error}");
}
