"""The biên bản as a printable A4 PDF, signed on paper by the two proctors and the candidate (or
noting that he refused to sign).

``render_incident_report(report) -> bytes`` is a pure renderer (reportlab platypus, the DejaVu
fonts of ``certs/fonts`` embedded, so Vietnamese diacritics are never mangled; ``invariant``
output, so the same report gives the same bytes). ``incident_report(db, incident)`` draws the
report from the stored biên bản and what it links to: the session, room, candidate, sanction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from certs.pdf import BOLD, ITALIC, REGULAR, register_fonts
from exam_engine.exams.models import AttemptSanction, Candidate, ExamSession
from exam_engine.exams.sanctions import SANCTION_EFFECT_VI, SANCTION_VI
from exam_engine.kernel.accounts import User
from exam_engine.kernel.legal_time import to_vn
from proctor.incidents import category_label
from proctor.models import ExamRoom, Incident, RoomProctor

#: categories that are a breach of the exam rules (the rest are mishaps: a failed computer…)
BREACHES = frozenset({"tai_lieu", "trao_doi", "thiet_bi", "thi_ho"})
BREACH_TITLE = "BIÊN BẢN XỬ LÝ THÍ SINH VI PHẠM QUY CHẾ THI"
MISHAP_TITLE = "BIÊN BẢN GHI NHẬN SỰ VIỆC TRONG PHÒNG THI"


@dataclass(frozen=True)
class IncidentReport:
    number: int
    title: str
    council: str
    session_title: str
    exam_date: date
    room: str
    occurred_at: datetime                 # aware; printed in Vietnam time
    category: str                         # its Vietnamese label
    description: str
    witnesses: tuple[str, ...]
    recorded_at: datetime
    recorded_by: str
    proctors: tuple[str, str] = ("", "")  # names under the proctors' lines ("" = left blank)
    candidate_name: str | None = None     # None: the biên bản is about the room
    candidate_number: str = ""
    candidate_birth: date | None = None
    refused_to_sign: bool = False
    sanction: str | None = None           # "Khiển trách (trừ 25 % điểm bài thi)"
    sanction_decided: str = ""            # "08:40 24/11/2026, Trần Thị Minh Thư"


def _when(moment: datetime) -> str:
    return to_vn(moment).strftime("%H:%M ngày %d/%m/%Y")


def incident_report(db: Session, incident: Incident) -> IncidentReport:
    """What the printed biên bản says, drawn from the stored one."""
    session = db.get(ExamSession, incident.exam_session_id)
    assert session is not None  # a foreign key
    room = db.get(ExamRoom, incident.room_id) if incident.room_id else None
    candidate = db.get(Candidate, incident.candidate_id) if incident.candidate_id else None
    recorder = db.get(User, incident.recorded_by) if incident.recorded_by else None
    sanction = db.get(AttemptSanction, incident.sanction_id) if incident.sanction_id else None
    names = list(db.scalars(select(User.full_name).join(RoomProctor, RoomProctor.user_id == User.id)
                            .where(RoomProctor.room_id == incident.room_id)
                            .order_by(RoomProctor.assigned_at, User.id).limit(2))) if room else []
    names += [""] * (2 - len(names))
    decided = ""
    if sanction is not None:
        decider = db.get(User, sanction.decided_by) if sanction.decided_by else None
        decided = _when(sanction.decided_at) + (f", {decider.full_name}" if decider else "")
    return IncidentReport(
        number=incident.id,
        title=BREACH_TITLE if incident.category in BREACHES or sanction else MISHAP_TITLE,
        council=session.exam_council, session_title=session.title, exam_date=session.exam_date,
        room=room.name if room else session.room, occurred_at=incident.occurred_at,
        category=category_label(incident.category)[0], description=incident.description,
        witnesses=tuple(incident.witnesses or ()), recorded_at=incident.recorded_at,
        recorded_by=recorder.full_name if recorder else "", proctors=(names[0], names[1]),
        candidate_name=candidate.full_name if candidate else None,
        candidate_number=candidate.candidate_number if candidate else "",
        candidate_birth=candidate.date_of_birth if candidate else None,
        refused_to_sign=incident.candidate_refused_to_sign,
        sanction=(f"{SANCTION_VI[sanction.level]} ({SANCTION_EFFECT_VI[sanction.level]})"
                  if sanction else None),
        sanction_decided=decided)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=11, leading=15, spaceAfter=4)
    return {
        "body": body,
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER, spaceAfter=0),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=14, leading=18,
                                alignment=TA_CENTER, spaceBefore=14, spaceAfter=2),
        "heading": ParagraphStyle("heading", parent=body, fontSize=9.5, leading=13,
                                  alignment=TA_CENTER, spaceAfter=0),
        "small": ParagraphStyle("small", parent=body, fontName=ITALIC, fontSize=9.5,
                                alignment=TA_CENTER, spaceAfter=0),
    }


# Table's own default font is Helvetica, an unembedded font without Vietnamese: name ours
_CELLS = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), REGULAR)])


def _text(value: str) -> str:
    """Plain text for a Paragraph: markup characters escaped, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


def _fact(label: str, value: str) -> str:
    return f"<b>{escape(label)}:</b> {_text(value)}"


def render_incident_report(report: IncidentReport) -> bytes:
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm,
                            topMargin=1.6 * cm, bottomMargin=1.6 * cm, invariant=1,
                            initialFontName=REGULAR, title=f"Biên bản số {report.number}",
                            author=report.council)
    doc.build(_story(report, _styles()))
    return out.getvalue()


def _story(report: IncidentReport, style: dict[str, ParagraphStyle]) -> list:
    centre, body = style["centre"], style["body"]
    heading = Table([[Paragraph(f"<b>{_text(report.council.upper())}</b>", style["heading"]),
                      Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/>"
                                "<b><u>Độc lập - Tự do - Hạnh phúc</u></b>", style["heading"])]],
                    colWidths=[8.2 * cm, 8.8 * cm])
    heading.setStyle(_CELLS)
    candidate = (f"{report.candidate_name}, số báo danh {report.candidate_number}, ngày sinh "
                 f"{report.candidate_birth.strftime('%d/%m/%Y') if report.candidate_birth else ''}"
                 if report.candidate_name else "không riêng thí sinh nào (sự việc của phòng thi)")
    story: list = [
        heading,
        Paragraph(escape(report.title), style["title"]),
        Paragraph(f"Số: {report.number}", centre),
        Spacer(1, 10),
        Paragraph(_fact("Ca thi", report.session_title), body),
        Paragraph(_fact("Ngày thi", report.exam_date.strftime("%d/%m/%Y")) + " &nbsp; "
                  + _fact("Phòng thi", report.room), body),
        Paragraph(_fact("Thời điểm xảy ra", _when(report.occurred_at) + " (giờ Việt Nam)"),
                  body),
        Paragraph(_fact("Thí sinh", candidate), body),
        Paragraph(_fact("Loại sự việc", report.category), body),
        Paragraph(_fact("Diễn biến sự việc", report.description), body),
        Paragraph(_fact("Người chứng kiến",
                        "; ".join(report.witnesses) if report.witnesses else "không có"), body),
        Paragraph(_fact("Hình thức xử lý",
                        f"{report.sanction}, quyết định lúc {report.sanction_decided}"
                        if report.sanction else "không"), body),
        Paragraph(_fact("Lập biên bản", f"{_when(report.recorded_at)}"
                        + (f", {report.recorded_by} ghi vào hệ thống" if report.recorded_by
                           else "")), body),
        Spacer(1, 18),
        _signatures(report, style),
    ]
    return story


def _signatures(report: IncidentReport, style: dict[str, ParagraphStyle]) -> Table:
    """Signature lines: the two proctors and the candidate (or the note of his refusal)."""
    centre, small = style["centre"], style["small"]

    def block(role: str, name: str, note: str = "") -> list:
        return [Paragraph(f"<b>{escape(role)}</b>", centre),
                Paragraph("(Ký, ghi rõ họ tên)", small), Spacer(1, 48),
                Paragraph(_text(name) or "&nbsp;", centre)] + (
                    [Paragraph(f"<i>{_text(note)}</i>", centre)] if note else [])

    blocks = [block("GIÁM THỊ 1", report.proctors[0]), block("GIÁM THỊ 2", report.proctors[1])]
    if report.candidate_name is not None:
        blocks.append(block("THÍ SINH", report.candidate_name,
                            "Thí sinh từ chối ký" if report.refused_to_sign else ""))
    width = 17 * cm / len(blocks)
    table = Table([blocks], colWidths=[width] * len(blocks))
    table.setStyle(_CELLS)
    return table
