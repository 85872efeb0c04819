//! The IAM policy documents the provisioner writes, built as pure functions: trust policies,
//! the project key's policy, the buckets' TLS-only and endpoint-only policies, the S3 gateway
//! endpoint's policy, and the project admin, project user and notebook execution roles'
//! policies. Each is a `serde_json::Value`, compared structurally in tests.

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

    /// The ARN of a role.
    pub fn role_arn(&self, name: &str) -> String {
        format!("arn:{}:iam::{}:role/{name}", self.partition, self.account)
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
const KEY_USE: [&str; 6] = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "kms:CreateGrant",
];

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

/// A trust policy letting principals of the account assume the role (their own IAM policies
/// must also allow it).
pub fn trust_account(scope: &ProjectScope) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": scope.root() },
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }],
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

/// The project key's policy: the account administers the key through IAM but cannot use it;
/// the project's admin and user roles and any principal tagged with the project use it;
/// CloudWatch Logs encrypts the project's log groups with it.
pub fn key_policy(scope: &ProjectScope, admin_role_arn: &str, user_role_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": { "AWS": scope.root() },
                "Action": [
                    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                    "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                    "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion",
                ],
                "Resource": "*",
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
                "Condition": {
                    "StringEquals": {
                        format!("aws:PrincipalTag/{}", scope.project_tag_key): scope.project,
                    },
                },
            },
            {
                "Sid": "LogsEncryptProjectLogGroups",
                "Effect": "Allow",
                "Principal": { "Service": format!("logs.{}.amazonaws.com", scope.region) },
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
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

/// The project admin role's policy: the project's buckets and key, every SageMaker action on
/// resources tagged with the project, and passing the project's notebook roles to SageMaker.
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
                "Resource": scope.role_arn(&format!("sagefence-{}-*", scope.project)),
                "Condition": { "StringEquals": { "iam:PassedToService": "sagemaker.amazonaws.com" } },
            },
        ],
    })
}

/// The project user role's policy: open, start, stop and describe only notebooks tagged with
/// the project; read and write the project's buckets; use the key.
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
/// only to SageMaker; S3 only on the project's buckets.
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
                    "sagemaker:AddTags",
                ],
                "Resource": "*",
            },
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
