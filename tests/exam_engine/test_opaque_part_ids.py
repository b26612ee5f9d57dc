"""Nothing the candidate's browser receives predicts the key (issue 10, hole 1).

The bank below is written the way authors and imports write: every part stored in key order
(ordering steps A→B→C→D, matching pairs A→1 … D→4, the right option first, the true statements
first). Before the fix the paper sent those part ids, so sorting them answered ordering and
matching items in every attempt. Here many attempts' papers are read as an attacker would:
every visible id, display position and their sort orders is tried as a predictor of the key,
and none may hit more often than chance allows; no key field may appear at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from math import comb, factorial
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams import delivery, saving
from exam_engine.exams.errors import InvalidAnswer
from exam_engine.exams.models import Answer, Attempt, AttemptItem, ExamSession
from exam_engine.exams.scheduling import (
    RosterRow,
    create_session,
    enrol_candidates,
    schedule_session,
)
from exam_engine.kernel.cache import MemoryCache
from item_bank.content import ItemContent, ItemKind, Part, content_to_json
from item_bank.models import Item, ItemStatus, ItemVersion, RequirementCode
from item_bank.types import item_type
from tests.exam_engine.stored_answers import json_keys

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
MODULE = "IU04"
N_ATTEMPTS = 60
KEY_FIELDS = {"key", "correct", "accepted", "truth", "pairs", "value", "feedback", "scoring",
              "tolerance", "tolerance_kind", "case_sensitive"}


def _parts(ids: str, texts: Sequence[str]) -> tuple[Part, ...]:
    return tuple(Part(i, t) for i, t in zip(ids, texts, strict=True))


def key_ordered_items() -> list[ItemContent]:
    """One item of every kind with its parts stored in key order, and the kinds whose order
    protects the key again with the author's shuffle flag off."""
    items = [
        ItemContent(ItemKind.SINGLE, "Phím nào hoàn tác?",
                    _parts("ABCDE", ["Ctrl+Z", "Ctrl+Y", "Ctrl+X", "Ctrl+P", "Ctrl+Q"]),
                    key={"correct": "A"}),
        ItemContent(ItemKind.MULTIPLE, "Phần mềm nào là bảng tính?",
                    _parts("ABCDE", ["Excel", "Calc", "Word", "Writer", "Impress"]),
                    key={"correct": ["A", "B"]}),
        ItemContent(ItemKind.TRUE_FALSE4, "Mỗi mệnh đề đúng hay sai?",
                    _parts("ABCD", ["RAM mất dữ liệu khi tắt máy.", "SSD là bộ nhớ ngoài.",
                                    "CPU là thiết bị vào.", "Máy in là thiết bị vào."]),
                    key={"truth": {"A": True, "B": True, "C": False, "D": False}}),
        ItemContent(ItemKind.MATCHING, "Ghép phím tắt với tác dụng.",
                    _parts("ABCD", ["Ctrl+C", "Ctrl+V", "Ctrl+Z", "Ctrl+P"]),
                    _parts("1234", ["Sao chép", "Dán", "Hoàn tác", "In"]),
                    key={"pairs": {"A": "1", "B": "2", "C": "3", "D": "4"}}),
        ItemContent(ItemKind.ORDERING, "Sắp xếp các bước chèn biểu đồ.",
                    _parts("ABCD", ["Chọn vùng dữ liệu", "Mở thẻ Insert", "Chọn loại biểu đồ",
                                    "Đặt tiêu đề"]),
                    key={"order": ["A", "B", "C", "D"]}),
        ItemContent(ItemKind.SHORT_ANSWER, "Phím tắt hoàn tác?",
                    key={"accepted": ["Ctrl+Z"], "case_sensitive": False}),
        ItemContent(ItemKind.NUMERIC, "=ROUND(3,456;1) bằng bao nhiêu?",
                    key={"value": 3.5, "tolerance": 0.01}),
        ItemContent(ItemKind.CLOZE, "Hàm [[1]] cộng; phím [[2]] hoàn tác.",
                    key={"gaps": [{"id": "1", "accepted": ["SUM"]},
                                  {"id": "2", "choices": ["Ctrl+Z", "Ctrl+Y", "Ctrl+X", "Ctrl+P"],
                                   "correct": "Ctrl+Z"}]}),
    ]
    fixed = [replace(item, shuffle=False, stem=item.stem + " (cố định)")
             for item in items if item.kind in (ItemKind.SINGLE, ItemKind.MULTIPLE,
                                                ItemKind.MATCHING, ItemKind.ORDERING,
                                                ItemKind.CLOZE)]
    for item in items + fixed:
        assert item_type(item.kind).validate(item) == [], item
    return items + fixed


def make_session(db: Session, items: list[ItemContent], n_candidates: int) -> ExamSession:
    db.add(RequirementCode(code=MODULE, module=MODULE, name="Mô-đun IU04"))
    db.flush()
    for i, content in enumerate(items):
        item = Item(key=f"{MODULE}-O{i:02d}", module=MODULE, code=MODULE)
        db.add(item)
        db.flush()
        db.add(ItemVersion(item_id=item.id, version=1, kind=content.kind.value,
                           content=content_to_json(content), status=ItemStatus.APPROVED,
                           irt_a=1.0, irt_b=0.0, irt_c=0.0))
    db.flush()
    session = create_session(db, title="Ca thi kiểm tra mã phương án", exam_date=date(2026, 11, 24),
                             room="Phòng 3", exam_council="Hội đồng thi Sở GD&ĐT Bắc Ninh",
                             duration_minutes=30, items_per_module={MODULE: len(items)})
    enrol_candidates(db, session, [
        RosterRow(f"OP{i + 1:04d}", "Trần Thị Hạnh", date(1990, 1, 1) + timedelta(days=i),
                  "Hà Nội", "Nữ", f"0012900{i:05d}") for i in range(n_candidates)])
    schedule_session(db, session, seed=2026)
    db.commit()
    return session


# -- what the server knows: which part each visible thing is -------------------------------

def _shown_part_ids(version: ItemVersion, slot: AttemptItem, field: str,
                    gap: str | None = None) -> list[str]:
    if version.kind in ("single", "multiple"):
        return [version.content["choices"][i]["id"] for i in slot.option_order]
    if gap is not None:
        return list(slot.option_order["gaps"][gap])
    return list(slot.option_order[field])


def _visible_lists(question: dict[str, Any]) -> dict[str, list[str]]:
    """Each list of parts the page shows, as the opaque ids in display order."""
    if question["type"] in ("single", "multiple"):
        return {"choices": question["option_ids"]}
    view = question["view"]
    lists = {field: [p["id"] for p in view[field]] for field in ("choices", "targets")
             if field in view}
    for gap in view.get("gaps", []):
        if "options" in gap:
            lists[f"gap:{gap['id']}"] = [o["id"] for o in gap["options"]]
    return lists


# An attacker's ways to turn what he sees into an order of the parts: as shown, reversed,
# and by sorting the visible ids either way.
ORDERINGS: dict[str, Callable[[list[str]], list[int]]] = {
    "display order": lambda ids: list(range(len(ids))),
    "reversed display": lambda ids: list(range(len(ids)))[::-1],
    "ids sorted": lambda ids: sorted(range(len(ids)), key=lambda i: ids[i]),
    "ids sorted descending": lambda ids: sorted(range(len(ids)), key=lambda i: ids[i],
                                                reverse=True),
}


def _predicts_key(content: dict[str, Any], kind: str, ranked: dict[str, list[str]]) -> bool:
    """Whether the parts taken in an attacker's order (part ids per field) answer the item."""
    key = content["key"]
    if kind == "single":
        return ranked["choices"][0] == key["correct"]
    if kind == "multiple":
        return set(ranked["choices"][:len(key["correct"])]) == set(key["correct"])
    if kind == "true_false4":
        n_true = sum(key["truth"].values())
        return {p for p in ranked["choices"][:n_true]} == {p for p, t in key["truth"].items() if t}
    if kind == "matching":
        return dict(zip(ranked["choices"], ranked["targets"], strict=False)) == key["pairs"]
    if kind == "ordering":
        return ranked["choices"] == key["order"]
    if kind == "cloze":
        gap = next(g for g in key["gaps"] if "choices" in g)
        return ranked[f"gap:{gap['id']}"][0] == gap["correct"]
    raise AssertionError(kind)


def _chance(content: dict[str, Any], kind: str) -> float:
    """The probability that a random arrangement answers the item (what guessing gets)."""
    n = len(content["choices"])
    if kind == "single":
        return 1 / n
    if kind == "multiple":
        return 1 / comb(n, len(content["key"]["correct"]))
    if kind == "true_false4":
        return 1 / comb(4, sum(content["key"]["truth"].values()))
    if kind in ("matching", "ordering"):
        return 1 / factorial(n)
    gap = next(g for g in content["key"]["gaps"] if "choices" in g)
    return 1 / len(gap["choices"])


@pytest.fixture
def papers(db):
    """(papers of every attempt, server-side slots and versions by attempt and position)."""
    session = make_session(db, key_ordered_items(), N_ATTEMPTS)
    attempts = [c.attempt for c in session.candidates]
    papers = {a.id: json.loads(json.dumps(delivery.paper(db, a, T0))) for a in attempts}
    rows = db.execute(select(AttemptItem, ItemVersion)
                      .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)).all()
    server = {(slot.attempt_id, slot.position): (slot, version) for slot, version in rows}
    return papers, server


def test_no_visible_id_order_or_position_predicts_the_key_of_any_kind(papers):
    """Fails on the paper before the fix: ordering and matching ids sorted gave the key in
    every attempt, and a cloze list with its shuffle flag off showed the right option first."""
    papers, server = papers
    hits: dict[tuple[int, str], int] = {}
    chance: dict[int, float] = {}
    kinds: dict[int, str] = {}
    for attempt_id, paper in papers.items():
        for question in paper["questions"]:
            slot, version = server[(attempt_id, question["position"])]
            if version.kind in ("short_answer", "numeric"):
                continue
            kinds[version.id] = version.kind
            chance[version.id] = _chance(version.content, version.kind)
            visible = _visible_lists(question)
            for name, arrange in ORDERINGS.items():
                ranked = {}
                for field, ids in visible.items():
                    gap = field.split(":", 1)[1] if field.startswith("gap:") else None
                    parts = _shown_part_ids(version, slot, field, gap)
                    ranked[field] = [parts[i] for i in arrange(ids)]
                hits[(version.id, name)] = hits.get((version.id, name), 0) + \
                    _predicts_key(version.content, version.kind, ranked)
    assert set(kinds.values()) == {"single", "multiple", "true_false4", "matching", "ordering",
                                   "cloze"}
    too_often = {f"{kinds[v]} #{v} by {name}": f"{n}/{N_ATTEMPTS} (chance {chance[v]:.2f})"
                 for (v, name), n in hits.items() if n / N_ATTEMPTS > chance[v] + 0.2}
    assert not too_often


def test_the_page_sees_no_part_id_and_no_key_field_and_ids_differ_per_attempt(papers):
    papers, server = papers
    seen: dict[tuple[int, str], set[str]] = {}
    for attempt_id, paper in papers.items():
        assert not KEY_FIELDS & set(json_keys(paper))
        for question in paper["questions"]:
            slot, version = server[(attempt_id, question["position"])]
            content = version.content
            shown = json.dumps(question, ensure_ascii=False)
            assert "SUM" not in shown and "3.5" not in shown and "3,5" not in shown
            part_ids = {p["id"] for p in content["choices"] + content["targets"]}
            for gap in content["key"].get("gaps", []):
                part_ids |= set(gap.get("choices", []))
            for field, ids in _visible_lists(question).items():
                assert not part_ids & set(ids), (version.kind, field, ids)
                mine = seen.setdefault((version.id, field), set())
                assert not mine & set(ids), "an opaque id was reused by another attempt"
                mine |= set(ids)


def _save(db, attempt_id, position, response, seq=1):
    saved = saving.save_answer(db, MemoryCache(), attempt_id, position=position, selected=[],
                               flagged=False, seq=seq, now=T0 + timedelta(minutes=1),
                               response=response)
    db.commit()
    return saved


def _key_response(kind: str, key: dict[str, Any], token: dict[str, dict[str, str]]) -> Any:
    """The right answer as the page would send it: parts named by their opaque ids."""
    choices = token.get("choices", {})
    if kind == "single":
        return [choices[key["correct"]]]
    if kind == "multiple":
        return [choices[p] for p in key["correct"]]
    if kind == "true_false4":
        return {choices[p]: truth for p, truth in key["truth"].items()}
    if kind == "matching":
        return {choices[a]: token["targets"][b] for a, b in key["pairs"].items()}
    if kind == "ordering":
        return [choices[p] for p in key["order"]]
    if kind == "cloze":
        return {"1": "sum", "2": token["gap:2"]["Ctrl+Z"]}
    return {"short_answer": "ctrl+z", "numeric": "3,5"}[kind]


def test_answers_sent_in_opaque_ids_are_stored_in_part_ids_and_graded(db):
    session = make_session(db, key_ordered_items()[:8], 1)
    attempt = session.candidates[0].attempt
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    paper = delivery.paper(db, attempt, T0)
    for question in paper["questions"]:
        slot = db.get(AttemptItem, (attempt.id, question["position"]))
        version = db.get(ItemVersion, slot.item_version_id)
        key, kind = version.content["key"], version.kind
        token = {field: dict(zip(_shown_part_ids(version, slot, field, field[4:]
                                                 if field.startswith("gap:") else None),
                                 ids, strict=True))
                 for field, ids in _visible_lists(question).items()}
        response = _key_response(kind, key, token)
        _save(db, attempt.id, question["position"], response)
        stored = db.get(Answer, (attempt.id, question["position"]))
        db.refresh(stored)
        text = json.dumps(stored.selected)
        assert not any(t in text for ids in token.values() for t in ids.values())
        resumed = delivery.paper(db, attempt, T0)["questions"][question["position"]]
        if kind in ("single", "multiple"):
            assert sorted(resumed["response"]) == sorted(response)
        else:
            assert resumed["response"] == (3.5 if kind == "numeric" else response)
    result = delivery.submit_attempt(db, attempt.id, actor="candidate",
                                     now=T0 + timedelta(minutes=5))
    db.commit()
    assert result.n_correct == result.n_items == 8


def test_a_part_id_or_a_foreign_opaque_id_is_refused_naming_the_question(db):
    session = make_session(db, key_ordered_items()[:8], 2)
    first, second = (c.attempt for c in session.candidates)
    for attempt in (first, second):
        delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    ordering = next(q for q in delivery.paper(db, first, T0)["questions"]
                    if q["type"] == "ordering")
    foreign = next(q for q in delivery.paper(db, second, T0)["questions"]
                   if q["type"] == "ordering")
    for response in (["A", "B", "C", "D"], [c["id"] for c in foreign["view"]["choices"]]):
        with pytest.raises(InvalidAnswer, match=f"Câu {ordering['position'] + 1}: .*không có "
                                                "trong câu hỏi này"):
            _save(db, first.id, ordering["position"], response)
        db.rollback()
    assert db.scalar(select(Answer).where(Answer.attempt_id == first.id)) is None
    assert db.get(Attempt, first.id).part_secret != db.get(Attempt, second.id).part_secret
