"""KMS asymmetric signing: Sign, Verify and GetPublicKey as the KMS API reference has them."""

import hashlib

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

MESSAGE = b"audit batch 0001: 3 records"


def error_code(info):
    return info.value.response["Error"]["Code"]


def signing_key(kms, spec="ECC_NIST_P256"):
    return kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]


def public_key(kms, key):
    answer = kms.get_public_key(KeyId=key["KeyId"])
    assert answer["KeyId"] == key["Arn"]
    assert answer["KeySpec"] == key["KeySpec"]
    assert answer["KeyUsage"] == "SIGN_VERIFY"
    return serialization.load_der_public_key(answer["PublicKey"])


def test_an_ecdsa_signature_verifies_against_the_public_key(client):
    kms = client("kms")
    key = signing_key(kms)
    signed = kms.sign(
        KeyId=key["Arn"], Message=MESSAGE, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
    )
    assert signed["KeyId"] == key["Arn"]
    public = public_key(kms, key)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.curve.name == "secp256r1"
    utils.decode_dss_signature(signed["Signature"])  # DER: an ASN.1 Ecdsa-Sig-Value
    public.verify(signed["Signature"], MESSAGE, ec.ECDSA(hashes.SHA256()))


def test_a_digest_is_signed_as_given(client):
    kms = client("kms")
    key = signing_key(kms)
    digest = hashlib.sha256(MESSAGE).digest()
    signature = kms.sign(
        KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    public_key(kms, key).verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    verified = kms.verify(
        KeyId=key["KeyId"], Message=MESSAGE, Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )
    assert verified["SignatureValid"] is True
    with pytest.raises(ClientError) as info:
        kms.sign(
            KeyId=key["KeyId"],
            Message=digest.hex().encode(),
            MessageType="DIGEST",
            SigningAlgorithm="ECDSA_SHA_256",
        )
    assert error_code(info) == "ValidationException"


def test_rsa_signatures_verify_as_kms_makes_them(client):
    kms = client("kms")
    key = signing_key(kms, "RSA_2048")
    public = public_key(kms, key)
    schemes = {
        "RSASSA_PSS_SHA_256": padding.PSS(padding.MGF1(hashes.SHA256()), salt_length=32),
        "RSASSA_PKCS1_V1_5_SHA_256": padding.PKCS1v15(),
    }
    for algorithm, scheme in schemes.items():
        signature = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm=algorithm)
        public.verify(signature["Signature"], MESSAGE, scheme, hashes.SHA256())


def test_verify_refuses_a_signature_that_does_not_verify(client):
    kms = client("kms")
    key = signing_key(kms)
    signature = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256")
    with pytest.raises(ClientError) as info:
        kms.verify(
            KeyId=key["KeyId"],
            Message=MESSAGE + b"!",
            Signature=signature["Signature"],
            SigningAlgorithm="ECDSA_SHA_256",
        )
    assert error_code(info) == "KMSInvalidSignatureException"


def test_sign_refusals(client):
    kms = client("kms")
    key = signing_key(kms)["KeyId"]
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    refused = {
        "ValidationException": dict(KeyId=key, Message=b"x" * 4097),
        "InvalidKeyUsageException": dict(KeyId=symmetric, Message=MESSAGE),
    }
    for code, call in refused.items():
        with pytest.raises(ClientError) as info:
            kms.sign(**call, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
        assert error_code(info) == code
    with pytest.raises(ClientError) as info:
        kms.sign(KeyId=key, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_384")
    assert error_code(info) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as info:
        kms.get_public_key(KeyId=symmetric)
    assert error_code(info) == "UnsupportedOperationException"
    kms.disable_key(KeyId=key)
    for call in (
        lambda: kms.sign(KeyId=key, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256"),
        lambda: kms.get_public_key(KeyId=key),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert error_code(info) == "DisabledException"
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    with pytest.raises(ClientError) as info:
        kms.sign(KeyId=key, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256")
    assert error_code(info) == "KMSInvalidStateException"
