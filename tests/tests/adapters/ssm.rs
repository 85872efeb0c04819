//! The policy loaded at cold start (`sagefence_aws::load_policy`) against the emulator's SSM
//! Parameter Store: a parameter wins, SecureStrings are decrypted, and a missing, empty or
//! invalid parameter is a typed error naming the parameter.

use aws_sdk_ssm::types::ParameterType;
use sagefence_aws::ports::PortErrorKind;
use sagefence_aws::ssm::{env, parameter_policy};
use sagefence_aws::{load_policy, LoadPolicyError};
use sagefence_core::{Mode, Policy};
use sagefence_tests::Emulator;

const AUDIT_POLICY: &str = "version: 1\nmode: audit\n";

async fn put(client: &aws_sdk_ssm::Client, name: &str, value: &str, kind: ParameterType) {
    client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .send()
        .await
        .unwrap();
}

fn vars(pairs: &[(&'static str, String)]) -> impl Fn(&str) -> Option<String> {
    let pairs = pairs.to_vec();
    move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
}

fn json(policy: &Policy) -> serde_json::Value {
    serde_json::to_value(policy).unwrap()
}

#[tokio::test]
async fn the_named_parameter_wins_over_inline_text() {
    let emulator = Emulator::start().await.unwrap();
    let sdk = emulator.sdk_config();
    let client = aws_sdk_ssm::Client::new(&sdk);
    put(&client, "/sagefence/test/policy", AUDIT_POLICY, ParameterType::String).await;

    let env = [
        (env::POLICY_PARAMETER, "/sagefence/test/policy".to_owned()),
        (env::POLICY, "version: 1\nmode: enforce\n".to_owned()),
    ];
    let policy = load_policy(&sdk, vars(&env)).await.unwrap();

    assert_eq!(policy.mode, Mode::Audit);
    assert_eq!(json(&policy), json(&Policy::from_yaml(AUDIT_POLICY).unwrap()));
}

#[tokio::test]
async fn a_secure_string_parameter_is_decrypted() {
    let emulator = Emulator::start().await.unwrap();
    let client = aws_sdk_ssm::Client::new(&emulator.sdk_config());
    put(&client, "/sagefence/secret", AUDIT_POLICY, ParameterType::SecureString).await;

    let policy = parameter_policy(&client, "/sagefence/secret").await.unwrap();

    assert_eq!(policy.mode, Mode::Audit);
}

#[tokio::test]
async fn a_missing_parameter_is_a_read_error_naming_it() {
    let emulator = Emulator::start().await.unwrap();
    let client = aws_sdk_ssm::Client::new(&emulator.sdk_config());

    let error = parameter_policy(&client, "/sagefence/absent").await.unwrap_err();

    let LoadPolicyError::Read { name, source } = &error else {
        panic!("expected a read error, got {error:?}");
    };
    assert_eq!(name, "/sagefence/absent");
    assert_eq!(source.kind, PortErrorKind::NotFound, "{source}");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("`/sagefence/absent`"), "{error}");
}

#[tokio::test]
async fn an_invalid_policy_in_the_parameter_names_the_parameter_and_the_line() {
    let emulator = Emulator::start().await.unwrap();
    let client = aws_sdk_ssm::Client::new(&emulator.sdk_config());
    put(
        &client,
        "/sagefence/bad",
        "version: 1\nmode: enforce\nrules:\n  notebook-kms-encrypted: { remedy: fix }\n",
        ParameterType::String,
    )
    .await;

    let error = parameter_policy(&client, "/sagefence/bad").await.unwrap_err();

    let LoadPolicyError::InvalidParameter { name, source } = &error else {
        panic!("expected an invalid policy, got {error:?}");
    };
    assert_eq!(name, "/sagefence/bad");
    assert_eq!(source.line(), Some(4));
    assert!(error.to_string().contains("notebook-kms-encrypted"), "{error}");
}

#[tokio::test]
async fn without_a_parameter_inline_text_then_the_builtin_policy_apply() {
    let emulator = Emulator::start().await.unwrap();
    let sdk = emulator.sdk_config();

    let inline = [(env::POLICY, AUDIT_POLICY.to_owned())];
    assert_eq!(load_policy(&sdk, vars(&inline)).await.unwrap().mode, Mode::Audit);

    let invalid = [(env::POLICY, "mode: sometimes\n".to_owned())];
    let error = load_policy(&sdk, vars(&invalid)).await.unwrap_err();
    assert!(matches!(error, LoadPolicyError::InvalidInline(_)), "{error:?}");

    assert_eq!(
        json(&load_policy(&sdk, vars(&[])).await.unwrap()),
        json(&Policy::builtin())
    );
}
