//! The planner: action json.

use super::plan_support::*;

#[test]
fn an_action_serializes_with_a_typed_action_the_resource_rules_mode_and_reason() {
    let actions = plan_builtin(&nb(internet_notebook(Some(NotebookStatus::InService))));
    let stop = find(&actions, |k| *k == ActionKind::StopNotebookInstance).unwrap();
    let value = serde_json::to_value(stop).unwrap();
    assert_eq!(value["action"], serde_json::json!({"type": "stop-notebook-instance"}));
    assert_eq!(value["resource"]["kind"], "notebook-instance");
    assert_eq!(value["resource"]["name"], "alpha-alice");
    assert_eq!(
        value["resource"]["arn"],
        "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/alpha-alice"
    );
    assert_eq!(value["rules"], serde_json::json!([DIRECT]));
    assert_eq!(value["mode"], "enforce");
    assert!(value["reason"].as_str().is_some_and(|r| !r.is_empty()), "{value}");
}

#[test]
fn tag_and_update_actions_serialize_their_payloads_beside_the_type() {
    let actions = plan_builtin(&nb(root_notebook(Some(NotebookStatus::InService))));
    let tag_json = serde_json::to_value(&actions.first().unwrap().action).unwrap();
    assert_eq!(tag_json["type"], "tag");
    assert_eq!(tag_json["tags"][VIOLATION_TAG], ROOT);
    assert_eq!(tag_json["tags"][RESTART_TAG], "true");

    let update = ActionKind::UpdateNotebookInstance {
        root_access: Toggle::Disabled,
    };
    let update_json = serde_json::to_value(update).unwrap();
    assert_eq!(update_json["type"], "update-notebook-instance");
    assert_eq!(update_json["root_access"], "Disabled");
    assert_eq!(
        serde_json::to_value(ActionKind::DeleteEndpointConfigIfUnused).unwrap(),
        serde_json::json!({"type": "delete-endpoint-config-if-unused"})
    );
}
