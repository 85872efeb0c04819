//! The emulator's request counter (`tests/emulator/sagefence_emulator/controls.py`): AWS calls per signing
//! service and action, as the sweep benchmark reads them after each run.

use sagefence_tests::Emulator;
use serde_json::{json, Value};

async fn read_and_reset(emulator: &Emulator) -> Value {
    emulator.control("requests/reset", &json!({})).await.unwrap()
}

#[tokio::test]
async fn counts_every_aws_call_by_service_and_action_but_not_controls() {
    let emulator = Emulator::start().await.unwrap();
    read_and_reset(&emulator).await;
    let sagemaker = emulator.sagemaker();
    sagemaker.list_notebook_instances().send().await.unwrap();
    sagemaker.list_notebook_instances().send().await.unwrap();
    emulator.ec2().describe_vpcs().send().await.unwrap();
    emulator.throttle("ListModels", 1).await.unwrap();
    sagemaker.list_models().send().await.unwrap_err();

    let counts = read_and_reset(&emulator).await;

    assert_eq!(
        counts,
        json!({
            "total": 4,
            "by_action": {
                "ec2:DescribeVpcs": 1,
                "sagemaker:ListModels": 1,
                "sagemaker:ListNotebookInstances": 2,
            }
        }),
        "a throttled call counts (the caller sent it); test controls do not"
    );
}

#[tokio::test]
async fn reset_answers_the_counts_then_starts_again_from_zero() {
    let emulator = Emulator::start().await.unwrap();
    emulator.sagemaker().list_models().send().await.unwrap();
    assert_eq!(read_and_reset(&emulator).await["total"], 1);

    assert_eq!(read_and_reset(&emulator).await, json!({"total": 0, "by_action": {}}));

    emulator.reset().await.unwrap();
    emulator.sagemaker().list_models().send().await.unwrap();
    assert_eq!(
        read_and_reset(&emulator).await["by_action"],
        json!({"sagemaker:ListModels": 1}),
        "the general reset leaves the counter alone"
    );
}
