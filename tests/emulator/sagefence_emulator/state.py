"""The emulator's own state, set through the test controls: harness settings, pending
throttles and delays, restricted endpoint-service zones, the request counter, and the clock
AWS's own transitions run on with the events they emit."""

import itertools
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import utcnow

LOCK = threading.Lock()
"""Guards every mutable value of this module."""

DEFAULT_CONFIG: dict[str, Any] = {"notebook_initial_status": "InService", "clock": "instant"}
"""Harness settings and their defaults (``POST /_sagefence/config``)."""

config: dict[str, Any] = dict(DEFAULT_CONFIG)
throttles: list[dict[str, Any]] = []
"""Pending throttles: ``action``, ``count``, optional ``service`` and ``code``."""
delays: list[dict[str, Any]] = []
"""Pending delays: ``action``, ``seconds``, ``count``, optional ``service``."""
conflicts: dict[str, int] = {"count": 0}
"""How many of the next conditional S3 writes are answered 409 ``ConditionalRequestConflict``."""
zones: dict[str, list[str]] = {}
"""Endpoint service name -> the only zones DescribeVpcEndpointServices offers it in."""
counts: Counter[str] = Counter()
"""AWS calls received, keyed ``<signing service>:<action>``."""
CLOCK_MODES = ("instant", "manual")
"""``instant``: a transition AWS takes time for completes within the call that starts it;
``manual``: it completes when a test advances the clock past its duration."""


@dataclass(order=True)
class Transition:
    """One step AWS completes by itself after a while (a notebook leaving ``Pending``)."""

    due: float
    """Clock time (seconds) it completes at."""
    seq: int
    """Order among transitions due at the same time."""
    what: str = field(compare=False)
    """What it does, for the clock's answer."""
    run: Callable[[], None] = field(compare=False, repr=False)
    """Completes it (called without the lock)."""


clock: dict[str, float] = {"now": 0.0}
"""Seconds the clock has been advanced since the server started."""
scheduled: list[Transition] = []
"""Transitions under way, completed by ``advance``."""
SEQUENCE = itertools.count()
"""Numbers transitions in the order they were scheduled."""
emitted: list[dict[str, Any]] = []
"""EventBridge events AWS services sent since the last ``take_events``."""


def setting(key: str) -> Any:
    """One harness setting, as injected through ``POST /_sagefence/config``."""
    with LOCK:
        return config[key]


def reset() -> None:
    """Settings back to their defaults; no pending throttle, delay or zone restriction.
    The request counter is kept (it has its own reset), and so are the clock, the transitions
    under way and the emitted events (they belong to the AWS resources, which stay)."""
    with LOCK:
        config.clear()
        config.update(DEFAULT_CONFIG)
        throttles.clear()
        delays.clear()
        conflicts["count"] = 0
        zones.clear()


def take_conflict() -> bool:
    """Consume one pending conditional-write conflict; whether there was one."""
    with LOCK:
        if conflicts["count"] <= 0:
            return False
        conflicts["count"] -= 1
        return True


def now() -> datetime:
    """The emulated wall-clock time: the real time plus every advance of the clock."""
    with LOCK:
        offset = clock["now"]
    return utcnow() + timedelta(seconds=offset)


def schedule(seconds: float, what: str, run: Callable[[], None]) -> None:
    """Complete ``run`` after ``seconds`` on the manual clock; at once on the instant one."""
    with LOCK:
        manual = config["clock"] == "manual"
        if manual:
            due = clock["now"] + seconds
            scheduled.append(Transition(due, next(SEQUENCE), what, run))
    if not manual:
        run()


def advance(seconds: float) -> None:
    """Move the clock ``seconds`` on, completing every transition due by then in order; one
    completed transition may start the next, timed from its own completion."""
    with LOCK:
        target = clock["now"] + seconds
    while True:
        with LOCK:
            due = sorted(t for t in scheduled if t.due <= target)
            if not due:
                clock["now"] = target
                return
            step = due[0]
            scheduled.remove(step)
            clock["now"] = max(clock["now"], step.due)
        step.run()


def clock_snapshot() -> dict[str, Any]:
    """The clock: its time, mode, and the transitions under way (seconds until each)."""
    with LOCK:
        current = clock["now"]
        return {
            "now": current,
            "mode": config["clock"],
            "scheduled": [{"in": t.due - current, "what": t.what} for t in sorted(scheduled)],
        }


def emit(event: dict[str, Any]) -> None:
    """Record an event an AWS service sends to EventBridge."""
    with LOCK:
        emitted.append(event)


def take_events() -> list[dict[str, Any]]:
    """The events emitted since the last call, oldest first; none are kept."""
    with LOCK:
        events = list(emitted)
        emitted.clear()
    return events


def take(rules: list[dict[str, Any]], action: str, service: str | None) -> dict[str, Any] | None:
    """Consume one pending rule (throttle or delay) matching this call; the rule, or None."""
    with LOCK:
        for rule in rules:
            if rule["action"] == action and rule.get("service") in (None, service):
                rule["count"] -= 1
                if rule["count"] <= 0:
                    rules.remove(rule)
                return dict(rule)
    return None


def count_snapshot(reset_counts: bool = False) -> dict[str, Any]:
    """The request counts so far (zeroed afterwards when ``reset_counts``)."""
    with LOCK:
        by_action = dict(sorted(counts.items()))
        if reset_counts:
            counts.clear()
    return {"total": sum(by_action.values()), "by_action": by_action}
