"""Amazon S3 (restXml): conditional writes evaluated atomically, and the conditions moto
ignores on CompleteMultipartUpload and CopyObject, after the S3 API reference and the user
guide's conditional writes."""

import threading
from collections.abc import Callable
from typing import Any

from moto.s3.exceptions import MissingKey, PreconditionFailed
from moto.s3.responses import S3Response

from sagefence_emulator.patch import Addition, Reference, each, wrap

API = Reference("S3", "https://docs.aws.amazon.com/AmazonS3/latest/API/API_{}.html")
CONDITIONAL_WRITES = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html"
WRITE_METHODS = ("PUT", "POST", "DELETE")
WRITES = threading.RLock()
"""Held by every S3 write (``PUT``, ``POST``, ``DELETE``) from moto's condition check to its
write, so no other write lands in between."""


def serialized(original: Callable[..., Any]) -> Callable[..., Any]:
    """A moto S3 request handler that makes each write one step: S3 evaluates ``If-None-Match``
    and ``If-Match`` "during the WRITE operation", so of concurrent conditional writes to a key
    exactly one succeeds and the others fail (412 ``PreconditionFailed``, or 409
    ``ConditionalRequestConflict``); moto checks, then writes, and its server answers each
    request on its own thread, so two racing writers could both succeed. Unconditional writes
    and deletes take the lock too: one landing between a conditional write's check and its
    write would break the same guarantee."""

    def respond(self: Any, request: Any, full_url: str) -> Any:
        if request.method not in WRITE_METHODS:
            return original(self, request, full_url)
        with WRITES:
            return original(self, request, full_url)

    return respond


def check_destination(self: Any, bucket: str, key: str, upload_id: str | None = None) -> None:
    """S3's write conditions on the object a write replaces, as moto's PutObject checks them:
    ``If-None-Match: *`` is 412 ``PreconditionFailed`` when there is one; ``If-Match`` is 404
    ``NoSuchKey`` when there is none, 412 when its ETag is another. An object completed by this
    very multipart upload is left to moto (its idempotent retry of CompleteMultipartUpload)."""
    existing = self.backend.get_object(bucket, key)
    if upload_id and existing is not None and getattr(existing.multipart, "id", None) == upload_id:
        return
    if_match = self.headers.get("If-Match")
    if if_match and existing is None:
        raise MissingKey(key=key)
    if if_match and if_match.replace('"', "") != existing.etag.replace('"', ""):
        raise PreconditionFailed("If-Match")
    if self.headers.get("If-None-Match") == "*" and existing is not None:
        raise PreconditionFailed("If-None-Match")


def complete_conditionally(original: Callable[..., Any]) -> Callable[..., Any]:
    """CompleteMultipartUpload checking ``If-Match`` (moto checks only ``If-None-Match``)."""

    def respond(
        self: Any, request: Any, body: bytes, bucket_name: str, query: dict[str, Any], key: str
    ) -> Any:
        if query.get("uploadId"):
            check_destination(self, bucket_name, key, query["uploadId"][0])
        return original(self, request, body, bucket_name, query, key)

    return respond


def copy_conditionally(original: Callable[..., Any]) -> Callable[..., Any]:
    """CopyObject checking ``If-None-Match`` and ``If-Match`` on its destination (moto checks
    neither)."""

    def respond(self: Any) -> Any:
        check_destination(self, self.bucket_name, self.parse_key_name())
        return original(self)

    return respond


ADDITIONS: tuple[Addition, ...] = (
    Addition(
        service="S3",
        operation="Conditional writes (`PutObject`, `CompleteMultipartUpload`, `CopyObject`)",
        moto="checks `If-None-Match`/`If-Match`, then writes, unlocked, on a threaded server: of "
        "concurrent conditional writers to a key several can succeed",
        change="each write (`PUT`, `POST`, `DELETE`) holds one lock from the condition check to "
        "the write: of concurrent `If-None-Match: *` writers to a key exactly one succeeds, the "
        "others are 412 `PreconditionFailed`; of concurrent `If-Match` writers from one ETag "
        "exactly one succeeds; `If-Match` on a key with no object stays moto's 404 `NoSuchKey`",
        aws_doc=CONDITIONAL_WRITES,
        install=each(
            wrap(S3Response, "_key_response", serialized),
            wrap(S3Response, "_bucket_response", serialized),
        ),
    ),
    API.addition(
        "CompleteMultipartUpload",
        "ignores `If-Match` (checks only `If-None-Match: *`)",
        "`If-Match`: 412 `PreconditionFailed` unless the key's current ETag is the one given, "
        "404 `NoSuchKey` when the key has no object, as for `PutObject`",
        wrap(S3Response, "_key_response_post", complete_conditionally),
    ),
    API.addition(
        "CopyObject",
        "ignores `If-None-Match` and `If-Match` (the destination's conditions)",
        "`If-None-Match: *`: 412 `PreconditionFailed` when the destination key has an object; "
        "`If-Match`: 412 unless its ETag is the one given, 404 `NoSuchKey` when it has none",
        wrap(S3Response, "copy_object", copy_conditionally),
    ),
)
