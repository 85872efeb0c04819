//! The sweeper's SDK side: one SDK configuration (metered and rate-limited HTTP client,
//! adaptive retries), and per shard the adapters for its region, with the member role's
//! credentials when the shard is in another account.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use sagefence_audit::audit::Notification;
use sagefence_aws::error::{answered, other, SdkResultExt};
use sagefence_aws::metered::{Meter, RequestRate};
use sagefence_aws::ports::OnAws;
use sagefence_aws::ports::{Notifier, PortResult};
use sagefence_aws::remedy::Ports;
use sagefence_aws::{FlowLogSettings, SnsNotifier};

/// Notifications of enforced remedies: SNS, or none configured (a notification then fails,
/// and says so in its remedy's outcome).
#[derive(Debug, Clone)]
pub enum Notifications {
    /// An SNS topic.
    Sns(SnsNotifier),
    /// No topic configured.
    Off,
}

impl Notifier for Notifications {
    async fn notify(&self, notification: &Notification) -> PortResult<()> {
        match self {
            Notifications::Sns(sns) => sns.notify(notification).await,
            Notifications::Off => Err(other("Publish", "no notification topic configured")),
        }
    }
}

/// The ports of one account and region on the SDK.
pub type SdkPortSet = Ports<OnAws<Notifications>>;

/// Builds each shard's adapters from one SDK configuration.
#[derive(Debug, Clone)]
pub struct SdkPorts {
    /// The SDK configuration (its HTTP client is metered).
    pub sdk: SdkConfig,
    /// Counts and limits the HTTP requests of every client built here.
    pub meter: Meter,
    /// Items per page of SageMaker List* calls.
    pub page_size: i32,
    /// Where recreated flow logs deliver.
    pub flow_logs: FlowLogSettings,
    /// The SNS topic for notifications, if any.
    pub topic_arn: Option<String>,
}

/// How the SDK configuration is loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SdkSettings {
    /// The request rate over every client (none when `None`).
    pub rate: Option<RequestRate>,
    /// Attempts per SDK call (adaptive retry: client-side rate limiting once throttled).
    pub max_attempts: u32,
}

impl SdkSettings {
    /// At most `max_rps` requests a second (no limit when not positive) in bursts of
    /// `concurrency`, with `max_attempts` attempts per call.
    pub fn limited(max_rps: f64, concurrency: usize, max_attempts: u32) -> Self {
        SdkSettings {
            rate: (max_rps > 0.0).then_some(RequestRate {
                per_second: max_rps,
                burst: u32::try_from(concurrency).unwrap_or(u32::MAX),
            }),
            max_attempts,
        }
    }
}

/// Loads the SDK configuration from the environment (credentials, region, `AWS_ENDPOINT_URL`)
/// with a metered HTTP client and adaptive retries; answers it with its meter.
pub async fn load_sdk(settings: SdkSettings, region: Option<String>) -> (SdkConfig, Meter) {
    let meter = Meter::new(settings.rate);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(meter.default_https_client())
        .retry_config(RetryConfig::adaptive().with_max_attempts(settings.max_attempts.max(1)));
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    (loader.load().await, meter)
}

impl SdkPorts {
    /// The adapters for `region`, acting as `role_arn` when given (assumed through STS, its
    /// credentials refreshed as they expire).
    pub async fn for_shard(&self, region: &str, role_arn: Option<&str>) -> SdkPortSet {
        let mut builder = self.sdk.to_builder();
        builder.set_region(Some(Region::new(region.to_owned())));
        if let Some(role_arn) = role_arn {
            let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
                .session_name("sagefence-sweeper")
                .configure(&self.sdk)
                .region(Region::new(region.to_owned()))
                .build()
                .await;
            builder.set_credentials_provider(Some(aws_credential_types::provider::SharedCredentialsProvider::new(
                provider,
            )));
        }
        let sdk = builder.build();
        let notifier = match &self.topic_arn {
            Some(topic) => Notifications::Sns(SnsNotifier::new(self.topic_client(topic), topic.clone())),
            None => Notifications::Off,
        };
        let ports = Ports::on_aws(&sdk, self.flow_logs.clone(), notifier);
        Ports {
            sagemaker: ports.sagemaker.with_page_size(self.page_size),
            ..ports
        }
    }
}

impl SdkPorts {
    /// An SNS client for the topic: the sweeper's own credentials (the topic grants no member
    /// role anything), in the topic's region.
    fn topic_client(&self, topic_arn: &str) -> aws_sdk_sns::Client {
        let mut builder = self.sdk.to_builder();
        if let Some(region) = topic_arn.split(':').nth(3).filter(|r| !r.is_empty()) {
            builder.set_region(Some(Region::new(region.to_owned())));
        }
        aws_sdk_sns::Client::new(&builder.build())
    }
}

/// The account the SDK configuration's credentials belong to (STS GetCallerIdentity).
pub async fn caller_account(sdk: &SdkConfig) -> PortResult<String> {
    let op = "GetCallerIdentity";
    let out = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .port(op)?;
    answered(op, "Account", out.account()).map(str::to_owned)
}
