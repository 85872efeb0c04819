//! Security Hub findings (ASFF 2018-10-08) from sagefence's rule verdicts. One finding per rule
//! and resource: its id is deterministic, so a later verdict updates the same finding.
//!
//! As AWS documents it, a finding provider states its verdict in `Compliance.Status` and
//! `RecordState` (a pass: `PASSED`, `ARCHIVED`); `BatchImportFindings` sets `Workflow` only when
//! it creates a finding, so the workflow a verdict calls for (`RESOLVED` for a pass,
//! `SUPPRESSED` for an exempted failure) is set with `BatchUpdateFindings` after the import. A
//! later failure needs nothing more: Security Hub itself resets `RESOLVED` to `NEW` when
//! `Compliance.Status` turns from `PASSED` to `FAILED`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ocsf::{FindingLine, RecordLine, SubjectLine};

/// The ASFF schema version.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// The finding type every rule reports.
pub const FINDING_TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";

/// One resource of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    /// The ASFF resource type, e.g. `AwsSageMakerNotebookInstance`.
    pub r#type: String,
    /// Its ARN (or name, where no ARN is known).
    pub id: String,
    /// Its region.
    pub region: String,
}

/// One finding, in the fields sagefence sets (names as ASFF spells them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// `sagefence/{rule}/{resource}`: the same for every verdict of a rule on a resource.
    pub id: String,
    /// The importing account's default product in its region ([`default_product`]).
    pub product_arn: String,
    /// The rule id.
    pub generator_id: String,
    /// The importing account (Security Hub refuses any other with the default product).
    pub aws_account_id: String,
    /// The importing region.
    pub region: String,
    /// The finding types.
    pub types: Vec<String>,
    /// When the verdict was made (RFC 3339).
    pub created_at: DateTime<Utc>,
    /// The same, as the finding's update time.
    pub updated_at: DateTime<Utc>,
    /// `INFORMATIONAL` .. `CRITICAL`.
    pub severity_label: String,
    /// A title.
    pub title: String,
    /// Why.
    pub description: String,
    /// `PASSED`, `FAILED` or `NOT_AVAILABLE`.
    pub compliance_status: String,
    /// `NEW`, `SUPPRESSED` or `RESOLVED`.
    pub workflow_status: String,
    /// `ACTIVE` for a failure, `ARCHIVED` once the resource passes (or the rule no longer applies).
    pub record_state: String,
    /// The resource.
    pub resources: Vec<AsffResource>,
    /// The rule id, control, mode and record id.
    pub product_fields: BTreeMap<String, String>,
}

/// A finding Security Hub refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedFinding {
    /// The finding id.
    pub id: String,
    /// The error code.
    pub code: String,
    /// The error message.
    pub message: String,
}

/// The ASFF resource type for a sagefence resource kind.
pub fn resource_type(kind: &str) -> &'static str {
    match kind {
        "notebook-instance" => "AwsSageMakerNotebookInstance",
        "vpc" => "AwsEc2Vpc",
        "subnet" => "AwsEc2Subnet",
        "security-group" => "AwsEc2SecurityGroup",
        "kms-key" => "AwsKmsKey",
        "iam-role" => "AwsIamRole",
        "s3-bucket" => "AwsS3Bucket",
        _ => "Other",
    }
}

impl AsffFinding {
    /// Whether the verdict calls for a workflow status that only `BatchUpdateFindings` can set
    /// on an existing finding (`RESOLVED` or `SUPPRESSED`).
    pub fn needs_workflow_update(&self) -> bool {
        matches!(self.workflow_status.as_str(), "RESOLVED" | "SUPPRESSED")
    }
}

/// The finding id for a rule on a resource.
pub fn finding_id(rule: &str, resource: &str) -> String {
    format!("sagefence/{rule}/{resource}")
}

/// The Security Hub finding for a verdict record; `None` for other records. `account` and
/// `region` are used where the record names none.
pub fn from_record(record: &RecordLine, account: &str, region: &str) -> Option<AsffFinding> {
    let SubjectLine::Finding { finding } = &record.subject else {
        return None;
    };
    Some(finding_for(record, finding, account, region))
}

/// A finding for the importer's account and region (`home_account`, `home_region`): as
/// `BatchImportFindings` requires of the default product, the finding's `AwsAccountId` and
/// product are the caller's own; a verdict on a member account's or another region's resource
/// names that account and region in its resource (ARN and `Region`) and its product fields.
fn finding_for(record: &RecordLine, finding: &FindingLine, home_account: &str, home_region: &str) -> AsffFinding {
    let account = record.account.as_deref().unwrap_or(home_account);
    let region = record.region.as_deref().unwrap_or(home_region);
    let resource = finding.resource.arn.as_deref().unwrap_or(&finding.resource.name);
    let (compliance, workflow, record_state, severity) = match finding.status.as_str() {
        "PASSED" => ("PASSED", "RESOLVED", "ARCHIVED", "INFORMATIONAL"),
        "FAILED" if finding.exemption.is_some() => ("FAILED", "SUPPRESSED", "ACTIVE", finding.severity.as_str()),
        "FAILED" => ("FAILED", "NEW", "ACTIVE", finding.severity.as_str()),
        _ => ("NOT_AVAILABLE", "RESOLVED", "ARCHIVED", "INFORMATIONAL"),
    };
    let mut product_fields = BTreeMap::from([
        ("sagefence/rule".to_owned(), finding.rule.clone()),
        ("sagefence/mode".to_owned(), finding.mode.clone()),
        ("sagefence/record".to_owned(), record.id.clone()),
        ("sagefence/account".to_owned(), account.to_owned()),
        ("sagefence/region".to_owned(), region.to_owned()),
    ]);
    if let Some(control) = &finding.control {
        product_fields.insert("sagefence/control".to_owned(), control.clone());
    }
    AsffFinding {
        schema_version: SCHEMA_VERSION.to_owned(),
        id: finding_id(&finding.rule, resource),
        product_arn: default_product(home_account, home_region),
        generator_id: finding.rule.clone(),
        aws_account_id: home_account.to_owned(),
        region: home_region.to_owned(),
        types: vec![FINDING_TYPE.to_owned()],
        created_at: record.time,
        updated_at: record.time,
        severity_label: severity.to_owned(),
        title: format!("{}: {}", finding.rule, finding.resource.name),
        description: truncate(&finding.reason, 1024),
        compliance_status: compliance.to_owned(),
        workflow_status: workflow.to_owned(),
        record_state: record_state.to_owned(),
        resources: vec![AsffResource {
            r#type: resource_type(&finding.resource.kind).to_owned(),
            id: resource.to_owned(),
            region: region.to_owned(),
        }],
        product_fields,
    }
}

/// An account's default product in a region, the only product it may import findings to
/// itself (`BatchImportFindings`, API reference).
pub fn default_product(account: &str, region: &str) -> String {
    format!("arn:aws:securityhub:{region}:{account}:product/{account}/default")
}

/// ASFF caps descriptions at 1024 characters.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    text.chars().take(max - 1).chain(std::iter::once('…')).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(status: &str) -> RecordLine {
        serde_json::from_value(json!({
            "id": "r1", "time": "2026-11-26T10:00:00Z", "function": "guardrail",
            "account": "111122223333", "region": "eu-west-1",
            "subject": {"type": "finding", "finding": {
                "rule": "notebook-kms-encrypted", "control": "SageMaker.21",
                "resource": {"kind": "notebook-instance", "name": "nb", "arn": "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/nb"},
                "status": status, "severity": "HIGH", "reason": "no key", "mode": "enforce"}}
        }))
        .unwrap()
    }

    #[test]
    fn a_failure_and_its_later_pass_share_one_id() {
        let failed = from_record(&record("FAILED"), "x", "y").unwrap();
        let passed = from_record(&record("PASSED"), "x", "y").unwrap();
        assert_eq!(failed.id, passed.id);
        assert_eq!(
            failed.id,
            "sagefence/notebook-kms-encrypted/arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/nb"
        );
        assert_eq!(
            (failed.compliance_status.as_str(), failed.workflow_status.as_str()),
            ("FAILED", "NEW")
        );
        assert_eq!(
            (passed.compliance_status.as_str(), passed.workflow_status.as_str()),
            ("PASSED", "RESOLVED")
        );
        assert_eq!(
            (failed.record_state.as_str(), passed.record_state.as_str()),
            ("ACTIVE", "ARCHIVED")
        );
        assert_eq!(failed.severity_label, "HIGH");
        // imported by the home account "x" in "y", for the record's account and region
        assert_eq!(failed.product_arn, "arn:aws:securityhub:y:x:product/x/default");
        assert_eq!(failed.aws_account_id, "x");
        assert_eq!(
            (
                failed.product_fields["sagefence/account"].as_str(),
                failed.product_fields["sagefence/region"].as_str(),
                failed.resources[0].region.as_str()
            ),
            ("111122223333", "eu-west-1", "eu-west-1")
        );
        assert_eq!(failed.generator_id, "notebook-kms-encrypted");
        assert_eq!(failed.product_fields["sagefence/control"], "SageMaker.21");
        assert_eq!(failed.resources[0].r#type, "AwsSageMakerNotebookInstance");
    }
}
