"""Smoke test of the built Lambda zips (`make smoke`, after `make build`).

Each function's `bootstrap` is taken out of its zip and run as AWS Lambda runs it: a process
that pulls invocations from the Lambda Runtime API (2018-06-01), served here, with the
environment the SAM template gives it, against the local emulator
(`tests/emulator/sagefence_moto.py`). The invocations are the suite's main job end to end:

1. guardrail: a CloudTrail `CreateTrainingJob` of a job outside any VPC; the job is stopped,
   and the same event delivered again changes nothing;
2. audit-shipper: the audit records the guardrail queued, as an SQS batch; Security Hub holds
   the failed verdicts, and the trail on S3 verifies with `sagefence audit verify`;
3. sweeper: the schedule fans out shards to the shard queue; each shard, as an SQS batch,
   sweeps the region and finds the notebook seeded with direct internet access;
4. provisioner: CloudFormation's Create of a `Custom::ProjectEnvironment` answers SUCCESS at
   the ResponseURL (served here too) with a VPC that exists; its Delete removes it.

The cold start (settings, SDK, policy read from SSM) is exercised by every process. Exits 0
when every check holds, 1 with the failed check and the function's log otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"
RUNTIME = "/2018-06-01/runtime"


class SmokeError(Exception):
    """A check that did not hold."""


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeError(what)
    print(f"  ok: {what}", flush=True)


class RuntimeApi:
    """The Lambda Runtime API for one function process, and a PUT sink standing in for
    CloudFormation's pre-signed ResponseURL."""

    def __init__(self) -> None:
        self.pending: queue.Queue = queue.Queue()
        self.done: dict[str, tuple[str, object]] = {}
        self.answers: dict[str, object] = {}
        self.first_poll: float | None = None
        self.changed = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def reply(self, status: int, payload: bytes = b"", headers: dict | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                if self.path != f"{RUNTIME}/invocation/next":
                    return self.reply(404)
                if api.first_poll is None:
                    api.first_poll = time.monotonic()
                request_id, payload, deadline_ms = api.pending.get()
                self.reply(
                    200,
                    payload,
                    {
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": (
                            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:smoke"
                        ),
                        "Lambda-Runtime-Trace-Id": (
                            f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"
                        ),
                        "Content-Type": "application/json",
                    },
                )

            def do_POST(self) -> None:
                body = self.body()
                parts = self.path.split("/")
                if self.path == f"{RUNTIME}/init/error":
                    api.finish("init", "init-error", body)
                elif (
                    len(parts) == 6
                    and parts[3] == "invocation"
                    and parts[5] in ("response", "error")
                ):
                    api.finish(parts[4], parts[5], body)
                else:
                    return self.reply(404)
                self.reply(202, b'{"status":"OK"}')

            def do_PUT(self) -> None:
                body = self.body()
                with api.changed:
                    api.answers[self.path] = json.loads(body)
                    api.changed.notify_all()
                self.reply(200)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_port}"

    def finish(self, request_id: str, kind: str, body: bytes) -> None:
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = body.decode(errors="replace")
        with self.changed:
            self.done[request_id] = (kind, payload)
            self.changed.notify_all()

    def wait(self, key: str, table: dict, process: subprocess.Popen, timeout: float):
        end = time.monotonic() + timeout
        with self.changed:
            while key not in table and "init" not in self.done:
                if process.poll() is not None:
                    raise SmokeError(f"the process exited with {process.returncode}")
                left = end - time.monotonic()
                if left <= 0:
                    raise SmokeError(f"no answer within {timeout:.0f} s")
                self.changed.wait(min(left, 0.2))
            if "init" in self.done:
                raise SmokeError(f"init error: {self.done['init'][1]}")
            return table[key]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Function:
    """One function's bootstrap, running under its own Runtime API."""

    def __init__(
        self, name: str, zip_path: Path, workdir: Path, environment: dict[str, str]
    ) -> None:
        self.name = name
        folder = workdir / name
        folder.mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extract("bootstrap", folder)
        bootstrap = folder / "bootstrap"
        bootstrap.chmod(0o755)
        self.log_path = folder / "log"
        self.api = RuntimeApi()
        env = {
            "PATH": "/usr/bin:/bin",
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": f"sagefence-{name}",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/sagefence-{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "smoke",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
            "AWS_LAMBDA_LOG_LEVEL": "INFO",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            **environment,
        }
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (open while the function runs)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [str(bootstrap)], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def invoke(self, event: object, timeout: float = 120) -> object:
        """The function's answer to `event`; a function error fails the smoke test."""
        request_id = str(uuid.uuid4())
        deadline_ms = int((time.time() + timeout) * 1000)
        self.api.pending.put((request_id, json.dumps(event).encode(), deadline_ms))
        kind, payload = self.api.wait(request_id, self.api.done, self.process, timeout)
        if kind != "response":
            raise SmokeError(f"{self.name} answered with an error: {payload}")
        return payload

    def init_ms(self) -> float | None:
        """From the process's start to its first poll for work: settings, SDK, policy from SSM."""
        return None if self.api.first_poll is None else (self.api.first_poll - self.started) * 1000

    def answer_at(self, path: str, timeout: float = 120) -> dict:
        """The document the function PUT at the stand-in ResponseURL `path`."""
        return self.api.wait(path, self.api.answers, self.process, timeout)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        self.api.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class Emulator:
    """The suite's emulator, on a port of its own."""

    def __init__(self) -> None:
        python = ROOT / ".venv" / "bin" / "python"
        script = ROOT / "tests" / "emulator" / "sagefence_moto.py"
        self.process = subprocess.Popen(
            [str(python), str(script), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline().split()
        if line[:1] != ["ready"]:
            raise SmokeError("the emulator did not start")
        self.url = f"http://127.0.0.1:{line[1]}"

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def sqs_event(sqs, queue_url: str, queue_arn: str, most: int) -> dict:
    """Every message on the queue (up to `most`), as the SQS event source delivers a batch."""
    records = []
    while len(records) < most:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            records.append(
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": {
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": str(int(time.time() * 1000)),
                        "SenderId": ACCOUNT,
                        "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
                    },
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": REGION,
                }
            )
    return {"Records": records}


def fixture(path: str) -> dict:
    return json.loads((ROOT / "events" / path).read_text())


class Stack:
    """What the SAM stack would have made, made on the emulator, and each function's environment
    as the template sets it."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        kms, sqs, s3 = emulator.client("kms"), emulator.client("sqs"), emulator.client("s3")
        self.key_arn = kms.create_key(Description="sagefence smoke")["KeyMetadata"]["Arn"]
        self.signing_key_arn = kms.create_key(
            Description="sagefence smoke: the trail's digests",
            KeySpec="ECC_NIST_P256",
            KeyUsage="SIGN_VERIFY",
        )["KeyMetadata"]["Arn"]
        self.topic_arn = emulator.client("sns").create_topic(Name="sagefence-notifications")[
            "TopicArn"
        ]
        self.queues = {}
        for name in ("sagefence-audit", "sagefence-shards"):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.queues[name] = (url, arn)
        for bucket in ("sagefence-trail", "sagefence-sweep-state"):
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
        emulator.client("ssm").put_parameter(
            Name="/sagefence/policy",
            Type="String",
            Value=(ROOT / "shared/core/src/default-policy.yaml").read_text(),
        )
        flow_logs = {
            "SAGEFENCE_FLOW_LOG_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/sagefence-flow-logs",
            "SAGEFENCE_FLOW_LOG_GROUP_PREFIX": "/sagefence/smoke/flow-logs/",
        }
        common = {
            "AWS_ENDPOINT_URL": emulator.url,
            "SAGEFENCE_POLICY_PARAMETER": "/sagefence/policy",
            "SAGEFENCE_AUDIT_QUEUE_URL": self.queues["sagefence-audit"][0],
        }
        self.environments = {
            "guardrail": {
                **common,
                **flow_logs,
                "SAGEFENCE_TOPIC_ARN": self.topic_arn,
                "SAGEFENCE_OWN_ROLE_ARNS": (
                    f"arn:aws:sts::{ACCOUNT}:assumed-role/sagefence-guardrail/*"
                ),
            },
            "sweeper": {
                **common,
                **flow_logs,
                "SAGEFENCE_TOPIC_ARN": self.topic_arn,
                "SAGEFENCE_SWEEP_QUEUE_URL": self.queues["sagefence-shards"][0],
                "SAGEFENCE_SWEEP_STATE_BUCKET": "sagefence-sweep-state",
                "SAGEFENCE_SWEEP_STATE_KMS_KEY_ID": self.key_arn,
                "SAGEFENCE_SWEEP_ACCOUNTS": "",
            },
            "provisioner": {
                **common,
                **flow_logs,
                "SAGEFENCE_LOG_RETENTION_DAYS": "365",
                "SAGEFENCE_LIFECYCLE_CONFIG": "sagefence-notebook-start",
            },
            "audit-shipper": {
                "AWS_ENDPOINT_URL": emulator.url,
                "SAGEFENCE_TRAIL_BUCKET": "sagefence-trail",
                "SAGEFENCE_TRAIL_KMS_KEY_ID": self.key_arn,
                "SAGEFENCE_TRAIL_SIGNING_KEY": self.signing_key_arn,
                "SAGEFENCE_TRAIL_PREFIX": "trail/",
                "SAGEFENCE_ACCOUNT_ID": ACCOUNT,
            },
        }


def guardrail(function: Function, stack: Stack) -> None:
    sagemaker = stack.emulator.client("sagemaker")
    name = "alpha-churn-train-smoke"
    event = fixture("sagemaker/api-create-training-job-no-vpc.json")
    request = event["detail"]["requestParameters"]
    arn = sagemaker.create_training_job(
        TrainingJobName=name,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagefence-project-alpha-notebook-alice",
        AlgorithmSpecification={
            "TrainingImage": request["algorithmSpecification"]["trainingImage"],
            "TrainingInputMode": "File",
        },
        OutputDataConfig={
            "S3OutputPath": "s3://sagefence-alpha-models/training/",
            "KmsKeyId": stack.key_arn,
        },
        ResourceConfig={
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": stack.key_arn,
        },
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        EnableNetworkIsolation=True,
        EnableInterContainerTrafficEncryption=True,
        Tags=[
            {"Key": "sagefence:project", "Value": "alpha"},
            {"Key": "sagefence:owner", "Value": "alice"},
        ],
    )["TrainingJobArn"]
    request["trainingJobName"] = name
    event["detail"]["responseElements"]["trainingJobArn"] = arn
    for delivery in ("first", "second"):
        answer = function.invoke(event)
        print(f"  {delivery} delivery answered: {json.dumps(answer)[:300]}")
        status = sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
        check(
            status in ("Stopping", "Stopped"),
            f"the job outside any VPC is stopped after the {delivery} delivery ({status})",
        )
    attributes = stack.emulator.client("sqs").get_queue_attributes(
        QueueUrl=stack.queues["sagefence-audit"][0], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    check(
        int(attributes["ApproximateNumberOfMessages"]) > 0, "the guardrail queued its audit records"
    )


def audit_shipper(function: Function, stack: Stack, cli: Path | None) -> None:
    url, arn = stack.queues["sagefence-audit"]
    event = sqs_event(stack.emulator.client("sqs"), url, arn, most=1000)
    check(len(event["Records"]) > 0, f"{len(event['Records'])} audit records to ship")
    answer = function.invoke(event)
    check(answer == {"batchItemFailures": []}, f"every record shipped ({answer})")
    objects = (
        stack.emulator.client("s3")
        .list_objects_v2(Bucket="sagefence-trail", Prefix="trail/")
        .get("Contents", [])
    )
    check(len(objects) > 0, f"the trail has {len(objects)} objects")
    findings = stack.emulator.client("securityhub").get_findings()["Findings"]
    failing = sorted(f["GeneratorId"] for f in findings if f["Compliance"]["Status"] == "FAILED")
    check("job-in-project-vpc" in failing, f"Security Hub holds the failed verdicts {failing}")
    if cli is not None:
        verify = subprocess.run(
            [
                str(cli),
                *("audit", "verify", "--bucket", "sagefence-trail", "--prefix", "trail/"),
                *("--key-id", stack.signing_key_arn),
            ],
            env={
                **os.environ,
                "AWS_ENDPOINT_URL": stack.emulator.url,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
            },
            capture_output=True,
            text=True,
        )
        print("  " + (verify.stdout + verify.stderr).strip().replace("\n", "\n  "))
        check(
            verify.returncode == 0,
            "`sagefence audit verify` passes on the trail the release shipper wrote",
        )


def sweeper(function: Function, stack: Stack) -> None:
    sagemaker = stack.emulator.client("sagemaker")
    sagemaker.create_notebook_instance(
        NotebookInstanceName="alpha-smoke-open",
        InstanceType="ml.t3.medium",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagefence-project-alpha-notebook-alice",
        DirectInternetAccess="Enabled",
        Tags=[
            {"Key": "sagefence:project", "Value": "alpha"},
            {"Key": "sagefence:owner", "Value": "alice"},
        ],
    )
    answer = function.invoke(fixture("scheduled/scheduled-event.json"))
    print(f"  schedule answered: {json.dumps(answer)[:300]}")
    url, arn = stack.queues["sagefence-shards"]
    shards = sqs_event(stack.emulator.client("sqs"), url, arn, most=1000)
    check(len(shards["Records"]) > 0, f"the schedule fanned out {len(shards['Records'])} shards")
    for record in shards["Records"]:
        answer = function.invoke({"Records": [record]})
        check(
            answer.get("batchItemFailures") == [],
            f"shard `{json.loads(record['body']).get('type')}` swept",
        )
    status = sagemaker.describe_notebook_instance(NotebookInstanceName="alpha-smoke-open")[
        "NotebookInstanceStatus"
    ]
    check(
        status in ("Stopping", "Stopped"),
        f"the notebook with direct internet access is stopped ({status})",
    )


def provisioner(function: Function, stack: Stack) -> None:
    ec2 = stack.emulator.client("ec2")
    stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/smoke/{uuid.uuid4()}"
    base = {
        "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sagefence-provisioner",
        "StackId": stack_id,
        "ResourceType": "Custom::ProjectEnvironment",
        "LogicalResourceId": "Environment",
    }
    properties = {"ServiceToken": base["ServiceToken"], "ProjectName": "smoke", "AzCount": "1"}

    def answered(request_type: str, **fields: str) -> dict:
        request_id = f"{request_type.lower()}-1"
        request = {
            **base,
            **fields,
            "RequestType": request_type,
            "RequestId": request_id,
            "ResponseURL": f"http://{function.api.address}/answers/{request_id}",
            "ResourceProperties": properties,
        }
        function.invoke(request, timeout=300)
        answer = function.answer_at(f"/answers/{request_id}")
        check(
            answer.get("Status") == "SUCCESS",
            f"{request_type} answered {answer.get('Status')}: {answer.get('Reason', '')}",
        )
        return answer

    answer = answered("Create")
    vpc_id = answer.get("Data", {}).get("VpcId")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id or "none"]}])["Vpcs"]
    check(len(vpcs) == 1, f"the project VPC `{vpc_id}` exists")
    answered("Delete", PhysicalResourceId=answer["PhysicalResourceId"])
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"]
    check(vpcs == [], f"the project VPC `{vpc_id}` is gone")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lambda-dir", type=Path, default=ROOT / "build" / "lambda")
    parser.add_argument("--cli", type=Path, help="the `sagefence` CLI, to verify the shipped trail")
    args = parser.parse_args()
    zips = {
        name: args.lambda_dir / name / "bootstrap.zip"
        for name in ("guardrail", "audit-shipper", "sweeper", "provisioner")
    }
    missing = [str(path) for path in zips.values() if not path.exists()]
    if missing:
        print(f"smoke: no zip at {', '.join(missing)}: run `make build` first", file=sys.stderr)
        return 2
    emulator = Emulator()
    failed = False
    try:
        stack = Stack(emulator)
        with tempfile.TemporaryDirectory(prefix="sagefence-smoke-") as workdir:
            steps = {
                "guardrail": lambda f: guardrail(f, stack),
                "audit-shipper": lambda f: audit_shipper(f, stack, args.cli),
                "sweeper": lambda f: sweeper(f, stack),
                "provisioner": lambda f: provisioner(f, stack),
            }
            for name, step in steps.items():
                size = zips[name].stat().st_size
                print(f"{name} ({size / 1e6:.2f} MB zip)", flush=True)
                function = Function(name, zips[name], Path(workdir), stack.environments[name])
                try:
                    step(function)
                    print(
                        f"  init (start to first poll, informational): {function.init_ms():.0f} ms",
                        flush=True,
                    )
                except SmokeError as failure:
                    failed = True
                    print(
                        f"  FAILED: {failure}\n  --- {name} log (last lines) ---\n"
                        f"{function.tail()}",
                        flush=True,
                    )
                finally:
                    function.stop()
    finally:
        emulator.stop()
    print(
        "smoke: FAILED"
        if failed
        else "smoke: every zip boots, answers and acts as the suite promises"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
