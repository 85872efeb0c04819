"""Amazon SNS (awsQuery): Publish and PublishBatch across accounts obey the topic's access
policy, after the SNS API reference and the developer guide's access-policy use cases."""

import json
import re
from collections.abc import Callable
from typing import Any

from moto.sns.exceptions import SNSException, SNSNotFoundError
from moto.sns.responses import SNSResponse
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from sagefence_emulator.patch import Addition, Reference, wrap

API = Reference("SNS", "https://docs.aws.amazon.com/sns/latest/api/API_{}.html")
ACCESS_POLICY_USE_CASES = (
    "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html"
)
PUBLISH = "SNS:Publish"
"""The action both Publish and PublishBatch are authorized as."""


class AuthorizationError(SNSException):
    """The Publish API reference's ``AuthorizationError`` (HTTP 403, a sender fault): "Indicates
    that the user has been denied access to the requested resource"."""

    code = "AuthorizationError"


def as_list(value: Any) -> list[Any]:
    """A policy element's values: a single value or a list of them."""
    return value if isinstance(value, list) else [value]


def glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whether ``value`` matches a policy pattern (``*`` any run of characters, ``?`` one)."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def caller(response: Any) -> tuple[str, set[str]]:
    """The caller of a request: its ARN (for the error message) and the principal values of a
    policy that name it: its account id and ``arn:aws:iam::<account>:root``, its own ARN (an IAM
    user's, or an assumed-role session's) and, for an assumed role, the role's ARN. moto knows
    them from the access key (``sts.assume_role`` keys belong to the role's account)."""
    account = response.current_account
    partition = get_partition(response.region)
    sts = sts_backends[account][partition]
    access_key = response.get_access_key()
    _, arn, _ = sts.get_caller_identity(access_key, response.region)
    names = {account, f"arn:{partition}:iam::{account}:root", arn}
    role = sts.get_assumed_role_from_access_key(access_key)
    if role is not None:
        names.add(role.role_arn)
    return arn, names


def statements(policy: str) -> list[dict[str, Any]]:
    """The statements of a topic's access policy (JSON text); none when it does not parse."""
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        return []
    found = as_list(document.get("Statement", [])) if isinstance(document, dict) else []
    return [s for s in found if isinstance(s, dict)]


def names_caller(principal: Any, names: set[str]) -> bool:
    """Whether a statement's ``Principal`` covers the caller: ``"*"``, ``{"AWS": "*"}``, or an
    ``AWS`` value naming it (account id, account root, user, role or role-session ARN). Other
    principal kinds (``Service``, ``Federated``) never name an account's caller."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(value == "*" or value in names for value in as_list(principal.get("AWS", [])))


def element(statement: dict[str, Any], key: str, covers: Callable[[Any], bool]) -> bool:
    """Whether a statement's ``key`` element (``Action``, ``Resource``, ``Principal``) covers the
    request, its ``Not<key>`` element excluding it; a statement with neither covers nothing."""
    if key in statement:
        return covers(statement[key])
    if f"Not{key}" in statement:
        return not covers(statement[f"Not{key}"])
    return False


def applies(statement: dict[str, Any], topic_arn: str, names: set[str]) -> bool:
    """Whether a statement is about this caller publishing to this topic (conditions aside)."""
    return (
        element(
            statement,
            "Action",
            lambda actions: any(glob(a, PUBLISH, ignore_case=True) for a in as_list(actions)),
        )
        and element(
            statement, "Resource", lambda arns: any(glob(r, topic_arn) for r in as_list(arns))
        )
        and element(statement, "Principal", lambda p: names_caller(p, names))
    )


def refusal(policy: str, topic_arn: str, names: set[str]) -> str | None:
    """Why a topic's access policy refuses a caller of another account ``SNS:Publish``, or None
    when it lets the call through. A matching ``Deny`` wins, with or without a ``Condition``
    (conditions are not evaluated: stricter than AWS, which denies only when it holds). An
    ``Allow`` grants only when its ``Action`` covers ``SNS:Publish`` (case-insensitive, with
    wildcards: ``sns:*``, ``*``), its ``Resource`` the topic (``*`` or the ARN), its
    ``Principal`` the caller, and it has no ``Condition`` (stricter than AWS, which grants when
    the condition holds: moto's default policy, conditioned on ``AWS:SourceOwner`` being the
    owner, grants nothing here) and no ``NotAction``, ``NotResource`` or ``NotPrincipal``."""
    found = statements(policy)
    if any(s.get("Effect") == "Deny" and applies(s, topic_arn, names) for s in found):
        return "with an explicit deny in a resource-based policy"
    for s in found:
        plain = not any(k in s for k in ("Condition", "NotAction", "NotResource", "NotPrincipal"))
        if s.get("Effect") == "Allow" and plain and applies(s, topic_arn, names):
            return None
    return f"because no resource-based policy allows the {PUBLISH} action"


def authorize_publish(response: Any, topic_arn: Any) -> None:
    """Refuse a caller of another account publishing to ``topic_arn`` unless the topic's access
    policy allows it, as AWS evaluates a resource-based policy for a cross-account request (the
    developer guide's access-policy use cases: "Grant AWS account access to a topic"):
    ``AuthorizationError`` (403) "User: <caller ARN> is not authorized to perform: SNS:Publish on
    resource: <topic ARN> because no resource-based policy allows the SNS:Publish action". A
    caller of the topic's own account is let through (IAM policies are not modelled), and so is
    an ARN that is no topic: moto's own errors answer it."""
    if not isinstance(topic_arn, str):
        return
    try:
        topic = response.backend.get_topic(topic_arn)
    except SNSNotFoundError:
        return
    if topic.account_id == response.current_account:
        return
    arn, names = caller(response)
    reason = refusal(topic.policy, topic.arn, names)
    if reason is not None:
        raise AuthorizationError(
            f"User: {arn} is not authorized to perform: {PUBLISH} on resource: {topic.arn} "
            + reason
        )


def publish(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Publish: to a topic of another account only as its access policy allows
    (``authorize_publish``); an SMS (``PhoneNumber``) or a ``TargetArn`` that is no topic as
    moto has it."""

    def call(self: Any) -> Any:
        if self._get_param("PhoneNumber") is None:
            authorize_publish(self, self._get_param("TargetArn") or self._get_param("TopicArn"))
        return original(self)

    return call


def publish_batch(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """PublishBatch: to a topic of another account only as its access policy allows
    ``SNS:Publish`` (the action PublishBatch is authorized as), the whole call refused."""

    def call(self: Any) -> Any:
        authorize_publish(self, self._get_param("TopicArn"))
        return original(self)

    return call


CROSS_ACCOUNT_MOTO = "any account publishes to any topic by ARN, whatever the topic's policy"
CROSS_ACCOUNT_CHANGE = (
    "a caller of another account than the topic's is refused `AuthorizationError` (403) "
    '"User: <caller ARN> is not authorized to perform: SNS:Publish on resource: <topic ARN> '
    'because no resource-based policy allows the SNS:Publish action" unless an `Allow` '
    "statement of the topic's `Policy` covers `SNS:Publish` (`sns:*`, `*`), the topic (`*` or "
    'its ARN) and the caller (`"*"`, `{"AWS": "*"}`, its account id or root, its role or '
    "session ARN) with no `Condition` (stricter than AWS: moto's default policy grants other "
    "accounts nothing); a matching `Deny` wins, even with a `Condition`; calls of the topic's "
    "own account unchanged ([access-policy use cases]("
    f"{ACCESS_POLICY_USE_CASES}))"
)

ADDITIONS: tuple[Addition, ...] = (
    API.addition(
        "Publish",
        CROSS_ACCOUNT_MOTO,
        CROSS_ACCOUNT_CHANGE,
        wrap(SNSResponse, "publish", publish),
    ),
    API.addition(
        "PublishBatch",
        CROSS_ACCOUNT_MOTO,
        "as `Publish` (PublishBatch is authorized as `SNS:Publish`), the whole batch refused",
        wrap(SNSResponse, "publish_batch", publish_batch),
    ),
)
