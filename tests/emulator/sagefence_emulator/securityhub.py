"""AWS Security Hub (restJson1): BatchImportFindings keeping the customer's fields,
BatchUpdateFindings, and GetFindings filters, after the Security Hub API reference."""

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import InvalidInputException
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse
from moto.utilities.paginator import paginate

from sagefence_emulator.patch import Addition, Reference, each, replace

API = Reference(
    "Security Hub", "https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_{}.html"
)
CUSTOMER_FIELDS = ["Workflow", "UserDefinedFields", "VerificationState", "Note"]
REOPENED_COMPLIANCE = ["WARNING", "FAILED", "NOT_AVAILABLE"]
UPDATABLE_FIELDS = ("Workflow", "Note", "Severity", "UserDefinedFields", "VerificationState")
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
"""The GetFindings string filters served: filter name -> the finding's field path."""


def status(finding: dict[str, Any], key: str) -> Any:
    """The ``Status`` of a finding's ``Workflow`` or ``Compliance``."""
    return (finding.get(key) or {}).get("Status")


def import_one(backend: Any, data: dict[str, Any]) -> None:
    """Create or update one finding as BatchImportFindings does."""
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
        status(before, "Compliance") == "PASSED"
        and status(updated, "Compliance") in REOPENED_COMPLIANCE
    )
    if (reactivated or reopened) and status(updated, "Workflow") in ("NOTIFIED", "RESOLVED"):
        updated["Workflow"] = {"Status": "NEW"}
    updated["WorkflowState"] = status(updated, "Workflow") or "NEW"
    existing.data = updated


def refusal(code: str, message: str, status: int) -> JsonRESTError:
    """A restJson1 error answer with its HTTP status."""
    error = JsonRESTError(code, message)
    error.code = status
    return error


def refuse_import(self: Any, findings: list[dict[str, Any]]) -> None:
    """Refuse a BatchImportFindings call as AWS does: ``InvalidAccessException`` (401) while
    Security Hub is not enabled in the account; ``AccessDeniedException`` (403) for the whole
    call, nothing of it imported, when a finding is of another account (the API reference: "the
    identifier of the account that you are calling BatchImportFindings from needs to be the same
    as the AwsAccountId attribute for the finding") or of a product the account cannot import
    to: anything but its default product in the region called,
    ``arn:aws:securityhub:<region>:<account>:product/<account>/default`` (no partner integration
    is emulated). The account and region are the caller's: moto picks the backend by the access
    key's account and the signed region. AWS refuses the call, not the finding (no
    ``FailedFindings`` entry that would let the rest of a mixed batch in): the 403 names the
    ProductArn as the resource, as AWS Support confirmed in prowler-cloud/prowler#867."""
    if not self.enabled:
        raise refusal(
            "InvalidAccessException",
            f"Account {self.account_id} is not subscribed to AWS Security Hub",
            401,
        )
    account = self.account_id
    own = f"arn:aws:securityhub:{self.region_name}:{account}:product/{account}/default"
    for data in findings:
        if data.get("AwsAccountId") != self.account_id or data.get("ProductArn") != own:
            raise refusal(
                "AccessDeniedException",
                f"User: arn:aws:iam::{self.account_id}:root is not authorized to perform: "
                f"securityhub:BatchImportFindings on resource: {data.get('ProductArn')}",
                403,
            )


def batch_import_findings(
    self: Any, findings: list[dict[str, Any]]
) -> tuple[int, int, list[dict[str, str]]]:
    """BatchImportFindings, once ``refuse_import`` lets it through: an update keeps the
    customer's ``Workflow``, ``UserDefinedFields``, ``VerificationState`` and ``Note``; a new
    finding defaults to ``Workflow`` ``NEW`` and ``RecordState`` ``ACTIVE``;
    ``Workflow.Status`` ``NOTIFIED`` or ``RESOLVED`` resets to ``NEW`` when ``RecordState``
    turns ``ARCHIVED`` -> ``ACTIVE`` or ``Compliance.Status`` turns ``PASSED`` ->
    ``WARNING``/``FAILED``/``NOT_AVAILABLE``. Answers (failed count, success count, failed
    findings)."""
    refuse_import(self, findings)
    failed = []
    for data in findings:
        try:
            import_one(self, data)
        except (KeyError, ValueError) as error:
            failed.append(
                {"Id": data.get("Id", ""), "ErrorCode": "InvalidInput", "ErrorMessage": str(error)}
            )
    return len(failed), len(findings) - len(failed), failed


def batch_update_findings_response(self: Any) -> str:
    """BatchUpdateFindings (``PATCH /findings/batchupdate``), which moto lacks: sets
    ``Workflow``, ``Note``, ``Severity``, ``UserDefinedFields`` and ``VerificationState`` on
    the findings named by ``Id`` and ``ProductArn``; unknown ones come back in
    ``UnprocessedFindings`` with ``FindingNotFound``."""
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
        for field in UPDATABLE_FIELDS:
            if field in body:
                finding.data[field] = body[field]
        if "Workflow" in body:
            finding.data["WorkflowState"] = status(body, "Workflow")
        finding.data["UpdatedAt"] = utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        processed.append(ident)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


def field(data: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in a finding, or None."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def holds(value: Any, condition: dict[str, str]) -> bool:
    """Whether one string filter condition holds for a value."""
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


def matches(data: dict[str, Any], filters: dict[str, list[dict[str, str]]]) -> bool:
    """Whether a finding passes every filter: within an attribute ``EQUALS`` and ``PREFIX``
    values are OR'ed, ``NOT_EQUALS`` and ``PREFIX_NOT_EQUALS`` values AND'ed."""
    for name, conditions in filters.items():
        value = field(data, STRING_FILTERS[name])
        included = [c for c in conditions if c.get("Comparison", "EQUALS") in ("EQUALS", "PREFIX")]
        excluded = [c for c in conditions if c not in included]
        if included and not any(holds(value, c) for c in included):
            return False
        if not all(holds(value, c) for c in excluded):
            return False
    return True


@paginate(pagination_model=SecurityHubBackend.PAGINATION_MODEL)
def get_findings(
    self: Any,
    filters: dict[str, list[dict[str, str]]] | None = None,
    sort_criteria: Any = None,
    max_results: int | None = None,
) -> list[dict[str, Any]]:
    """GetFindings applying its ``Filters``: string filters on at most ten of the
    attributes of ``STRING_FILTERS``, at most 20 values each; any other attribute is refused
    rather than ignored."""
    filters = filters or {}
    if len(filters) > 10:
        raise InvalidInputException(op="GetFindings", msg="at most 10 filter attributes")
    for name, conditions in filters.items():
        if name not in STRING_FILTERS:
            raise InvalidInputException(
                op="GetFindings", msg=f"filter {name} is not served by this emulator"
            )
        if len(conditions) > 20:
            raise InvalidInputException(op="GetFindings", msg=f"at most 20 values for {name}")
    return [f.as_dict() for f in self.findings if matches(f.data, filters)]


def route_batch_update_findings() -> None:
    """Route ``PATCH /findings/batchupdate`` to Security Hub's handler."""
    securityhub_urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch


ADDITIONS: tuple[Addition, ...] = (
    API.addition(
        "BatchImportFindings",
        "an existing `Id` is overwritten with whatever the provider sends, `Workflow` "
        "included; imports without Security Hub being enabled; checks only that `Resources` is "
        "non-empty",
        "`InvalidAccessException` (401) unless Security Hub is enabled "
        "(`EnableSecurityHub`); `AccessDeniedException` (403) for the whole call, nothing of it "
        "imported, when a finding's `AwsAccountId` is not the caller's account (the access key's) "
        "or its `ProductArn` is not the caller's default product in the region called "
        "(`arn:aws:securityhub:<region>:<account>:product/<account>/default`: no partner "
        "integration is emulated); an update keeps the "
        "customer's `Workflow`, `UserDefinedFields`, "
        "`VerificationState` and `Note`; a new finding defaults to `Workflow` `NEW` and "
        "`RecordState` `ACTIVE`; `Workflow` `NOTIFIED`/`RESOLVED` resets to `NEW` when "
        "`RecordState` turns `ARCHIVED` -> `ACTIVE` or `Compliance.Status` turns `PASSED` -> "
        "`WARNING`/`FAILED`/`NOT_AVAILABLE` (AWS also validates every required ASFF field and "
        "their formats: not emulated)",
        replace(SecurityHubBackend, "batch_import_findings", batch_import_findings),
    ),
    API.addition(
        "BatchUpdateFindings",
        "missing",
        "`PATCH /findings/batchupdate` sets `Workflow`, `Note`, `Severity`, "
        "`UserDefinedFields`, `VerificationState` on the findings named by `Id` + "
        "`ProductArn`; unknown ones come back in `UnprocessedFindings` with `FindingNotFound`",
        each(
            replace(SecurityHubResponse, "batch_update_findings", batch_update_findings_response),
            route_batch_update_findings,
        ),
    ),
    API.addition(
        "GetFindings",
        "ignores `Filters` and `SortCriteria`: every finding is returned",
        "string filters on `Id`, `ProductArn`, `GeneratorId`, `AwsAccountId`, "
        "`ComplianceStatus`, `RecordState`, `WorkflowStatus`, `NoteUpdatedBy`, `NoteText`; "
        "`EQUALS`/`PREFIX` values OR'ed within an attribute, `NOT_EQUALS`/`PREFIX_NOT_EQUALS` "
        "AND'ed, attributes AND'ed; at most 10 attributes and 20 values each (AWS's limits); "
        "any other attribute is refused, not ignored; `SortCriteria` still ignored",
        replace(SecurityHubBackend, "get_findings", get_findings),
    ),
)
