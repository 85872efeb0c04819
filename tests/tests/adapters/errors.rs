//! How failures come back through the adapters: throttling and transient failures as retryable
//! kinds, state conflicts as `InvalidState`, missing resources as `NotFound` or `None`.

use aws_sdk_sagemaker::types::NotebookInstanceStatus;
use sagefence_aws::ports::{Keys, Network, PortErrorKind, Roles, SageMaker};
use sagefence_aws::{Ec2Adapter, FlowLogSettings, IamAdapter, KmsAdapter, SageMakerAdapter};
use sagefence_tests::world::{create_bare_notebook, notebook_status, TEST_ROLE_ARN};
use sagefence_tests::Emulator;
use serde_json::json;

fn ec2_adapter(emulator: &Emulator) -> Ec2Adapter {
    let settings = FlowLogSettings {
        log_group_prefix: "/flow/".to_owned(),
        delivery_role_arn: TEST_ROLE_ARN.to_owned(),
    };
    Ec2Adapter::new(emulator.ec2(), settings)
}

#[tokio::test]
async fn an_injected_throttle_is_throttled_and_retryable() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    create_bare_notebook(&emulator, "nb", &[]).await.unwrap();

    emulator.throttle("StopNotebookInstance", 1).await.unwrap();
    let error = adapter.stop_notebook("nb").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::Throttled, "{error}");
    assert!(error.is_retryable());
    assert_eq!(error.operation, "StopNotebookInstance");
    assert_eq!(error.message, "ThrottlingException: Rate exceeded");
    assert_eq!(
        notebook_status(&emulator, "nb").await.unwrap(),
        NotebookInstanceStatus::InService
    );

    adapter.stop_notebook("nb").await.unwrap();
    assert_eq!(
        notebook_status(&emulator, "nb").await.unwrap(),
        NotebookInstanceStatus::Stopped
    );
}

#[tokio::test]
async fn every_service_throttle_is_throttled() {
    let emulator = Emulator::start().await.unwrap();
    let ec2 = ec2_adapter(&emulator);
    let kms = KmsAdapter::new(emulator.kms());
    let iam = IamAdapter::new(emulator.iam());

    emulator.throttle("DescribeVpcs", 1).await.unwrap();
    let error = ec2.vpc("vpc-0123456789abcdef0").await.unwrap_err();
    assert_eq!(
        (error.kind, error.operation),
        (PortErrorKind::Throttled, "DescribeVpcs")
    );
    assert!(error.message.starts_with("RequestLimitExceeded"), "{error}");

    emulator.throttle("DescribeKey", 1).await.unwrap();
    let error = kms.key("alias/anything").await.unwrap_err();
    assert_eq!((error.kind, error.operation), (PortErrorKind::Throttled, "DescribeKey"));

    emulator.throttle("GetRole", 1).await.unwrap();
    let error = iam.role("anyone").await.unwrap_err();
    assert_eq!((error.kind, error.operation), (PortErrorKind::Throttled, "GetRole"));
    assert!(error.is_retryable());

    assert_eq!(ec2.vpc("vpc-0123456789abcdef0").await.unwrap(), None);
    assert_eq!(kms.key("alias/anything").await.unwrap(), None);
    assert_eq!(iam.role("anyone").await.unwrap(), None);
}

#[tokio::test]
async fn service_and_connection_failures_are_unavailable() {
    let emulator = Emulator::start().await.unwrap();
    let kms = KmsAdapter::new(emulator.kms());
    let failure = json!({ "action": "DescribeKey", "count": 1, "code": "KMSInternalException" });
    emulator.control("throttle", &failure).await.unwrap();
    let error = kms.key("alias/anything").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::Unavailable, "{error}");
    assert!(error.is_retryable());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let config = emulator
        .sdk_config()
        .into_builder()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let nowhere = SageMakerAdapter::new(aws_sdk_sagemaker::Client::new(&config));
    let error = nowhere.notebook("nb").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::Unavailable, "{error}");
    assert_eq!(error.operation, "DescribeNotebookInstance");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_state_conflict_is_invalid_state_and_a_missing_resource_not_found() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    create_bare_notebook(&emulator, "nb", &[]).await.unwrap();
    adapter.stop_notebook("nb").await.unwrap();

    let error = adapter.stop_notebook("nb").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::InvalidState, "{error}");
    assert!(!error.is_retryable());
    let error = adapter.start_notebook("ghost").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
    assert!(!error.is_retryable());
    assert_eq!(adapter.notebook("ghost").await.unwrap(), None);
}
