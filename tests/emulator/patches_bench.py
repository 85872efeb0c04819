"""Request counting for benchmarks: how many AWS calls a run made, per service and action.

Every request that reaches the emulator is counted, except its own controls
(``/_sagefence/``) and moto's (``/moto-api/``); a throttled answer counts too,
since the caller sent it.  Counts are read, and read-and-zeroed, through the
test-control scheme of ``sagefence_moto.py``:

* ``GET /_sagefence/requests`` -> ``{"total": N, "by_action": {"sagemaker:ListTags": n, ...}}``
* ``POST /_sagefence/requests/reset`` -> the same answer, then every count back to zero

so a benchmark zeroes the counter before a run and reads what the run sent
after it.  ``install(middleware, request_service, request_action)`` wraps the
middleware class once at start-up.
"""

import threading
from collections import Counter

COUNTS = Counter()
COUNTS_LOCK = threading.Lock()
UNCOUNTED_PREFIXES = ("/_sagefence/", "/moto-api/")


def snapshot(reset=False):
    """The counts so far (and zero them when ``reset``), as the control answers them."""
    with COUNTS_LOCK:
        by_action = dict(sorted(COUNTS.items()))
        if reset:
            COUNTS.clear()
    return {"total": sum(by_action.values()), "by_action": by_action}


def install(middleware, request_service, request_action):
    """Count every AWS request the middleware receives and serve the
    ``requests`` controls; ``request_service`` and ``request_action`` are the
    middleware module's own parsers (signing service, action name)."""
    call = middleware.__call__
    control = middleware.control

    def counting_call(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(UNCOUNTED_PREFIXES):
            service = request_service(environ) or "unsigned"
            action, _ = request_action(environ, service)
            with COUNTS_LOCK:
                COUNTS[f"{service}:{action or environ.get('REQUEST_METHOD', '?')}"] += 1
        return call(self, environ, start_response)

    def counting_control(environ, route):
        if route not in ("requests", "requests/reset"):
            return control(environ, route)
        # Read the body (unused) so the connection closes cleanly after the answer.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        method = environ.get("REQUEST_METHOD", "GET")
        if route == "requests" and method == "GET":
            return 200, snapshot()
        if route == "requests/reset" and method == "POST":
            return 200, snapshot(reset=True)
        return 405, {"message": f"{method} is not allowed on /_sagefence/{route}"}

    middleware.__call__ = counting_call
    middleware.control = staticmethod(counting_control)
