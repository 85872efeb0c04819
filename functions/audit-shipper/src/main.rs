//! The audit-shipper Lambda's entry point: telemetry, configuration, SDK clients and adapters
//! built once, then the runtime loop.

#![recursion_limit = "256"]

use sagefence_audit_shipper::{Environment, Settings, Shipper};
use sagefence_aws::settings::process_env;
use sagefence_aws::{KmsSigner, S3Trail, SecurityHubImporter};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    sagefence_aws::telemetry::init_json_logs(std::io::stderr);
    let env = Environment::read(process_env)?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let region = sdk.region().map(ToString::to_string).unwrap_or_default();
    let shipper = Shipper::new(
        S3Trail::new(
            sagefence_aws::s3_client(&sdk),
            env.trail_bucket,
            Some(env.trail_kms_key_id),
        ),
        KmsSigner::new(aws_sdk_kms::Client::new(&sdk), env.trail_signing_key),
        SecurityHubImporter::new(aws_sdk_securityhub::Client::new(&sdk)),
        Settings {
            prefix: env.trail_prefix,
            account: env.account,
            region,
        },
        std::io::stdout(),
    );
    sagefence_aws::serve!(shipper)
}
