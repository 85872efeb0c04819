"""AWS KMS (awsJson1_1): key ARNs accepted wherever a key id is, the key-state table's
refusals, and AWS managed keys, after the KMS API reference and developer guide."""

from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import camelcase_to_underscores
from moto.kms.models import KmsBackend

from sagefence_emulator.patch import Addition, Reference, wrap

API = Reference("KMS", "https://docs.aws.amazon.com/kms/latest/APIReference/API_{}.html")
KEY_STATE_TABLE = "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html"
AWS_MANAGED_KEYS = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key"
)
KEY_STATES = {"PendingDeletion": "pending deletion", "Disabled": "disabled", "Enabled": "enabled"}
ARN_ONLY = "a key ARN passes validation, then fails with HTTP 500 (moto indexes keys by id only)"


def invalid_state(key: Any, allowed: list[str]) -> Exception:
    """KMS's KMSInvalidStateException for a key whose state does not allow the call."""
    if allowed == ["PendingDeletion"]:
        message = f"{key.arn} is not pending deletion."
    else:
        message = f"{key.arn} is {KEY_STATES.get(key.key_state, key.key_state)}."
    return JsonRESTError("KMSInvalidStateException", message)


def key_call(
    allowed: list[str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A KMS key call accepting a key ARN as well as a key id (moto indexes
    by id only and fails with an internal error on an ARN); with ``allowed``,
    a key in another state is refused with KMSInvalidStateException, after
    the key-state table of the AWS KMS developer guide."""

    def wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, key_id: str, *args: Any, **kwargs: Any) -> Any:
            key_id = self.get_key_id(key_id)
            key = self.keys.get(key_id)
            if key is not None and allowed is not None and key.key_state not in allowed:
                raise invalid_state(key, allowed)
            return original(self, key_id, *args, **kwargs)

        return call

    return wrapper


def generate_default_keys(original: Callable[..., Any]) -> Callable[..., Any]:
    """AWS managed keys (created on first use of an ``alias/aws/<service>``
    alias) report KeyManager ``AWS`` and rotate every year, as in AWS (moto
    reports them customer managed, not rotating)."""

    def generate(self: Any, alias_name: str) -> Any:
        key_id = original(self, alias_name)
        if key_id is not None:
            self.keys[key_id].key_manager = "AWS"
            self.keys[key_id].key_rotation_status = True
        return key_id

    return generate


def arn_accepted(operation: str) -> Addition:
    """The addition of a key call taking a key in any state, by key ARN as well as key id."""
    method = camelcase_to_underscores(operation)
    return API.addition(
        operation=operation,
        moto=ARN_ONLY,
        change="key id or key ARN, as AWS accepts",
        install=wrap(KmsBackend, method, key_call()),
    )


ADDITIONS: tuple[Addition, ...] = (
    API.addition(
        "CancelKeyDeletion",
        f"any state -> `Disabled`; {ARN_ONLY}",
        "key id or key ARN; only from `PendingDeletion` (then `Disabled`, as AWS leaves "
        'it), else `KMSInvalidStateException` "<arn> is not pending deletion."',
        wrap(KmsBackend, "cancel_key_deletion", key_call(["PendingDeletion"])),
    ),
    Addition(
        service="KMS",
        operation="EnableKey",
        moto=f"any state, even `PendingDeletion` -> `Enabled`; {ARN_ONLY}",
        change="key id or key ARN; only from `Enabled` or `Disabled`, else "
        '`KMSInvalidStateException` "<arn> is pending deletion." (the key-state table)',
        aws_doc=KEY_STATE_TABLE,
        install=wrap(KmsBackend, "enable_key", key_call(["Enabled", "Disabled"])),
    ),
    Addition(
        service="KMS",
        operation="EnableKeyRotation",
        moto=f"any state; {ARN_ONLY}",
        change="key id or key ARN; only for an `Enabled` key, else `KMSInvalidStateException` "
        '"<arn> is disabled." / "... is pending deletion." (the key-state table)',
        aws_doc=KEY_STATE_TABLE,
        install=wrap(KmsBackend, "enable_key_rotation", key_call(["Enabled"])),
    ),
    arn_accepted("DisableKey"),
    arn_accepted("ScheduleKeyDeletion"),
    Addition(
        service="KMS",
        operation="AWS managed keys (`alias/aws/<service>`)",
        moto="created on first use with `KeyManager` `CUSTOMER`, rotation off",
        change="`KeyManager` `AWS`, rotation on (AWS rotates them yearly)",
        aws_doc=AWS_MANAGED_KEYS,
        install=wrap(KmsBackend, "_generate_default_keys", generate_default_keys),
    ),
)
