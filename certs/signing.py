"""Ed25519 signatures for certificates: over the structured payload and over the PDF.

Keys are PEM bytes passed in by the caller (PKCS#8 private, SubjectPublicKeyInfo public); this
module never reads configuration or files. Signatures and digests are plain base64 / hex text
so they can be stored in the master register and published beside a certificate.

What is signed:
- ``sign_payload``: the canonical JSON of the payload -- every string NFC-normalised, keys
  sorted, no whitespace, UTF-8 (not ASCII-escaped), NaN/Infinity refused. Anyone can rebuild it
  with ``canonical_json`` and check it with a standard Ed25519 verifier.
- ``sign_document``: the 32 raw bytes of the PDF's SHA-256 (a detached signature for the
  register; the PDF itself is not modified).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import unicodedata
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def generate_signing_key() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM (store it as a secret)."""
    return Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def public_key_pem(private_pem: bytes) -> bytes:
    """The SubjectPublicKeyInfo PEM of an Ed25519 private key, for publishing."""
    return _load_private(private_pem).public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )


def key_id(key_pem: bytes) -> str:
    """Fingerprint of a key (private or public PEM): first 16 hex digits of SHA-256 of the raw
    32-byte public key. Stored beside each signature so keys can be rotated."""
    if b"PRIVATE KEY" in key_pem:
        public = _load_private(key_pem).public_key()
    else:
        public = _load_public(key_pem)
    raw = public.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def canonical_json(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: NFC strings (keys too), sorted keys, no spaces, UTF-8."""
    return json.dumps(
        _nfc(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sign_payload(payload: dict[str, Any], private_key_pem: bytes) -> str:
    """Base64 Ed25519 signature over ``canonical_json(payload)``."""
    signature = _load_private(private_key_pem).sign(canonical_json(payload))
    return base64.b64encode(signature).decode("ascii")


def verify_payload(payload: dict[str, Any], signature: str, public_key_pem: bytes) -> bool:
    """True when ``signature`` is a valid signature of ``payload`` under the key.

    A wrong, tampered or malformed signature gives False; a key that is not an Ed25519 PEM
    raises ``ValueError`` (that is a configuration error, not a forged certificate).
    """
    return _verify(canonical_json(payload), signature, _load_public(public_key_pem))


def document_sha256(pdf_bytes: bytes) -> str:
    """Hex SHA-256 of a rendered PDF, as recorded in the master register."""
    return hashlib.sha256(pdf_bytes).hexdigest()


def sign_document(pdf_bytes: bytes, private_key_pem: bytes) -> str:
    """Detached base64 Ed25519 signature over the 32-byte SHA-256 digest of the PDF."""
    digest = hashlib.sha256(pdf_bytes).digest()
    return base64.b64encode(_load_private(private_key_pem).sign(digest)).decode("ascii")


def verify_document(pdf_bytes: bytes, signature: str, public_key_pem: bytes) -> bool:
    """True when ``signature`` (from ``sign_document``) matches these exact PDF bytes."""
    return _verify(hashlib.sha256(pdf_bytes).digest(), signature, _load_public(public_key_pem))


def _verify(message: bytes, signature: str, public: Ed25519PublicKey) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return False
    try:
        public.verify(raw, message)
    except InvalidSignature:
        return False
    return True


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"payload keys must be strings, got {key!r}")
            nkey = unicodedata.normalize("NFC", key)
            if nkey in out:
                raise ValueError(f"payload has two keys equal after NFC normalisation: {key!r}")
            out[nkey] = _nfc(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_nfc(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(
        f"payload values must be JSON types (str, int, float, bool, None, list, dict); got "
        f"{type(value).__name__} -- convert dates with .isoformat() first"
    )


def _load_private(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"expected an Ed25519 private key, got {type(key).__name__}")
    return key


def _load_public(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key
