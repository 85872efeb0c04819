"""The test controls under ``/_sagefence/`` (a path no AWS API uses) and the WSGI middleware
in front of moto that serves them, counts AWS calls, and delays or throttles the calls a test
asked it to."""

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sagefence_emulator import sagemaker, state
from sagefence_emulator.wire import (
    Environ,
    conditional_conflict,
    is_conditional_write,
    request_action,
    request_service,
    throttling_error,
)

PREFIX = "/_sagefence/"
UNCOUNTED_PREFIXES = (PREFIX, "/moto-api/")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Reply = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Control:
    """One test control, as README.md lists it."""

    request: str
    """Method, path and an example body."""
    effect: str
    """What it does; Rust helpers on `Emulator` in brackets."""


CONTROLS: tuple[Control, ...] = (
    Control("`GET /_sagefence/health`", '`{"status":"ok"}` once the server is up'),
    Control(
        '`POST /_sagefence/config` `{"notebook_initial_status":"Pending"}`',
        "status new and restarted notebooks enter when `Pending` ends (default `InService`; "
        "`Pending` holds them there) [`set_notebook_initial_status`]",
    ),
    Control(
        '`POST /_sagefence/config` `{"clock":"manual"}`',
        "transitions AWS takes time for (a notebook's `Pending`, `Stopping`, `Updating`, "
        "`Deleting`) wait for the clock to pass their duration (300, 60, 60, 60 s); the "
        "default `instant` completes them within the call that starts them [`use_manual_clock`]",
    ),
    Control(
        '`POST /_sagefence/clock/advance` `{"seconds":300}`',
        "moves the clock on, completing every transition due by then in order, each sending "
        "its events; answers as `GET /_sagefence/clock` [`advance_clock`]",
    ),
    Control(
        "`GET /_sagefence/clock`",
        '`{"now": s, "mode": "manual", "scheduled": [{"in": s, "what": "..."}]}`: the clock '
        "and the transitions under way, soonest first",
    ),
    Control(
        "`POST /_sagefence/events/take`",
        '`{"events": [...]}`: the EventBridge events AWS services sent since the last take '
        "(notebook state changes), oldest first [`take_events`]",
    ),
    Control(
        '`POST /_sagefence/notebook/<name>/status` `{"status":"InService"}`',
        "sets `NotebookInstanceStatus` directly (`Pending`, `InService`, `Stopping`, `Stopped`, "
        "`Failed`, `Deleting`, `Updating`), sending no event and dropping the notebook's "
        "transition under way [`set_notebook_status`]",
    ),
    Control(
        '`POST /_sagefence/<kind>/<name>/status` `{"status":"Completed"}`',
        "`<kind>` is `training-job`, `processing-job`, `transform-job` or `tuning-job`; status "
        "one of `InProgress`, `Completed`, `Failed`, `Stopping`, `Stopped`; terminal states set "
        "the end time [`set_training_job_status`, `set_job_status`]",
    ),
    Control(
        '`POST /_sagefence/throttle` `{"action":"StopNotebookInstance","count":1}`',
        "the next `count` calls of `action` fail with the caller's throttling error; optional "
        '`"service"` (SigV4 signing name: `sagemaker`, `ec2`, `iam`, `kms`, `s3`, '
        '`securityhub`) narrows the match, optional `"code"` overrides the error code '
        "[`throttle`, `throttle_service`]",
    ),
    Control(
        '`POST /_sagefence/delay` `{"action":"CreateVpc","seconds":3,"count":1}`',
        'the next `count` calls of `action` (optional `"service"`, as for throttling) are '
        "answered only after `seconds`, as a slow AWS answers; the call then runs normally",
    ),
    Control(
        '`POST /_sagefence/s3-conflict` `{"count":1}`',
        "the next `count` conditional S3 writes (`If-None-Match` or `If-Match` on a `PUT` or "
        "`POST`) are answered 409 `ConditionalRequestConflict`, as S3 answers while another "
        "conditional write to the key is in progress; the write is not made [`s3_conflict`]",
    ),
    Control(
        "`POST /_sagefence/endpoint-service-zones` "
        '`{"service":"aws.sagemaker.eu-west-1.notebook","zones":["eu-west-1b","eu-west-1c"]}`',
        "`DescribeVpcEndpointServices` offers that service only in those zones",
    ),
    Control(
        "`POST /_sagefence/reset`",
        "clears the config, every pending throttle, delay and S3 conflict, and the "
        "endpoint-service zones; "
        "AWS resources stay (moto's own `POST /moto-api/reset` wipes those), and so do the clock, "
        "the transitions under way and the events not yet taken [`reset`]",
    ),
    Control(
        "`GET /_sagefence/requests`",
        'the AWS calls received so far: `{"total": N, "by_action": {"sagemaker:ListTags": n, '
        "...}}`, keyed `<signing service>:<action>` (every request but `/_sagefence/` and "
        "`/moto-api/` ones counts, throttled ones too)",
    ),
    Control(
        "`POST /_sagefence/requests/reset`",
        "the same answer, then every count back to zero (not touched by `/_sagefence/reset`)",
    ),
)


class SagefenceMiddleware:
    """WSGI app in front of moto: serves the test controls, counts AWS calls, holds the calls
    a test asked to delay and answers those it asked to throttle; the rest is moto's."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(PREFIX):
            status, payload = control(environ, path[len(PREFIX) :].strip("/"))
            return reply(
                start_response,
                f"{status} {'OK' if status == 200 else 'Error'}",
                [("Content-Type", "application/json")],
                json.dumps(payload),
            )
        service = request_service(environ)
        action, protocol = request_action(environ, service)
        if not path.startswith(UNCOUNTED_PREFIXES):
            key = f"{service or 'unsigned'}:{action or environ.get('REQUEST_METHOD', '?')}"
            with state.LOCK:
                state.counts[key] += 1
        if action and state.delays:
            delay = state.take(state.delays, action, service)
            if delay is not None:
                time.sleep(delay["seconds"])
        if is_conditional_write(environ, service) and state.take_conflict():
            return reply(start_response, *conditional_conflict())
        if action and state.throttles:
            throttle = state.take(state.throttles, action, service)
            if throttle is not None:
                return reply(
                    start_response, *throttling_error(protocol, service, throttle.get("code") or "")
                )
        return self.app(environ, start_response)


def reply(
    start_response: StartResponse, status: str, headers: list[tuple[str, str]], body: str
) -> list[bytes]:
    """Send a complete answer with its Content-Length."""
    data = body.encode("utf-8")
    start_response(status, [*headers, ("Content-Length", str(len(data)))])
    return [data]


def control(environ: Environ, route: str) -> Reply:
    """Dispatch one test-control request: (HTTP status, JSON answer)."""
    method = environ.get("REQUEST_METHOD", "GET")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    if route == "health":
        return 200, {"status": "ok"}
    if route in ("requests", "requests/reset"):
        if route == "requests" and method == "GET":
            return 200, state.count_snapshot()
        if route == "requests/reset" and method == "POST":
            return 200, state.count_snapshot(reset_counts=True)
        return 405, {"message": f"{method} is not allowed on /_sagefence/{route}"}
    if route == "clock" and method == "GET":
        return 200, state.clock_snapshot()
    if method != "POST":
        return 405, {"message": "test controls take POST"}
    try:
        body = json.loads(raw or b"{}")
    except ValueError as error:
        return 400, {"message": f"body is not JSON: {error}"}
    if not isinstance(body, dict):
        return 400, {"message": "body must be a JSON object"}
    handler = POSTED.get(route)
    if handler is not None:
        return handler(body)
    parts = route.split("/")
    if len(parts) == 3 and parts[2] == "status":
        status = body.get("status")
        if not isinstance(status, str):
            return 400, {"message": "status is required"}
        return sagemaker.set_status(parts[0], parts[1], status)
    return 404, {"message": f"no test control at /_sagefence/{route}"}


def reset(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/reset``: settings back to their defaults, nothing left pending."""
    state.reset()
    return 200, {}


def take_events(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/events/take``: the events sent since the last take."""
    return 200, {"events": state.take_events()}


def set_config(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/config``: change harness settings."""
    unknown = sorted(set(body) - set(state.DEFAULT_CONFIG))
    if unknown:
        return 400, {"message": f"unknown settings {unknown}"}
    status = body.get("notebook_initial_status")
    if status is not None and status not in sagemaker.NOTEBOOK_STATUSES:
        return 400, {
            "message": f"notebook_initial_status must be one of {sagemaker.NOTEBOOK_STATUSES}"
        }
    clock = body.get("clock")
    if clock is not None and clock not in state.CLOCK_MODES:
        return 400, {"message": f"clock must be one of {list(state.CLOCK_MODES)}"}
    with state.LOCK:
        state.config.update(body)
        return 200, {"config": dict(state.config)}


def advance_clock(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/clock/advance``: move the clock ``seconds`` on."""
    seconds = body.get("seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        return 400, {"message": "seconds must be a number, 0 or more"}
    state.advance(float(seconds))
    return 200, state.clock_snapshot()


def positive_count(body: dict[str, Any]) -> int | None:
    """The body's ``count`` (default 1) when it is a positive integer."""
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return None
    return count


def add_throttle(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/throttle``: throttle the next ``count`` calls of ``action``."""
    action, count = body.get("action"), positive_count(body)
    if not isinstance(action, str) or not action:
        return 400, {"message": "action (e.g. StopNotebookInstance) is required"}
    if count is None:
        return 400, {"message": "count must be a positive integer"}
    rule = {
        "action": action,
        "count": count,
        "service": body.get("service"),
        "code": body.get("code"),
    }
    with state.LOCK:
        state.throttles.append(rule)
        return 200, {"throttles": [dict(r) for r in state.throttles]}


def add_conflicts(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/s3-conflict``: answer the next ``count`` conditional S3 writes 409."""
    count = positive_count(body)
    if count is None:
        return 400, {"message": "count must be a positive integer"}
    with state.LOCK:
        state.conflicts["count"] += count
        return 200, {"conflicts": state.conflicts["count"]}


def add_delay(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/delay``: hold the next ``count`` calls of ``action`` for ``seconds``."""
    action, seconds, count = body.get("action"), body.get("seconds"), positive_count(body)
    if (
        not isinstance(action, str)
        or not isinstance(seconds, (int, float))
        or isinstance(seconds, bool)
        or seconds <= 0
    ):
        return 400, {"message": "action and positive seconds are required"}
    if count is None:
        return 400, {"message": "count must be a positive integer"}
    rule = {"action": action, "seconds": seconds, "count": count, "service": body.get("service")}
    with state.LOCK:
        state.delays.append(rule)
        return 200, {"delays": len(state.delays)}


def restrict_zones(body: dict[str, Any]) -> Reply:
    """``POST /_sagefence/endpoint-service-zones``: offer an endpoint service only in ``zones``."""
    service, zones = body.get("service"), body.get("zones")
    if not isinstance(service, str) or not isinstance(zones, list):
        return 400, {"message": "service and zones are required"}
    with state.LOCK:
        state.zones[service] = zones
        return 200, {"zones": dict(state.zones)}


POSTED: dict[str, Callable[[dict[str, Any]], Reply]] = {
    "reset": reset,
    "config": set_config,
    "throttle": add_throttle,
    "delay": add_delay,
    "endpoint-service-zones": restrict_zones,
    "s3-conflict": add_conflicts,
    "clock/advance": advance_clock,
    "events/take": take_events,
}
"""The test controls taking a JSON object by ``POST``, by route."""
