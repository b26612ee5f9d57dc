"""The content of one IT-skills certificate, validated and normalised.

``CertificateData`` holds exactly what is printed on a "Chứng chỉ ứng dụng công nghệ thông tin"
(TTLT 17/2016/TTLT-BGDĐT-BTTTT; modules of Thông tư 03/2014/TT-BTTTT; printed fields after
Thông tư 21/2019/TT-BGDĐT) plus the citizen ID (CCCD) that the digital-certificate draft keys
the national database on. It is immutable, every string is NFC-normalised (so a name typed on a
keyboard that emits decomposed diacritics prints, hashes and signs identically), and a bad value
raises ``ValueError`` naming the field.

``to_signed_payload()`` is the canonical structured form for digital export and signing
(``certs.signing.sign_payload``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, NoReturn

from item_bank.taxonomy import TT03_ADVANCED_MODULES, TT03_BASIC_MODULES
from item_bank.taxonomy import TT03_MODULE_NAMES as MODULE_NAMES

PAYLOAD_SCHEMA = "exam-engine/certificate/v1"

CERTIFICATE_TYPES = ("basic", "advanced")
GENDERS = ("Nam", "Nữ")

BASIC_MODULES, ADVANCED_MODULES = TT03_BASIC_MODULES, TT03_ADVANCED_MODULES
#: TTLT 17/2016: the advanced certificate needs at least three advanced modules passed.
MIN_ADVANCED_MODULES = 3

#: Nghị định 30/2020/NĐ-CP: a signature on behalf of the head starts with one of these.
ON_BEHALF_PREFIXES = ("KT.", "TM.", "TL.", "TUQ.", "Q.")

_CCCD = re.compile(r"[0-9]{12}")
_MODULE_CODE = re.compile(r"IU(0[1-9]|1[0-5])")
_JPEG_MAGIC = b"\xff\xd8\xff"


def module_name(code: str) -> str:
    """Vietnamese name of a Thông tư 03/2014 module code ("IU07" -> "Xử lý văn bản nâng cao")."""
    try:
        return MODULE_NAMES[code]
    except KeyError:
        raise ValueError(f"unknown module code {code!r}; expected IU01-IU15") from None


def masked_date_of_birth(d: date) -> str:
    """Date of birth for the public look-up page, day and month hidden: ``**/**/1990``."""
    return f"**/**/{d.year:04d}"


def _clean_text(value: str) -> str:
    """NFC, trimmed, inner runs of whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", value).split())


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate; validated and NFC-normalised on construction.

    ``modules_passed``: for ``advanced``, the advanced module codes passed (IU07-IU15, at least
    three), stored sorted; for ``basic``, empty or exactly IU01-IU06 (stored as IU01-IU06).
    ``signs_on_behalf_of``: set when the signer is not the head himself -- a deputy director
    signs under "KT. GIÁM ĐỐC" with his own title "PHÓ GIÁM ĐỐC" (Nghị định 30/2020/NĐ-CP).
    """

    certificate_type: str
    full_name: str
    date_of_birth: date
    place_of_birth: str
    gender: str
    citizen_id: str
    exam_council: str
    exam_date: date
    result_summary: str
    issuer_name: str
    issue_place: str
    issue_date: date
    signer_name: str
    signer_title: str
    serial: str
    register_number: str
    verify_url: str
    modules_passed: tuple[str, ...] = ()
    ethnicity: str = "Kinh"
    signs_on_behalf_of: str | None = None
    photo_jpeg: bytes | None = None
    decision_number: str | None = None
    decision_date: date | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, _clean_text(value))
        self._validate_required_text()
        self._validate_dates()
        self._validate_choices()
        self._validate_citizen_id()
        self._validate_modules()
        self._validate_signer()
        self._validate_links_and_photo()

    # -- validation -------------------------------------------------------------------------

    def _fail(self, field_name: str, problem: str) -> NoReturn:
        raise ValueError(f"CertificateData.{field_name}: {problem}")

    def _validate_required_text(self) -> None:
        required = (
            "certificate_type", "full_name", "place_of_birth", "gender", "ethnicity",
            "citizen_id", "exam_council", "result_summary", "issuer_name", "issue_place",
            "signer_name", "signer_title", "serial", "register_number", "verify_url",
        )
        for name in required:
            value = getattr(self, name)
            if not isinstance(value, str):
                self._fail(name, f"must be a string, got {type(value).__name__}")
            if not value:
                self._fail(name, "must not be empty")
        for name in ("signs_on_behalf_of", "decision_number"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                self._fail(name, "must be a non-empty string or None")

    def _validate_dates(self) -> None:
        for name in ("date_of_birth", "exam_date", "issue_date", "decision_date"):
            value = getattr(self, name)
            if value is None and name == "decision_date":
                continue
            # datetime is a date subclass; a time of day has no place on a certificate.
            if not isinstance(value, date) or isinstance(value, datetime):
                self._fail(name, f"must be a datetime.date, got {type(value).__name__}")
        if self.date_of_birth >= self.exam_date:
            self._fail("date_of_birth", "must be before exam_date")
        if self.issue_date < self.exam_date:
            self._fail("issue_date", "must not be before exam_date")
        if self.decision_date is not None and self.decision_date < self.exam_date:
            self._fail("decision_date", "must not be before exam_date")
        if self.decision_date is not None and self.decision_number is None:
            self._fail("decision_date", "a decision date needs its decision_number")

    def _validate_choices(self) -> None:
        if self.certificate_type not in CERTIFICATE_TYPES:
            self._fail("certificate_type", f"must be one of {CERTIFICATE_TYPES}, got {self.certificate_type!r}")
        if self.gender not in GENDERS:
            self._fail("gender", f"must be one of {GENDERS}, got {self.gender!r}")

    def _validate_citizen_id(self) -> None:
        if not _CCCD.fullmatch(self.citizen_id):
            self._fail("citizen_id", f"a CCCD is exactly 12 digits, got {self.citizen_id!r}")

    def _validate_modules(self) -> None:
        raw = self.modules_passed
        if isinstance(raw, str) or not isinstance(raw, (tuple, list)):
            self._fail("modules_passed", "must be a tuple of module codes such as ('IU07',)")
        codes = [_clean_text(str(code)).upper() for code in raw]
        for code in codes:
            if not _MODULE_CODE.fullmatch(code):
                self._fail("modules_passed", f"unknown module code {code!r}; expected IU01-IU15")
        if len(set(codes)) != len(codes):
            self._fail("modules_passed", f"duplicate module code in {codes}")
        if self.certificate_type == "basic":
            if codes and sorted(codes) != list(BASIC_MODULES):
                self._fail("modules_passed", "a basic certificate covers exactly IU01-IU06 (or give none)")
            codes = list(BASIC_MODULES)
        else:
            not_advanced = [code for code in codes if code not in ADVANCED_MODULES]
            if not_advanced:
                self._fail("modules_passed", f"{not_advanced} are not advanced modules (IU07-IU15)")
            if len(codes) < MIN_ADVANCED_MODULES:
                self._fail(
                    "modules_passed",
                    f"an advanced certificate needs at least {MIN_ADVANCED_MODULES} advanced modules, got {len(codes)}",
                )
        object.__setattr__(self, "modules_passed", tuple(sorted(codes)))

    def _validate_signer(self) -> None:
        on_behalf = self.signs_on_behalf_of
        if on_behalf is not None and not on_behalf.startswith(ON_BEHALF_PREFIXES):
            self._fail(
                "signs_on_behalf_of",
                f"must start with one of {ON_BEHALF_PREFIXES} (e.g. 'KT. GIÁM ĐỐC'), got {on_behalf!r}",
            )
        if on_behalf is None and self.signer_title.upper().startswith("PHÓ"):
            self._fail("signs_on_behalf_of", f"a deputy ({self.signer_title!r}) signs 'KT.' on behalf of the head")

    def _validate_links_and_photo(self) -> None:
        if not self.verify_url.startswith(("https://", "http://")) or " " in self.verify_url:
            self._fail("verify_url", f"must be an http(s) URL without spaces, got {self.verify_url!r}")
        photo = self.photo_jpeg
        if photo is not None and (not isinstance(photo, bytes) or not photo.startswith(_JPEG_MAGIC)):
            self._fail("photo_jpeg", "must be JPEG bytes (starting FF D8 FF) or None")

    @classmethod
    def from_signed_payload(cls, payload: dict[str, Any],
                            photo_jpeg: bytes | None = None) -> CertificateData:
        """The certificate exactly as it was signed: the inverse of ``to_signed_payload``.

        Every PDF is drawn from this, never from live rows or today's settings, so a reprint
        is the document that was issued. The payload keeps only the photo's SHA-256: a photo
        given here must match it.
        """
        if payload.get("schema") != PAYLOAD_SCHEMA:
            raise ValueError(f"not a {PAYLOAD_SCHEMA} payload: schema {payload.get('schema')!r}")
        holder, exam, issue = payload["holder"], payload["exam"], payload["issue"]
        photo_sha256 = holder.get("photo_sha256")
        if photo_jpeg is not None and hashlib.sha256(photo_jpeg).hexdigest() != photo_sha256:
            raise ValueError("CertificateData.photo_jpeg: not the photo that was signed")
        decision_date = issue.get("decision_date")
        return cls(
            certificate_type=payload["certificate_type"], serial=payload["serial"],
            register_number=payload["register_number"], full_name=holder["full_name"],
            date_of_birth=date.fromisoformat(holder["date_of_birth"]),
            place_of_birth=holder["place_of_birth"], gender=holder["gender"],
            ethnicity=holder["ethnicity"], citizen_id=holder["citizen_id"],
            modules_passed=tuple(payload["modules_passed"]), exam_council=exam["council"],
            exam_date=date.fromisoformat(exam["date"]), result_summary=exam["result"],
            issuer_name=issue["issuer"], issue_place=issue["place"],
            issue_date=date.fromisoformat(issue["date"]),
            decision_number=issue.get("decision_number"),
            decision_date=date.fromisoformat(decision_date) if decision_date else None,
            signer_name=issue["signer_name"], signer_title=issue["signer_title"],
            signs_on_behalf_of=issue.get("signs_on_behalf_of"), verify_url=payload["verify_url"],
            photo_jpeg=photo_jpeg)

    # -- derived values ---------------------------------------------------------------------

    @property
    def module_names(self) -> tuple[tuple[str, str], ...]:
        """``(code, name)`` of every module the certificate covers, in code order."""
        return tuple((code, MODULE_NAMES[code]) for code in self.modules_passed)

    def to_signed_payload(self) -> dict[str, Any]:
        """Canonical structured form for digital export: JSON types only, ISO dates, codes.

        The photo is represented by its SHA-256 so the payload stays small and the printed
        photo can still be checked against it.
        """
        return {
            "schema": PAYLOAD_SCHEMA,
            "certificate_type": self.certificate_type,
            "serial": self.serial,
            "register_number": self.register_number,
            "holder": {
                "full_name": self.full_name,
                "date_of_birth": self.date_of_birth.isoformat(),
                "place_of_birth": self.place_of_birth,
                "gender": self.gender,
                "ethnicity": self.ethnicity,
                "citizen_id": self.citizen_id,
                "photo_sha256": hashlib.sha256(self.photo_jpeg).hexdigest() if self.photo_jpeg else None,
            },
            "modules_passed": list(self.modules_passed),
            "exam": {
                "council": self.exam_council,
                "date": self.exam_date.isoformat(),
                "result": self.result_summary,
            },
            "issue": {
                "issuer": self.issuer_name,
                "place": self.issue_place,
                "date": self.issue_date.isoformat(),
                "decision_number": self.decision_number,
                "decision_date": self.decision_date.isoformat() if self.decision_date else None,
                "signer_name": self.signer_name,
                "signer_title": self.signer_title,
                "signs_on_behalf_of": self.signs_on_behalf_of,
            },
            "verify_url": self.verify_url,
        }
