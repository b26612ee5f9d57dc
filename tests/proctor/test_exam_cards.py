"""Exam cards (thẻ dự thi, issue 11), read back with real tools: pdftotext and zbarimg."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

from exam_engine.exams.states import LoginMode
from exam_engine.kernel.accounts import Role
from proctor.cards import ExamCard, render_exam_cards
from tests.conftest import candidate_login, csrf_token_of, login, require_tool


def _text(pdf: Path) -> str:
    out = subprocess.run([require_tool("pdftotext", "poppler-utils"), "-layout", str(pdf), "-"],
                         check=True, capture_output=True, text=True).stdout
    return unicodedata.normalize("NFC", out)


def _qr_codes(pdf: Path, tmp_path: Path) -> list[str]:
    subprocess.run([require_tool("pdftoppm", "poppler-utils"), "-png", "-r", "200",
                    "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    decoded = subprocess.run([require_tool("zbarimg", "zbar-tools"), "--raw", "-q",
                              str(tmp_path / "page.png")], capture_output=True, text=True)
    return sorted(decoded.stdout.split())


def _card(number: str, name: str, code: str | None) -> ExamCard:
    return ExamCard(number, name, date(1990, 5, 17), "Phòng máy 1", date(2026, 11, 24), "07:30",
                    "Kỳ thi Ứng dụng CNTT cơ bản", code)


def test_a_card_prints_the_particulars_in_intact_vietnamese_and_the_code_as_text_and_qr(tmp_path):
    pdf = tmp_path / "cards.pdf"
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    pdf.write_bytes(render_exam_cards([_card("BN0001", decomposed, "K7MQ2XRA"),
                                       _card("BN0002", "Trương Ngọc Ưng Hoàng", "P3WZ8HTC")]))
    text = _text(pdf)
    for expected in ("THẺ DỰ THI", "Nguyễn Thị Ánh Tuyết", "Trương Ngọc Ưng Hoàng", "BN0001",
                     "17/05/1990", "Phòng máy 1", "24/11/2026, 07:30", "K7MQ2XRA", "P3WZ8HTC",
                     "Mã đăng nhập (dùng một lần)"):
        assert expected in text, expected
    assert _qr_codes(pdf, tmp_path) == ["K7MQ2XRA", "P3WZ8HTC"]


def test_every_font_of_the_cards_is_embedded(tmp_path):
    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(render_exam_cards([_card("BN0001", "Lê Hoàng Yến", "K7MQ2XRA")]))
    fonts = subprocess.run([require_tool("pdffonts", "poppler-utils"), str(pdf)], check=True,
                           capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts


def test_nine_candidates_take_two_pages(tmp_path):
    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(render_exam_cards([_card(f"BN{i:04d}", "Đặng Quốc Việt", "K7MQ2XRA")
                                       for i in range(9)]))
    info = subprocess.run([require_tool("pdfinfo", "poppler-utils"), str(pdf)], check=True,
                          capture_output=True, text=True).stdout
    assert "Pages:           2" in info


def _print_session_cards(app, make_user, session_id: int, tmp_path: Path) -> Path:
    """The session's cards as a proctor prints them from his page."""
    make_user("giamthi", Role.PROCTOR)
    proctor = app.test_client()
    token = login(proctor, "giamthi")
    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(proctor.post(f"/giam-thi/ca-thi/{session_id}/the-du-thi",
                                 data={"csrf_token": token}).data)
    return pdf


def test_the_code_read_from_the_printed_card_logs_its_candidate_in(app, db, make_session,
                                                                    make_user, tmp_path):
    session = make_session(n_candidates=2)
    session.sitting_opens_at = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 07:30 in Vietnam
    db.commit()
    pdf = _print_session_cards(app, make_user, session.id, tmp_path)
    text = _text(pdf)
    assert "Nguyễn Thị Ánh Tuyết" in text and "Trần Văn Đức" in text and "07:30" in text
    codes = _qr_codes(pdf, tmp_path)
    assert len(codes) == 2 and all(code in text for code in codes)
    logged_in = []
    for code in codes:
        candidate = app.test_client()
        page = candidate.get("/thi/dang-nhap").get_data(as_text=True)
        logged_in.append(candidate.post("/thi/dang-nhap", data={
            "candidate_number": "BN0001", "login_code": code,
            "csrf_token": csrf_token_of(page)}).status_code)
    assert sorted(logged_in) == [302, 401]  # one of the two codes is BN0001's


def test_cards_of_an_admission_only_session_carry_no_code(app, db, make_session, make_user,
                                                          tmp_path):
    session = make_session(n_candidates=1)
    session.login_mode = LoginMode.ADMISSION
    db.commit()
    pdf = _print_session_cards(app, make_user, session.id, tmp_path)
    assert "BN0001" in _text(pdf) and "Mã đăng nhập" not in _text(pdf)
    assert _qr_codes(pdf, tmp_path) == []


def test_one_card_on_demand_gives_a_new_code_and_refuses_a_submitted_candidate(
        app, client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    make_user("giamthi", Role.PROCTOR)
    proctor = app.test_client()
    token = login(proctor, "giamthi")
    candidate_id = session.candidates[0].id
    card = proctor.post(f"/giam-thi/thi-sinh/{candidate_id}/the-du-thi", data={"csrf_token": token})
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    missing = proctor.post("/giam-thi/thi-sinh/99999/the-du-thi", data={"csrf_token": token})
    assert missing.status_code == 404 and "99999" in missing.get_data(as_text=True)
    exam_token = candidate_login(client, session.session_code, start=True)
    assert client.post("/thi/api/submit", json={},
                       headers={"X-CSRFToken": exam_token}).status_code == 200
    refused = proctor.post(f"/giam-thi/thi-sinh/{candidate_id}/the-du-thi",
                           data={"csrf_token": token})
    assert refused.status_code == 409 and "BN0001" in refused.get_data(as_text=True)
