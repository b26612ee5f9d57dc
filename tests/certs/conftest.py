"""Fixtures for the certificate tests: a certificate factory, a photo, and the real PDF tools.

The PDF checks use poppler-utils (pdffonts, pdftotext, pdftoppm, pdfimages, pdfinfo) and
zbar-tools (zbarimg). A missing tool skips its test with the reason, except under CI=true, where
a missing tool is a failure: CI must never go green by skipping.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from certs.document import CertificateData
from certs.issuance import Issuer
from tests import conftest as suite

APT_PACKAGE = {
    "pdffonts": "poppler-utils",
    "pdftotext": "poppler-utils",
    "pdftoppm": "poppler-utils",
    "pdfimages": "poppler-utils",
    "pdfinfo": "poppler-utils",
    "zbarimg": "zbar-tools",
}


def _require_tool(name: str) -> str:
    return suite.require_tool(name, APT_PACKAGE.get(name, name))


def _run_tool(name: str, *args: str | Path) -> str:
    """Run a required tool and return its stdout (decoded as UTF-8)."""
    result = subprocess.run(
        [_require_tool(name), *map(str, args)], capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode("utf-8")


def make_jpeg(width: int = 240, height: int = 360) -> bytes:
    """A small synthetic portrait, as a JPEG."""
    image = Image.new("RGB", (width, height), (205, 218, 236))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.3, height * 0.18, width * 0.7, height * 0.48), fill=(228, 188, 160))
    draw.rectangle((width * 0.2, height * 0.55, width * 0.8, height), fill=(38, 58, 108))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


BASE_FIELDS: dict[str, Any] = {
    "certificate_type": "basic",
    "full_name": "Nguyễn Thị Ánh Tuyết",
    "date_of_birth": date(1990, 3, 15),
    "place_of_birth": "Bắc Ninh",
    "gender": "Nữ",
    "citizen_id": "027190001234",
    "modules_passed": (),
    "exam_council": "Hội đồng thi Sở GD&ĐT Bắc Ninh",
    "exam_date": date(2026, 10, 20),
    "result_summary": "Đạt",
    "issuer_name": "SỞ GIÁO DỤC VÀ ĐÀO TẠO BẮC NINH",
    "issue_place": "Bắc Ninh",
    "issue_date": date(2026, 11, 24),
    "signer_name": "Trần Văn Hùng",
    "signer_title": "GIÁM ĐỐC",
    "serial": "BN-UDCB 0012345",
    "register_number": "CB-2026-000123",
    "verify_url": "https://vanbang.bacninh.edu.vn/tra-cuu/CB-2026-000123?k=7f3a9c",
}


@pytest.fixture
def certificate_fields() -> dict[str, Any]:
    """A fresh copy of valid keyword arguments for ``CertificateData``."""
    return dict(BASE_FIELDS)


@pytest.fixture
def make_certificate() -> Callable[..., CertificateData]:
    """Factory: ``make_certificate(full_name=..., ...)`` -> a valid ``CertificateData``."""

    def factory(**overrides: Any) -> CertificateData:
        return CertificateData(**{**BASE_FIELDS, **overrides})

    return factory


@pytest.fixture
def require_tool() -> Callable[[str], str]:
    """``require_tool("zbarimg")`` -> its path; skips (or fails under CI=true) when absent."""
    return _require_tool


@pytest.fixture
def run_tool() -> Callable[..., str]:
    """``run_tool("pdftotext", pdf, "-")`` -> stdout; the tool is required as above."""
    return _run_tool


@pytest.fixture
def issuer(signing_key: Path) -> Issuer:
    """The issuer the app's test configuration describes, with the test signing key."""
    return Issuer(name="SỞ GIÁO DỤC VÀ ĐÀO TẠO BẮC NINH", place="Bắc Ninh", code="BN",
                  signer_name="Nguyễn Văn Minh", signer_title="PHÓ GIÁM ĐỐC",
                  signs_on_behalf_of="KT. GIÁM ĐỐC", public_base_url="http://localhost",
                  private_key_pem=signing_key.read_bytes())


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    return make_jpeg()
