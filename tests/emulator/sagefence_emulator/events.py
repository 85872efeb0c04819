"""Amazon EventBridge (awsJson1_1): TestEventPattern, after the EventBridge API reference."""

import json
from typing import Any, cast

from moto.events.exceptions import ValidationException
from moto.events.models import EventPattern
from moto.events.responses import EventsHandler

from sagefence_emulator.patch import Addition, Reference, replace

API = Reference(
    "EventBridge", "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_{}.html"
)
ENVELOPE_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def test_event_pattern(self: Any) -> str:
    """TestEventPattern: ``{"Result": true|false}`` from moto's own ``EventPattern`` matcher
    (the one that delivers ``PutEvents`` to rules). The pattern must be valid
    (``InvalidEventPatternException``); the event must be a JSON object with the envelope
    fields ``id``, ``account``, ``source``, ``time``, ``region``, ``resources`` and
    ``detail-type`` (``ValidationException`` "Parameter Event is not valid.")."""
    pattern = EventPattern.load(self._get_param("EventPattern"))
    try:
        event: Any = json.loads(self._get_param("Event") or "")
    except ValueError as error:
        raise ValidationException("Parameter Event is not valid.") from error
    if not isinstance(event, dict) or any(field not in event for field in ENVELOPE_FIELDS):
        raise ValidationException("Parameter Event is not valid.")
    return json.dumps({"Result": pattern.matches_event(cast(Any, event))})


ADDITIONS: tuple[Addition, ...] = (
    API.addition(
        "TestEventPattern",
        "answers `200` with an empty body",
        '`{"Result": true|false}` from moto\'s own `EventPattern` matcher (the one '
        "that delivers `PutEvents` to rules); an invalid pattern is "
        "`InvalidEventPatternException`; an event that is not a JSON object with `id`, "
        "`account`, `source`, `time`, `region`, `resources` and `detail-type` is "
        '`ValidationException` "Parameter Event is not valid."',
        replace(EventsHandler, "test_event_pattern", test_event_pattern),
    ),
)
