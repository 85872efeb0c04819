"""Seed the emulator with the benchmark's account: a project network and key, then
notebooks, InProgress training jobs and models, half of them non-compliant in mixed ways.

``python seed.py ENDPOINT [--notebooks N] [--training-jobs N] [--models N]`` (the
emulator venv has boto3).  Calls run concurrently; seeding is not timed.  Prints a
one-line JSON summary: what was created and, per rule, how many resources the seed
made non-compliant (what both tools must find).

A project resource here is what sagefence's built-in policy calls one: a VPC tagged
``sagefence:project`` (its subnets tagged too, so Cloud Custodian's subnet filter can
see it), a customer-managed key tagged ``sagefence:project`` with rotation on.
"""

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

REGION = "eu-west-1"
PROJECT_TAG, OWNER_TAG, PROJECT, OWNER = "sagefence:project", "sagefence:owner", "bench", "ana"
APPROVED_TYPE, UNAPPROVED_TYPE = "ml.t3.medium", "ml.p3.2xlarge"
REQUIRED_ENDPOINTS = ["sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "s3"]
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/bench:latest"
WORKERS = 16

# Each non-compliant resource takes the next pattern of its kind, round robin: a set of
# faults, each named after the rule it breaks (``foreign`` = present but not the project's).
NOTEBOOK_FAULTS = [
    {"notebook-direct-internet-disabled"},
    {"notebook-root-access-disabled"},
    {"notebook-kms-encrypted"},
    {"notebook-in-project-vpc"},
    {"notebook-direct-internet-disabled", "notebook-root-access-disabled"},
    {"notebook-root-access-disabled", "notebook-kms-encrypted"},
    {"notebook-in-project-vpc:foreign"},
    {"notebook-kms-encrypted:foreign"},
    {"notebook-required-tags"},
    {"notebook-approved-instance-type"},
    {
        "notebook-direct-internet-disabled",
        "notebook-root-access-disabled",
        "notebook-kms-encrypted",
        "notebook-in-project-vpc",
    },
    {
        "notebook-root-access-disabled",
        "notebook-in-project-vpc:foreign",
        "notebook-kms-encrypted:foreign",
        "notebook-required-tags",
    },
]
JOB_FAULTS = [
    {"job-in-project-vpc"},
    {"job-network-isolation"},
    {"job-inter-container-encryption"},
    {"job-volume-kms"},
    {"job-output-kms"},
    {"job-in-project-vpc", "job-network-isolation"},
    {"job-volume-kms", "job-output-kms", "job-inter-container-encryption"},
    {"notebook-required-tags"},
    {"job-in-project-vpc", "job-network-isolation", "job-volume-kms", "notebook-required-tags"},
]
MODEL_FAULTS = [
    {"model-in-project-vpc"},
    {"model-network-isolation"},
    {"model-in-project-vpc", "model-network-isolation"},
    {"notebook-required-tags"},
]


def tags(required=True):
    """The project and owner tags (only the project tag when ``required`` is false)."""
    pairs = [{"Key": PROJECT_TAG, "Value": PROJECT}]
    if required:
        pairs.append({"Key": OWNER_TAG, "Value": OWNER})
    return pairs


def faults_of(index, patterns):
    """Even indices are compliant, odd ones take the patterns in turn."""
    return set() if index % 2 == 0 else patterns[(index // 2) % len(patterns)]


class Account:
    """boto3 clients on the emulator and the project's shared infrastructure."""

    def __init__(self, endpoint):
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        config = Config(max_pool_connections=WORKERS * 2, retries={"max_attempts": 3})
        for service in ("ec2", "kms", "iam", "logs", "sagemaker"):
            setattr(self, service, session.client(service, endpoint_url=endpoint, config=config))

    def vpc(self, cidr, project):
        """A VPC with one subnet (both tagged with the project when ``project``)."""

        def tag_spec(kind):
            return [{"ResourceType": kind, "Tags": tags(required=False)}] if project else []

        vpc = self.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=tag_spec("vpc"))["Vpc"]
        vpc_id = vpc["VpcId"]
        subnet_id = self.ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr.replace(".0.0/16", ".1.0/24"),
            TagSpecifications=tag_spec("subnet"),
        )["Subnet"]["SubnetId"]
        group_id = self.ec2.create_security_group(
            GroupName=f"bench-{vpc_id}", Description="bench notebooks", VpcId=vpc_id
        )["GroupId"]
        return vpc_id, subnet_id, group_id

    def project(self):
        """The project VPC (flow log, required endpoints), a foreign VPC, the project key,
        a foreign key and the notebook role."""
        vpc_id, subnet_id, group_id = self.vpc("10.42.0.0/16", project=True)
        _, foreign_subnet_id, foreign_group_id = self.vpc("10.43.0.0/16", project=False)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "Service": ["sagemaker.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
                    },
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role_arn = self.iam.create_role(
            RoleName=f"sagefence-project-{PROJECT}-notebook-{OWNER}",
            AssumeRolePolicyDocument=json.dumps(trust),
            Tags=tags(required=False),
        )["Role"]["Arn"]
        self.logs.create_log_group(logGroupName=f"/sagefence/flow-logs/{vpc_id}")
        self.ec2.create_flow_logs(
            ResourceIds=[vpc_id],
            ResourceType="VPC",
            TrafficType="ALL",
            LogGroupName=f"/sagefence/flow-logs/{vpc_id}",
            DeliverLogsPermissionArn=role_arn,
        )
        for service in REQUIRED_ENDPOINTS:
            self.ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                ServiceName=f"com.amazonaws.{REGION}.{service}",
                VpcEndpointType="Gateway" if service == "s3" else "Interface",
            )
        key = self.kms.create_key(
            Description="bench project key", Tags=[{"TagKey": PROJECT_TAG, "TagValue": PROJECT}]
        )["KeyMetadata"]
        self.kms.enable_key_rotation(KeyId=key["KeyId"])
        foreign = self.kms.create_key(Description="bench foreign key")["KeyMetadata"]
        self.kms.enable_key_rotation(KeyId=foreign["KeyId"])
        return {
            "subnet": subnet_id,
            "group": group_id,
            "foreign_subnet": foreign_subnet_id,
            "foreign_group": foreign_group_id,
            "key": key["Arn"],
            "foreign_key": foreign["Arn"],
            "role": role_arn,
        }

    def notebook(self, project, index):
        """Creates notebook ``bench-nb-NNNN``; its name and the rules it breaks."""
        faults = faults_of(index, NOTEBOOK_FAULTS)
        params = {
            "NotebookInstanceName": f"bench-nb-{index:04d}",
            "InstanceType": UNAPPROVED_TYPE
            if "notebook-approved-instance-type" in faults
            else APPROVED_TYPE,
            "RoleArn": project["role"],
            "RootAccess": "Enabled" if "notebook-root-access-disabled" in faults else "Disabled",
            "Tags": tags(required="notebook-required-tags" not in faults),
        }
        if "notebook-in-project-vpc" not in faults:
            foreign = "notebook-in-project-vpc:foreign" in faults
            params["SubnetId"] = project["foreign_subnet" if foreign else "subnet"]
            params["SecurityGroupIds"] = [project["foreign_group" if foreign else "group"]]
        # AWS accepts DirectInternetAccess=Disabled only with a subnet.
        open_internet = "notebook-direct-internet-disabled" in faults or "SubnetId" not in params
        params["DirectInternetAccess"] = "Enabled" if open_internet else "Disabled"
        if "notebook-kms-encrypted" not in faults:
            params["KmsKeyId"] = project[
                "foreign_key" if "notebook-kms-encrypted:foreign" in faults else "key"
            ]
        self.sagemaker.create_notebook_instance(**params)
        forced = "notebook-direct-internet-disabled" if open_internet else None
        return params["NotebookInstanceName"], effective(faults, forced)

    def training_job(self, project, index):
        """Creates InProgress training job ``bench-tj-NNNN``; its name and the rules it breaks."""
        faults = faults_of(index, JOB_FAULTS)
        resources = {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}
        output = {"S3OutputPath": "s3://bench-output/"}
        if "job-volume-kms" not in faults:
            resources["VolumeKmsKeyId"] = project["key"]
        if "job-output-kms" not in faults:
            output["KmsKeyId"] = project["key"]
        params = {
            "TrainingJobName": f"bench-tj-{index:04d}",
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": project["role"],
            "OutputDataConfig": output,
            "ResourceConfig": resources,
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "EnableNetworkIsolation": "job-network-isolation" not in faults,
            "EnableInterContainerTrafficEncryption": "job-inter-container-encryption" not in faults,
        }
        rules = create_placed(self.sagemaker.create_training_job, params, project, faults, "job")
        return params["TrainingJobName"], rules

    def model(self, project, index):
        """Creates model ``bench-model-NNNN``; its name and the rules it breaks."""
        faults = faults_of(index, MODEL_FAULTS)
        params = {
            "ModelName": f"bench-model-{index:04d}",
            "ExecutionRoleArn": project["role"],
            "PrimaryContainer": {"Image": IMAGE},
            "EnableNetworkIsolation": "model-network-isolation" not in faults,
        }
        rules = create_placed(self.sagemaker.create_model, params, project, faults, "model")
        return params["ModelName"], rules


def create_placed(create, params, project, faults, kind):
    """Creates a job or model (``kind``) with its tags and, unless it breaks
    ``<kind>-in-project-vpc``, in the project's subnet and group; the rules it breaks."""
    params["Tags"] = tags(required="notebook-required-tags" not in faults)
    if f"{kind}-in-project-vpc" not in faults:
        params["VpcConfig"] = {
            "SecurityGroupIds": [project["group"]],
            "Subnets": [project["subnet"]],
        }
    create(**params)
    return effective(faults, None)


def effective(faults, forced_rule):
    """The rules a resource breaks: its faults without the ``:foreign`` detail, plus the
    one AWS forces on it (direct internet access when it has no subnet)."""
    rules = {fault.split(":", 1)[0] for fault in faults}
    if forced_rule:
        rules.add(forced_rule)
    return rules


def seed(endpoint, notebooks, training_jobs, models):
    """Create everything; per rule, the names of the resources that break it."""
    account = Account(endpoint)
    project = account.project()
    expected = {}
    with ThreadPoolExecutor(WORKERS) as pool:
        batches = [
            pool.map(lambda i: account.notebook(project, i), range(notebooks)),
            pool.map(lambda i: account.training_job(project, i), range(training_jobs)),
            pool.map(lambda i: account.model(project, i), range(models)),
        ]
        for batch in batches:
            for name, rules in batch:
                for rule in rules:
                    expected.setdefault(rule, set()).add(name)
    return expected


def summary(expected, notebooks, training_jobs, models):
    """What was seeded and how many resources break each rule, as JSON."""
    return {
        "notebooks": notebooks,
        "training_jobs": training_jobs,
        "models": models,
        "non_compliant_per_rule": {rule: len(names) for rule, names in sorted(expected.items())},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", help="the emulator's URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--notebooks", type=int, default=1000)
    parser.add_argument("--training-jobs", type=int, default=500)
    parser.add_argument("--models", type=int, default=200)
    args = parser.parse_args()
    expected = seed(args.endpoint, args.notebooks, args.training_jobs, args.models)
    json.dump(summary(expected, args.notebooks, args.training_jobs, args.models), sys.stdout)
    print()


if __name__ == "__main__":
    main()
