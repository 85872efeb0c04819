//! Studio domain rules: VPC-only networking and a KMS key. A domain cannot be changed safely
//! in place, so its remedy is to notify.

use super::action::{tag_and_notify, Step};
use super::catalog::RuleId;
use super::settings::Remedy;
use super::tags::required_tags;
use super::verdict::{fail, pass, Context, Verdict};
use crate::model::{AppNetworkAccess, Domain};

pub(super) fn check(cx: &Context<'_>, d: &Domain) -> Vec<(RuleId, Verdict)> {
    let vpc_only = match d.app_network_access {
        AppNetworkAccess::VpcOnly => pass("AppNetworkAccessType is `VpcOnly`"),
        AppNetworkAccess::PublicInternetOnly => {
            fail("AppNetworkAccessType is `PublicInternetOnly` (absent means `PublicInternetOnly`)")
        }
    };
    let kms = match &d.kms_key_id {
        Some(key) => pass(format!("the domain's volume is encrypted with `{key}`")),
        None => fail("no KmsKeyId: the domain's volume is encrypted with an AWS managed key"),
    };
    vec![
        (RuleId::DomainVpcOnly, vpc_only),
        (RuleId::DomainKms, kms),
        (RuleId::NotebookRequiredTags, required_tags(cx, Some(&d.tags))),
    ]
}

/// A domain's remedy: tag and notify.
pub(super) fn steps(d: &Domain, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    let mut out = Vec::new();
    tag_and_notify(Some(&d.tags), owed, &mut out);
    out
}
