//! The guardrail Lambda's entry point: telemetry, configuration, SDK clients and adapters
//! built once, then the runtime loop.

#![recursion_limit = "256"]

use lambda_runtime::{service_fn, LambdaEvent};
use sagefence_aws::ec2::{Ec2Adapter, FlowLogSettings};
use sagefence_aws::iam::IamAdapter;
use sagefence_aws::kms::KmsAdapter;
use sagefence_aws::sagemaker::SageMakerAdapter;
use sagefence_aws::settings::process_env;
use sagefence_aws::sns::SnsNotifier;
use sagefence_aws::AuditDestination;
use sagefence_guardrail::settings::Environment;
use sagefence_guardrail::Guardrail;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    sagefence_aws::telemetry::init_json_logs(std::io::stderr);
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let identity = aws_sdk_sts::Client::new(&sdk).get_caller_identity().send().await;
    let home_account = identity.ok().and_then(|i| i.account().map(str::to_owned));
    let env = Environment::read(process_env, home_account)?;
    let policy = sagefence_aws::load_policy(&sdk, process_env).await?;
    let guardrail = Guardrail {
        policy,
        settings: env.settings,
        sagemaker: SageMakerAdapter::new(aws_sdk_sagemaker::Client::new(&sdk)),
        network: Ec2Adapter::new(
            aws_sdk_ec2::Client::new(&sdk),
            FlowLogSettings {
                log_group_prefix: env.flow_log_group_prefix,
                delivery_role_arn: env.flow_log_role_arn,
            },
        ),
        keys: KmsAdapter::new(aws_sdk_kms::Client::new(&sdk)),
        roles: IamAdapter::new(aws_sdk_iam::Client::new(&sdk)),
        notifier: SnsNotifier::new(aws_sdk_sns::Client::new(&sdk), env.topic_arn),
        audit: AuditDestination::from_env(aws_sdk_sqs::Client::new(&sdk)),
    };
    let guardrail = &guardrail;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        guardrail
            .handle(event.payload.get().as_bytes(), chrono::Utc::now())
            .await
    }))
    .await
}
