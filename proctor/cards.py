"""Exam cards (thẻ dự thi, issue 11): one printable A4 PDF per session, 8 cards a page.

``render_exam_cards(cards) -> bytes`` is a pure renderer (reportlab, the DejaVu fonts of
``certs/fonts`` embedded, so Vietnamese is never mangled). ``issue_cards`` is the use case:
it gives every candidate who has not started a NEW personal code — printing is the one moment
a plain code exists, so printing again voids the codes of the earlier print. A card carries
the candidate's photo when he has one, and his room and seat once he is seated
(``proctor.rooms``); a session without rooms prints its own room name.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from certs.pdf import BOLD, REGULAR, register_fonts
from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import Candidate, ExamSession
from exam_engine.exams.states import AttemptStatus, LoginMode
from exam_engine.kernel.legal_time import VIETNAM
from proctor.login_codes import issue_login_code
from proctor.models import CandidatePhoto
from proctor.photos import photo_of, photos_of
from proctor.room_setup import seats_by_candidate
from proctor.rooms import get_room, room_candidates, seat_of


class NoCardToIssue(ExamError):
    http_status = 409


@dataclass(frozen=True)
class ExamCard:
    candidate_number: str
    full_name: str
    date_of_birth: date
    room: str
    exam_date: date
    time: str             # "07:30" or "" when the session has no sitting window
    session_title: str
    login_code: str | None  # None: no personal code (already started, or admission only)
    seat: str = ""          # "" while not seated
    photo_jpeg: bytes | None = None


PAGE_W, PAGE_H = A4
COLS, ROWS = 2, 4
MARGIN = 28.0
CARD_W = (PAGE_W - 2 * MARGIN) / COLS
CARD_H = (PAGE_H - 2 * MARGIN) / ROWS
QR_SIZE = 78.0
NAVY = HexColor("#1B3A6B")


def render_exam_cards(cards: Sequence[ExamCard]) -> bytes:
    register_fonts()
    out = io.BytesIO()
    # initialFontName: else reportlab starts every page in Helvetica, an unembedded font
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1, initialFontName=REGULAR,
                    initialFontSize=10)
    canvas.setTitle("Thẻ dự thi")
    per_page = COLS * ROWS
    for n, card in enumerate(cards):
        if n and n % per_page == 0:
            canvas.showPage()
        col, row = n % COLS, (n % per_page) // COLS
        _draw_card(canvas, card, MARGIN + col * CARD_W, PAGE_H - MARGIN - (row + 1) * CARD_H)
    if not cards:
        canvas.setFont(REGULAR, 12)
        canvas.drawString(MARGIN, PAGE_H - 60, "Ca thi chưa có thí sinh.")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw_card(canvas: Canvas, card: ExamCard, x: float, y: float) -> None:
    canvas.setStrokeColor(NAVY)
    canvas.rect(x + 4, y + 4, CARD_W - 8, CARD_H - 8)
    canvas.rect(x + 14, y + CARD_H - 100, 56, 80)  # the photo's frame, 4x6 ratio
    if card.photo_jpeg is not None:
        canvas.drawImage(ImageReader(io.BytesIO(card.photo_jpeg)), x + 15, y + CARD_H - 99,
                         54, 78, preserveAspectRatio=True, anchor="c")
    else:
        canvas.setFont(REGULAR, 6.5)
        canvas.drawCentredString(x + 42, y + CARD_H - 62, "Ảnh 4×6")
    canvas.setFillColor(NAVY)
    canvas.setFont(BOLD, 12)
    canvas.drawString(x + 80, y + CARD_H - 28, "THẺ DỰ THI")
    canvas.setFillColor(HexColor("#000000"))
    text_x, line = x + 80, y + CARD_H - 44
    seat = (("Chỗ ngồi", card.seat),) if card.seat else ()  # a session without rooms: none
    for label, value in (("Họ và tên", card.full_name),
                         ("Số báo danh", card.candidate_number),
                         ("Ngày sinh", card.date_of_birth.strftime("%d/%m/%Y")),
                         ("Phòng thi", card.room), *seat,
                         ("Ngày thi", card.exam_date.strftime("%d/%m/%Y")
                          + (f", {card.time}" if card.time else ""))):
        canvas.setFont(REGULAR, 8)
        canvas.drawString(text_x, line, f"{label}: ")
        canvas.setFont(BOLD, 8.5)
        canvas.drawString(text_x + 58, line, value[:38])
        line -= 12
    canvas.setFont(REGULAR, 7)
    canvas.drawString(x + 14, y + 22, card.session_title[:60])
    if card.login_code is None:
        return
    canvas.setFont(REGULAR, 8)
    canvas.drawString(x + 14, y + 48, "Mã đăng nhập (dùng một lần):")
    canvas.setFont(BOLD, 13)
    canvas.drawString(x + 14, y + 33, card.login_code)
    widget = QrCodeWidget(card.login_code, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE,
                      transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0],
                      initialFontName=REGULAR, initialFontSize=8)
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x + CARD_W - QR_SIZE - 12, y + 10)


def issue_cards(db: Session, session: ExamSession, now: datetime,
                room_id: int | None = None) -> list[ExamCard]:
    """The cards of a session (in số báo danh order) or of one room (in seat order), with
    fresh personal codes for those who have not started (a started attempt's code is spent;
    see ``issue_card``)."""
    wants_codes = session.login_mode is not LoginMode.ADMISSION
    if room_id is None:
        candidates = list(session.candidates)
        seats = {cid: (room.name, seat) for cid, (room, seat)
                 in seats_by_candidate(db, session.id).items()}
    else:
        room = get_room(db, room_id)
        if room.exam_session_id != session.id:
            raise NotFound(f"Phòng thi số {room_id} không thuộc ca thi này.",
                           f"room {room_id} is not in this session")
        placed = room_candidates(db, room.id)
        candidates = [c for c, _seat in placed]
        seats = {c.id: (room.name, seat) for c, seat in placed}
    photos = photos_of(db, [c.id for c in candidates])
    return [_card(candidate, issue_login_code(db, candidate, now) if wants_codes and (
                  candidate.attempt is not None
                  and candidate.attempt.status is AttemptStatus.ASSIGNED) else None,
                  seats.get(candidate.id), photos.get(candidate.id))
            for candidate in candidates]


def issue_card(db: Session, candidate: Candidate, now: datetime) -> ExamCard:
    """One candidate's card with a new code, on the proctor's demand: a lost card, or a
    computer that failed after the start (the new code lets one login resume the attempt)."""
    if candidate.session.login_mode is LoginMode.ADMISSION:
        raise NoCardToIssue("Ca thi này không dùng mã đăng nhập cá nhân: giám thị cho thí sinh vào.",
                        "this session admits by proctor and uses no personal codes")
    if candidate.attempt is None or candidate.attempt.status not in (
            AttemptStatus.ASSIGNED, AttemptStatus.IN_PROGRESS):
        raise NoCardToIssue(f"Thí sinh {candidate.candidate_number} không còn làm bài được.",
                        f"candidate {candidate.candidate_number} can no longer sit")
    placed = seat_of(db, candidate.id)
    return _card(candidate, issue_login_code(db, candidate, now),
                 (placed[0].name, placed[1]) if placed else None, photo_of(db, candidate.id))


def _card(candidate: Candidate, code: str | None, placed: tuple[str, str] | None,
          photo: CandidatePhoto | None) -> ExamCard:
    session = candidate.session
    opens = session.sitting_opens_at
    room, seat = placed if placed else (session.room, "")
    return ExamCard(candidate.candidate_number, candidate.full_name, candidate.date_of_birth,
                    room, session.exam_date,
                    opens.astimezone(VIETNAM).strftime("%H:%M") if opens else "",
                    session.title, code, seat, photo.data if photo else None)
