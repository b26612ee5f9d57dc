"""The room list and the exam cards with photo, room and seat (issue 11), read back with real
tools: pdftotext, pdftoppm, pdfimages, pdffonts (poppler)."""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
from datetime import date, timedelta
from pathlib import Path

from PIL import Image

from exam_engine.exams import delivery
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from proctor import room_setup
from proctor.cards import ExamCard, render_exam_cards
from proctor.photos import set_photo
from proctor.room_list import RoomSheet, SheetRow, render_room_list
from proctor.rooms import open_room
from tests.conftest import csrf_token_of, login, require_tool


def _photo(colour: str = "#2a5599") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 640), colour).save(out, "JPEG")
    return out.getvalue()


def _text(pdf: Path) -> str:
    out = subprocess.run([require_tool("pdftotext", "poppler-utils"), "-layout", str(pdf), "-"],
                         check=True, capture_output=True, text=True).stdout
    return unicodedata.normalize("NFC", out)


def _images(pdf: Path) -> int:
    listing = subprocess.run([require_tool("pdfimages", "poppler-utils"), "-list", str(pdf)],
                             check=True, capture_output=True, text=True).stdout
    return len(listing.splitlines()[2:])


def _pages_render(pdf: Path, tmp_path: Path) -> list[Path]:
    subprocess.run([require_tool("pdftoppm", "poppler-utils"), "-png", "-r", "60", str(pdf),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    for page in pages:
        with Image.open(page) as image:
            assert image.convert("L").getextrema()[0] < 100, f"{page.name} is blank"
    return pages


def _fonts_embedded(pdf: Path) -> bool:
    fonts = subprocess.run([require_tool("pdffonts", "poppler-utils"), str(pdf)], check=True,
                           capture_output=True, text=True).stdout.splitlines()[2:]
    return bool(fonts) and all(" yes " in line for line in fonts)


def _sheet(n: int, photo: bytes | None) -> RoomSheet:
    names = ["Nguyễn Thị Ánh Tuyết", "Trương Ngọc Ưng Hoàng", "Đặng Quốc Việt"]
    rows = [SheetRow(f"{'ABCDE'[i // 6]}{i % 6 + 1}", f"BN{i + 1:04d}",
                     unicodedata.normalize("NFD", names[i % 3]) if i == 0 else names[i % 3],
                     date(1990, 5, 17), ["Có mặt", "Muộn", ""][i % 3],
                     photo if i % 2 == 0 else None, (480, 640) if i % 2 == 0 else None)
            for i in range(n)]
    return RoomSheet("Hội đồng thi Sở GD&ĐT Bắc Ninh", "Kỳ thi Ứng dụng CNTT cơ bản",
                     date(2026, 11, 24), "07:30", "Phòng máy 1", "07:31",
                     ["Lê Thị Hồng Nhung", "Phạm Văn Khải"], rows,
                     {"Có mặt": 9, "Muộn": 8, "Vắng": 0, "Chưa vào": 8})


def test_the_room_list_prints_every_candidate_in_intact_vietnamese_with_photos_and_summary(
        tmp_path):
    pdf = tmp_path / "room.pdf"
    pdf.write_bytes(render_room_list(_sheet(25, _photo())))
    text = _text(pdf)
    for expected in ("DANH SÁCH THÍ SINH PHÒNG THI", "HỘI ĐỒNG THI SỞ GD&ĐT",
                     "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Phòng máy 1", "24/11/2026, 07:30",
                     "Mở phòng lúc 07:31", "Nguyễn Thị Ánh Tuyết", "Trương Ngọc Ưng Hoàng",
                     "Đặng Quốc Việt", "BN0001", "BN0025", "17/05/1990", "Chữ ký thí sinh",
                     "Ảnh", "Họ và tên", "Tổng số thí sinh: 25", "Có mặt: 9", "Muộn: 8",
                     "Chưa vào: 8", "Cán bộ coi thi 1", "Cán bộ coi thi 2",
                     "Lê Thị Hồng Nhung", "Phạm Văn Khải", "chưa có"):
        assert expected in text, expected
    assert text.index("BN0001") < text.index("BN0002") < text.index("BN0025")
    assert _images(pdf) == 13  # every other candidate has a photo
    assert len(_pages_render(pdf, tmp_path)) >= 2
    assert "Họ và tên" in text.split("\f")[1]  # the header row repeats on every page
    assert _fonts_embedded(pdf)


def test_an_empty_room_still_prints_its_list(tmp_path):
    pdf = tmp_path / "room.pdf"
    pdf.write_bytes(render_room_list(_sheet(0, None)))
    assert "Phòng thi chưa có thí sinh." in _text(pdf)
    assert _pages_render(pdf, tmp_path)


def test_an_exam_card_carries_the_photo_the_room_and_the_seat(tmp_path):
    pdf = tmp_path / "cards.pdf"
    with_photo = ExamCard("BN0001", "Lê Hoàng Yến", date(1990, 5, 17), "Phòng máy 2",
                          date(2026, 11, 24), "07:30", "Kỳ thi Ứng dụng CNTT cơ bản", "K7MQ2XRA",
                          "B3", _photo())
    without = ExamCard("BN0002", "Đặng Quốc Việt", date(1991, 1, 2), "Phòng máy 2",
                       date(2026, 11, 24), "07:30", "Kỳ thi Ứng dụng CNTT cơ bản", None)
    pdf.write_bytes(render_exam_cards([with_photo, without]))
    text = _text(pdf)
    assert re.search(r"Chỗ ngồi:\s+B3", text) and text.count("Chỗ ngồi") == 1  # seated only
    assert "Phòng máy 2" in text and "Lê Hoàng Yến" in text
    assert "Ảnh 4×6" in text  # the placeholder of the card without a photo, once
    assert text.count("Ảnh 4×6") == 1
    assert _images(pdf) == 1
    assert _pages_render(pdf, tmp_path) and _fonts_embedded(pdf)


# ---- through the routes ---------------------------------------------------------------------

def _seated_session(db, make_session, make_user):
    staff = make_user("canbo", Role.STAFF)
    ours, _theirs = make_user("gt1", Role.PROCTOR), make_user("gt2", Role.PROCTOR)
    session = make_session(n_candidates=3)
    room = room_setup.create_room(db, session.id, name="Phòng máy số 3", rows=2, columns=2)
    other = room_setup.create_room(db, session.id, name="Phòng máy số 4", rows=2, columns=2)
    room_setup.set_room_proctors(db, room.id, [ours.id], actor_id=staff.id, now=utcnow())
    room_setup.set_room_proctors(db, other.id, [_theirs.id], actor_id=staff.id, now=utcnow())
    room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id, now=utcnow())
    set_photo(db, session.candidates[0].id, _photo(), file="a.jpg", actor_id=staff.id,
              now=utcnow())
    db.commit()
    return session, room, ours


def test_the_rooms_proctor_prints_its_list_with_attendance_and_another_proctor_may_not(
        app, db, make_session, make_user, tmp_path):
    session, room, proctor_user = _seated_session(db, make_session, make_user)
    now = utcnow()
    open_room(db, room.id, proctor_user.id, now - timedelta(minutes=10))
    delivery.start_attempt(db, session.candidates[0].attempt.id, now - timedelta(minutes=9))
    db.commit()
    proctor = app.test_client()
    login(proctor, "gt1")
    answer = proctor.get(f"/giam-thi/phong/{room.id}/danh-sach.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Cache-Control"] == "private, no-store"
    pdf = tmp_path / "room.pdf"
    pdf.write_bytes(answer.data)
    text = _text(pdf)
    assert "Phòng máy số 3" in text and "Nguyễn Thị Ánh Tuyết" in text and "Có mặt" in text
    assert "Trần Văn Đức" in text and "Lê Hoàng Yến" in text  # the room holds all three
    assert "Có mặt: 1" in text and "Chưa vào: 2" in text
    assert _images(pdf) == 1 and _pages_render(pdf, tmp_path)
    other_proctor = app.test_client()
    login(other_proctor, "gt2")
    assert other_proctor.get(f"/giam-thi/phong/{room.id}/danh-sach.pdf").status_code == 403
    assert proctor.get("/giam-thi/phong/999999/danh-sach.pdf").status_code == 404


def test_the_rooms_exam_cards_are_printed_in_seat_order_with_photo_room_and_seat(
        app, db, make_session, make_user, tmp_path):
    session, room, proctor_user = _seated_session(db, make_session, make_user)
    proctor = app.test_client()
    token = login(proctor, "gt1")
    printed = proctor.post(f"/giam-thi/phong/{room.id}/the-du-thi", data={"csrf_token": token})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(printed.data)
    text = _text(pdf)
    assert "Phòng máy số 3" in text and re.search(r"Chỗ ngồi:\s+A1", text)
    assert re.search(r"Chỗ ngồi:\s+B1", text)
    assert text.index("BN0001") < text.index("BN0002") < text.index("BN0003")
    assert _images(pdf) == 1
    # the whole session's cards (the existing route) carry rooms and seats too
    whole = proctor.post(f"/giam-thi/ca-thi/{session.id}/the-du-thi",
                         data={"csrf_token": csrf_token_of(proctor.get("/giam-thi/").text)})
    pdf.write_bytes(whole.data)
    assert re.search(r"Chỗ ngồi:\s+A2", _text(pdf))
