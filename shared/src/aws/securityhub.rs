//! The findings importer on Security Hub: BatchImportFindings, reading `FailedCount` and
//! `FailedFindings` so exactly the refused findings are reported.

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Compliance, ComplianceStatus, Resource, Severity, SeverityLabel, Workflow, WorkflowStatus,
};
use aws_sdk_securityhub::Client;

use crate::asff::{AsffFinding, RefusedFinding};
use crate::aws::error::{other, SdkResultExt};
use crate::ports::{FindingsImporter, PortResult};

const OPERATION: &str = "BatchImportFindings";

/// [`FindingsImporter`] on the account's Security Hub.
#[derive(Debug, Clone)]
pub struct SecurityHubImporter {
    /// The Security Hub client.
    pub client: Client,
}

impl SecurityHubImporter {
    /// An importer using `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn sdk_finding(finding: &AsffFinding) -> AwsSecurityFinding {
    let mut resources = Vec::new();
    for resource in &finding.resources {
        resources.push(
            Resource::builder()
                .r#type(&resource.r#type)
                .id(&resource.id)
                .region(&resource.region)
                .build(),
        );
    }
    let time = finding.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let updated = finding.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    AwsSecurityFinding::builder()
        .schema_version(&finding.schema_version)
        .id(&finding.id)
        .product_arn(&finding.product_arn)
        .generator_id(&finding.generator_id)
        .aws_account_id(&finding.aws_account_id)
        .region(&finding.region)
        .set_types(Some(finding.types.clone()))
        .created_at(time)
        .updated_at(updated)
        .severity(
            Severity::builder()
                .label(SeverityLabel::from(finding.severity_label.as_str()))
                .build(),
        )
        .title(&finding.title)
        .description(&finding.description)
        .compliance(
            Compliance::builder()
                .status(ComplianceStatus::from(finding.compliance_status.as_str()))
                .build(),
        )
        .workflow(
            Workflow::builder()
                .status(WorkflowStatus::from(finding.workflow_status.as_str()))
                .build(),
        )
        .set_resources(Some(resources))
        .set_product_fields(Some(finding.product_fields.clone().into_iter().collect()))
        .build()
}

impl FindingsImporter for SecurityHubImporter {
    async fn import(&self, findings: &[AsffFinding]) -> PortResult<Vec<RefusedFinding>> {
        if findings.is_empty() {
            return Ok(Vec::new());
        }
        let findings = findings.iter().map(sdk_finding).collect();
        let answer = self
            .client
            .batch_import_findings()
            .set_findings(Some(findings))
            .send()
            .await
            .port(OPERATION)?;
        let refused: Vec<RefusedFinding> = answer
            .failed_findings()
            .iter()
            .map(|f| RefusedFinding {
                id: f.id().unwrap_or_default().to_owned(),
                code: f.error_code().unwrap_or_default().to_owned(),
                message: f.error_message().unwrap_or_default().to_owned(),
            })
            .collect();
        if answer.failed_count().unwrap_or_default() > 0 && refused.is_empty() {
            return Err(other(OPERATION, "FailedCount > 0 without FailedFindings"));
        }
        Ok(refused)
    }
}
