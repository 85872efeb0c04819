//! Job rules (training, processing, tuning, transform): project VPC, network isolation,
//! inter-container encryption, volume and output KMS. Their checks, and the job's remedy: stop
//! it while it runs.

use super::action::{ids, step, tag_and_notify, ActionKind, Step};
use super::catalog::RuleId;
use super::settings::Remedy;
use super::tags::required_tags;
use super::verdict::{fail, not_applicable, pass, project_of, subnets_in_project, Context, Status, Verdict};
use crate::model::{Job, JobSpec, JobStatus, VpcPlacement};

/// Applies `check` to each definition of a job: the job fails if any definition fails.
fn each_spec(specs: &[JobSpec], check: impl Fn(&JobSpec) -> Verdict) -> Verdict {
    if specs.is_empty() {
        return not_applicable("the job has no training job definition");
    }
    let verdicts: Vec<Verdict> = specs.iter().map(check).collect();
    let label = |i: usize, v: &Verdict| {
        if specs.len() > 1 {
            format!("definition {}: {}", i + 1, v.reason)
        } else {
            v.reason.clone()
        }
    };
    for status in [Status::Failed, Status::Passed] {
        let matching: Vec<String> = verdicts
            .iter()
            .enumerate()
            .filter(|(_, v)| v.status == status)
            .map(|(i, v)| label(i, v))
            .collect();
        if !matching.is_empty() {
            return Verdict {
                status,
                reason: matching.join("; "),
            };
        }
    }
    let reason = verdicts.into_iter().next().map(|v| v.reason).unwrap_or_default();
    not_applicable(reason)
}

const NETWORK_FROM_MODEL: &str = "a transform job's network comes from its model";

pub(super) fn check(cx: &Context<'_>, j: &Job) -> Vec<(RuleId, Verdict)> {
    let project = project_of(cx, Some(&j.tags));
    let vpc = each_spec(&j.specs, |s| match &s.network {
        None => not_applicable(NETWORK_FROM_MODEL),
        Some(network) => match &network.vpc {
            None => fail("no VpcConfig: the job runs outside any project VPC"),
            Some(VpcPlacement {
                subnets,
                security_group_ids,
            }) => subnets_in_project(subnets, security_group_ids, cx.facts, project, "the job"),
        },
    });
    let isolation = each_spec(&j.specs, |s| match &s.network {
        None => not_applicable(NETWORK_FROM_MODEL),
        Some(n) if n.network_isolation => pass("network isolation is enabled"),
        Some(_) => fail("EnableNetworkIsolation is false (absent means false)"),
    });
    let inter_container = each_spec(&j.specs, |s| match &s.network {
        None => not_applicable(NETWORK_FROM_MODEL),
        Some(n) if n.inter_container_encryption => pass("inter-container traffic is encrypted"),
        Some(_) => fail("EnableInterContainerTrafficEncryption is false (absent means false)"),
    });
    let volume = each_spec(&j.specs, |s| match &s.volume_kms_key_id {
        Some(key) => pass(format!("volumes are encrypted with `{key}`")),
        None => fail("no VolumeKmsKeyId: volumes are not encrypted with a KMS key"),
    });
    let output = each_spec(&j.specs, |s| match &s.output_kms_key_id {
        Some(Some(key)) => pass(format!("output is encrypted with `{key}`")),
        Some(None) => fail("no output KmsKeyId: output is not encrypted with a KMS key"),
        None => not_applicable("the job writes no output"),
    });
    vec![
        (RuleId::JobInProjectVpc, vpc),
        (RuleId::JobNetworkIsolation, isolation),
        (RuleId::JobInterContainerEncryption, inter_container),
        (RuleId::JobVolumeKms, volume),
        (RuleId::JobOutputKms, output),
        (RuleId::NotebookRequiredTags, required_tags(cx, Some(&j.tags))),
    ]
}

pub(super) fn steps(j: &Job, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    let mut out = Vec::new();
    let stop = ids(owed, |r| r == Remedy::Stop);
    let running = matches!(j.status, None | Some(JobStatus::InProgress));
    if !stop.is_empty() && running {
        out.push(step(
            ActionKind::StopJob,
            &stop,
            "the job runs against the policy; stop it",
        ));
    }
    tag_and_notify(Some(&j.tags), owed, &mut out);
    out
}
