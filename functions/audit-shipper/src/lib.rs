//! The audit-shipper: reads sagefence's audit records (from an SQS queue or a CloudWatch Logs
//! subscription) and CloudTrail API calls (from CloudWatch Logs or EventBridge), converts them to
//! OCSF, writes them to the digest-chained trail on S3 and imports verdicts into Security Hub.
//!
//! decode ([`input`], pure) -> convert ([`Shipment`], pure) -> ship ([`Shipper`], ports) ->
//! metrics ([`metrics`], EMF lines).

pub mod error;
pub mod input;
pub mod metrics;
pub mod settings;
mod ship;

pub use error::ShipperError;
pub use settings::Environment;
pub use ship::{bounded, Failure, Report, Settings, Shipment, Shipper, MAX_RECORD_BYTES};
