"""The benchmark's item bank: every item kind the exam page takes, per TT03 basic module.

Choice items go through the seeding path the demo uses; the other kinds are written as the
editor stores them (sanitised, checked by their type). ``--kinds choice`` keeps the bank of the
earlier runs (single and multiple choice only), to compare with their figures.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from exam_engine.exams.scheduling import TT03_BASIC_MODULES
from item_bank.content import ItemContent, ItemKind, Part, content_to_json
from item_bank.models import Item, ItemStatus, ItemVersion, RequirementCode
from item_bank.seeding import seed_items
from item_bank.workflow import clean_content

OTHER_KINDS = (ItemKind.TRUE_FALSE4, ItemKind.MATCHING, ItemKind.ORDERING,
               ItemKind.SHORT_ANSWER, ItemKind.NUMERIC, ItemKind.CLOZE)


def _choice_item(module: str, i: int) -> dict[str, Any]:
    multiple = i % 3 == 2
    return {"key": f"{module}-BENCH-{i:04d}", "module": module, "code": module,
            "type": "multiple" if multiple else "single",
            "difficulty": ("easy", "medium", "hard")[i % 3],
            "stem": f"Câu hỏi đo tải {module} số {i}: chọn đáp án đúng?",
            "options": ["Đáp án A", "Đáp án B", "Đáp án C", "Đáp án D"],
            "correct": [0, 2] if multiple else [1]}


def _content(kind: ItemKind, label: str) -> ItemContent:
    """One item of ``kind``; ``label`` keeps stems apart."""
    four = tuple(Part(p, f"Mệnh đề {p} ({label})") for p in "ABCD")
    if kind is ItemKind.TRUE_FALSE4:
        return ItemContent(kind, f"Đúng hay sai? {label}", four,
                           key={"truth": {"A": True, "B": False, "C": True, "D": False}})
    if kind is ItemKind.MATCHING:
        return ItemContent(kind, f"Ghép phím tắt với tác dụng ({label}).",
                           (Part("A", "Ctrl+C"), Part("B", "Ctrl+V"), Part("C", "Ctrl+Z")),
                           (Part("1", "Dán"), Part("2", "Sao chép"), Part("3", "Hoàn tác")),
                           key={"pairs": {"A": "2", "B": "1", "C": "3"}})
    if kind is ItemKind.ORDERING:
        return ItemContent(kind, f"Sắp xếp các bước lưu tệp ({label}).",
                           (Part("A", "Chọn thư mục"), Part("B", "Nhấn Ctrl+S"),
                            Part("C", "Gõ tên tệp")), key={"order": ["B", "A", "C"]})
    if kind is ItemKind.SHORT_ANSWER:
        return ItemContent(kind, f"Tổ hợp phím hoàn tác là gì? ({label})",
                           key={"accepted": ["Ctrl+Z"], "case_sensitive": False})
    if kind is ItemKind.NUMERIC:
        return ItemContent(kind, f"=ROUND(3,456; 1) bằng bao nhiêu? ({label})",
                           key={"value": 3.5, "tolerance": 0.01, "tolerance_kind": "absolute"})
    return ItemContent(kind, f"Hàm [[1]] cộng các ô; A1 tuyệt đối là [[2]] ({label}).",
                       key={"gaps": [{"id": "1", "accepted": ["SUM"]},
                                     {"id": "2", "choices": ["$A$1", "A1", "A$1"],
                                      "correct": "$A$1"}]})


def seed_bank(db: Session, per_module: int, kinds: str) -> None:
    """``per_module`` approved items per module: with ``kinds="all"`` every other item is of one
    of the six other kinds in turn (so each form holds all eight), else choice items only."""
    for module in TT03_BASIC_MODULES:
        db.add(RequirementCode(code=module, module=module, name=f"Mô-đun {module}"))
    db.flush()
    others = []
    choices = []
    for module in TT03_BASIC_MODULES:
        for i in range(per_module):
            if kinds == "all" and i % 2 == 1:
                others.append((module, i, OTHER_KINDS[(i // 2) % len(OTHER_KINDS)]))
            else:
                choices.append(_choice_item(module, i))
    seed_items(db, choices)
    for module, i, kind in others:
        item = Item(key=f"{module}-BENCH-{i:04d}", module=module, code=module)
        db.add(item)
        db.flush()
        content = clean_content(_content(kind, f"{module}-{i}"))
        db.add(ItemVersion(item_id=item.id, version=1, kind=kind.value,
                           content=content_to_json(content), status=ItemStatus.APPROVED,
                           irt_a=1.0, irt_b=0.0, irt_c=0.0, irt_is_demo=True))
    db.flush()
