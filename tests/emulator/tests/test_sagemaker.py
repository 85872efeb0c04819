"""SageMaker additions, one documented case each."""

import uuid

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/train:latest"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_code(info):
    return info.value.response["Error"]["Code"]


def states(events, name):
    return [
        e["detail"]["NotebookInstanceStatus"]
        for e in events
        if e["detail"]["NotebookInstanceName"] == name
    ]


def test_notebook_states_move_on_the_manual_clock_and_send_events(client, control):
    sagemaker = client("sagemaker")
    name = unique("Clocked")
    control("config", {"clock": "manual"})
    try:
        arn = sagemaker.create_notebook_instance(
            NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE
        )["NotebookInstanceArn"]
        assert arn.endswith(f"notebook-instance/{name.lower()}")
        status = lambda: sagemaker.describe_notebook_instance(  # noqa: E731
            NotebookInstanceName=name
        )["NotebookInstanceStatus"]
        assert status() == "Pending"
        with pytest.raises(ClientError) as info:
            sagemaker.stop_notebook_instance(NotebookInstanceName=name)
        assert "Status (Pending) not in ([InService])" in str(info.value)
        control("clock/advance", {"seconds": 299})
        assert status() == "Pending"
        control("clock/advance", {"seconds": 1})
        assert status() == "InService"
        sagemaker.stop_notebook_instance(NotebookInstanceName=name)
        assert status() == "Stopping"
        _, clock = control("clock")
        assert [t["in"] for t in clock["scheduled"]] == [60]
        control("clock/advance", {"seconds": 60})
        sagemaker.update_notebook_instance(NotebookInstanceName=name, RootAccess="Disabled")
        assert status() == "Updating"
        with pytest.raises(ClientError) as info:
            sagemaker.start_notebook_instance(NotebookInstanceName=name)
        assert "Status (Updating) not in ([Stopped, Failed])" in str(info.value)
        control("clock/advance", {"seconds": 60})
        sagemaker.delete_notebook_instance(NotebookInstanceName=name)
        assert status() == "Deleting"
        control("clock/advance", {"seconds": 60})
        with pytest.raises(ClientError):
            status()
        _, taken = control("events/take", {})
        assert states(taken["events"], name) == [
            "Pending",
            "InService",
            "Stopping",
            "Stopped",
            "Updating",
            "Stopped",
            "Deleting",
            "Deleted",
        ]
        event = taken["events"][-1]
        assert event["detail-type"] == "SageMaker Notebook Instance State Change"
        assert event["resources"] == [arn]
    finally:
        control("reset", {})


def test_a_failed_notebook_can_be_started_and_tagged_by_any_case_arn(client, control):
    sagemaker = client("sagemaker")
    name = unique("Failing")
    arn = sagemaker.create_notebook_instance(
        NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE
    )["NotebookInstanceArn"]
    control(f"notebook/{name}/status", {"status": "Failed"})
    sagemaker.start_notebook_instance(NotebookInstanceName=name)
    described = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
    assert described["NotebookInstanceStatus"] == "InService"
    assert described["NotebookInstanceName"] == name
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_stop_notebook_only_from_in_service(client):
    sagemaker = client("sagemaker")
    name = unique("nb")
    sagemaker.create_notebook_instance(
        NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE
    )
    described = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
    assert described["RootAccess"] == "Enabled"
    sagemaker.stop_notebook_instance(NotebookInstanceName=name)
    with pytest.raises(ClientError) as info:
        sagemaker.stop_notebook_instance(NotebookInstanceName=name)
    assert error_code(info) == "ValidationException"
    assert "Status (Stopped) not in ([InService])" in str(info.value)


def test_update_notebook_grows_but_never_shrinks_the_volume(client):
    sagemaker = client("sagemaker")
    name = unique("nb")
    sagemaker.create_notebook_instance(
        NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=ROLE, VolumeSizeInGB=10
    )
    with pytest.raises(ClientError) as info:
        sagemaker.update_notebook_instance(NotebookInstanceName=name, VolumeSizeInGB=20)
    assert "Unable to transition to (Updating)" in str(info.value)
    sagemaker.stop_notebook_instance(NotebookInstanceName=name)
    sagemaker.update_notebook_instance(NotebookInstanceName=name, VolumeSizeInGB=20)
    with pytest.raises(ClientError):
        sagemaker.update_notebook_instance(NotebookInstanceName=name, VolumeSizeInGB=5)
    described = sagemaker.describe_notebook_instance(NotebookInstanceName=name)
    assert described["VolumeSizeInGB"] == 20


def test_training_job_is_in_progress_until_stopped(client):
    sagemaker = client("sagemaker")
    name = unique("job")
    sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    job = sagemaker.describe_training_job(TrainingJobName=name)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("InProgress", "Starting")
    sagemaker.stop_training_job(TrainingJobName=name)
    assert sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as info:
        sagemaker.stop_training_job(TrainingJobName=name)
    assert "is in status Stopped" in str(info.value)


def test_models_keep_network_isolation_page_and_retag(client):
    sagemaker = client("sagemaker")
    names = [unique("model") for _ in range(3)]
    for name in names:
        sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": IMAGE},
            EnableNetworkIsolation=True,
        )
    described = sagemaker.describe_model(ModelName=names[0])
    assert described["EnableNetworkIsolation"] is True
    assert "VpcConfig" not in described
    first = sagemaker.list_models(MaxResults=2)
    assert len(first["Models"]) == 2 and "NextToken" in first
    arn = described["ModelArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "a"}])
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "b"}])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "b"}]
