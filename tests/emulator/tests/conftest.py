"""One in-process emulator for the unit tests, and boto3 clients pointed at it."""

import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sagefence_emulator import server

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    """The base URL of an emulator serving on a free port of 127.0.0.1."""
    httpd = server.build("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def client(endpoint: str) -> Callable[[str], Any]:
    """A boto3 client factory for the emulator (one attempt per call, as the Rust harness):
    ``make("s3")`` calls as ``testing``/``testing`` (account 123456789012), ``make("s3",
    credentials)`` with the ``Credentials`` of an STS answer (an assumed role's account)."""

    def make(service: str, credentials: dict[str, Any] | None = None) -> Any:
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if credentials:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            **keys,
        )

    return make


@pytest.fixture(scope="session")
def control(endpoint: str) -> Callable[..., tuple[int, Any]]:
    """Call a test control: ``control("throttle", {...})`` POSTs, ``control("health")`` GETs."""

    def call(route: str, body: Any = None, method: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{endpoint}/_sagefence/{route}",
            data=data,
            method=method or ("GET" if body is None else "POST"),
        )
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    return call
