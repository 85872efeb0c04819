//! The findings importer on Security Hub: BatchImportFindings, reading `FailedCount` and
//! `FailedFindings` so exactly the refused findings are reported; then BatchUpdateFindings for
//! the imported verdicts whose workflow status an import cannot set on an existing finding
//! (`RESOLVED` for a pass, `SUPPRESSED` for an exempted failure), its `UnprocessedFindings`
//! reported as refused too.

use std::collections::BTreeMap;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingIdentifier, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, RecordState, Resource, Severity, SeverityLabel, Workflow, WorkflowStatus, WorkflowUpdate,
};
use aws_sdk_securityhub::Client;

use crate::asff::{AsffFinding, RefusedFinding};
use crate::aws::error::{other, SdkResultExt};
use crate::ports::{FindingsImporter, PortResult};

const OPERATION: &str = "BatchImportFindings";
const UPDATE: &str = "BatchUpdateFindings";

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
        .record_state(RecordState::from(finding.record_state.as_str()))
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(
                    FindingProviderSeverity::builder()
                        .label(SeverityLabel::from(finding.severity_label.as_str()))
                        .build(),
                )
                .set_types(Some(finding.types.clone()))
                .build(),
        )
        .set_resources(Some(resources))
        .set_product_fields(Some(finding.product_fields.clone().into_iter().collect()))
        .build()
}

impl SecurityHubImporter {
    /// Sets the workflow status the verdict calls for on imported findings, grouped by status;
    /// answers the findings Security Hub could not update.
    async fn update_workflows(&self, findings: &[&AsffFinding]) -> PortResult<Vec<RefusedFinding>> {
        let mut by_status: BTreeMap<&str, Vec<&AsffFinding>> = BTreeMap::new();
        for finding in findings.iter().filter(|f| f.needs_workflow_update()) {
            by_status
                .entry(finding.workflow_status.as_str())
                .or_default()
                .push(finding);
        }
        let mut refused = Vec::new();
        for (status, findings) in by_status {
            let identifiers = findings
                .iter()
                .map(|f| {
                    AwsSecurityFindingIdentifier::builder()
                        .id(&f.id)
                        .product_arn(&f.product_arn)
                        .build()
                })
                .collect();
            let answer = self
                .client
                .batch_update_findings()
                .set_finding_identifiers(Some(identifiers))
                .workflow(WorkflowUpdate::builder().status(WorkflowStatus::from(status)).build())
                .send()
                .await
                .port(UPDATE)?;
            refused.extend(answer.unprocessed_findings().iter().map(|u| {
                RefusedFinding {
                    id: u
                        .finding_identifier()
                        .and_then(|i| i.id())
                        .unwrap_or_default()
                        .to_owned(),
                    code: u.error_code().unwrap_or_default().to_owned(),
                    message: u.error_message().unwrap_or_default().to_owned(),
                }
            }));
        }
        Ok(refused)
    }
}

impl FindingsImporter for SecurityHubImporter {
    async fn import(&self, findings: &[AsffFinding]) -> PortResult<Vec<RefusedFinding>> {
        if findings.is_empty() {
            return Ok(Vec::new());
        }
        let imported = findings;
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
        let accepted: Vec<&AsffFinding> = imported
            .iter()
            .filter(|f| !refused.iter().any(|r| r.id == f.id))
            .collect();
        let mut refused = refused;
        refused.extend(self.update_workflows(&accepted).await?);
        Ok(refused)
    }
}
