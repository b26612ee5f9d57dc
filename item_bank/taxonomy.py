"""Where an item belongs: the TT03 requirement tree for IT skills, IC3 GS6 domains, subject and
grade for general subjects, and free tags. Pure data and checks: no database, no Flask.

An item is classified either by the national IT-skill standard (Thông tư 03/2014/TT-BTTTT:
module ``IU04`` and requirement code ``IU04.5.2``; the tree itself is editable seed data in the
``requirement_codes`` table) or by a general school subject (``Toán``, grade 10), or both
(an IU06 item used in Tin học 10). IC3 Digital Literacy GS6 domains (Certiport) may be added to
either, since the Ministry accepts IC3 as meeting the basic standard.

Formats that carry free tags carry the IC3 domain as the tag ``IC3:<code>`` (see
:func:`tags_with_ic3` / :func:`split_ic3_tag`), so a round trip through Moodle or QTI keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from item_bank.text_normalise import nfc

__all__ = ["DIFFICULTIES", "GRADES", "IC3_DOMAINS", "SUBJECTS", "Ic3Domain",
           "classification_problems", "normalise_tags", "split_ic3_tag", "tags_with_ic3"]


@dataclass(frozen=True)
class Ic3Domain:
    code: str
    name_vi: str
    name_en: str


# IC3 Digital Literacy Certification, Global Standard 6: the seven domains.
IC3_DOMAINS: tuple[Ic3Domain, ...] = (
    Ic3Domain("TB", "Kiến thức cơ bản về công nghệ", "Technology Basics"),
    Ic3Domain("DC", "Công dân số", "Digital Citizenship"),
    Ic3Domain("IM", "Quản lý thông tin", "Information Management"),
    Ic3Domain("CC", "Tạo nội dung", "Content Creation"),
    Ic3Domain("CO", "Giao tiếp", "Communication"),
    Ic3Domain("CL", "Hợp tác", "Collaboration"),
    Ic3Domain("SS", "An toàn và bảo mật", "Safety and Security"),
)
IC3_BY_CODE: Mapping[str, Ic3Domain] = {d.code: d for d in IC3_DOMAINS}

#: Thông tư 03/2014/TT-BTTTT, Phụ lục I (basic, IU01-IU06) and Phụ lục II (advanced, IU07-IU15).
TT03_MODULE_NAMES: Mapping[str, str] = {
    "IU01": "Hiểu biết về CNTT cơ bản",
    "IU02": "Sử dụng máy tính cơ bản",
    "IU03": "Xử lý văn bản cơ bản",
    "IU04": "Sử dụng bảng tính cơ bản",
    "IU05": "Sử dụng trình chiếu cơ bản",
    "IU06": "Sử dụng Internet cơ bản",
    "IU07": "Xử lý văn bản nâng cao",
    "IU08": "Sử dụng bảng tính nâng cao",
    "IU09": "Sử dụng trình chiếu nâng cao",
    "IU10": "Sử dụng hệ quản trị cơ sở dữ liệu",
    "IU11": "Thiết kế đồ họa hai chiều",
    "IU12": "Biên tập ảnh",
    "IU13": "Biên tập trang thông tin điện tử",
    "IU14": "An toàn, bảo mật thông tin",
    "IU15": "Sử dụng phần mềm kế hoạch dự án",
}
#: The one list of modules, shared by the bank, the exam and the certificates.
TT03_MODULES: tuple[str, ...] = tuple(TT03_MODULE_NAMES)
TT03_BASIC_MODULES: tuple[str, ...] = TT03_MODULES[:6]
TT03_ADVANCED_MODULES: tuple[str, ...] = TT03_MODULES[6:]

# Subjects of the 2018 general-education programme, offered as suggestions; any subject name
# is accepted (centres teach others), stored NFC.
SUBJECTS: tuple[str, ...] = (
    "Tin học", "Toán", "Ngữ văn", "Tiếng Anh", "Vật lí", "Hoá học", "Sinh học", "Lịch sử",
    "Địa lí", "Giáo dục kinh tế và pháp luật", "Công nghệ", "Khoa học tự nhiên",
    "Lịch sử và Địa lí", "Giáo dục công dân", "Khoa học", "Tự nhiên và Xã hội",
)
GRADES = range(1, 13)
DIFFICULTIES: Mapping[str, tuple[str, str]] = {
    "easy": ("Dễ", "Easy"), "medium": ("Trung bình", "Medium"), "hard": ("Khó", "Hard")}

TAG_MAX = 60
SUBJECT_MAX = 100
_IC3_TAG = re.compile(r"^IC3:\s*([A-Za-z]{2})$", re.IGNORECASE)

Problem = tuple[str, str, str]  # (field, Vietnamese, English)


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags as stored: NFC, spaces collapsed, empty and repeated ones (case-blind) dropped,
    first spelling kept, in the author's order."""
    seen: set[str] = set()
    kept = []
    for tag in tags:
        tag = " ".join(nfc(tag).split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            kept.append(tag)
    return tuple(kept)


def split_ic3_tag(tags: Iterable[str]) -> tuple[tuple[str, ...], str | None]:
    """Free tags and the IC3 domain code found among them as ``IC3:<code>`` (known codes only)."""
    free, domain = [], None
    for tag in tags:
        match = _IC3_TAG.match(tag.strip())
        if match and match.group(1).upper() in IC3_BY_CODE and domain is None:
            domain = match.group(1).upper()
        else:
            free.append(tag)
    return tuple(free), domain


def tags_with_ic3(tags: Iterable[str], ic3_domain: str | None) -> tuple[str, ...]:
    """Inverse of :func:`split_ic3_tag`: the domain appended as the tag ``IC3:<code>``."""
    return (*tags, f"IC3:{ic3_domain}") if ic3_domain else tuple(tags)


def classification_problems(*, module: str | None, code: str | None, subject: str | None,
                            grade: int | None, ic3_domain: str | None, tags: Iterable[str],
                            difficulty: str | None, codes: Mapping[str, object]
                            ) -> list[Problem]:
    """Everything wrong with where an item is filed. ``codes`` maps requirement code -> its
    module (the TT03 tree as loaded from the database)."""
    problems: list[Problem] = []
    if not module and not code and not subject:
        problems.append(("module", "Cần mô-đun và mã yêu cầu TT03 (ví dụ IU04, IU04.5.2) "
                         "hoặc môn học (ví dụ Toán).",
                         "Give a TT03 module and requirement code, or a subject."))
    if module or code:
        if not module:
            problems.append(("module", "Thiếu mô-đun (ví dụ IU04).", "The module is missing."))
        elif codes.get(module) != module:
            problems.append(("module", f"Mô-đun “{module}” không có trong khung TT03.",
                             f"Unknown module “{module}”."))
        if not code:
            problems.append(("code", "Thiếu mã yêu cầu (ví dụ IU04.5.2).",
                             "The requirement code is missing."))
        elif code not in codes:
            problems.append(("code", f"Mã yêu cầu “{code}” không có trong khung TT03.",
                             f"Unknown requirement code “{code}”."))
        elif module and codes[code] != module:
            problems.append(("code", f"Mã yêu cầu “{code}” không thuộc mô-đun “{module}”.",
                             f"Requirement code “{code}” is not in module “{module}”."))
    if subject is not None and len(subject) > SUBJECT_MAX:
        problems.append(("subject", f"Tên môn học dài quá {SUBJECT_MAX} ký tự.",
                         f"The subject is longer than {SUBJECT_MAX} characters."))
    if grade is not None and grade not in GRADES:
        problems.append(("grade", "Lớp phải từ 1 đến 12.", "The grade must be 1 to 12."))
    if ic3_domain is not None and ic3_domain not in IC3_BY_CODE:
        problems.append(("ic3_domain", f"Lĩnh vực IC3 “{ic3_domain}” không có; dùng một trong "
                         f"{', '.join(IC3_BY_CODE)}.", f"Unknown IC3 domain “{ic3_domain}”."))
    if difficulty is not None and difficulty not in DIFFICULTIES:
        problems.append(("difficulty", "Độ khó phải là Dễ, Trung bình hoặc Khó.",
                         "Difficulty must be easy, medium or hard."))
    for tag in tags:
        if len(tag) > TAG_MAX:
            problems.append(("tags", f"Thẻ “{tag[:20]}…” dài quá {TAG_MAX} ký tự.",
                             f"A tag is longer than {TAG_MAX} characters."))
    return problems
