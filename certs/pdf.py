"""Render a certificate to PDF: ``render_certificate(data) -> bytes``.

A4 landscape, laid out like the certificates Sở GD&ĐT issue: the issuer, photo (4x6 cm), số hiệu
and số vào sổ gốc on the left; the national motto, the bilingual title, the holder's particulars,
the exam and the signature block on the right; a QR code that opens ``verify_url``.

Fonts: DejaVu Serif, embedded (subset) from ``certs/fonts`` -- the PDF base-14 fonts have no
Vietnamese glyphs. Output is deterministic (reportlab ``invariant=1``, fixed dates and IDs), so
the same ``CertificateData`` always gives the same bytes and the same SHA-256 to sign.
"""

from __future__ import annotations

import io
from datetime import date
from functools import cache
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from certs.document import CertificateData

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR, BOLD, ITALIC, BOLD_ITALIC = "CertSerif", "CertSerif-Bold", "CertSerif-Italic", "CertSerif-BoldItalic"
_FONT_FILES = {
    REGULAR: "DejaVuSerif.ttf",
    BOLD: "DejaVuSerif-Bold.ttf",
    ITALIC: "DejaVuSerif-Italic.ttf",
    BOLD_ITALIC: "DejaVuSerif-BoldItalic.ttf",
}

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
NAVY = HexColor("#1B3A6B")
RED = HexColor("#A3161A")
GOLD = HexColor("#B8932F")
GREY = HexColor("#555555")
BLACK = HexColor("#000000")

TITLES = {
    "basic": (
        "CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN CƠ BẢN",
        "CERTIFICATE OF BASIC INFORMATION TECHNOLOGY SKILLS",
        "Chuẩn kỹ năng sử dụng CNTT cơ bản (Thông tư 03/2014/TT-BTTTT)",
    ),
    "advanced": (
        "CHỨNG CHỈ ỨNG DỤNG CÔNG NGHỆ THÔNG TIN NÂNG CAO",
        "CERTIFICATE OF ADVANCED INFORMATION TECHNOLOGY SKILLS",
        "Chuẩn kỹ năng sử dụng CNTT nâng cao (Thông tư 03/2014/TT-BTTTT)",
    ),
}

# Layout (points). Left panel: issuer, photo, numbers, QR. Right panel: everything else.
_FRAME = 18.0
_LEFT_X0, _LEFT_X1 = 44.0, 236.0
_RIGHT_X0, _RIGHT_X1 = 262.0, PAGE_WIDTH - 44.0
_PHOTO_W, _PHOTO_H = 4 * cm, 6 * cm
_QR_SIZE = 92.0


@cache
def register_fonts() -> None:
    """Register the embedded DejaVu Serif family with reportlab (idempotent)."""
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC)


def vietnamese_long_date(place: str, d: date) -> str:
    """"Bắc Ninh, ngày 05 tháng 02 năm 2026".

    Nghị định 30/2020/NĐ-CP, Phụ lục I: a day below 10 and the months 1 and 2 take a leading 0.
    """
    day = f"{d.day:02d}"
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"{place}, ngày {day} tháng {month} năm {d.year}"


def short_date(d: date) -> str:
    """dd/mm/yyyy, as dates are printed in the particulars."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


REVOKED_MARK = "ĐÃ THU HỒI"


def render_certificate(data: CertificateData, *, revoked_note: str | None = None) -> bytes:
    """The certificate as PDF bytes; identical bytes for identical ``data``.

    ``revoked_note`` (the revocation decision) stamps the page "ĐÃ THU HỒI" across its face:
    a revoked certificate is never printed clean.
    """
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        initialFontName=REGULAR,
        initialFontSize=11,
    )
    title_vi, title_en, _ = TITLES[data.certificate_type]
    canvas.setTitle(f"{title_vi} – {data.full_name}")
    canvas.setAuthor(data.issuer_name)
    canvas.setSubject(f"Số hiệu: {data.serial}; Số vào sổ gốc: {data.register_number}")
    canvas.setCreator("exam-engine certs")
    canvas.setKeywords(["chứng chỉ", "ứng dụng CNTT", data.serial, data.register_number])

    _draw_frame(canvas)
    _draw_left_panel(canvas, data)
    _draw_header_and_title(canvas, data)
    y = _draw_particulars(canvas, data, top=392.0)
    _draw_signature_block(canvas, data, top=min(y - 20.0, 190.0))
    _draw_decision(canvas, data)
    if revoked_note is not None:
        _draw_revoked_mark(canvas, revoked_note)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# -- drawing helpers --------------------------------------------------------------------------


def _draw_frame(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(3.2)
    canvas.rect(_FRAME, _FRAME, PAGE_WIDTH - 2 * _FRAME, PAGE_HEIGHT - 2 * _FRAME)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.9)
    inset = _FRAME + 6
    canvas.rect(inset, inset, PAGE_WIDTH - 2 * inset, PAGE_HEIGHT - 2 * inset)
    # small corner ornaments: a gold diamond in each corner of the inner frame
    for cx, cy in ((inset, inset), (inset, PAGE_HEIGHT - inset), (PAGE_WIDTH - inset, inset),
                   (PAGE_WIDTH - inset, PAGE_HEIGHT - inset)):
        path = canvas.beginPath()
        path.moveTo(cx, cy - 5)
        path.lineTo(cx + 5, cy)
        path.lineTo(cx, cy + 5)
        path.lineTo(cx - 5, cy)
        path.close()
        canvas.setFillColor(GOLD)
        canvas.drawPath(path, stroke=0, fill=1)
    # the divider between the two panels
    divider_x = (_LEFT_X1 + _RIGHT_X0) / 2
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.6)
    canvas.line(divider_x, 52, divider_x, PAGE_HEIGHT - 52)
    canvas.restoreState()


def _centred_lines(canvas: Canvas, lines: list[str], cx: float, top: float, font: str,
                   size: float, leading: float, color: Color = BLACK) -> float:
    """Draw centred lines from baseline ``top`` downwards; return the last baseline."""
    canvas.setFont(font, size)
    canvas.setFillColor(color)
    y = top
    for i, line in enumerate(lines):
        y = top - i * leading
        canvas.drawCentredString(cx, y, line)
    return y


def _fit_size(text: str, font: str, max_size: float, min_size: float, width: float) -> float:
    """Largest font size (step 0.5) at which ``text`` fits ``width``; ``min_size`` at worst."""
    size = max_size
    while size > min_size and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _wrap_chars(text: str, font: str, size: float, width: float) -> list[str]:
    """Wrap a string without spaces (a URL) at any character."""
    lines, current = [], ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, font, size) > width:
            lines.append(current)
            current = char
        else:
            current += char
    if current:
        lines.append(current)
    return lines


def _draw_left_panel(canvas: Canvas, data: CertificateData) -> None:
    cx = (_LEFT_X0 + _LEFT_X1) / 2
    width = _LEFT_X1 - _LEFT_X0

    # Issuer, as in the top-left corner of a Vietnamese administrative document.
    issuer_lines = simpleSplit(data.issuer_name, BOLD, 11, width)
    last = _centred_lines(canvas, issuer_lines, cx, PAGE_HEIGHT - 62, BOLD, 11, 14, NAVY)
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(0.6)
    canvas.line(cx - 30, last - 6, cx + 30, last - 6)

    # Photo 4x6 cm.
    photo_top = last - 22
    px, py = cx - _PHOTO_W / 2, photo_top - _PHOTO_H
    if data.photo_jpeg is not None:
        image = ImageReader(io.BytesIO(data.photo_jpeg))
        iw, ih = image.getSize()
        scale = max(_PHOTO_W / iw, _PHOTO_H / ih)  # cover the box, crop the overflow
        dw, dh = iw * scale, ih * scale
        canvas.saveState()
        clip = canvas.beginPath()
        clip.rect(px, py, _PHOTO_W, _PHOTO_H)
        canvas.clipPath(clip, stroke=0, fill=0)
        canvas.drawImage(image, cx - dw / 2, py + (_PHOTO_H - dh) / 2, dw, dh)
        canvas.restoreState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.6)
        canvas.rect(px, py, _PHOTO_W, _PHOTO_H)
    else:
        canvas.saveState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.6)
        canvas.setDash(3, 2)
        canvas.rect(px, py, _PHOTO_W, _PHOTO_H)
        canvas.restoreState()
        _centred_lines(canvas, ["Ảnh 4 × 6", "(Photo)"], cx, py + _PHOTO_H / 2 + 4, ITALIC, 9, 12, GREY)

    # Số hiệu and số vào sổ gốc.
    y = py - 24
    for label, value in (("Số hiệu", data.serial), ("Số vào sổ gốc", data.register_number)):
        canvas.setFont(REGULAR, 9.5)
        canvas.setFillColor(BLACK)
        label_text = f"{label}: "
        size = _fit_size(value, BOLD, 10.5, 7, width - pdfmetrics.stringWidth(label_text, REGULAR, 9.5))
        total = pdfmetrics.stringWidth(label_text, REGULAR, 9.5) + pdfmetrics.stringWidth(value, BOLD, size)
        x = cx - total / 2
        canvas.drawString(x, y, label_text)
        canvas.setFont(BOLD, size)
        canvas.setFillColor(RED)
        canvas.drawString(x + pdfmetrics.stringWidth(label_text, REGULAR, 9.5), y, value)
        y -= 16

    _draw_qr(canvas, data.verify_url, cx, bottom=64.0)


def _draw_qr(canvas: Canvas, url: str, cx: float, bottom: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    # initialFontName: otherwise renderPDF selects Helvetica, an unembedded base-14 font.
    drawing = Drawing(
        _QR_SIZE, _QR_SIZE, transform=[_QR_SIZE / (x1 - x0), 0, 0, _QR_SIZE / (y1 - y0), 0, 0],
        initialFontName=REGULAR, initialFontSize=8,
    )
    drawing.add(widget)
    qx, qy = cx - _QR_SIZE / 2, bottom
    renderPDF.draw(drawing, canvas, qx, qy)
    canvas.linkURL(url, (qx, qy, qx + _QR_SIZE, qy + _QR_SIZE), relative=0, thickness=0)

    canvas.setFont(ITALIC, 7)
    canvas.setFillColor(GREY)
    canvas.drawCentredString(cx, qy + _QR_SIZE + 3, "Tra cứu / Verify:")
    lines = _wrap_chars(url, REGULAR, 6.5, _LEFT_X1 - _LEFT_X0)
    _centred_lines(canvas, lines, cx, qy - 2, REGULAR, 6.5, 8, NAVY)
    text_w = max(pdfmetrics.stringWidth(line, REGULAR, 6.5) for line in lines)
    text_bottom = qy - 2 - 8 * (len(lines) - 1) - 2
    canvas.linkURL(url, (cx - text_w / 2, text_bottom, cx + text_w / 2, qy + 4), relative=0, thickness=0)


def _draw_header_and_title(canvas: Canvas, data: CertificateData) -> None:
    cx = (_RIGHT_X0 + _RIGHT_X1) / 2
    canvas.setFillColor(BLACK)
    canvas.setFont(BOLD, 12.5)
    canvas.drawCentredString(cx, PAGE_HEIGHT - 62, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    motto = "Độc lập - Tự do - Hạnh phúc"
    canvas.setFont(BOLD, 12)
    canvas.drawCentredString(cx, PAGE_HEIGHT - 78, motto)
    half = pdfmetrics.stringWidth(motto, BOLD, 12) / 2
    canvas.setLineWidth(0.7)
    canvas.setStrokeColor(BLACK)
    canvas.line(cx - half, PAGE_HEIGHT - 82, cx + half, PAGE_HEIGHT - 82)
    canvas.setFont(ITALIC, 8.5)
    canvas.setFillColor(GREY)
    canvas.drawCentredString(cx, PAGE_HEIGHT - 95, "SOCIALIST REPUBLIC OF VIETNAM — Independence - Freedom - Happiness")

    title_vi, title_en, _ = TITLES[data.certificate_type]
    width = _RIGHT_X1 - _RIGHT_X0 - 10
    size = _fit_size(title_vi, BOLD, 19, 12, width)
    canvas.setFont(BOLD, size)
    canvas.setFillColor(RED)
    canvas.drawCentredString(cx, PAGE_HEIGHT - 138, title_vi)
    canvas.setFont(BOLD_ITALIC, _fit_size(title_en, BOLD_ITALIC, 11.5, 8, width))
    canvas.setFillColor(NAVY)
    canvas.drawCentredString(cx, PAGE_HEIGHT - 157, title_en)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.line(cx - 90, PAGE_HEIGHT - 170, cx + 90, PAGE_HEIGHT - 170)


def _label(canvas: Canvas, x: float, y: float, vi: str, en: str) -> float:
    """Draw "Họ và tên / Full name:" and return the x where the label ends."""
    canvas.setFont(REGULAR, 10.5)
    canvas.setFillColor(BLACK)
    canvas.drawString(x, y, vi)
    x += pdfmetrics.stringWidth(vi, REGULAR, 10.5)
    en_text = f" / {en}:"
    canvas.setFont(ITALIC, 8.5)
    canvas.setFillColor(GREY)
    canvas.drawString(x, y, en_text)
    return x + pdfmetrics.stringWidth(en_text, ITALIC, 8.5)


def _value(canvas: Canvas, x: float, y: float, text: str, width: float, size: float = 11.5,
           font: str = BOLD) -> None:
    canvas.setFont(font, _fit_size(text, font, size, 7.5, width))
    canvas.setFillColor(BLACK)
    canvas.drawString(x, y, text)


def _draw_particulars(canvas: Canvas, data: CertificateData, top: float) -> float:
    """The holder, the exam and (advanced) the modules; returns the lowest baseline used."""
    x0, x1 = _RIGHT_X0 + 14, _RIGHT_X1 - 8
    value_x = x0 + 150
    mid = x0 + 290  # second column on shared lines
    value2_x = mid + 112
    step = 20.0
    y = top

    _label(canvas, x0, y, "Họ và tên", "Full name")
    _value(canvas, value_x, y, data.full_name, x1 - value_x, size=15)
    y -= step + 2

    _label(canvas, x0, y, "Ngày sinh", "Date of birth")
    _value(canvas, value_x, y, short_date(data.date_of_birth), mid - value_x - 6)
    _label(canvas, mid, y, "Giới tính", "Sex")
    _value(canvas, value2_x, y, data.gender, x1 - value2_x)
    y -= step

    _label(canvas, x0, y, "Nơi sinh", "Place of birth")
    _value(canvas, value_x, y, data.place_of_birth, mid - value_x - 6)
    _label(canvas, mid, y, "Dân tộc", "Ethnicity")
    _value(canvas, value2_x, y, data.ethnicity, x1 - value2_x)
    y -= step

    _label(canvas, x0, y, "Hội đồng thi", "Exam council")
    council_width = x1 - value_x
    if pdfmetrics.stringWidth(data.exam_council, BOLD, 9) <= council_width:
        _value(canvas, value_x, y, data.exam_council, council_width, size=11)
    else:  # too long for one line even at 9 pt: wrap, two lines if any size allows
        size = 10.0
        lines = simpleSplit(data.exam_council, BOLD, size, council_width)
        while len(lines) > 2 and size > 7.5:
            size -= 0.5
            lines = simpleSplit(data.exam_council, BOLD, size, council_width)
        canvas.setFont(BOLD, size)
        canvas.setFillColor(BLACK)
        for i, line in enumerate(lines):
            canvas.drawString(value_x, y - i * (size + 2.5), line)
        y -= (len(lines) - 1) * (size + 2.5)
    y -= step

    _label(canvas, x0, y, "Ngày thi", "Exam date")
    _value(canvas, value_x, y, short_date(data.exam_date), mid - value_x - 6)
    _label(canvas, mid, y, "Kết quả", "Result")
    _value(canvas, value2_x, y, data.result_summary, x1 - value2_x)
    y -= step

    _, _, standard = TITLES[data.certificate_type]
    end = _label(canvas, x0, y, "Đạt chuẩn", "Standard")
    _value(canvas, max(value_x, end + 6), y, standard, x1 - max(value_x, end + 6), size=10.5, font=REGULAR)

    if data.certificate_type == "advanced":
        y -= step - 2
        _label(canvas, x0, y, "Các mô-đun đạt", "Modules passed")
        modules = data.module_names
        per_column = (len(modules) + 1) // 2 if len(modules) > 3 else len(modules)
        col_width = (x1 - x0 - 12) / 2 if len(modules) > 3 else x1 - x0 - 12
        row_y = y - 14
        for i, (code, name) in enumerate(modules):
            col, row = divmod(i, per_column)
            mx, my = x0 + 12 + col * col_width, row_y - row * 13
            canvas.setFont(BOLD, 9.5)
            canvas.setFillColor(NAVY)
            canvas.drawString(mx, my, code)
            canvas.setFont(REGULAR, _fit_size(name, REGULAR, 9.5, 7, col_width - 40))
            canvas.setFillColor(BLACK)
            canvas.drawString(mx + 34, my, name)
        y = row_y - (per_column - 1) * 13
    return y


def _draw_signature_block(canvas: Canvas, data: CertificateData, top: float) -> None:
    cx = _RIGHT_X1 - 130
    canvas.setFont(ITALIC, 10.5)
    canvas.setFillColor(BLACK)
    canvas.drawCentredString(cx, top, vietnamese_long_date(data.issue_place, data.issue_date))
    y = top - 17
    if data.signs_on_behalf_of:
        canvas.setFont(BOLD, 11)
        canvas.drawCentredString(cx, y, data.signs_on_behalf_of)
        y -= 14
    canvas.setFont(BOLD, 11)
    canvas.drawCentredString(cx, y, data.signer_title)
    # room for the handwritten signature and the red seal
    name_y = max(y - 66, 60.0)
    canvas.setFont(BOLD, 11.5)
    canvas.drawCentredString(cx, name_y, data.signer_name)


def _draw_decision(canvas: Canvas, data: CertificateData) -> None:
    if data.decision_number is None:
        return
    text = f"Quyết định cấp chứng chỉ số {data.decision_number}"
    if data.decision_date is not None:
        text += f" ngày {short_date(data.decision_date)}"
    width = (_RIGHT_X1 - 130 - 95) - (_RIGHT_X0 + 14)  # stays left of the signer's name
    canvas.setFont(ITALIC, _fit_size(text, ITALIC, 8.5, 6.5, width))
    canvas.setFillColor(GREY)
    canvas.drawString(_RIGHT_X0 + 14, 60, text)


def _draw_revoked_mark(canvas: Canvas, note: str) -> None:
    """A red stamp over the whole face, drawn last so nothing covers it."""
    canvas.saveState()
    canvas.setFillColor(Color(RED.red, RED.green, RED.blue, alpha=0.55))
    canvas.setStrokeColor(RED)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(24)
    canvas.setFont(BOLD, 84)
    canvas.drawCentredString(0, -28, REVOKED_MARK)
    canvas.restoreState()
    canvas.saveState()
    canvas.setFillColor(RED)
    text = f"{REVOKED_MARK} / REVOKED — {note}"
    canvas.setFont(BOLD, _fit_size(text, BOLD, 11, 6.5, PAGE_WIDTH - 2 * _FRAME - 40))
    canvas.drawCentredString(PAGE_WIDTH / 2, _FRAME + 12, text)
    canvas.restoreState()
