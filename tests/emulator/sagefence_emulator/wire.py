"""What an AWS request is (signing service, operation, protocol) and how each protocol
answers a throttled call."""

import io
import json
import uuid
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
Answer = tuple[str, list[tuple[str, str]], str]
"""An HTTP answer: status line, headers, body."""

SECURITY_HUB_ROUTES = {
    ("POST", "/findings/import"): "BatchImportFindings",
    ("POST", "/findings"): "GetFindings",
}


def request_service(environ: Environ) -> str | None:
    """The service a SigV4 request is signed for (``.../<region>/<service>/aws4_request``)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    marker = "Credential="
    if marker not in auth:
        return None
    scope = auth.split(marker, 1)[1].split(",", 1)[0].split("/")
    return scope[3].lower() if len(scope) == 5 else None


def request_action(environ: Environ, service: str | None = None) -> tuple[str | None, str | None]:
    """(action, protocol) of an AWS call: awsJson names it in X-Amz-Target,
    the query protocols (EC2, IAM, STS) in the ``Action`` form field; the REST
    protocols by method and path (S3: ``PutObject``, ``GetObject``,
    ``ListObjectsV2``; Security Hub: ``BatchImportFindings``, ``GetFindings``)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1], "json"
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if service == "s3":
        operation = s3_action(environ, method, path, query)
        return (operation, "rest-xml") if operation else (None, None)
    if service == "securityhub":
        route = SECURITY_HUB_ROUTES.get((method, path.rstrip("/")))
        return (route, "rest-json") if route else (None, None)
    named = query.get("Action")
    if not named and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        named = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return (named[0], "query") if named else (None, None)


def s3_action(environ: Environ, method: str, path: str, query: dict[str, list[str]]) -> str | None:
    """An S3 operation: the AWS SDKs name most in an ``x-id`` query parameter; else
    ``PutObject``, ``GetObject`` and ``ListObjectsV2`` by method and path."""
    if query.get("x-id"):
        return query["x-id"][0]
    has_key = "/" in path.strip("/")
    if method == "PUT" and has_key and not query and "HTTP_X_AMZ_COPY_SOURCE" not in environ:
        return "PutObject"
    if method == "GET" and has_key and not query:
        return "GetObject"
    if method == "GET" and not has_key and query.get("list-type") == ["2"]:
        return "ListObjectsV2"
    return None


def throttling_error(protocol: str | None, service: str | None, code: str) -> Answer:
    """A throttling answer in the caller's protocol (``code`` overrides the error code):
    awsJson1_1 (SageMaker, KMS) ``ThrottlingException`` 400 with ``__type``; EC2's query
    dialect ``RequestLimitExceeded`` 503 in ``<Response><Errors><Error>``; awsQuery (IAM,
    STS) ``Throttling`` 400 in ``<ErrorResponse><Error>``; S3 503 ``SlowDown`` in a bare
    ``<Error>``; restJson1 (Security Hub) 429 ``TooManyRequestsException``."""
    request_id = str(uuid.uuid4())
    if protocol == "rest-xml":
        code = code or "SlowDown"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{code}</Code><Message>Please reduce your request rate.</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        return "503 Slow Down", headers, body
    if protocol == "rest-json":
        code = code or "TooManyRequestsException"
        body = json.dumps({"Code": code, "Message": "Rate exceeded"})
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ]
        return "429 Too Many Requests", headers, body
    if protocol == "json":
        code = code or "ThrottlingException"
        body = json.dumps({"__type": code, "message": "Rate exceeded"})
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        status = "400 Bad Request"
    elif service == "ec2":
        code = code or "RequestLimitExceeded"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>Request limit exceeded.</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
        status = "503 Service Unavailable"
    else:
        code = code or "Throttling"
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>Rate exceeded</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers = [("Content-Type", "text/xml")]
        status = "400 Bad Request"
    headers.append(("x-amzn-RequestId", request_id))
    return status, headers, body


def is_conditional_write(environ: Environ, service: str | None) -> bool:
    """Whether a request is an S3 write carrying a condition (``If-None-Match`` or
    ``If-Match``): a conditional ``PutObject``, ``CompleteMultipartUpload`` or ``CopyObject``."""
    conditional = "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MATCH" in environ
    return service == "s3" and conditional and environ.get("REQUEST_METHOD") in ("PUT", "POST")


def conditional_conflict() -> Answer:
    """S3's 409 ``ConditionalRequestConflict``: another conditional operation on the same key is
    in progress; the caller should retry."""
    request_id = str(uuid.uuid4())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ConditionalRequestConflict</Code>'
        "<Message>A conflicting conditional operation is currently in progress against this "
        f"resource. Please try again.</Message><RequestId>{request_id}</RequestId></Error>"
    )
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    return "409 Conflict", headers, body
