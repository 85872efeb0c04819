"""EventBridge ``TestEventPattern`` for the emulator (moto 5.2.5 answers it with an empty body).

Follows the EventBridge API reference: the pattern must be valid
(``InvalidEventPatternException`` otherwise); the event must be a JSON object carrying the
envelope fields ``id``, ``account``, ``source``, ``time``, ``region``, ``resources`` and
``detail-type`` (``ValidationException`` "Parameter Event is not valid." otherwise); the answer
is ``{"Result": true|false}``. Matching is moto's own ``EventPattern``, the matcher moto uses to
deliver ``PutEvents`` to rules.
"""

import json

from moto.events.exceptions import ValidationException
from moto.events.models import EventPattern
from moto.events.responses import EventsHandler

ENVELOPE_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def test_event_pattern(self):
    pattern = EventPattern.load(self._get_param("EventPattern"))
    try:
        event = json.loads(self._get_param("Event") or "")
    except ValueError:
        raise ValidationException("Parameter Event is not valid.")
    if not isinstance(event, dict) or any(field not in event for field in ENVELOPE_FIELDS):
        raise ValidationException("Parameter Event is not valid.")
    return json.dumps({"Result": pattern.matches_event(event)})


def install():
    """Answer ``TestEventPattern`` as EventBridge does."""
    EventsHandler.test_event_pattern = test_event_pattern
