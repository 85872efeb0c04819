"""Security Hub as the audit-shipper meets it, after the AWS Security Hub API reference.

moto 5.2.5's BatchImportFindings overwrites a finding with whatever the provider sends, and it
has no BatchUpdateFindings. AWS documents otherwise:

* BatchImportFindings cannot update a finding's ``Workflow``, ``UserDefinedFields``,
  ``VerificationState`` or ``Note`` once it exists: those belong to the customer's investigation
  and are kept (``Workflow`` defaults to ``NEW``, ``RecordState`` to ``ACTIVE`` on creation).
* Security Hub resets ``Workflow.Status`` from ``NOTIFIED`` or ``RESOLVED`` to ``NEW`` when
  ``RecordState`` changes from ``ARCHIVED`` to ``ACTIVE``, or ``Compliance.Status`` changes from
  ``PASSED`` to ``WARNING``, ``FAILED`` or ``NOT_AVAILABLE``.
* BatchUpdateFindings (``PATCH /findings/batchupdate``) sets ``Workflow``, ``Note``, ``Severity``,
  ``UserDefinedFields`` and ``VerificationState`` on findings named by ``Id`` and ``ProductArn``,
  answering ``ProcessedFindings`` and ``UnprocessedFindings`` (``FindingNotFound``).
* GetFindings applies its ``Filters`` (moto ignores them): string filters on up to ten
  attributes with up to 20 values each; within an attribute, ``EQUALS`` and ``PREFIX`` values
  are OR'ed and ``NOT_EQUALS`` and ``PREFIX_NOT_EQUALS`` values AND'ed; attributes are AND'ed.
  The attributes the audit-shipper filters on are served (``Id``, ``ProductArn``,
  ``GeneratorId``, ``AwsAccountId``, ``ComplianceStatus``, ``RecordState``,
  ``WorkflowStatus``, ``NoteUpdatedBy``, ``NoteText``); any other is refused rather than
  ignored.
"""

import json

from moto.core.utils import utcnow
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import InvalidInputException
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.utilities.paginator import paginate
from moto.securityhub.responses import SecurityHubResponse

CUSTOMER_FIELDS = ["Workflow", "UserDefinedFields", "VerificationState", "Note"]
REOPENED_COMPLIANCE = ["WARNING", "FAILED", "NOT_AVAILABLE"]


def _status(finding, key):
    return (finding.get(key) or {}).get("Status")


def _import_one(backend, data):
    if not isinstance(data.get("Resources"), list) or not data["Resources"]:
        raise ValueError("Finding must contain at least one resource in the Resources array")
    existing = next((f for f in backend.findings if f.id == data["Id"]), None)
    if existing is None:
        created = dict(data)
        created.setdefault("Workflow", {"Status": "NEW"})
        created["WorkflowState"] = created["Workflow"]["Status"]
        created.setdefault("RecordState", "ACTIVE")
        backend.findings.append(Finding(data["Id"], created))
        return
    before = existing.data
    updated = {k: v for k, v in data.items() if k not in CUSTOMER_FIELDS}
    for field in CUSTOMER_FIELDS:
        if field in before:
            updated[field] = before[field]
    updated.setdefault("RecordState", before.get("RecordState", "ACTIVE"))
    reactivated = before.get("RecordState") == "ARCHIVED" and updated["RecordState"] == "ACTIVE"
    reopened = (
        _status(before, "Compliance") == "PASSED"
        and _status(updated, "Compliance") in REOPENED_COMPLIANCE
    )
    if (reactivated or reopened) and _status(updated, "Workflow") in ("NOTIFIED", "RESOLVED"):
        updated["Workflow"] = {"Status": "NEW"}
    updated["WorkflowState"] = _status(updated, "Workflow") or "NEW"
    existing.data = updated


def batch_import_findings(self, findings):
    failed = []
    for data in findings:
        try:
            _import_one(self, data)
        except (KeyError, ValueError) as error:
            failed.append(
                {"Id": data.get("Id", ""), "ErrorCode": "InvalidInput", "ErrorMessage": str(error)}
            )
    return len(failed), len(findings) - len(failed), failed


def batch_update_findings(self):
    body = json.loads(self.body or "{}")
    backend = self.securityhub_backend
    processed, unprocessed = [], []
    for ident in body.get("FindingIdentifiers", []):
        finding = next(
            (
                f
                for f in backend.findings
                if f.id == ident.get("Id") and f.data.get("ProductArn") == ident.get("ProductArn")
            ),
            None,
        )
        if finding is None:
            unprocessed.append(
                {
                    "FindingIdentifier": ident,
                    "ErrorCode": "FindingNotFound",
                    "ErrorMessage": "Finding Not Found",
                }
            )
            continue
        for field in ("Workflow", "Note", "Severity", "UserDefinedFields", "VerificationState"):
            if field in body:
                finding.data[field] = body[field]
        if "Workflow" in body:
            finding.data["WorkflowState"] = _status(body, "Workflow")
        finding.data["UpdatedAt"] = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        processed.append(ident)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


STRING_FILTERS = {
    "Id": ("Id",),
    "ProductArn": ("ProductArn",),
    "GeneratorId": ("GeneratorId",),
    "AwsAccountId": ("AwsAccountId",),
    "ComplianceStatus": ("Compliance", "Status"),
    "RecordState": ("RecordState",),
    "WorkflowStatus": ("Workflow", "Status"),
    "NoteUpdatedBy": ("Note", "UpdatedBy"),
    "NoteText": ("Note", "Text"),
}


def _field(data, path):
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _holds(value, condition):
    wanted, comparison = condition.get("Value", ""), condition.get("Comparison", "EQUALS")
    text = value if isinstance(value, str) else None
    if comparison == "EQUALS":
        return text == wanted
    if comparison == "PREFIX":
        return text is not None and text.startswith(wanted)
    if comparison == "NOT_EQUALS":
        return text != wanted
    if comparison == "PREFIX_NOT_EQUALS":
        return text is None or not text.startswith(wanted)
    raise InvalidInputException(op="GetFindings", msg=f"unknown Comparison {comparison}")


def _matches(data, filters):
    for name, conditions in filters.items():
        value = _field(data, STRING_FILTERS[name])
        included = [c for c in conditions if c.get("Comparison", "EQUALS") in ("EQUALS", "PREFIX")]
        excluded = [c for c in conditions if c not in included]
        if included and not any(_holds(value, c) for c in included):
            return False
        if not all(_holds(value, c) for c in excluded):
            return False
    return True


@paginate(pagination_model=SecurityHubBackend.PAGINATION_MODEL)
def get_findings(self, filters=None, sort_criteria=None, max_results=None):
    filters = filters or {}
    if len(filters) > 10:
        raise InvalidInputException(op="GetFindings", msg="at most 10 filter attributes")
    for name, conditions in filters.items():
        if name not in STRING_FILTERS:
            raise InvalidInputException(op="GetFindings", msg=f"filter {name} is not served by this emulator")
        if len(conditions) > 20:
            raise InvalidInputException(op="GetFindings", msg=f"at most 20 values for {name}")
    return [f.as_dict() for f in self.findings if _matches(f.data, filters)]


def install():
    """Patch moto's Security Hub (once per process, before the server starts)."""
    SecurityHubBackend.batch_import_findings = batch_import_findings
    SecurityHubBackend.get_findings = get_findings
    SecurityHubResponse.batch_update_findings = batch_update_findings
    securityhub_urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch
