"""Ed25519 signatures over the certificate payload and over the rendered PDF."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import unicodedata
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certs.pdf import render_certificate
from certs.signing import (
    canonical_json,
    document_sha256,
    generate_signing_key,
    key_id,
    public_key_pem,
    sign_document,
    sign_payload,
    verify_document,
    verify_payload,
)


@pytest.fixture(scope="module")
def private_pem() -> bytes:
    return generate_signing_key()


@pytest.fixture(scope="module")
def public_pem(private_pem) -> bytes:
    return public_key_pem(private_pem)


@pytest.fixture
def payload(make_certificate) -> dict:
    return make_certificate(certificate_type="advanced", modules_passed=("IU07", "IU08", "IU14"),
                            full_name="Đặng Quốc Việt").to_signed_payload()


def test_keys_are_pem(private_pem, public_pem):
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert isinstance(serialization.load_pem_public_key(public_pem), Ed25519PublicKey)


def test_signed_payload_verifies(payload, private_pem, public_pem):
    signature = sign_payload(payload, private_pem)
    assert len(base64.b64decode(signature)) == 64
    assert verify_payload(payload, signature, public_pem)


def test_ed25519_signatures_are_deterministic(payload, private_pem):
    assert sign_payload(payload, private_pem) == sign_payload(copy.deepcopy(payload), private_pem)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p["holder"].__setitem__("full_name", "Đặng Quốc Vịêt"),
        lambda p: p["holder"].__setitem__("citizen_id", "027190001235"),
        lambda p: p["modules_passed"].append("IU09"),
        lambda p: p.__setitem__("register_number", "NC-2026-000124"),
        lambda p: p["issue"].__setitem__("date", "2026-11-25"),
        lambda p: p.__setitem__("extra", None),
    ],
)
def test_tampered_payload_fails(payload, private_pem, public_pem, tamper):
    signature = sign_payload(payload, private_pem)
    tampered = copy.deepcopy(payload)
    tamper(tampered)
    assert not verify_payload(tampered, signature, public_pem)


def test_wrong_key_fails(payload, private_pem):
    signature = sign_payload(payload, private_pem)
    other_public = public_key_pem(generate_signing_key())
    assert not verify_payload(payload, signature, other_public)


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"\0" * 64).decode(), "QUJD"])
def test_malformed_signature_is_false_not_an_error(payload, public_pem, signature):
    assert verify_payload(payload, signature, public_pem) is False


def test_key_that_is_not_ed25519_is_rejected(payload):
    ec_private = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="Ed25519"):
        sign_payload(payload, ec_private)
    with pytest.raises(ValueError, match="PEM"):
        sign_payload(payload, b"not a key")


def test_canonical_json_is_sorted_compact_utf8_nfc():
    decomposed = {"b": unicodedata.normalize("NFD", "Việt"), "a": [1, None, True]}
    canonical = canonical_json(decomposed)
    assert canonical == '{"a":[1,null,true],"b":"Việt"}'.encode()
    assert json.loads(canonical) == {"a": [1, None, True], "b": "Việt"}


def test_decomposed_payload_verifies_against_composed_signature(payload, private_pem, public_pem):
    signature = sign_payload(payload, private_pem)
    decomposed = json.loads(unicodedata.normalize("NFD", json.dumps(payload, ensure_ascii=False)))
    assert decomposed != payload
    assert verify_payload(decomposed, signature, public_pem)


@pytest.mark.parametrize("bad", [{"d": date(2026, 1, 1)}, {"f": float("nan")}, {1: "x"}])
def test_payload_must_be_plain_json(private_pem, bad):
    with pytest.raises((TypeError, ValueError)):
        sign_payload(bad, private_pem)


def test_key_id_is_the_same_for_private_and_public_key(private_pem, public_pem):
    kid = key_id(private_pem)
    assert re.fullmatch(r"[0-9a-f]{16}", kid)
    assert key_id(public_pem) == kid
    assert key_id(generate_signing_key()) != kid


def test_rendered_pdf_signature_round_trips(make_certificate, private_pem, public_pem):
    pdf = render_certificate(make_certificate())
    signature = sign_document(pdf, private_pem)
    assert document_sha256(pdf) == hashlib.sha256(pdf).hexdigest()
    assert verify_document(pdf, signature, public_pem)
    # deterministic rendering: the register can re-render and re-check the signature
    assert verify_document(render_certificate(make_certificate()), signature, public_pem)


def test_tampered_pdf_fails(make_certificate, private_pem, public_pem):
    pdf = render_certificate(make_certificate())
    signature = sign_document(pdf, private_pem)
    tampered = pdf.replace(b"CB-2026-000123", b"CB-2026-000124") if b"CB-2026-000123" in pdf else pdf + b"\n"
    assert tampered != pdf
    assert not verify_document(tampered, signature, public_pem)
    assert not verify_document(render_certificate(make_certificate(serial="BN-UDCB 0099999")),
                               signature, public_pem)
    assert not verify_document(pdf, signature, public_key_pem(generate_signing_key()))
