//! The environment check: after a product's resources exist, reads them back and judges them
//! with the same rules the guardrail and sweeper use (the VPC: no internet gateway, no NAT or
//! peering, flow logs, required endpoints; the key: customer managed, enabled, rotating), and
//! the buckets' protection (SSE-KMS with the project key, public access blocked, TLS only).
//! Any violation fails the launch with every reason.

use std::collections::BTreeMap;

use sagefence_audit::audit::{record_id, AuditRecord, Subject};
use sagefence_aws::ports::{AuditSink, BucketBuilder, BucketProtection, Keys, Network};
use sagefence_core::{evaluate, Facts, Finding, Resource};

use crate::answer::Answer;
use crate::handler::{Context, Failure, Provisioner, ProvisionerPorts, FUNCTION};
use crate::request::{CheckProperties, Operation};

/// What is wrong with a bucket's protection, one reason each; empty when it is protected.
pub fn bucket_problems(bucket: &str, protection: Option<&BucketProtection>, key_arn: &str) -> Vec<String> {
    let Some(protection) = protection else {
        return vec![format!("bucket `{bucket}` does not exist")];
    };
    let mut problems = Vec::new();
    match &protection.kms_key {
        None => problems.push(format!("bucket `{bucket}` is not encrypted with SSE-KMS by default")),
        Some(key) if key != key_arn && !key_arn.ends_with(&format!("/{key}")) => {
            problems.push(format!(
                "bucket `{bucket}` is encrypted with `{key}`, not the project key"
            ));
        }
        Some(_) => {}
    }
    if !protection.public_access_blocked {
        problems.push(format!("bucket `{bucket}` does not block all public access"));
    }
    let tls_only = protection
        .policy
        .as_deref()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .is_some_and(|policy| denies_plain_http(&policy));
    if !tls_only {
        problems.push(format!("bucket `{bucket}`'s policy does not deny requests without TLS"));
    }
    problems
}

fn denies_plain_http(policy: &serde_json::Value) -> bool {
    let statements = match policy.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(|e| e.as_str()) == Some("Deny")
            && s.pointer("/Condition/Bool/aws:SecureTransport")
                .is_some_and(|v| v == "false" || v == false)
    })
}

impl<P: ProvisionerPorts> Provisioner<P> {
    /// Serves a `Custom::EnvironmentCheck` request.
    pub(crate) async fn environment_check(&self, context: &Context<'_>, physical_id: &str) -> Answer {
        if context.request.operation == Operation::Delete {
            return Answer::success(physical_id, BTreeMap::new());
        }
        let properties = match CheckProperties::parse(&context.request.properties) {
            Ok(properties) => properties,
            Err(error) => return Answer::failed(physical_id, error.to_string()),
        };
        match self.check(context, &properties).await {
            Ok(problems) if problems.is_empty() => {
                let data = [("Verdict".to_owned(), "PASSED".to_owned())].into_iter().collect();
                Answer::success(physical_id, data)
            }
            Ok(problems) => Answer::failed(
                physical_id,
                format!(
                    "project `{}`'s environment breaks the policy: {}; ask the platform team to fix it, then retry",
                    properties.project.as_str(),
                    problems.join("; ")
                ),
            ),
            Err(Failure(reason)) => Answer::failed(physical_id, reason),
        }
    }

    async fn check(&self, context: &Context<'_>, properties: &CheckProperties) -> Result<Vec<String>, Failure> {
        let region = context.scope.region.as_str();
        let now = chrono::Utc::now();
        let mut findings: Vec<Finding> = Vec::new();
        let mut problems = Vec::new();
        match self.network.vpc(&properties.vpc_id).await? {
            Some(vpc) => findings.extend(evaluate(
                &self.policy,
                &Resource::Vpc(vpc),
                Some(region),
                &Facts::default(),
                now,
            )),
            None => problems.push(format!("VPC `{}` does not exist", properties.vpc_id)),
        }
        let key_arn = match self.keys.key(&properties.kms_key_id).await? {
            Some(key) => {
                let arn = key.arn.clone();
                findings.extend(evaluate(
                    &self.policy,
                    &Resource::KmsKey(key),
                    Some(region),
                    &Facts::default(),
                    now,
                ));
                arn
            }
            None => {
                problems.push(format!("key `{}` does not exist", properties.kms_key_id));
                String::new()
            }
        };
        for bucket in &properties.buckets {
            let protection = self.buckets.bucket_protection(bucket).await?;
            problems.extend(bucket_problems(bucket, protection.as_ref(), &key_arn));
        }
        for finding in &findings {
            let id = record_id(&[
                &context.request.target.request_id,
                "finding",
                finding.rule.as_str(),
                &finding.resource.name,
            ]);
            let location = context.request.target.stack_location().ok();
            let record = AuditRecord {
                id,
                time: now,
                function: FUNCTION,
                event_id: Some(context.request.target.request_id.clone()),
                account: location.as_ref().map(|l| l.account.clone()),
                region: location.map(|l| l.region),
                actor: None,
                subject: Subject::Finding {
                    finding: finding.clone(),
                },
            };
            self.audit.record(&record).await?;
        }
        problems.extend(
            findings
                .iter()
                .filter(|f| f.is_violation())
                .map(|f| format!("{} on `{}`: {}", f.rule.as_str(), f.resource.name, f.reason)),
        );
        context.steps.push(format!(
            "checked {} finding(s) and {} bucket(s): {} problem(s)",
            findings.len(),
            properties.buckets.len(),
            problems.len()
        ));
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protected() -> BucketProtection {
        BucketProtection {
            kms_key: Some("arn:aws:kms:eu-west-1:1:key/k".into()),
            public_access_blocked: true,
            policy: Some(
                r#"{"Statement":[{"Effect":"Deny","Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
                    .into(),
            ),
        }
    }

    #[test]
    fn a_protected_bucket_has_no_problem() {
        assert!(bucket_problems("b", Some(&protected()), "arn:aws:kms:eu-west-1:1:key/k").is_empty());
        let mut by_id = protected();
        by_id.kms_key = Some("k".into());
        assert!(bucket_problems("b", Some(&by_id), "arn:aws:kms:eu-west-1:1:key/k").is_empty());
    }

    #[test]
    fn every_gap_is_named() {
        let open = BucketProtection::default();
        let problems = bucket_problems("b", Some(&open), "arn:key");
        assert_eq!(problems.len(), 3, "{problems:?}");
        let mut other_key = protected();
        other_key.kms_key = Some("arn:other".into());
        assert!(bucket_problems("b", Some(&other_key), "arn:key")[0].contains("`arn:other`"));
        assert_eq!(bucket_problems("b", None, "arn:key"), ["bucket `b` does not exist"]);
    }
}
