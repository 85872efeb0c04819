"""The emulator's own state, set through the test controls: harness settings, pending
throttles and delays, restricted endpoint-service zones, and the request counter."""

import threading
from collections import Counter
from typing import Any

LOCK = threading.Lock()
"""Guards every mutable value of this module."""

DEFAULT_CONFIG: dict[str, Any] = {"notebook_initial_status": "InService"}
"""Harness settings and their defaults (``POST /_sagefence/config``)."""

config: dict[str, Any] = dict(DEFAULT_CONFIG)
throttles: list[dict[str, Any]] = []
"""Pending throttles: ``action``, ``count``, optional ``service`` and ``code``."""
delays: list[dict[str, Any]] = []
"""Pending delays: ``action``, ``seconds``, ``count``, optional ``service``."""
zones: dict[str, list[str]] = {}
"""Endpoint service name -> the only zones DescribeVpcEndpointServices offers it in."""
counts: Counter[str] = Counter()
"""AWS calls received, keyed ``<signing service>:<action>``."""


def setting(key: str) -> Any:
    """One harness setting, as injected through ``POST /_sagefence/config``."""
    with LOCK:
        return config[key]


def reset() -> None:
    """Settings back to their defaults; no pending throttle, delay or zone restriction.
    The request counter is kept (it has its own reset)."""
    with LOCK:
        config.clear()
        config.update(DEFAULT_CONFIG)
        throttles.clear()
        delays.clear()
        zones.clear()


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
