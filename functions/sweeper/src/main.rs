//! The sweeper Lambda's entry point: telemetry, configuration, the SDK configuration (metered,
//! rate-limited, adaptive retries) and adapters built once, then the runtime loop.

#![recursion_limit = "256"]

use sagefence_aws::settings::process_env;
use sagefence_aws::{AuditDestination, FlowLogSettings, S3SweepState, SqsQueue};
use sagefence_sweeper::aws::{load_sdk, SdkPorts};
use sagefence_sweeper::settings::Environment;
use sagefence_sweeper::{Sweeper, SweeperFunction};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    sagefence_aws::telemetry::init_json_logs(std::io::stderr);
    let env = Environment::read(process_env)?;
    let (sdk, meter) = load_sdk(env.sdk, None).await;
    let policy = sagefence_aws::load_policy(&sdk, process_env).await?;
    let s3 = sagefence_aws::s3_client(&sdk);
    let function = SweeperFunction {
        sweeper: Sweeper {
            policy,
            settings: env.sweep,
            audit: AuditDestination::from_env(aws_sdk_sqs::Client::new(&sdk)),
            state: S3SweepState::new(s3, env.state_bucket, env.state_key_id),
        },
        queue: env
            .queue_url
            .map(|url| SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), url)),
        ports: SdkPorts {
            sdk,
            meter,
            page_size: env.page_size,
            flow_logs: FlowLogSettings {
                log_group_prefix: env.flow_log_group_prefix,
                delivery_role_arn: env.flow_log_role_arn,
            },
            topic_arn: Some(env.topic_arn),
        },
        regions: env.regions,
        member_accounts: env.member_accounts,
        member_role_name: env.member_role_name,
        resource_types: env.resource_types,
    };
    sagefence_aws::serve!(function)
}
