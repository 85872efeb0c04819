//! The provisioner Lambda's entry point: telemetry, configuration, SDK clients and adapters
//! built once, the panic hook that still answers CloudFormation, then the runtime loop.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use sagefence_aws::settings::process_env;
use sagefence_aws::AuditDestination;
use sagefence_provisioner::answer::{answer_on_panic, AnswerSlot};
use sagefence_provisioner::settings::Environment;
use sagefence_provisioner::Provisioner;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    sagefence_aws::telemetry::init_json_logs(std::io::stderr);
    let env = Environment::read(process_env)?;
    let (sdk, policy) = sagefence_aws::sdk_and_policy().await?;
    let slot = AnswerSlot::default();
    answer_on_panic(slot.clone());
    let audit = AuditDestination::from_env(aws_sdk_sqs::Client::new(&sdk));
    let provisioner = Provisioner::on_aws(&sdk, policy, env.settings, audit, slot);
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
