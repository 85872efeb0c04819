"""AWS KMS (awsJson1_1): key ARNs accepted wherever a key id is, the key-state table's
refusals, AWS managed keys, and asymmetric signing, after the KMS API reference and developer
guide."""

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

import botocore.session
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from moto.core.exceptions import JsonRESTError
from moto.core.utils import camelcase_to_underscores
from moto.kms.exceptions import ValidationException
from moto.kms.models import KmsBackend
from moto.kms.responses import KmsResponse

from sagefence_emulator.patch import Addition, Reference, replace, wrap

API = Reference("KMS", "https://docs.aws.amazon.com/kms/latest/APIReference/API_{}.html")
KEY_STATE_TABLE = "https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html"
AWS_MANAGED_KEYS = (
    "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key"
)
KEY_STATES = {"PendingDeletion": "pending deletion", "Disabled": "disabled", "Enabled": "enabled"}
ARN_ONLY = "a key ARN passes validation, then fails with HTTP 500 (moto indexes keys by id only)"
ASYMMETRIC_KEY_SPECS = ("RSA_", "ECC_", "SM2", "ML_DSA_")
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}
"""The hash of each signing algorithm, by the algorithm name's ending."""
MESSAGE_BYTES = 4096
SIGNATURE_BYTES = 6144


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


@functools.cache
def signing_algorithms() -> list[str]:
    """Every ``SigningAlgorithm`` KMS knows: the enum of its API model (botocore's copy)."""
    model = botocore.session.get_session().get_service_model("kms")
    return list(model.shape_for("SigningAlgorithmSpec").enum)


def usable_key(self: Any) -> Any:
    """The key ``KeyId`` names, if a cryptographic operation may use it: moto's
    ``NotFoundException`` for no such key; ``DisabledException`` "<arn> is disabled." for a
    disabled key and ``KMSInvalidStateException`` for one pending deletion (the key-state
    table)."""
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    key = self.kms_backend.describe_key(key_id)
    if key.key_state == "Disabled":
        raise JsonRESTError("DisabledException", f"{key.arn} is disabled.")
    if key.key_state != "Enabled":
        raise invalid_state(key, ["Enabled"])
    return key


def blob(self: Any, name: str, most: int) -> bytes:
    """A binary parameter of 1 to ``most`` bytes, else ``ValidationException`` (moto's KMS
    handler decodes ``Message`` from base64 and leaves ``Signature`` as sent)."""
    value = self._get_param(name) or b""
    value = base64.b64decode(value) if isinstance(value, str) else bytes(value)
    if not 1 <= len(value) <= most:
        bound = "greater than or equal to 1" if not value else f"less than or equal to {most}"
        raise ValidationException(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            f"Member must have length {bound}"
        )
    return value


def signing_request(self: Any, operation: str) -> tuple[Any, str, bytes, tuple[Any, ...]]:
    """(key, algorithm, message, cryptography's signature scheme) of a Sign or Verify request,
    refused as AWS refuses it: a key whose ``KeyUsage`` is not ``SIGN_VERIFY``, or an
    algorithm its key spec does not sign with, is ``InvalidKeyUsageException``; an unknown
    algorithm, a ``Message`` outside 1-4096 bytes, or a ``DIGEST`` message not the length of
    the algorithm's hash is ``ValidationException``. ``MessageType`` ``DIGEST`` signs the
    message as the hash it is; ``RAW`` (the default) hashes it first. RSASSA-PSS uses a salt as
    long as the hash, as KMS does (developer guide, asymmetric-key-specs.html: "a 256-bit salt"
    for RSASSA_PSS_SHA_256)."""
    key = usable_key(self)
    if key.key_usage != "SIGN_VERIFY":
        raise JsonRESTError(
            "InvalidKeyUsageException",
            f"{key.arn} key usage is {key.key_usage or 'ENCRYPT_DECRYPT'} which is not valid "
            f"for {operation}.",
        )
    algorithm = self._get_param("SigningAlgorithm")
    if algorithm not in signing_algorithms():
        raise ValidationException(
            f"1 validation error detected: Value '{algorithm}' at 'SigningAlgorithm' failed to "
            f"satisfy constraint: Member must satisfy enum value set: {signing_algorithms()}"
        )
    if algorithm not in key.signing_algorithms:
        raise JsonRESTError(
            "InvalidKeyUsageException",
            f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}.",
        )
    if algorithm[-7:] not in HASHES:
        raise ValidationException(f"{algorithm} is not served by this emulator")
    digest = HASHES[algorithm[-7:]]()
    message = blob(self, "Message", MESSAGE_BYTES)
    message_type = self._get_param("MessageType") or "RAW"
    if message_type not in ("RAW", "DIGEST"):
        raise ValidationException(f"MessageType {message_type} is not valid for {algorithm}")
    if message_type == "DIGEST" and len(message) != digest.digest_size:
        raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
    hashing = utils.Prehashed(digest) if message_type == "DIGEST" else digest
    if algorithm.startswith("ECDSA_"):
        return key, algorithm, message, (ec.ECDSA(hashing),)
    if algorithm.startswith("RSASSA_PSS_"):
        salted = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        return key, algorithm, message, (salted, hashing)
    return key, algorithm, message, (padding.PKCS1v15(), hashing)


def sign(self: Any) -> str:
    """Sign, after ``signing_request``: the signature of the message, or of the digest as given,
    DER-encoded (ECDSA: an ASN.1 ``Ecdsa-Sig-Value``)."""
    key, algorithm, message, scheme = signing_request(self, "Sign")
    signature = key.private_key.private_key.sign(message, *scheme)
    return json.dumps(
        {
            "KeyId": key.arn,
            "Signature": base64.b64encode(signature).decode("ascii"),
            "SigningAlgorithm": algorithm,
        }
    )


def verify(self: Any) -> str:
    """Verify, after ``signing_request``: ``SignatureValid`` true, or
    ``KMSInvalidSignatureException`` when the signature does not verify (moto answers
    ``SignatureValid`` false)."""
    key, algorithm, message, scheme = signing_request(self, "Verify")
    signature = blob(self, "Signature", SIGNATURE_BYTES)
    try:
        key.private_key.private_key.public_key().verify(signature, message, *scheme)
    except InvalidSignature as error:
        raise JsonRESTError("KMSInvalidSignatureException", "") from error
    return json.dumps({"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm})


def get_public_key(self: Any) -> str:
    """GetPublicKey of an asymmetric key in a usable state (``usable_key``): the DER-encoded
    X.509 ``SubjectPublicKeyInfo``, ``KeyId`` the key ARN, ``KeySpec``, and the algorithms of
    the key's usage only; a symmetric or HMAC key is ``UnsupportedOperationException``."""
    key = usable_key(self)
    if not key.key_spec.startswith(ASYMMETRIC_KEY_SPECS):
        raise JsonRESTError(
            "UnsupportedOperationException",
            f"{key.arn} key spec {key.key_spec} is not supported for this operation.",
        )
    answer: dict[str, Any] = {
        "KeyId": key.arn,
        "PublicKey": base64.b64encode(key.private_key.public_key()).decode("ascii"),
        "KeySpec": key.key_spec,
        "CustomerMasterKeySpec": key.key_spec,
        "KeyUsage": key.key_usage,
    }
    if key.key_usage == "SIGN_VERIFY":
        answer["SigningAlgorithms"] = key.signing_algorithms
    elif key.key_usage == "ENCRYPT_DECRYPT":
        answer["EncryptionAlgorithms"] = key.encryption_algorithms
    return json.dumps(answer)


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
    API.addition(
        "Sign",
        "signs with a disabled key or one pending deletion; `MessageType` ignored (a `DIGEST` is "
        "hashed again, so the signature does not verify against it); no 4096-byte limit; "
        "an `ENCRYPT_DECRYPT` key or an algorithm of another key spec is `ValidationException`; "
        "RSASSA-PSS with the longest salt",
        "`DisabledException` / `KMSInvalidStateException` (the key-state table); "
        "`InvalidKeyUsageException` for a key not `SIGN_VERIFY` or an algorithm its key spec "
        "lacks; `ValidationException` for a `Message` over 4096 bytes or a `DIGEST` not the "
        "length of the algorithm's hash; `DIGEST` signed as given; RSASSA-PSS salt as long as "
        "the hash; the signature DER-encoded (ECDSA: `Ecdsa-Sig-Value`)",
        replace(KmsResponse, "sign", sign),
    ),
    API.addition(
        "Verify",
        "the same gaps as `Sign`; a signature that does not verify answers `SignatureValid` false",
        "the same refusals and `MessageType` as `Sign`; a signature that does not verify is "
        "`KMSInvalidSignatureException`",
        replace(KmsResponse, "verify", verify),
    ),
    API.addition(
        "GetPublicKey",
        "answers for a disabled key, and for a symmetric key (with a made-up RSA key); `KeyId` "
        "the bare key id; no `KeySpec`",
        "`DisabledException` / `KMSInvalidStateException` (the key-state table); "
        "`UnsupportedOperationException` for a symmetric or HMAC key; `KeyId` the key ARN, "
        "`KeySpec` given; the public key a DER-encoded X.509 `SubjectPublicKeyInfo`",
        replace(KmsResponse, "get_public_key", get_public_key),
    ),
)
