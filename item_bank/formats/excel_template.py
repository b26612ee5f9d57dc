"""The downloadable Excel template: the header row, three example rows and the sheet
"Hướng dẫn" that explains every column and every item type in Vietnamese.

The template is itself a valid import file: importing it gives the three example items.
"""

from __future__ import annotations

import io
from dataclasses import replace

from openpyxl.styles import Alignment, Font

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.excel import HEADERS, KIND_LABELS, new_workbook, record_row, set_row
from item_bank.taxonomy import tags_with_ic3

INSTRUCTION_SHEET = "Hướng dẫn"

COLUMN_HELP: list[tuple[str, str]] = [
    ("Mã câu", "Mã riêng của câu hỏi (không bắt buộc), ví dụ IU04-001. Dùng để nhận ra câu khi "
     "nhập lại."),
    ("Loại câu", "Bắt buộc. Một trong: " + "; ".join(KIND_LABELS.values()) + "."),
    ("Mô-đun", "Mô-đun theo Thông tư 03/2014/TT-BTTTT, ví dụ IU04. Câu hỏi cần mô-đun và mã "
     "yêu cầu, hoặc môn học (câu của các môn phổ thông), hoặc cả hai."),
    ("Mã yêu cầu", "Mã yêu cầu cần đạt, ví dụ IU04.5.2."),
    ("Độ khó", "Dễ, Trung bình hoặc Khó (ước lượng của người soạn)."),
    ("Nội dung câu hỏi", "Bắt buộc. Văn bản câu hỏi. Câu điền khuyết đánh dấu ô trống bằng "
     "[[1]], [[2]]… Có thể chèn ảnh bằng <img src=\"ten_anh.png\"> khi kèm tệp ở sheet "
     "“Tệp đính kèm”."),
    ("Phương án A … F", "Các phương án (Một lựa chọn, Nhiều lựa chọn, Sắp xếp), các mệnh đề "
     "(Đúng/Sai 4 ý: đúng 4 mệnh đề A–D) hoặc vế trái (Ghép đôi). Điền liên tục từ A, không bỏ "
     "trống ở giữa."),
    ("Vế phải 1 … 6", "Chỉ dùng cho Ghép đôi: các mục ở cột bên phải, đánh số 1, 2, 3…"),
    ("Đáp án", "Bắt buộc. Cách ghi theo loại câu, xem bảng bên dưới."),
    ("Chấm điểm", "Nhiều lựa chọn: “Từng phần” hoặc “Tất cả hoặc không” (mặc định). Trả lời "
     "ngắn: “Phân biệt hoa thường” hoặc “Không phân biệt hoa thường” (mặc định)."),
    ("Giải thích", "Lời giải thích hiện sau khi trả lời trong bài luyện tập (không hiện khi thi)."),
    ("Thẻ", "Các thẻ, cách nhau bằng dấu phẩy, ví dụ: hàm, SUM. Lĩnh vực IC3 GS6 ghi là thẻ "
     "“IC3:mã” với mã là TB (Kiến thức cơ bản về công nghệ), DC (Công dân số), IM (Quản lý "
     "thông tin), CC (Tạo nội dung), CO (Giao tiếp), CL (Hợp tác) hoặc SS (An toàn và bảo "
     "mật), ví dụ: hàm, IC3:CC."),
    ("Tiêu đề", "Tên ngắn của câu hỏi (không bắt buộc)."),
    ("Môn học", "Môn học với các môn phổ thông, ví dụ Toán, Tin học."),
    ("Lớp", "Khối lớp, từ 1 đến 12."),
    ("Điểm", "Số điểm của câu; để trống là 1."),
    ("Đảo phương án", "“Không” nếu không được đảo thứ tự phương án khi hiển thị; để trống là Có."),
]

KEY_HELP: list[tuple[str, str, str]] = [
    (KIND_LABELS[ItemKind.SINGLE], "Một chữ cái", "B"),
    (KIND_LABELS[ItemKind.MULTIPLE], "Các chữ cái, cách nhau bằng dấu phẩy", "A,C"),
    (KIND_LABELS[ItemKind.TRUE_FALSE4], "Đ hoặc S cho từng mệnh đề A, B, C, D", "Đ,S,Đ,S"),
    (KIND_LABELS[ItemKind.MATCHING], "Các cặp vế trái-vế phải", "A-2,B-1,C-3"),
    (KIND_LABELS[ItemKind.ORDERING], "Các phương án theo thứ tự đúng", "C,A,B"),
    (KIND_LABELS[ItemKind.SHORT_ANSWER], "Các đáp án được chấp nhận, cách nhau bằng “ | ”",
     "Ctrl+Z | Ctrl Z"),
    (KIND_LABELS[ItemKind.NUMERIC], "Giá trị, có thể kèm sai số tuyệt đối hoặc phần trăm "
     "(dùng dấu phẩy thập phân)", "3,5 ± 0,01   hoặc   120 ± 5%"),
    (KIND_LABELS[ItemKind.CLOZE], "Mỗi ô trống một dòng (Alt+Enter để xuống dòng): "
     "“số: đáp án | đáp án khác” hoặc “số: *lựa chọn đúng / lựa chọn sai”",
     "1: SUM | sum\n2: *$A$1 / A1 / A$1"),
]


def example_records() -> list[ItemRecord]:
    return [
        ItemRecord(
            content=ItemContent(
                kind=ItemKind.SINGLE,
                stem="Hàm nào tính tổng các giá trị trong vùng A1:A10?",
                choices=(Part("A", "AVERAGE"), Part("B", "SUM"), Part("C", "COUNT"),
                         Part("D", "MAX")),
                key={"correct": "B"},
                feedback="Hàm SUM cộng các giá trị số trong vùng.",
            ),
            external_id="IU04-001", module="IU04", code="IU04.5.2", difficulty="easy",
            tags=("hàm", "SUM"), ic3_domain="CC",
        ),
        ItemRecord(
            content=ItemContent(
                kind=ItemKind.TRUE_FALSE4,
                stem="Về thư điện tử, mỗi mệnh đề sau đúng hay sai?",
                choices=(Part("A", "Có thể gửi một thư cho nhiều người cùng lúc."),
                         Part("B", "Người nhận ở ô BCC thấy được nhau."),
                         Part("C", "Tệp đính kèm có thể chứa mã độc."),
                         Part("D", "Thư đã gửi luôn thu hồi được.")),
                key={"truth": {"A": True, "B": False, "C": True, "D": False}},
            ),
            external_id="IU06-001", module="IU06", code="IU06.4.1", difficulty="medium",
        ),
        ItemRecord(
            content=ItemContent(
                kind=ItemKind.SHORT_ANSWER,
                stem="Tổ hợp phím nào hoàn tác thao tác vừa làm trong Word?",
                key={"accepted": ["Ctrl+Z", "Ctrl Z"], "case_sensitive": False},
            ),
            external_id="IU03-001", module="IU03", code="IU03.4.1", difficulty="easy",
        ),
    ]


def build_template() -> bytes:
    """The template workbook as bytes (sheets "Câu hỏi" and "Hướng dẫn")."""
    workbook, sheet = new_workbook()
    for number, record in enumerate(example_records(), start=2):
        # as formats.write does: the IC3 domain travels as an "IC3:<code>" tag
        record = replace(record, tags=tags_with_ic3(record.tags, record.ic3_domain))
        set_row(sheet, number, record_row(record.content, record))
    guide = workbook.create_sheet(INSTRUCTION_SHEET)
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 70
    guide.column_dimensions["C"].width = 30
    rows: list[list[str]] = [
        ["HƯỚNG DẪN NHẬP CÂU HỎI TỪ EXCEL"],
        ["Mỗi hàng của sheet “Câu hỏi” là một câu hỏi; hàng 1 là tiêu đề cột, không đổi tên cột. "
         "Ba hàng mẫu có thể xoá. Nếu có lỗi, hệ thống báo tất cả lỗi kèm hàng và ô, và không "
         "nhập câu nào cho đến khi sửa hết."],
        [],
        ["Cột", "Ý nghĩa"],
        *[[name, text] for name, text in COLUMN_HELP],
        [],
        ["Loại câu", "Cách ghi cột Đáp án", "Ví dụ"],
        *[[kind, how, example] for kind, how, example in KEY_HELP],
    ]
    bold_rows = {1, 4, 6 + len(COLUMN_HELP)}
    for number, values in enumerate(rows, start=1):
        set_row(guide, number, values)
        for column in range(1, 4):
            guide.cell(row=number, column=column).alignment = Alignment(wrap_text=True,
                                                                         vertical="top")
        if number in bold_rows:
            for column in range(1, 4):
                guide.cell(row=number, column=column).font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = ["build_template", "example_records", "HEADERS"]
