"""S3 conditional writes: atomic when raced, If-Match on an absent key, multipart and copy."""

import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from moto.s3.models import S3Backend

WRITERS = 8
ROUNDS = 5


def new_bucket(s3):
    bucket = f"conditional-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return bucket


def race(clients, write):
    """Run ``write(client, n)`` on every client at once; (winners, error codes of the losers)."""
    start = threading.Barrier(len(clients))
    winners, codes = [], []

    def run(client, n):
        start.wait()
        try:
            write(client, n)
            winners.append(n)
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=run, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners, codes


@pytest.fixture(scope="module")
def writers(client):
    return [client("s3") for _ in range(WRITERS)]


@pytest.fixture
def slow_writes(monkeypatch):
    """moto's write takes 20 ms after its condition check (the in-process server's backend), so
    every racing writer is checked before any has written unless the emulator serializes them:
    without its lock, all of them win every round."""
    write = S3Backend.put_object

    def slow(self, *args, **kwargs):
        time.sleep(0.02)
        return write(self, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "put_object", slow)


def test_exactly_one_if_none_match_writer_wins(client, writers, slow_writes):
    bucket = new_bucket(client("s3"))
    for round_ in range(ROUNDS):
        key = f"marker-{round_}"
        winners, codes = race(
            writers,
            lambda s3, n, key=key: s3.put_object(
                Bucket=bucket, Key=key, Body=str(n).encode(), IfNoneMatch="*"
            ),
        )
        assert len(winners) == 1, f"round {round_}: {len(winners)} writers won"
        assert set(codes) <= {"PreconditionFailed", "ConditionalRequestConflict"}
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        assert body == str(winners[0]).encode()


def test_exactly_one_if_match_writer_wins(client, writers, slow_writes):
    s3 = client("s3")
    bucket = new_bucket(s3)
    etag = s3.put_object(Bucket=bucket, Key="head", Body=b"start")["ETag"]
    for round_ in range(ROUNDS):
        winners, codes = race(
            writers,
            lambda w, n, etag=etag, round_=round_: w.put_object(
                Bucket=bucket, Key="head", Body=f"{round_}-{n}".encode(), IfMatch=etag
            ),
        )
        assert len(winners) == 1, f"round {round_}: {len(winners)} writers won"
        assert set(codes) <= {"PreconditionFailed", "ConditionalRequestConflict"}
        current = s3.get_object(Bucket=bucket, Key="head")
        assert current["Body"].read() == f"{round_}-{winners[0]}".encode()
        etag = current["ETag"]


def test_if_match_on_a_missing_key_is_no_such_key(client):
    s3 = client("s3")
    bucket = new_bucket(s3)
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch='"0123456789abcdef"')
    assert info.value.response["Error"]["Code"] == "NoSuchKey"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    etag = s3.put_object(Bucket=bucket, Key="present", Body=b"x")["ETag"]
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="present", Body=b"y", IfMatch='"0123456789abcdef"')
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    s3.put_object(Bucket=bucket, Key="present", Body=b"y", IfMatch=etag)


def complete(s3, bucket, key, **condition):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")
    return s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        **condition,
    )


def test_complete_multipart_upload_honours_if_match(client):
    s3 = client("s3")
    bucket = new_bucket(s3)
    with pytest.raises(ClientError) as info:
        complete(s3, bucket, "batch", IfMatch='"0123456789abcdef"')
    assert info.value.response["Error"]["Code"] == "NoSuchKey"
    etag = s3.put_object(Bucket=bucket, Key="batch", Body=b"first")["ETag"]
    with pytest.raises(ClientError) as info:
        complete(s3, bucket, "batch", IfMatch='"0123456789abcdef"')
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"
    complete(s3, bucket, "batch", IfMatch=etag)
    with pytest.raises(ClientError) as info:
        complete(s3, bucket, "batch", IfNoneMatch="*")
    assert info.value.response["Error"]["Code"] == "PreconditionFailed"


def test_copy_object_honours_the_destination_conditions(client):
    s3 = client("s3")
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="source", Body=b"batch")
    source = {"Bucket": bucket, "Key": "source"}
    etag = s3.put_object(Bucket=bucket, Key="head", Body=b"old")["ETag"]
    refused = {
        "PreconditionFailed": [dict(Key="head", IfNoneMatch="*"), dict(Key="head", IfMatch='"0"')],
        "NoSuchKey": [dict(Key="absent", IfMatch=etag)],
    }
    for code, calls in refused.items():
        for call in calls:
            with pytest.raises(ClientError) as info:
                s3.copy_object(Bucket=bucket, CopySource=source, **call)
            assert info.value.response["Error"]["Code"] == code, call
    s3.copy_object(Bucket=bucket, CopySource=source, Key="head", IfMatch=etag)
    s3.copy_object(Bucket=bucket, CopySource=source, Key="new", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="head")["Body"].read() == b"batch"
