//! The audit-shipper Lambda's entry point: telemetry, configuration, SDK clients and adapters
//! built once, then the runtime loop.

#![recursion_limit = "256"]

use lambda_runtime::{service_fn, LambdaEvent};
use sagefence::aws::{S3Trail, SecurityHubImporter};
use sagefence_audit_shipper::{Settings, Shipper, ShipperError};
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    sagefence::telemetry::init_json_logs(std::io::stderr);
    let setting = |name: &'static str| std::env::var(name).map_err(|_| ShipperError::Config { name });
    let bucket = setting("SAGEFENCE_TRAIL_BUCKET")?;
    let kms_key_id = setting("SAGEFENCE_TRAIL_KMS_KEY_ID")?;
    let prefix = std::env::var("SAGEFENCE_TRAIL_PREFIX").unwrap_or_default();
    let account = setting("SAGEFENCE_ACCOUNT_ID")?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let region = sdk.region().map(ToString::to_string).unwrap_or_default();
    let shipper = Shipper::new(
        S3Trail::new(aws_sdk_s3::Client::new(&sdk), bucket, Some(kms_key_id)),
        SecurityHubImporter::new(aws_sdk_securityhub::Client::new(&sdk)),
        Settings {
            prefix,
            account,
            region,
        },
        std::io::stdout(),
    );
    let shipper = &shipper;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| async move {
        shipper.handle(event.payload.get().as_bytes(), chrono::Utc::now()).await
    }))
    .await
}
