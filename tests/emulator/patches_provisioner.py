"""Emulator extensions the provisioner's tests need (see README "Provisioner").

- ``POST /_sagefence/delay`` ``{"action": "CreateVpc", "seconds": 2.5, "count": 1}``: the next
  ``count`` calls of ``action`` (any service, optionally ``"service"``) are answered only after
  ``seconds``, as a slow AWS answers; to test that a handler about to overrun its deadline
  still answers.
- ``POST /_sagefence/endpoint-service-zones`` ``{"service": "<full name>", "zones": [...]}``:
  DescribeVpcEndpointServices offers that service only in these zones (AWS offers some
  services in a subset of a region's zones; moto offers every service everywhere).
- ``POST /_sagefence/reset`` also clears both.
"""

import threading
import time

from moto.ec2.models.vpcs import VPCBackend

LOCK = threading.Lock()
STATE = {"delays": [], "zones": {}}


def take_delay(action, service):
    """Seconds to hold this call, consuming one pending delay; 0 when none applies."""
    with LOCK:
        for rule in STATE["delays"]:
            if rule["action"] == action and rule.get("service") in (None, service):
                rule["count"] -= 1
                if rule["count"] <= 0:
                    STATE["delays"].remove(rule)
                return rule["seconds"]
    return 0


def restricted_services(original):
    """DescribeVpcEndpointServices with each restricted service offered only in its zones."""

    def describe(self, *args, **kwargs):
        answer = original(self, *args, **kwargs)
        with LOCK:
            zones = dict(STATE["zones"])
        if zones:
            details = []
            for service in answer["servicesDetails"]:
                if service["ServiceName"] in zones:
                    service = dict(service, AvailabilityZones=list(zones[service["ServiceName"]]))
                details.append(service)
            answer = dict(answer, servicesDetails=details)
        return answer

    return describe


def controls(original):
    """The middleware's control dispatcher with the routes above added."""

    def control(environ, route):
        if route in ("delay", "endpoint-service-zones") and environ.get("REQUEST_METHOD") == "POST":
            import json

            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError as error:
                return 400, {"message": f"body is not JSON: {error}"}
            if route == "delay":
                action, seconds = body.get("action"), body.get("seconds")
                count = body.get("count", 1)
                if not isinstance(action, str) or not isinstance(seconds, (int, float)) or seconds <= 0:
                    return 400, {"message": "action and positive seconds are required"}
                if not isinstance(count, int) or count < 1:
                    return 400, {"message": "count must be a positive integer"}
                rule = {"action": action, "seconds": seconds, "count": count, "service": body.get("service")}
                with LOCK:
                    STATE["delays"].append(rule)
                return 200, {"delays": len(STATE["delays"])}
            service, zones = body.get("service"), body.get("zones")
            if not isinstance(service, str) or not isinstance(zones, list):
                return 400, {"message": "service and zones are required"}
            with LOCK:
                STATE["zones"][service] = zones
            return 200, {"zones": STATE["zones"]}
        if route == "reset":
            with LOCK:
                STATE["delays"] = []
                STATE["zones"] = {}
        return original(environ, route)

    return control


def delaying(original, request_service, request_action):
    """The middleware's entry point, holding calls a test asked to delay."""

    def call(self, environ, start_response):
        if STATE["delays"] and not environ.get("PATH_INFO", "").startswith("/_sagefence/"):
            service = request_service(environ)
            action, _ = request_action(environ, service)
            seconds = take_delay(action, service) if action else 0
            if seconds:
                time.sleep(seconds)
        return original(self, environ, start_response)

    return call


def install(middleware, request_service, request_action):
    """Apply the extensions to moto and to the wrapper's middleware class."""
    VPCBackend.describe_vpc_endpoint_services = restricted_services(
        VPCBackend.describe_vpc_endpoint_services
    )
    middleware.control = staticmethod(controls(middleware.control))
    middleware.__call__ = delaying(middleware.__call__, request_service, request_action)
