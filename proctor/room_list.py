"""The room list (danh sách thí sinh phòng thi, issue 11): one A4 PDF per room, in seat order,
with each candidate's photo, số báo danh, name and date of birth, his attendance mark once the
room is open and a column for his signature; the attendance summary and the proctors'
signatures close it.

``room_sheet`` gathers a room's sheet from the database; ``render_room_list(sheet) -> bytes``
is a pure renderer (reportlab platypus, the DejaVu fonts of ``certs/fonts`` embedded, so
Vietnamese is never mangled).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from certs.pdf import BOLD, REGULAR, register_fonts
from exam_engine.exams.models import ExamSession
from exam_engine.kernel.accounts import User
from exam_engine.kernel.legal_time import VIETNAM
from proctor.models import RoomProctor
from proctor.photos import photos_of
from proctor.rooms import MARK_VI, Mark, attendance, attendance_counts, get_room

MARGIN = 36.0
PHOTO_W, PHOTO_H = 30.0, 40.0
GRID = HexColor("#555555")
HEAD = HexColor("#E8EDF5")
COLUMNS = ("STT", "Chỗ ngồi", "Ảnh", "Số báo danh", "Họ và tên", "Ngày sinh", "Điểm danh",
           "Chữ ký thí sinh")
# every table names its font: a cell left to reportlab's default pulls in Helvetica, unembedded
_FONT = [("FONT", (0, 0), (-1, -1), REGULAR, 9)]
WIDTHS = (30, 38, 40, 60, 137, 60, 56, 102)  # 523 pt: A4 less the margins


@dataclass(frozen=True)
class SheetRow:
    seat: str
    candidate_number: str
    full_name: str
    date_of_birth: date
    mark: str             # "Có mặt", "Muộn", "Vắng" — "" while not yet (ticked by hand)
    photo_jpeg: bytes | None
    photo_size: tuple[int, int] | None


@dataclass(frozen=True)
class RoomSheet:
    exam_council: str
    session_title: str
    exam_date: date
    time: str             # "07:30", or "" when the session has no sitting window
    room: str
    opened_at: str        # "07:31" once opened, else ""
    proctors: list[str]
    rows: list[SheetRow]
    counts: dict[str, int]  # Vietnamese mark → how many


def room_sheet(db: Session, room_id: int, now: datetime) -> RoomSheet:
    room = get_room(db, room_id)
    session = db.get(ExamSession, room.exam_session_id)
    assert session is not None  # a room belongs to a session (foreign key)
    marks = attendance(db, room.id, now)
    photos = photos_of(db, [m.candidate_id for m in marks])
    proctors = list(db.scalars(select(User.full_name).join(RoomProctor,
                                                           RoomProctor.user_id == User.id)
                               .where(RoomProctor.room_id == room.id).order_by(User.full_name)))
    rows = []
    for mark in marks:
        photo = photos.get(mark.candidate_id)
        rows.append(SheetRow(mark.seat, mark.candidate_number, mark.full_name, mark.date_of_birth,
                             "" if mark.mark is Mark.NOT_YET else MARK_VI[mark.mark],
                             photo.data if photo else None,
                             (photo.width, photo.height) if photo else None))
    counts = {MARK_VI[m]: n for m, n in attendance_counts(marks).items()}
    return RoomSheet(session.exam_council, session.title, session.exam_date,
                     _vn_time(session.sitting_opens_at), room.name, _vn_time(room.opened_at),
                     proctors, rows, counts)


def _vn_time(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M") if moment else ""


def render_room_list(sheet: RoomSheet) -> bytes:
    register_fonts()
    out = io.BytesIO()
    # initialFontName: else reportlab starts every page in Helvetica, an unembedded font
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 12, invariant=1,
                            pageCompression=1, initialFontName=REGULAR, initialFontSize=9,
                            title=f"Danh sách thí sinh phòng thi {sheet.room}")
    small = ParagraphStyle("small", fontName=REGULAR, fontSize=9, leading=11)
    bold = ParagraphStyle("bold", parent=small, fontName=BOLD)
    title = ParagraphStyle("title", parent=bold, fontSize=14, leading=18, alignment=1,
                           spaceBefore=8, spaceAfter=4)
    centred = ParagraphStyle("centred", parent=small, alignment=1)
    when = sheet.exam_date.strftime("%d/%m/%Y") + (f", {sheet.time}" if sheet.time else "")
    story = [
        Table([[Paragraph(_escape(sheet.exam_council).upper(), bold),
                Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<br/>Độc lập - Tự do - Hạnh phúc",
                          ParagraphStyle("motto", parent=bold, alignment=1))]],
              colWidths=(261, 262), style=[("VALIGN", (0, 0), (-1, -1), "TOP"), *_FONT]),
        Paragraph("DANH SÁCH THÍ SINH PHÒNG THI", title),
        Paragraph(f"Kỳ thi: {_escape(sheet.session_title)}", centred),
        Paragraph(f"Phòng thi: <b>{_escape(sheet.room)}</b> — Ngày thi: {when}"
                  + (f" — Mở phòng lúc {sheet.opened_at}" if sheet.opened_at else ""), centred),
        Spacer(1, 8),
        _table(sheet, small),
        Spacer(1, 8),
        KeepTogether([Paragraph(_summary(sheet), small), Spacer(1, 14),
                      _signatures(sheet, centred, bold)]),
    ]
    doc.build(story, onFirstPage=_footer(sheet), onLaterPages=_footer(sheet))
    return out.getvalue()


def _table(sheet: RoomSheet, style: ParagraphStyle) -> Table:
    head = [Paragraph(f"<b><font size=8>{c}</font></b>", style) for c in COLUMNS]
    body = [[str(n), row.seat, _photo(row, style), row.candidate_number,
             Paragraph(_escape(row.full_name), style), row.date_of_birth.strftime("%d/%m/%Y"),
             row.mark, ""] for n, row in enumerate(sheet.rows, start=1)]
    if not body:
        body = [["", "", "", "", Paragraph("Phòng thi chưa có thí sinh.", style), "", "", ""]]
    table = Table([head, *body], colWidths=WIDTHS, repeatRows=1,
                  rowHeights=[None] + [PHOTO_H + 6] * len(body))
    table.setStyle(TableStyle([
        *_FONT,
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (3, -1), "CENTER"),
    ]))
    return table


def _photo(row: SheetRow, style: ParagraphStyle) -> Image | Paragraph:
    if row.photo_jpeg is None or row.photo_size is None:
        return Paragraph("<font size=6>chưa có ảnh</font>", style)
    width, height = row.photo_size
    scale = min(PHOTO_W / width, PHOTO_H / height)
    return Image(io.BytesIO(row.photo_jpeg), width=width * scale, height=height * scale)


def _summary(sheet: RoomSheet) -> str:
    parts = [f"{label}: <b>{n}</b>" for label, n in sheet.counts.items()]
    return f"Tổng số thí sinh: <b>{len(sheet.rows)}</b>. Điểm danh — " + "; ".join(parts) + "."


def _signatures(sheet: RoomSheet, centred: ParagraphStyle, bold: ParagraphStyle) -> Table:
    names = [*sheet.proctors, "", ""][:max(2, len(sheet.proctors))]
    cells = [[Paragraph(f"Cán bộ coi thi {n}", bold) for n in range(1, len(names) + 1)],
             [Paragraph("<i>(Ký và ghi rõ họ tên)</i>", centred) for _ in names],
             [Spacer(1, 36) for _ in names],
             [Paragraph(_escape(name), centred) for name in names]]
    for cell in cells[0]:
        cell.style = ParagraphStyle("signature", parent=bold, alignment=1)
    width = 523 / len(names)
    return Table(cells, colWidths=[width] * len(names), style=_FONT)


def _footer(sheet: RoomSheet):
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawString(MARGIN, MARGIN - 4, f"{sheet.session_title[:80]} — {sheet.room[:40]}")
        canvas.drawRightString(A4[0] - MARGIN, MARGIN - 4, f"Trang {doc.page}")
        canvas.restoreState()
    return draw


def _escape(text: str) -> str:
    """Text for a platypus Paragraph, which reads a little XML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
