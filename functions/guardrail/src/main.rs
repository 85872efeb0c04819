//! The guardrail Lambda's entry point: telemetry, configuration, SDK clients and adapters
//! built once, then the runtime loop.

#![recursion_limit = "256"]

use sagefence_aws::ec2::FlowLogSettings;
use sagefence_aws::remedy::Ports;
use sagefence_aws::settings::process_env;
use sagefence_aws::sns::SnsNotifier;
use sagefence_aws::AuditDestination;
use sagefence_guardrail::settings::Environment;
use sagefence_guardrail::Guardrail;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    sagefence_aws::telemetry::init_json_logs(std::io::stderr);
    let (sdk, policy) = sagefence_aws::sdk_and_policy().await?;
    let identity = aws_sdk_sts::Client::new(&sdk).get_caller_identity().send().await;
    let home_account = identity.ok().and_then(|i| i.account().map(str::to_owned));
    let env = Environment::read(process_env, home_account)?;
    let flow_logs = FlowLogSettings {
        log_group_prefix: env.flow_log_group_prefix,
        delivery_role_arn: env.flow_log_role_arn,
    };
    let notifier = SnsNotifier::new(aws_sdk_sns::Client::new(&sdk), env.topic_arn);
    let guardrail = Guardrail {
        policy,
        settings: env.settings,
        ports: Ports::on_aws(&sdk, flow_logs, notifier),
        audit: AuditDestination::from_env(aws_sdk_sqs::Client::new(&sdk)),
    };
    sagefence_aws::serve!(guardrail)
}
