"""The test controls: health, throttling in the caller's protocol, S3 conflicts, request counts."""

import uuid

import pytest
from botocore.exceptions import ClientError


def test_health(control):
    assert control("health") == (200, {"status": "ok"})


def test_throttle_answers_once_in_the_callers_protocol(client, control):
    status, _ = control("throttle", {"action": "ListNotebookInstances", "count": 1})
    assert status == 200
    sagemaker = client("sagemaker")
    with pytest.raises(ClientError) as info:
        sagemaker.list_notebook_instances()
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    sagemaker.list_notebook_instances()


def test_ec2_throttle_is_request_limit_exceeded(client, control):
    control("throttle", {"action": "DescribeVpcs", "service": "ec2"})
    with pytest.raises(ClientError) as info:
        client("ec2").describe_vpcs()
    assert info.value.response["Error"]["Code"] == "RequestLimitExceeded"


def test_request_counter_counts_by_service_and_action(client, control):
    control("requests/reset", {})
    client("sagemaker").list_models()
    client("sts").get_caller_identity()
    status, counts = control("requests")
    assert status == 200
    assert counts == {
        "total": 2,
        "by_action": {"sagemaker:ListModels": 1, "sts:GetCallerIdentity": 1},
    }


def test_bad_requests_are_refused(control):
    assert control("config", {"colour": "blue"})[0] == 400
    assert control("throttle", {"action": "X", "count": 0})[0] == 400
    assert control("delay", {"action": "X", "seconds": -1})[0] == 400
    assert control("nowhere", {})[0] == 404
    assert control("throttle", method="GET")[0] == 405
    assert control("reset", {}) == (200, {})


def test_every_listed_control_is_served(control):
    from sagefence_emulator.controls import CONTROLS

    for listed in CONTROLS:
        method, path = listed.request.strip("`").split("`")[0].split()
        route = path.removeprefix("/_sagefence/").replace("<kind>", "training-job")
        route = route.replace("<name>", "absent")
        _, answer = control(route, None if method == "GET" else {}, method=method)
        assert not answer.get("message", "").startswith("no test control"), listed
    control("reset", {})


def test_conditional_s3_writes_can_be_answered_409(client, control):
    s3 = client("s3")
    bucket = f"conflicts-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    control("s3-conflict", {"count": 1})
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="marker", Body=b"x", IfNoneMatch="*")
    assert info.value.response["Error"]["Code"] == "ConditionalRequestConflict"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    s3.put_object(Bucket=bucket, Key="marker", Body=b"x", IfNoneMatch="*")
