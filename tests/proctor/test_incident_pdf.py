"""The printable biên bản (issue 11), read back with real tools: pdftotext for the words (with
their diacritics), pdffonts for embedding, pdftoppm for a page that really renders."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

from PIL import Image

from proctor.incident_pdf import MISHAP_TITLE, IncidentReport, render_incident_report
from tests.conftest import require_tool
from tests.proctor.test_incidents import record, signed_in


def _text(pdf: Path) -> str:
    out = subprocess.run([require_tool("pdftotext", "poppler-utils"), "-layout", str(pdf), "-"],
                         check=True, capture_output=True, text=True).stdout
    return unicodedata.normalize("NFC", out)


def _report(**changes) -> IncidentReport:
    values = dict(
        number=12, title="BIÊN BẢN XỬ LÝ THÍ SINH VI PHẠM QUY CHẾ THI",
        council="Hội đồng thi Sở GD&ĐT Bắc Ninh", session_title="Kỳ thi Ứng dụng CNTT cơ bản",
        exam_date=date(2026, 11, 24), room="Phòng máy 1",
        occurred_at=datetime(2026, 11, 24, 1, 15, tzinfo=UTC),  # 08:15 in Hà Nội
        category="Sử dụng thiết bị trái phép",
        description=unicodedata.normalize("NFD", "Thí sinh dùng điện thoại <Zalo> & tra cứu."),
        witnesses=("Lê Văn Ước", "Phạm Thị Ỷ"),
        recorded_at=datetime(2026, 11, 24, 1, 30, tzinfo=UTC), recorded_by="Trần Thị Minh Thư",
        proctors=("Nguyễn Văn Giám", "Đỗ Thị Thảo"), candidate_name="Trương Ngọc Ưng Hoàng",
        candidate_number="BN0006", candidate_birth=date(1990, 1, 6), refused_to_sign=True,
        sanction="Đình chỉ thi (bài thi 0 điểm, không được công nhận kết quả)",
        sanction_decided="08:40 ngày 24/11/2026, Trần Thị Minh Thư")
    values.update(changes)
    return IncidentReport(**values)


def test_the_biên_bản_prints_every_fact_in_vietnam_time_with_intact_diacritics(tmp_path):
    pdf = tmp_path / "bien-ban.pdf"
    pdf.write_bytes(render_incident_report(_report()))
    text = _text(pdf)
    flat = " ".join(text.split())
    for expected in ("HỘI ĐỒNG THI SỞ GD&ĐT BẮC NINH", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "BIÊN BẢN XỬ LÝ THÍ SINH VI PHẠM QUY CHẾ THI",
                     "Số: 12", "Kỳ thi Ứng dụng CNTT cơ bản", "Ngày thi: 24/11/2026",
                     "Phòng thi: Phòng máy 1", "08:15 ngày 24/11/2026 (giờ Việt Nam)",
                     "Trương Ngọc Ưng Hoàng, số báo danh BN0006, ngày sinh 06/01/1990",
                     "Sử dụng thiết bị trái phép",
                     "Thí sinh dùng điện thoại <Zalo> & tra cứu.",
                     "Người chứng kiến: Lê Văn Ước; Phạm Thị Ỷ",
                     "Đình chỉ thi (bài thi 0 điểm, không được công nhận kết quả)",
                     "08:30 ngày 24/11/2026, Trần Thị Minh Thư",
                     "GIÁM THỊ 1", "GIÁM THỊ 2", "THÍ SINH", "(Ký, ghi rõ họ tên)",
                     "Nguyễn Văn Giám", "Đỗ Thị Thảo", "Thí sinh từ chối ký"):
        assert expected in flat, expected


def test_a_room_biên_bản_has_no_candidate_signature_and_says_so(tmp_path):
    pdf = tmp_path / "bien-ban.pdf"
    pdf.write_bytes(render_incident_report(_report(
        title=MISHAP_TITLE, candidate_name=None, candidate_number="", candidate_birth=None,
        refused_to_sign=False, sanction=None, category="Mất điện, mất mạng",
        description="Mất điện toàn phòng từ 08:15 đến 08:22.")))
    flat = " ".join(_text(pdf).split())
    assert MISHAP_TITLE in flat and "GIÁM THỊ 2" in flat
    assert "Thí sinh: không riêng thí sinh nào (sự việc của phòng thi)" in flat
    assert "THÍ SINH" not in flat.replace("THÍ SINH VI PHẠM", "") and "từ chối ký" not in flat
    assert "Hình thức xử lý: không" in flat


def test_every_font_is_embedded_and_the_output_is_deterministic(tmp_path):
    body = render_incident_report(_report())
    assert body == render_incident_report(_report())
    pdf = tmp_path / "bien-ban.pdf"
    pdf.write_bytes(body)
    fonts = subprocess.run([require_tool("pdffonts", "poppler-utils"), str(pdf)], check=True,
                           capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts


def test_the_page_renders_and_a_long_account_flows_onto_a_second_page(tmp_path):
    pdf = tmp_path / "bien-ban.pdf"
    pdf.write_bytes(render_incident_report(_report(
        description="\n".join(f"Dòng {i}: thí sinh trao đổi với thí sinh bàn bên." for i in
                              range(60)))))
    subprocess.run([require_tool("pdftoppm", "poppler-utils"), "-png", "-r", "50", str(pdf),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2
    first = Image.open(pages[0]).convert("L")
    inked = sum(first.histogram()[:128])  # dark pixels
    assert inked > 0.01 * first.width * first.height  # real text on the page, not a blank
    assert "Dòng 59: thí sinh trao đổi" in _text(pdf)
    assert "GIÁM THỊ 1" in subprocess.run(
        [require_tool("pdftotext", "poppler-utils"), "-f", "2", "-l", "2", str(pdf), "-"],
        check=True, capture_output=True, text=True).stdout  # the signatures follow the text


def test_the_pdf_route_prints_the_stored_biên_bản_with_its_sanction(app, db, make_session,
                                                                    make_user, tmp_path):
    client, session, incident = record(app, db, make_session, make_user,
                                       sanction_level="khien_trach", refused_to_sign="yes",
                                       witnesses="Lê Văn Ước")
    response = client.get(f"/giam-thi/bien-ban/{incident.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = tmp_path / "route.pdf"
    pdf.write_bytes(response.data)
    flat = " ".join(_text(pdf).split())
    for expected in ("HỘI ĐỒNG THI SỞ GD&ĐT BẮC NINH", "Ca thi: Ca thi thử", "Phòng máy A",
                     "Nguyễn Thị Ánh Tuyết, số báo danh BN0001", "Mang tài liệu trái phép",
                     "Thí sinh mang tài liệu vào phòng thi.", "Người chứng kiến: Lê Văn Ước",
                     "Khiển trách (trừ 25 % điểm bài thi)", "Nguyễn Văn Giám", "Đỗ Thị Thảo",
                     "Thí sinh từ chối ký", "BIÊN BẢN XỬ LÝ THÍ SINH VI PHẠM QUY CHẾ THI"):
        assert expected in flat, expected
    staff_pdf = signed_in(app, "gt_a2")[0].get(f"/giam-thi/bien-ban/{incident.id}.pdf")
    assert staff_pdf.status_code == 200  # the room's other proctor prints it too
    assert client.get("/giam-thi/bien-ban/999.pdf").status_code == 404
