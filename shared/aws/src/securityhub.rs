//! The findings importer on Security Hub: BatchImportFindings, reading `FailedCount` and
//! `FailedFindings` so exactly the refused findings are reported; then BatchUpdateFindings for
//! the imported verdicts whose workflow status an import cannot set on an existing finding
//! (`RESOLVED` for a pass, `SUPPRESSED` for an exempted failure), its `UnprocessedFindings`
//! reported as refused too.
//!
//! Security Hub never lifts a suppression by itself, so a failure whose exemption expired (or
//! was withdrawn) would stay hidden. sagefence signs its suppressions (`Note.UpdatedBy` is
//! [`NOTE_AUTHOR`]); an unexempted failure whose finding sagefence suppressed is found with
//! GetFindings and reopened (`NEW`). Suppressions people made carry their own note and are kept.

use std::collections::BTreeMap;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier, Compliance, ComplianceStatus,
    FindingProviderFields, FindingProviderSeverity, NoteUpdate, RecordState, Resource, Severity, SeverityLabel,
    StringFilter, StringFilterComparison, Workflow, WorkflowStatus, WorkflowUpdate,
};
use aws_sdk_securityhub::Client;

use crate::error::{other, SdkResultExt};
use crate::pages::all_items;
use crate::ports::{FindingsImporter, PortResult};
use sagefence_audit::asff::{AsffFinding, RefusedFinding};

const OPERATION: &str = "BatchImportFindings";
const UPDATE: &str = "BatchUpdateFindings";
const READ: &str = "GetFindings";

/// Who sagefence's own suppressions are noted as (`Note.UpdatedBy`): the only ones it lifts.
pub const NOTE_AUTHOR: &str = "sagefence";

/// The most values GetFindings takes for one filter attribute.
const MAX_FILTER_VALUES: usize = 20;

/// The note a workflow status is set with: sagefence signs its suppressions and their lifting,
/// and leaves the note of a resolved finding as people wrote it.
fn workflow_note(status: &str) -> Option<&'static str> {
    match status {
        "SUPPRESSED" => Some("suppressed by sagefence: the policy exempts this failure"),
        "NEW" => Some("reopened by sagefence: the failure is no longer exempted"),
        _ => None,
    }
}

fn equals(value: &str) -> StringFilter {
    StringFilter::builder()
        .comparison(StringFilterComparison::Equals)
        .value(value)
        .build()
}

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
        let reopened = self.suppressed_by_sagefence(findings).await?;
        if !reopened.is_empty() {
            by_status.insert("NEW", reopened);
        }
        let mut refused = Vec::new();
        for (status, findings) in by_status {
            refused.extend(self.set_workflow(status, &findings).await?);
        }
        Ok(refused)
    }

    /// The unexempted failures among `findings` whose finding sagefence suppressed earlier.
    async fn suppressed_by_sagefence<'f>(&self, findings: &[&'f AsffFinding]) -> PortResult<Vec<&'f AsffFinding>> {
        let failing: Vec<&AsffFinding> = findings
            .iter()
            .copied()
            .filter(|f| f.workflow_status == "NEW")
            .collect();
        let mut suppressed = Vec::new();
        for chunk in failing.chunks(MAX_FILTER_VALUES) {
            let filters = AwsSecurityFindingFilters::builder()
                .set_id(Some(chunk.iter().map(|f| equals(&f.id)).collect()))
                .workflow_status(equals("SUPPRESSED"))
                .note_updated_by(equals(NOTE_AUTHOR))
                .build();
            let found = all_items!(READ, self.client.get_findings().filters(filters))?;
            suppressed.extend(chunk.iter().copied().filter(|f| {
                found
                    .iter()
                    .any(|s| s.id() == Some(f.id.as_str()) && s.product_arn() == Some(f.product_arn.as_str()))
            }));
        }
        Ok(suppressed)
    }

    /// Sets `status` (with its note) on these findings; answers the ones Security Hub refused.
    async fn set_workflow(&self, status: &str, findings: &[&AsffFinding]) -> PortResult<Vec<RefusedFinding>> {
        let identifiers = findings
            .iter()
            .map(|f| {
                AwsSecurityFindingIdentifier::builder()
                    .id(&f.id)
                    .product_arn(&f.product_arn)
                    .build()
            })
            .collect();
        let note = workflow_note(status).map(|text| NoteUpdate::builder().text(text).updated_by(NOTE_AUTHOR).build());
        let answer = self
            .client
            .batch_update_findings()
            .set_finding_identifiers(Some(identifiers))
            .workflow(WorkflowUpdate::builder().status(WorkflowStatus::from(status)).build())
            .set_note(note)
            .send()
            .await
            .port(UPDATE)?;
        Ok(answer
            .unprocessed_findings()
            .iter()
            .map(|u| RefusedFinding {
                id: u
                    .finding_identifier()
                    .and_then(|i| i.id())
                    .unwrap_or_default()
                    .to_owned(),
                code: u.error_code().unwrap_or_default().to_owned(),
                message: u.error_message().unwrap_or_default().to_owned(),
            })
            .collect())
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
