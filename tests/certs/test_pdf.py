"""The certificate PDF, checked with real tools: poppler-utils and zbarimg.

Also the validation of ``CertificateData`` the renderer relies on.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from html import unescape
from pathlib import Path

import pytest

from certs.document import (
    ADVANCED_MODULES,
    MODULE_NAMES,
    CertificateData,
    masked_date_of_birth,
)
from certs.pdf import PAGE_HEIGHT, PAGE_WIDTH, render_certificate, vietnamese_long_date

REPO_ROOT = Path(__file__).resolve().parents[2]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def squash(text: str) -> str:
    """Whitespace removed: for text the layout may wrap (a URL)."""
    return "".join(text.split())


def write_pdf(tmp_path: Path, data: CertificateData, name: str = "cert.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(render_certificate(data))
    return path


def page_text(run_tool: Callable[..., str], pdf: Path) -> str:
    return nfc(run_tool("pdftotext", "-layout", pdf, "-"))


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def word_boxes(run_tool: Callable[..., str], pdf: Path, tmp_path: Path):
    out = tmp_path / "bbox.html"
    run_tool("pdftotext", "-bbox", pdf, out)
    return [
        (float(a), float(b), float(c), float(d), unescape(w))
        for a, b, c, d, w in _WORD.findall(out.read_text("utf-8"))
    ]


# -- fonts, text, metadata ----------------------------------------------------------------


def test_every_font_is_embedded(tmp_path, make_certificate, run_tool):
    pdf = write_pdf(tmp_path, make_certificate(certificate_type="advanced",
                                               modules_passed=("IU07", "IU08", "IU14")))
    rows = run_tool("pdffonts", pdf).splitlines()[2:]
    assert rows, "pdffonts listed no fonts"
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        assert emb == "yes", f"font {name} is not embedded: {row}"
        assert "DejaVuSerif" in name, f"unexpected font {name} (base-14 fonts lack Vietnamese)"


@pytest.mark.parametrize(
    "full_name",
    ["Nguyễn Thị Ánh Tuyết", "Đặng Quốc Việt", "Trương Ngọc Ưng Hoàng", "Lê Thị Thu Hằng"],
)
def test_vietnamese_name_is_extracted_intact(tmp_path, make_certificate, run_tool, full_name):
    text = page_text(run_tool, write_pdf(tmp_path, make_certificate(full_name=full_name)))
    assert nfc(full_name) in text


def test_decomposed_name_is_printed_as_composed_text(tmp_path, make_certificate, run_tool):
    text = page_text(run_tool, write_pdf(tmp_path, make_certificate(full_name=nfd("Đặng Quốc Việt"))))
    assert "Đặng Quốc Việt" in text


def test_basic_certificate_prints_title_numbers_and_particulars(tmp_path, make_certificate, run_tool):
    text = page_text(run_tool, write_pdf(tmp_path, make_certificate()))
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN CƠ BẢN",
        "CERTIFICATE OF BASIC INFORMATION TECHNOLOGY SKILLS",
        "Số hiệu: BN-UDCB 0012345",
        "Số vào sổ gốc: CB-2026-000123",
        "15/03/1990",  # ngày sinh
        "Nữ",
        "Kinh",
        "Hội đồng thi Sở GD&ĐT Bắc Ninh",
        "20/10/2026",  # ngày thi
        "Đạt",
        "Bắc Ninh, ngày 24 tháng 11 năm 2026",
        "GIÁM ĐỐC",
        "Trần Văn Hùng",
    ):
        assert expected in text, expected
    assert "NÂNG CAO" not in text
    assert "KT." not in text, "the director himself signs without 'KT.'"
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in text


def test_deputy_signer_shows_kt_line_above_own_title(tmp_path, make_certificate, run_tool):
    data = make_certificate(signer_title="PHÓ GIÁM ĐỐC", signs_on_behalf_of="KT. GIÁM ĐỐC",
                            signer_name="Nguyễn Văn Bình")
    text = page_text(run_tool, write_pdf(tmp_path, data))
    # the right-most column of each layout line: the signature block sits at the right
    lines = [re.split(r"\s{2,}", line.strip())[-1] for line in text.splitlines()]
    signature = [line for line in lines if line.endswith(("GIÁM ĐỐC", "Nguyễn Văn Bình"))]
    assert signature[-3:] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn Bình"]


def test_advanced_certificate_lists_module_names(tmp_path, make_certificate, run_tool):
    data = make_certificate(certificate_type="advanced", modules_passed=("IU14", "IU07", "IU10"))
    text = page_text(run_tool, write_pdf(tmp_path, data))
    assert "CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN NÂNG CAO" in text
    assert "CERTIFICATE OF ADVANCED INFORMATION TECHNOLOGY SKILLS" in text
    for code in ("IU07", "IU10", "IU14"):
        assert code in text
        assert MODULE_NAMES[code] in text
    assert MODULE_NAMES["IU12"] not in text


def test_decision_number_is_printed_when_given(tmp_path, make_certificate, run_tool):
    data = make_certificate(decision_number="1234/QĐ-SGDĐT", decision_date=date(2026, 11, 20))
    text = page_text(run_tool, write_pdf(tmp_path, data))
    assert "1234/QĐ-SGDĐT ngày 20/11/2026" in text
    undated = make_certificate(decision_number="1234/QĐ-SGDĐT")
    assert "Quyết định cấp chứng chỉ số 1234/QĐ-SGDĐT" in page_text(run_tool, write_pdf(tmp_path, undated))


def test_metadata_carries_title_author_and_numbers(tmp_path, make_certificate, run_tool):
    info = nfc(run_tool("pdfinfo", write_pdf(tmp_path, make_certificate())))
    assert re.search(r"^Title:\s+CHỨNG CHỈ ỨNG DỤNG .* – Nguyễn Thị Ánh Tuyết$", info, re.M)
    assert re.search(r"^Author:\s+SỞ GIÁO DỤC VÀ ĐÀO TẠO BẮC NINH$", info, re.M)
    assert re.search(r"^Subject:\s+Số hiệu: BN-UDCB 0012345; Số vào sổ gốc: CB-2026-000123$", info, re.M)
    assert re.search(r"^Page size:\s+841.89 x 595.276 pts \(A4\)$", info, re.M)
    assert re.search(r"^Pages:\s+1$", info, re.M)


# -- QR code, link, photo -----------------------------------------------------------------


def test_qr_code_decodes_to_verify_url(tmp_path, make_certificate, run_tool):
    data = make_certificate()
    pdf = write_pdf(tmp_path, data)
    run_tool("pdftoppm", "-png", "-r", "150", "-singlefile", pdf, tmp_path / "page")
    decoded = run_tool("zbarimg", "--raw", "-q", tmp_path / "page.png").splitlines()
    assert decoded == [data.verify_url]


def test_verify_url_is_printed_and_is_a_link(tmp_path, make_certificate, run_tool):
    data = make_certificate()
    pdf = write_pdf(tmp_path, data)
    assert data.verify_url in squash(page_text(run_tool, pdf))
    links = [line.split()[-1] for line in run_tool("pdfinfo", "-url", pdf).splitlines()[1:]]
    assert links and set(links) == {data.verify_url}


def test_photo_is_embedded_only_when_given(tmp_path, make_certificate, run_tool, photo_jpeg):
    with_photo = write_pdf(tmp_path, make_certificate(photo_jpeg=photo_jpeg), "with.pdf")
    without = write_pdf(tmp_path, make_certificate(), "without.pdf")
    images = run_tool("pdfimages", "-list", with_photo).splitlines()[2:]
    assert len(images) == 1 and " jpeg " in images[0]
    assert run_tool("pdfimages", "-list", without).splitlines()[2:] == []
    assert "Ảnh 4 × 6" in page_text(run_tool, without)


# -- layout ---------------------------------------------------------------------------------


def test_crowded_certificate_has_no_overlapping_or_clipped_text(tmp_path, make_certificate, run_tool):
    data = make_certificate(
        certificate_type="advanced",
        modules_passed=ADVANCED_MODULES,  # all nine: the longest module list
        full_name="Tôn Nữ Hoàng Phương Thảo Nguyên Khánh",
        place_of_birth="Thành phố Hồ Chí Minh",
        exam_council=(
            "Hội đồng thi cấp chứng chỉ ứng dụng công nghệ thông tin Trung tâm Giáo dục nghề "
            "nghiệp - Giáo dục thường xuyên huyện Lương Tài, tỉnh Bắc Ninh"
        ),
        issuer_name="SỞ GIÁO DỤC VÀ ĐÀO TẠO THÀNH PHỐ HỒ CHÍ MINH",
        signer_title="PHÓ GIÁM ĐỐC",
        signs_on_behalf_of="KT. GIÁM ĐỐC",
        decision_number="12345/QĐ-SGDĐT",
        decision_date=date(2026, 11, 20),
        verify_url="https://vanbang.hcm.edu.vn/tra-cuu/chung-chi/NC-2026-000123?ma=0f3a9c77e1d2b4a5",
    )
    pdf = write_pdf(tmp_path, data)
    boxes = word_boxes(run_tool, pdf, tmp_path)
    text = " ".join(w for *_, w in boxes)
    for word in ("Lương", "Tài,", "Bắc", "Ninh", "Khánh", "MINH", "Nguyên"):
        assert word in text.split(), f"{word!r} missing: text cut off?"
    inner = 24.0  # the gold inner frame
    for x0, y0, x1, y1, word in boxes:
        assert inner < x0 and x1 < PAGE_WIDTH - inner and inner < y0 and y1 < PAGE_HEIGHT - inner, word
    shrink = 1.0  # glyph boxes include ascent and descent; allow them to touch
    for i, (ax0, ay0, ax1, ay1, aw) in enumerate(boxes):
        for bx0, by0, bx1, by1, bw in boxes[i + 1:]:
            overlap_x = min(ax1, bx1) - max(ax0, bx0)
            overlap_y = min(ay1, by1) - max(ay0, by0)
            assert overlap_x <= shrink or overlap_y <= shrink, f"{aw!r} overlaps {bw!r}"


def test_sample_renders_to_png(tmp_path, make_certificate, run_tool, photo_jpeg):
    data = make_certificate(photo_jpeg=photo_jpeg, signer_title="PHÓ GIÁM ĐỐC",
                            signs_on_behalf_of="KT. GIÁM ĐỐC")
    pdf = write_pdf(tmp_path, data)
    run_tool("pdftoppm", "-png", "-r", "60", "-singlefile", pdf, tmp_path / "sample")
    png = (tmp_path / "sample.png").read_bytes()
    assert png.startswith(b"\x89PNG")


# -- determinism -------------------------------------------------------------------------------


def test_same_data_gives_identical_bytes(make_certificate, photo_jpeg):
    data = make_certificate(photo_jpeg=photo_jpeg)
    assert render_certificate(data) == render_certificate(make_certificate(photo_jpeg=photo_jpeg))


def test_bytes_are_identical_across_processes(make_certificate):
    script = (
        "import sys, hashlib\n"
        "from datetime import date\n"
        "from certs.document import CertificateData\n"
        "from certs.pdf import render_certificate\n"
        "from tests.certs.conftest import BASE_FIELDS\n"
        "sys.stdout.write(hashlib.sha256(render_certificate(CertificateData(**BASE_FIELDS))).hexdigest())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    ).stdout
    assert out == hashlib.sha256(render_certificate(make_certificate())).hexdigest()


def test_decomposed_input_renders_identically_to_composed(certificate_fields):
    composed = CertificateData(**certificate_fields)
    decomposed = CertificateData(
        **{k: nfd(v) if isinstance(v, str) else v for k, v in certificate_fields.items()}
    )
    assert decomposed == composed
    assert render_certificate(decomposed) == render_certificate(composed)


def test_different_data_gives_different_bytes(make_certificate):
    assert render_certificate(make_certificate()) != render_certificate(
        make_certificate(serial="BN-UDCB 0012346")
    )


# -- CertificateData ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["02719000123", "0271900012345", "02719000123X", "", "027 190 001 234x"])
def test_bad_citizen_id_raises_naming_the_field(make_certificate, bad):
    with pytest.raises(ValueError, match="citizen_id"):
        make_certificate(citizen_id=bad)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"certificate_type": "expert"}, "certificate_type"),
        ({"gender": "Male"}, "gender"),
        ({"full_name": "   "}, "full_name"),
        ({"serial": ""}, "serial"),
        ({"date_of_birth": datetime(1990, 3, 15, 8, 0)}, "date_of_birth"),
        ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth"),
        ({"issue_date": date(2026, 10, 1)}, "issue_date"),
        ({"verify_url": "vanbang.bacninh.edu.vn/x"}, "verify_url"),
        ({"photo_jpeg": b"\x89PNG\r\n"}, "photo_jpeg"),
        ({"modules_passed": ("IU01", "IU02")}, "modules_passed"),
        ({"certificate_type": "advanced", "modules_passed": ("IU07", "IU08")}, "modules_passed"),
        ({"certificate_type": "advanced", "modules_passed": ("IU07", "IU08", "IU03")}, "modules_passed"),
        ({"certificate_type": "advanced", "modules_passed": ("IU07", "IU07", "IU08")}, "modules_passed"),
        ({"certificate_type": "advanced", "modules_passed": ("IU07", "IU08", "IU16")}, "modules_passed"),
        ({"signer_title": "PHÓ GIÁM ĐỐC"}, "signs_on_behalf_of"),
        ({"signs_on_behalf_of": "GIÁM ĐỐC"}, "signs_on_behalf_of"),
        ({"decision_date": date(2026, 11, 20)}, "decision_date"),
    ],
)
def test_bad_value_raises_naming_the_field(make_certificate, overrides, field):
    with pytest.raises(ValueError, match=rf"CertificateData\.{field}\b"):
        make_certificate(**overrides)


def test_strings_are_nfc_and_trimmed(make_certificate):
    data = make_certificate(full_name="  " + nfd("Trương  Ngọc Ưng Hoàng") + " ")
    assert data.full_name == "Trương Ngọc Ưng Hoàng"
    assert unicodedata.is_normalized("NFC", data.full_name)


def test_modules_are_normalised_and_sorted(make_certificate):
    data = make_certificate(certificate_type="advanced", modules_passed=["iu14", "IU07", " IU10 "])
    assert data.modules_passed == ("IU07", "IU10", "IU14")
    assert data.module_names[0] == ("IU07", "Xử lý văn bản nâng cao")
    assert make_certificate().modules_passed == ("IU01", "IU02", "IU03", "IU04", "IU05", "IU06")


def test_certificate_data_is_immutable(make_certificate):
    data = make_certificate()
    with pytest.raises(AttributeError):
        data.full_name = "x"  # type: ignore[misc]


def test_signed_payload_is_canonical_structured_data(make_certificate, photo_jpeg):
    data = make_certificate(photo_jpeg=photo_jpeg, decision_number="1234/QĐ-SGDĐT",
                            decision_date=date(2026, 11, 20))
    payload = data.to_signed_payload()
    assert payload["schema"] == "exam-engine/certificate/v1"
    assert payload["holder"]["date_of_birth"] == "1990-03-15"
    assert payload["holder"]["citizen_id"] == "027190001234"
    assert payload["holder"]["photo_sha256"] == hashlib.sha256(photo_jpeg).hexdigest()
    assert payload["modules_passed"] == ["IU01", "IU02", "IU03", "IU04", "IU05", "IU06"]
    assert payload["issue"]["date"] == "2026-11-24"
    assert payload["issue"]["decision_date"] == "2026-11-20"
    assert payload["register_number"] == "CB-2026-000123"


def test_masked_date_of_birth_hides_day_and_month():
    assert masked_date_of_birth(date(1990, 3, 15)) == "**/**/1990"


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 24), "Bắc Ninh, ngày 24 tháng 11 năm 2026"),
        (date(2026, 2, 5), "Bắc Ninh, ngày 05 tháng 02 năm 2026"),
        (date(2026, 3, 9), "Bắc Ninh, ngày 09 tháng 3 năm 2026"),
    ],
)
def test_long_date_follows_nd30_zero_padding(d, expected):
    assert vietnamese_long_date("Bắc Ninh", d) == expected
