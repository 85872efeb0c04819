//! The IAM policy documents the provisioner writes, built as pure functions: trust policies,
//! the project key's policy, the buckets' TLS-only and endpoint-only policies, the S3 gateway
//! endpoint's policy, and the project admin, project user and notebook execution roles'
//! policies. Each is a `serde_json::Value`, compared structurally in tests. Project roles live
//! under the path `/sagefence/<project>/`, so a role ARN pattern names exactly one project's
//! roles; no project document lets its holder change a `sagefence:*` tag.

use serde_json::{json, Value};

/// What every project document names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectScope {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
    /// The project name.
    pub project: String,
    /// The tag key naming a resource's project (the policy's scope).
    pub project_tag_key: String,
}

impl ProjectScope {
    /// The ARN of a bucket.
    pub fn bucket_arn(&self, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}", self.partition)
    }

    /// The ARN of a role of this project (under [`ProjectScope::role_path`]).
    pub fn role_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:iam::{}:role{}{name}",
            self.partition,
            self.account,
            self.role_path()
        )
    }

    /// The IAM path of the project's roles, `/sagefence/<project>/`: project names hold no `/`,
    /// so `role/sagefence/alpha/*` never reaches `alpha-x`'s roles, nor the stack's own.
    pub fn role_path(&self) -> String {
        format!("/sagefence/{}/", self.project)
    }

    /// The ARN pattern of every role of this project.
    pub fn project_roles(&self) -> String {
        self.role_arn("*")
    }

    fn principal_tag(&self) -> String {
        format!("aws:PrincipalTag/{}", self.project_tag_key)
    }

    fn root(&self) -> String {
        format!("arn:{}:iam::{}:root", self.partition, self.account)
    }

    fn buckets_and_objects(&self, buckets: &[String]) -> Vec<String> {
        buckets
            .iter()
            .flat_map(|b| [self.bucket_arn(b), format!("{}/*", self.bucket_arn(b))])
            .collect()
    }
}

/// The key actions a project principal may use the key for.
const KEY_USE: [&str; 5] = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
];

/// The grant actions, each only for an AWS service acting on the principal's behalf.
const KEY_GRANTS: [&str; 3] = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"];

/// What the account may do to administer a project key through IAM: no use of it, no grants
/// and no new key policy (those two are in their own, conditioned statements).
const KEY_ADMINISTRATION: [&str; 14] = [
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:UpdateAlias",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:UpdateKeyDescription",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
];

/// The tag key prefix sagefence keeps for itself.
pub const PROTECTED_TAG_KEYS: &str = "sagefence:*";

/// The tag key marking sagefence's own roles (the stack's); only those write a new key policy.
pub const COMPONENT_TAG_KEY: &str = "sagefence:component";

/// Every action that creates, changes or removes a tag on a resource a project reaches.
pub const TAGGING_ACTIONS: [&str; 12] = [
    "sagemaker:AddTags",
    "sagemaker:DeleteTags",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "kms:TagResource",
    "kms:UntagResource",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:TagUser",
    "iam:UntagUser",
    "logs:TagResource",
    "logs:UntagResource",
];

/// The statement every project role carries: no `sagefence:*` tag key (nor the project tag
/// key, when the policy names another) is created, changed or removed by it, on any resource.
pub fn protected_tags(scope: &ProjectScope) -> Value {
    let mut keys = vec![PROTECTED_TAG_KEYS.to_owned()];
    if !scope.project_tag_key.starts_with("sagefence:") {
        keys.push(scope.project_tag_key.clone());
    }
    json!({
        "Sid": "NoSagefenceTagChanges",
        "Effect": "Deny",
        "Action": TAGGING_ACTIONS,
        "Resource": "*",
        "Condition": { "ForAnyValue:StringLike": { "aws:TagKeys": keys } },
    })
}

/// Object and listing actions on the project's buckets.
const BUCKET_USE: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "s3:AbortMultipartUpload",
];

/// The statement of `document` with this `Sid`, if any.
pub fn statement<'a>(document: &'a Value, sid: &str) -> Option<&'a Value> {
    document["Statement"].as_array()?.iter().find(|s| s["Sid"] == sid)
}

/// A trust policy letting principals of the account tagged with the project assume the role
/// (their own IAM policies must also allow it); a session may carry the project tag only with
/// this project as its value, so nobody claims another project's tag through the role.
pub fn trust_account(scope: &ProjectScope) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ProjectPrincipalsAssume",
                "Effect": "Allow",
                "Principal": { "AWS": scope.root() },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEquals": { scope.principal_tag(): scope.project } },
            },
            {
                "Sid": "SessionsTaggedWithThisProjectOnly",
                "Effect": "Allow",
                "Principal": { "AWS": scope.root() },
                "Action": "sts:TagSession",
                "Condition": {
                    "StringEquals": {
                        scope.principal_tag(): scope.project,
                        format!("aws:RequestTag/{}", scope.project_tag_key): scope.project,
                    },
                    "ForAllValues:StringEquals": { "aws:TagKeys": [scope.project_tag_key] },
                },
            },
        ],
    })
}

/// A trust policy letting SageMaker assume the role, only on behalf of this account.
pub fn trust_sagemaker(scope: &ProjectScope) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "sagemaker.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": scope.account } },
        }],
    })
}

/// The project key's policy: the account administers the key through IAM but can neither use
/// it, grant it nor rewrite its policy; only sagefence's own roles (tagged
/// `sagefence:component`) write a new key policy; the project's admin and user roles and any
/// principal tagged with the project use it and grant it to AWS services only;
/// CloudWatch Logs encrypts the project's log groups with it.
pub fn key_policy(scope: &ProjectScope, admin_role_arn: &str, user_role_arn: &str) -> Value {
    let project_principal = json!({ "StringEquals": { scope.principal_tag(): scope.project } });
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": { "AWS": scope.root() },
                "Action": KEY_ADMINISTRATION,
                "Resource": "*",
            },
            {
                "Sid": "OnlySagefenceRewritesTheKeyPolicy",
                "Effect": "Allow",
                "Principal": { "AWS": scope.root() },
                "Action": ["kms:PutKeyPolicy", "kms:TagResource", "kms:UntagResource"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": { format!("aws:PrincipalTag/{COMPONENT_TAG_KEY}"): "sagefence" },
                },
            },
            {
                "Sid": "ProjectRolesUseTheKey",
                "Effect": "Allow",
                "Principal": { "AWS": [admin_role_arn, user_role_arn] },
                "Action": KEY_USE,
                "Resource": "*",
            },
            {
                "Sid": "ProjectPrincipalsUseTheKey",
                "Effect": "Allow",
                "Principal": { "AWS": scope.root() },
                "Action": KEY_USE,
                "Resource": "*",
                "Condition": project_principal,
            },
            {
                "Sid": "ProjectRolesGrantToAwsServicesOnly",
                "Effect": "Allow",
                "Principal": { "AWS": [admin_role_arn, user_role_arn] },
                "Action": KEY_GRANTS,
                "Resource": "*",
                "Condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } },
            },
            {
                "Sid": "ProjectPrincipalsGrantToAwsServicesOnly",
                "Effect": "Allow",
                "Principal": { "AWS": scope.root() },
                "Action": KEY_GRANTS,
                "Resource": "*",
                "Condition": {
                    "StringEquals": { scope.principal_tag(): scope.project },
                    "Bool": { "kms:GrantIsForAWSResource": "true" },
                },
            },
            {
                "Sid": "LogsEncryptProjectLogGroups",
                "Effect": "Allow",
                "Principal": { "Service": format!("logs.{}.amazonaws.com", scope.region) },
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": format!(
                            "arn:{}:logs:{}:{}:log-group:*",
                            scope.partition, scope.region, scope.account
                        ),
                    },
                },
            },
        ],
    })
}

/// A project bucket's policy: no request without TLS, and none from outside the project's S3
/// endpoint except by the exempt principals (the project admin role, the provisioner).
pub fn bucket_policy(scope: &ProjectScope, bucket: &str, endpoint_id: &str, exempt_principals: &[String]) -> Value {
    let resources = scope.buckets_and_objects(&[bucket.to_owned()]);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": { "Bool": { "aws:SecureTransport": "false" } },
            },
            {
                "Sid": "DenyOutsideTheProjectEndpoint",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {
                    "StringNotEquals": { "aws:SourceVpce": endpoint_id },
                    "ArnNotLike": { "aws:PrincipalArn": exempt_principals },
                },
            },
        ],
    })
}

/// The S3 gateway endpoint's policy: only the project's buckets are reachable through it.
pub fn s3_endpoint_policy(scope: &ProjectScope, buckets: &[String]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OnlyProjectBuckets",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": scope.buckets_and_objects(buckets),
        }],
    })
}

fn project_resource_condition(scope: &ProjectScope) -> Value {
    json!({ "StringEquals": { format!("aws:ResourceTag/{}", scope.project_tag_key): scope.project } })
}

fn key_grants(key_arn: &str) -> Value {
    json!({
        "Sid": "ProjectKeyGrantsForAwsServices",
        "Effect": "Allow",
        "Action": KEY_GRANTS,
        "Resource": key_arn,
        "Condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } },
    })
}

/// The project admin role's policy: the project's buckets and key, every SageMaker action on
/// resources tagged with the project, and passing the project's roles (exactly its path) to
/// SageMaker; never a `sagefence:*` tag change.
pub fn admin_role_policy(scope: &ProjectScope, buckets: &[String], key_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ProjectBuckets",
                "Effect": "Allow",
                "Action": ["s3:*"],
                "Resource": scope.buckets_and_objects(buckets),
            },
            { "Sid": "ProjectKey", "Effect": "Allow", "Action": KEY_USE, "Resource": key_arn },
            key_grants(key_arn),
            {
                "Sid": "ProjectSageMakerResources",
                "Effect": "Allow",
                "Action": "sagemaker:*",
                "Resource": "*",
                "Condition": project_resource_condition(scope),
            },
            {
                "Sid": "SageMakerReadOnly",
                "Effect": "Allow",
                "Action": ["sagemaker:List*", "sagemaker:Describe*", "sagemaker:Search"],
                "Resource": "*",
            },
            {
                "Sid": "PassProjectRolesToSageMaker",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": scope.project_roles(),
                "Condition": { "StringEquals": { "iam:PassedToService": "sagemaker.amazonaws.com" } },
            },
            protected_tags(scope),
        ],
    })
}

/// The project user role's policy: open, start, stop and describe only notebooks tagged with
/// the project; read and write the project's buckets; use the key; never a `sagefence:*` tag
/// change.
pub fn user_role_policy(scope: &ProjectScope, buckets: &[String], key_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnProjectNotebooksOnly",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreatePresignedNotebookInstanceUrl",
                    "sagemaker:DescribeNotebookInstance",
                    "sagemaker:StartNotebookInstance",
                    "sagemaker:StopNotebookInstance",
                ],
                "Resource": format!(
                    "arn:{}:sagemaker:{}:{}:notebook-instance/*",
                    scope.partition, scope.region, scope.account
                ),
                "Condition": project_resource_condition(scope),
            },
            {
                "Sid": "ListNotebooks",
                "Effect": "Allow",
                "Action": ["sagemaker:ListNotebookInstances", "sagemaker:ListTags"],
                "Resource": "*",
            },
            {
                "Sid": "ProjectBuckets",
                "Effect": "Allow",
                "Action": BUCKET_USE,
                "Resource": scope.buckets_and_objects(buckets),
            },
            { "Sid": "ProjectKey", "Effect": "Allow", "Action": KEY_USE, "Resource": key_arn },
            key_grants(key_arn),
            protected_tags(scope),
        ],
    })
}

/// Where a notebook and everything it launches must run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The project's subnets.
    pub subnet_ids: Vec<String>,
    /// The project's SageMaker security group.
    pub security_group_id: String,
    /// The project key's ARN.
    pub key_arn: String,
    /// The project's buckets.
    pub buckets: Vec<String>,
}

/// A notebook execution role's policy: jobs and models only inside the project's subnets and
/// security group, encrypted with the project key, network-isolated and with inter-container
/// traffic encrypted; notebooks only without direct internet or root access; the role passed
/// only to SageMaker; S3 only on the project's buckets; tags only on the project's own work,
/// never a `sagefence:*` key.
pub fn notebook_role_policy(scope: &ProjectScope, placement: &Placement, role_arn: &str) -> Value {
    let arn = |kind: &str| {
        format!(
            "arn:{}:sagemaker:{}:{}:{kind}/*",
            scope.partition, scope.region, scope.account
        )
    };
    let in_project_vpc = json!({
        "ForAllValues:StringEquals": {
            "sagemaker:VpcSubnets": placement.subnet_ids,
            "sagemaker:VpcSecurityGroupIds": [placement.security_group_id],
        },
        "Null": { "sagemaker:VpcSubnets": "false", "sagemaker:VpcSecurityGroupIds": "false" },
    });
    let mut jobs = in_project_vpc.clone();
    if let Some(all) = jobs.get_mut("ForAllValues:StringEquals").and_then(Value::as_object_mut) {
        all.insert("sagemaker:VolumeKmsKey".into(), json!([placement.key_arn]));
        all.insert("sagemaker:OutputKmsKey".into(), json!([placement.key_arn]));
    }
    if let Some(null) = jobs.get_mut("Null").and_then(Value::as_object_mut) {
        null.insert("sagemaker:VolumeKmsKey".into(), json!("false"));
        null.insert("sagemaker:OutputKmsKey".into(), json!("false"));
    }
    if let Some(object) = jobs.as_object_mut() {
        object.insert(
            "Bool".into(),
            json!({
                "sagemaker:NetworkIsolation": "true",
                "sagemaker:InterContainerTrafficEncryption": "true",
            }),
        );
    }
    let mut models = in_project_vpc;
    if let Some(object) = models.as_object_mut() {
        object.insert("Bool".into(), json!({ "sagemaker:NetworkIsolation": "true" }));
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "JobsInsideTheProject",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:CreateHyperParameterTuningJob",
                ],
                "Resource": [arn("training-job"), arn("processing-job"), arn("hyper-parameter-tuning-job")],
                "Condition": jobs,
            },
            {
                "Sid": "TransformsEncryptedWithTheProjectKey",
                "Effect": "Allow",
                "Action": "sagemaker:CreateTransformJob",
                "Resource": arn("transform-job"),
                "Condition": {
                    "StringEquals": {
                        "sagemaker:VolumeKmsKey": placement.key_arn,
                        "sagemaker:OutputKmsKey": placement.key_arn,
                    },
                },
            },
            {
                "Sid": "ModelsInsideTheProject",
                "Effect": "Allow",
                "Action": "sagemaker:CreateModel",
                "Resource": arn("model"),
                "Condition": models,
            },
            {
                "Sid": "NoNotebookWithDirectInternet",
                "Effect": "Deny",
                "Action": "sagemaker:CreateNotebookInstance",
                "Resource": "*",
                "Condition": { "StringNotEquals": { "sagemaker:DirectInternetAccess": "Disabled" } },
            },
            {
                "Sid": "NoNotebookWithRoot",
                "Effect": "Deny",
                "Action": "sagemaker:CreateNotebookInstance",
                "Resource": "*",
                "Condition": { "StringNotEquals": { "sagemaker:RootAccess": "Disabled" } },
            },
            {
                "Sid": "NoUpdateGrantingRoot",
                "Effect": "Deny",
                "Action": "sagemaker:UpdateNotebookInstance",
                "Resource": "*",
                "Condition": { "StringNotEqualsIfExists": { "sagemaker:RootAccess": "Disabled" } },
            },
            {
                "Sid": "ReadOwnWork",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:Describe*",
                    "sagemaker:List*",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:StopTransformJob",
                    "sagemaker:StopHyperParameterTuningJob",
                ],
                "Resource": "*",
            },
            {
                "Sid": "TagOwnProjectWork",
                "Effect": "Allow",
                "Action": ["sagemaker:AddTags", "sagemaker:DeleteTags"],
                "Resource": format!("arn:{}:sagemaker:{}:{}:*", scope.partition, scope.region, scope.account),
                "Condition": project_resource_condition(scope),
            },
            protected_tags(scope),
            {
                "Sid": "PassOnlyItselfToSageMaker",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": role_arn,
                "Condition": { "StringEquals": { "iam:PassedToService": "sagemaker.amazonaws.com" } },
            },
            {
                "Sid": "ProjectBuckets",
                "Effect": "Allow",
                "Action": BUCKET_USE,
                "Resource": scope.buckets_and_objects(&placement.buckets),
            },
            { "Sid": "ProjectKey", "Effect": "Allow", "Action": KEY_USE, "Resource": placement.key_arn },
            key_grants(&placement.key_arn),
            {
                "Sid": "JobLogsAndMetrics",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": format!(
                    "arn:{}:logs:{}:{}:log-group:/aws/sagemaker/*",
                    scope.partition, scope.region, scope.account
                ),
            },
            {
                "Sid": "MetricsAndImages",
                "Effect": "Allow",
                "Action": [
                    "cloudwatch:PutMetricData",
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchCheckLayerAvailability",
                ],
                "Resource": "*",
            },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> ProjectScope {
        ProjectScope {
            partition: "aws".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            project: "alpha".into(),
            project_tag_key: "sagefence:project".into(),
        }
    }

    fn statement<'a>(document: &'a Value, sid: &str) -> &'a Value {
        super::statement(document, sid).unwrap_or_else(|| panic!("no statement `{sid}`"))
    }

    #[test]
    fn the_key_policy_lets_only_project_principals_use_the_key() {
        let policy = key_policy(
            &scope(),
            "arn:aws:iam::123456789012:role/a",
            "arn:aws:iam::123456789012:role/u",
        );
        let admin = statement(&policy, "AccountAdministersTheKey");
        let actions = admin["Action"].as_array().unwrap();
        assert!(!actions.iter().any(|a| a == "kms:Decrypt" || a == "kms:*"));
        let roles = statement(&policy, "ProjectRolesUseTheKey");
        assert_eq!(
            roles["Principal"]["AWS"],
            json!(["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/u"])
        );
        let tagged = statement(&policy, "ProjectPrincipalsUseTheKey");
        assert_eq!(
            tagged["Condition"],
            json!({ "StringEquals": { "aws:PrincipalTag/sagefence:project": "alpha" } })
        );
        let logs = statement(&policy, "LogsEncryptProjectLogGroups");
        assert_eq!(logs["Principal"], json!({ "Service": "logs.eu-west-1.amazonaws.com" }));
    }

    #[test]
    fn the_key_policy_grants_only_for_aws_resources_and_lets_only_sagefence_rewrite_it() {
        let policy = key_policy(
            &scope(),
            "arn:aws:iam::123456789012:role/a",
            "arn:aws:iam::123456789012:role/u",
        );
        for statement in policy["Statement"].as_array().unwrap() {
            let actions = statement["Action"].as_array().cloned().unwrap_or_default();
            let grants = actions.iter().any(|a| a == "kms:CreateGrant");
            assert!(
                !actions.iter().any(|a| a == "kms:Create*" || a == "kms:Put*"),
                "{statement}"
            );
            if grants {
                assert_eq!(statement["Condition"]["Bool"]["kms:GrantIsForAWSResource"], "true");
            }
            if actions.iter().any(|a| a == "kms:PutKeyPolicy") {
                assert_eq!(
                    statement["Condition"]["StringEquals"]["aws:PrincipalTag/sagefence:component"],
                    "sagefence"
                );
            }
        }
    }

    #[test]
    fn project_roles_trust_only_their_project_and_pass_only_its_roles() {
        let trust = trust_account(&scope());
        let assume = statement(&trust, "ProjectPrincipalsAssume");
        assert_eq!(
            assume["Condition"],
            json!({ "StringEquals": { "aws:PrincipalTag/sagefence:project": "alpha" } })
        );
        let tag = statement(&trust, "SessionsTaggedWithThisProjectOnly");
        assert_eq!(
            tag["Condition"]["StringEquals"]["aws:RequestTag/sagefence:project"],
            "alpha"
        );
        let admin = admin_role_policy(&scope(), &["d".into()], "arn:key");
        assert_eq!(
            statement(&admin, "PassProjectRolesToSageMaker")["Resource"],
            "arn:aws:iam::123456789012:role/sagefence/alpha/*"
        );
        assert_eq!(
            scope().role_arn("r"),
            "arn:aws:iam::123456789012:role/sagefence/alpha/r"
        );
    }

    #[test]
    fn no_project_role_changes_a_sagefence_tag() {
        let placement = Placement {
            subnet_ids: vec!["subnet-1".into()],
            security_group_id: "sg-1".into(),
            key_arn: "arn:key".into(),
            buckets: vec!["d".into()],
        };
        let documents = [
            admin_role_policy(&scope(), &["d".into()], "arn:key"),
            user_role_policy(&scope(), &["d".into()], "arn:key"),
            notebook_role_policy(&scope(), &placement, "arn:role"),
        ];
        for document in &documents {
            let deny = statement(document, "NoSagefenceTagChanges");
            assert_eq!(deny["Effect"], "Deny");
            assert_eq!(
                deny["Condition"]["ForAnyValue:StringLike"]["aws:TagKeys"],
                json!(["sagefence:*"])
            );
            assert!(deny["Action"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "sagemaker:AddTags"));
        }
        let notebook = &documents[2];
        assert!(!statement(notebook, "ReadOwnWork")["Action"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "sagemaker:AddTags"));
        assert_eq!(
            statement(notebook, "TagOwnProjectWork")["Condition"],
            json!({ "StringEquals": { "aws:ResourceTag/sagefence:project": "alpha" } })
        );
    }

    #[test]
    fn bucket_policies_deny_plain_http_and_other_paths_but_the_exempt() {
        let exempt = vec!["arn:aws:iam::123456789012:role/admin".to_owned()];
        let policy = bucket_policy(&scope(), "b", "vpce-1", &exempt);
        let resources = json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]);
        assert_eq!(
            statement(&policy, "DenyWithoutTls"),
            &json!({
                "Sid": "DenyWithoutTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": resources,
                "Condition": { "Bool": { "aws:SecureTransport": "false" } },
            })
        );
        assert_eq!(
            statement(&policy, "DenyOutsideTheProjectEndpoint")["Condition"],
            json!({
                "StringNotEquals": { "aws:SourceVpce": "vpce-1" },
                "ArnNotLike": { "aws:PrincipalArn": exempt },
            })
        );
    }

    #[test]
    fn the_s3_endpoint_reaches_only_the_project_buckets() {
        let policy = s3_endpoint_policy(&scope(), &["d".into(), "m".into()]);
        assert_eq!(
            statement(&policy, "OnlyProjectBuckets")["Resource"],
            json!([
                "arn:aws:s3:::d",
                "arn:aws:s3:::d/*",
                "arn:aws:s3:::m",
                "arn:aws:s3:::m/*"
            ])
        );
        assert_eq!(policy["Statement"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn the_user_role_reaches_only_its_project_notebooks() {
        let policy = user_role_policy(&scope(), &["d".into()], "arn:key");
        let notebooks = statement(&policy, "OwnProjectNotebooksOnly");
        assert_eq!(
            notebooks["Condition"],
            json!({ "StringEquals": { "aws:ResourceTag/sagefence:project": "alpha" } })
        );
        assert_eq!(
            notebooks["Resource"],
            "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/*"
        );
        assert_eq!(statement(&policy, "ProjectKey")["Resource"], "arn:key");
    }

    #[test]
    fn notebook_roles_are_held_by_sagemaker_condition_keys() {
        let placement = Placement {
            subnet_ids: vec!["subnet-1".into(), "subnet-2".into()],
            security_group_id: "sg-1".into(),
            key_arn: "arn:key".into(),
            buckets: vec!["d".into()],
        };
        let policy = notebook_role_policy(&scope(), &placement, "arn:role");
        assert_eq!(
            statement(&policy, "JobsInsideTheProject")["Condition"],
            json!({
                "ForAllValues:StringEquals": {
                    "sagemaker:VpcSubnets": ["subnet-1", "subnet-2"],
                    "sagemaker:VpcSecurityGroupIds": ["sg-1"],
                    "sagemaker:VolumeKmsKey": ["arn:key"],
                    "sagemaker:OutputKmsKey": ["arn:key"],
                },
                "Null": {
                    "sagemaker:VpcSubnets": "false",
                    "sagemaker:VpcSecurityGroupIds": "false",
                    "sagemaker:VolumeKmsKey": "false",
                    "sagemaker:OutputKmsKey": "false",
                },
                "Bool": {
                    "sagemaker:NetworkIsolation": "true",
                    "sagemaker:InterContainerTrafficEncryption": "true",
                },
            })
        );
        assert_eq!(
            statement(&policy, "NoNotebookWithDirectInternet")["Condition"],
            json!({ "StringNotEquals": { "sagemaker:DirectInternetAccess": "Disabled" } })
        );
        assert_eq!(
            statement(&policy, "NoNotebookWithRoot")["Condition"],
            json!({ "StringNotEquals": { "sagemaker:RootAccess": "Disabled" } })
        );
        let pass = statement(&policy, "PassOnlyItselfToSageMaker");
        assert_eq!(pass["Resource"], "arn:role");
        assert_eq!(
            pass["Condition"],
            json!({ "StringEquals": { "iam:PassedToService": "sagemaker.amazonaws.com" } })
        );
        assert_eq!(
            statement(&policy, "ModelsInsideTheProject")["Condition"]["Bool"],
            json!({ "sagemaker:NetworkIsolation": "true" })
        );
        assert_eq!(
            statement(&policy, "ProjectBuckets")["Resource"],
            json!(["arn:aws:s3:::d", "arn:aws:s3:::d/*"])
        );
        let text = policy.to_string();
        assert!(!text.contains("\"Action\":\"*\""));
        assert!(!sagefence_core::model::grants_everything(&text));
    }
}
