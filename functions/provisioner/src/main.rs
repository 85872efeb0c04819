//! The provisioner Lambda's entry point: telemetry, configuration, SDK clients and adapters
//! built once, the panic hook that still answers CloudFormation, then the runtime loop.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use sagefence_aws::settings::process_env;
use sagefence_aws::{AuditDestination, Ec2Adapter, FlowLogSettings, IamAdapter, KmsAdapter, LogsAdapter, S3Buckets};
use sagefence_provisioner::answer::{answer_on_panic, AnswerSlot};
use sagefence_provisioner::settings::Environment;
use sagefence_provisioner::Provisioner;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    sagefence_aws::telemetry::init_json_logs(std::io::stderr);
    let env = Environment::read(process_env)?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let policy = sagefence_aws::load_policy(&sdk, process_env).await?;
    let slot = AnswerSlot::default();
    answer_on_panic(slot.clone());
    let flow_logs = FlowLogSettings {
        log_group_prefix: env.settings.flow_log_group_prefix.clone(),
        delivery_role_arn: env.settings.flow_log_role_arn.clone(),
    };
    let provisioner = Provisioner {
        policy,
        settings: env.settings,
        network: Ec2Adapter::new(aws_sdk_ec2::Client::new(&sdk), flow_logs),
        keys: KmsAdapter::new(aws_sdk_kms::Client::new(&sdk)),
        buckets: S3Buckets::new(sagefence_aws::s3_client(&sdk)),
        roles: IamAdapter::new(aws_sdk_iam::Client::new(&sdk)),
        logs: LogsAdapter::new(aws_sdk_cloudwatchlogs::Client::new(&sdk)),
        audit: AuditDestination::from_env(aws_sdk_sqs::Client::new(&sdk)),
        slot,
    };
    let provisioner = &provisioner;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        let left = Duration::from_millis(event.context.deadline)
            .saturating_sub(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default());
        let deadline = tokio::time::Instant::now() + left;
        provisioner
            .handle(event.payload.get().as_bytes(), deadline, chrono::Utc::now())
            .await
    }))
    .await
}
