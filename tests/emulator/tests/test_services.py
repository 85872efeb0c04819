"""EC2, KMS, IAM, Security Hub and EventBridge additions, one documented case each."""

import contextlib
import json
import uuid

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def error_code(info):
    return info.value.response["Error"]["Code"]


def test_delete_unknown_nat_gateway_is_not_found(client):
    with pytest.raises(ClientError) as info:
        client("ec2").delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")
    assert error_code(info) == "NatGatewayNotFound"


def test_peering_connections_are_filtered(client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    peer = ec2.create_vpc(CidrBlock="10.11.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]
    found = ec2.describe_vpc_peering_connections(
        Filters=[{"Name": "requester-vpc-info.vpc-id", "Values": [vpc]}]
    )["VpcPeeringConnections"]
    assert [p["VpcPeeringConnectionId"] for p in found] == [pcx["VpcPeeringConnectionId"]]
    with pytest.raises(ClientError) as info:
        ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=["pcx-00000000"])
    assert error_code(info) == "InvalidVpcPeeringConnectionId.NotFound"


def test_kms_key_state_table_and_arns(client):
    kms = client("kms")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=arn)
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    with pytest.raises(ClientError) as info:
        kms.enable_key(KeyId=arn)
    assert error_code(info) == "KMSInvalidStateException"
    assert str(info.value).endswith(f"{arn} is pending deletion.")
    kms.cancel_key_deletion(KeyId=arn)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Disabled"


def test_aws_managed_keys_are_aws_managed_and_rotating(client):
    kms = client("kms")
    key = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert key["KeyManager"] == "AWS"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def test_aws_managed_policies_exist(client):
    iam = client("iam")
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    iam.attach_role_policy(
        RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )


def finding(ident, **extra):
    return {
        "SchemaVersion": "2018-10-08",
        "Id": ident,
        "ProductArn": f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default",
        "GeneratorId": "sagefence",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": "2026-01-01T00:00:00Z",
        "UpdatedAt": "2026-01-01T00:00:00Z",
        "Severity": {"Label": "HIGH"},
        "Title": "t",
        "Description": "d",
        "Resources": [{"Type": "Other", "Id": "r"}],
        **extra,
    }


def enabled_hub(client):
    hub = client("securityhub")
    try:
        hub.enable_security_hub()
    except ClientError as error:
        assert error_code_of(error) == "ResourceConflictException"
    return hub


def error_code_of(error):
    return error.response["Error"]["Code"]


def test_security_hub_refuses_imports_until_enabled_and_for_other_accounts(client):
    hub = client("securityhub")
    with contextlib.suppress(ClientError):
        hub.disable_security_hub()
    ident = f"finding-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as info:
        hub.batch_import_findings(Findings=[finding(ident)])
    assert error_code(info) == "InvalidAccessException"
    hub = enabled_hub(client)
    other = "210987654321"
    with pytest.raises(ClientError) as info:
        hub.batch_import_findings(Findings=[finding(ident, AwsAccountId=other)])
    assert error_code(info) == "AccessDeniedException"
    foreign = f"arn:aws:securityhub:eu-west-1:{other}:product/{other}/default"
    with pytest.raises(ClientError) as info:
        hub.batch_import_findings(Findings=[finding(ident, ProductArn=foreign)])
    assert error_code(info) == "AccessDeniedException"
    assert hub.batch_import_findings(Findings=[finding(ident)])["SuccessCount"] == 1


def test_security_hub_imports_only_the_callers_own_findings(client):
    member = "210987654321"
    role = f"arn:aws:iam::{member}:role/sagefence-shipper"
    credentials = client("sts").assume_role(RoleArn=role, RoleSessionName="shipper")
    hub = client("securityhub", credentials["Credentials"])
    with contextlib.suppress(ClientError):
        hub.enable_security_hub()
    own = f"arn:aws:securityhub:eu-west-1:{member}:product/{member}/default"
    ident = f"finding-{uuid.uuid4().hex[:8]}"
    mine = finding(ident, AwsAccountId=member, ProductArn=own)
    refused = {
        "another account's finding": finding(f"{ident}-a", ProductArn=own),
        "another region's product": finding(
            f"{ident}-r", AwsAccountId=member, ProductArn=own.replace("eu-west-1", "us-east-1")
        ),
    }
    for case, other in refused.items():
        with pytest.raises(ClientError) as info:
            hub.batch_import_findings(Findings=[mine, other])
        assert error_code(info) == "AccessDeniedException", case
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, case
    assert hub.get_findings()["Findings"] == [], "a refused call imports nothing"
    imported = hub.batch_import_findings(Findings=[mine])
    assert (imported["SuccessCount"], imported["FailedCount"]) == (1, 0)
    assert [f["Id"] for f in hub.get_findings()["Findings"]] == [ident]


def test_security_hub_reimport_keeps_the_customer_workflow(client):
    hub = enabled_hub(client)
    ident = f"finding-{uuid.uuid4().hex[:8]}"
    hub.batch_import_findings(Findings=[finding(ident, Compliance={"Status": "FAILED"})])
    product = finding(ident)["ProductArn"]
    updated = hub.batch_update_findings(
        FindingIdentifiers=[{"Id": ident, "ProductArn": product}], Workflow={"Status": "NOTIFIED"}
    )
    assert [f["Id"] for f in updated["ProcessedFindings"]] == [ident]
    hub.batch_import_findings(
        Findings=[finding(ident, Compliance={"Status": "FAILED"}, Workflow={"Status": "NEW"})]
    )
    found = hub.get_findings(Filters={"Id": [{"Value": ident, "Comparison": "EQUALS"}]})
    assert [f["Workflow"]["Status"] for f in found["Findings"]] == ["NOTIFIED"]


def test_test_event_pattern_answers_its_result(client):
    event = {
        "id": "1",
        "account": ACCOUNT,
        "source": "aws.sagemaker",
        "time": "2026-01-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail-type": "SageMaker Notebook Instance State Change",
        "detail": {},
    }
    events = client("events")
    pattern = json.dumps({"source": ["aws.sagemaker"]})
    assert events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"]
    with pytest.raises(ClientError) as info:
        events.test_event_pattern(EventPattern=pattern, Event=json.dumps({"id": "1"}))
    assert error_code(info) == "ValidationException"
