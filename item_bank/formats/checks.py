"""The structural check of what a reader built: the key must fit the parts of its kind.

Deliberately independent of ``item_bank.types`` (scoring, rendering): formats only need to know
that what they read is whole, and to report every problem of a file together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from item_bank.content import ItemContent, ItemKind, ItemRecord
from item_bank.formats.common import GAP, gap_options, item_label, normalise_record
from item_bank.formats.errors import FormatIssue, IssueCollector

Problem = tuple[str, str, str]  # field, message_vi, message_en


def check_content(content: ItemContent) -> list[Problem]:
    """Structural problems of an item: the key must fit the parts of its kind.

    Deliberately independent of ``item_bank.types`` (scoring, rendering): formats only need to
    know that what they read is whole.
    """
    problems: list[Problem] = []
    key = content.key
    ids = [p.id for p in content.choices]
    id_set = set(ids)
    kind = content.kind

    def bad(field: str, vi: str, en: str) -> None:
        problems.append((field, vi, en))

    if not content.stem.strip():
        bad("stem", "Thiếu nội dung câu hỏi.", "The question text is missing.")
    if len(id_set) != len(ids):
        bad("choices", "Có mã phương án bị trùng.", "Two options share the same id.")
    if any(not p.text.strip() for p in content.choices):
        bad("choices", "Có phương án để trống.", "An option is empty.")
    if kind in (ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.ORDERING) and len(ids) < 2:
        bad("choices", "Cần ít nhất 2 phương án.", "At least 2 options are needed.")
    if kind is ItemKind.SINGLE:
        correct = key.get("correct")
        if not correct:
            bad("key", "Thiếu đáp án.", "The answer key is missing.")
        elif correct not in id_set:
            bad("key", f"Đáp án “{correct}” không phải một phương án đã cho.",
                f"Answer “{correct}” is not one of the options.")
    elif kind is ItemKind.MULTIPLE:
        correct = list(key.get("correct") or [])
        if not correct:
            bad("key", "Thiếu đáp án.", "The answer key is missing.")
        for c in correct:
            if c not in id_set:
                bad("key", f"Đáp án “{c}” không phải một phương án đã cho.",
                    f"Answer “{c}” is not one of the options.")
        if key.get("scoring") not in ("all_or_nothing", "partial"):
            bad("scoring", "Cách chấm điểm phải là “từng phần” hoặc “tất cả hoặc không”.",
                "Scoring must be “partial” or “all or nothing”.")
    elif kind is ItemKind.TRUE_FALSE4:
        truth = key.get("truth") or {}
        if len(ids) != 4:
            bad("choices", "Câu đúng/sai cần đúng 4 mệnh đề.",
                "A true/false item needs exactly 4 statements.")
        if set(truth) != id_set or not all(isinstance(v, bool) for v in truth.values()):
            bad("key", "Mỗi mệnh đề cần đúng một đáp án Đúng hoặc Sai.",
                "Every statement needs exactly one answer, true or false.")
    elif kind is ItemKind.MATCHING:
        pairs = key.get("pairs") or {}
        target_ids = {p.id for p in content.targets}
        if not pairs:
            bad("key", "Thiếu đáp án ghép đôi.", "The matching key is missing.")
        for left, right in pairs.items():
            if left not in id_set or right not in target_ids:
                bad("key", f"Cặp “{left}-{right}” không khớp với các vế đã cho.",
                    f"Pair “{left}-{right}” does not match the given columns.")
        if not content.targets:
            bad("targets", "Thiếu cột vế phải.", "The right-hand column is missing.")
    elif kind is ItemKind.ORDERING:
        order = list(key.get("order") or [])
        if sorted(order) != sorted(ids):
            bad("key", "Thứ tự đúng phải dùng mỗi phương án đúng một lần.",
                "The correct order must use every option exactly once.")
    elif kind is ItemKind.SHORT_ANSWER:
        accepted = [a for a in key.get("accepted") or [] if str(a).strip()]
        if not accepted:
            bad("key", "Thiếu đáp án được chấp nhận.", "No accepted answer is given.")
    elif kind is ItemKind.NUMERIC:
        value = key.get("value")
        tolerance = key.get("tolerance", 0)
        if not isinstance(value, int | float) or not math.isfinite(value):
            bad("key", "Đáp án số không hợp lệ.", "The numeric answer is not a number.")
        if not isinstance(tolerance, int | float) or tolerance < 0:
            bad("key", "Sai số cho phép phải là số không âm.",
                "The tolerance must be a non-negative number.")
        if key.get("tolerance_kind", "absolute") not in ("absolute", "relative"):
            bad("key", "Kiểu sai số phải là tuyệt đối hoặc tương đối.",
                "The tolerance kind must be absolute or relative.")
    elif kind is ItemKind.CLOZE:
        gaps = list(key.get("gaps") or [])
        marked = GAP.findall(content.stem)
        gap_ids = [str(g.get("id")) for g in gaps]
        if not gaps:
            bad("key", "Câu điền khuyết chưa có ô trống nào.", "The cloze item has no gaps.")
        if sorted(marked) != sorted(gap_ids):
            bad("stem", "Các ô [[n]] trong nội dung không khớp với đáp án.",
                "The [[n]] gaps in the text do not match the key.")
        for gap in gaps:
            if "choices" in gap:
                if gap.get("correct") not in [i for i, _ in gap_options(gap)]:
                    bad("key", f"Ô trống {gap.get('id')}: đáp án không nằm trong các lựa chọn.",
                        f"Gap {gap.get('id')}: the answer is not one of its choices.")
            elif not [a for a in gap.get("accepted") or [] if str(a).strip()]:
                bad("key", f"Ô trống {gap.get('id')}: thiếu đáp án.",
                    f"Gap {gap.get('id')}: no accepted answer.")
    return problems


def finish(collector: IssueCollector, built: Iterable[tuple[str, ItemRecord]],
           locate: Callable[[str, str], str] | None = None) -> list[ItemRecord]:
    """Check every built record, report all problems together, or return the records (NFC).

    ``locate(location, field)`` lets a format point a problem at its cell or element.
    """
    records = []
    first_seen: dict[str, str] = {}
    for location, record in built:
        record = normalise_record(record)
        for field, vi, en in check_content(record.content):
            collector.error(locate(location, field) if locate else location, field, vi, en)
        if record.external_id and record.external_id in first_seen:
            collector.warn(location, "external_id",
                           f"Mã câu “{record.external_id}” trùng với câu ở "
                           f"{first_seen[record.external_id]}.",
                           f"Item id “{record.external_id}” repeats the one at "
                           f"{first_seen[record.external_id]}.")
        elif record.external_id:
            first_seen[record.external_id] = location
        records.append(record)
    collector.raise_if_errors()
    return records


def records_problem(collector: IssueCollector, records: list[ItemRecord]) -> None:
    if not records:
        collector.error("/", "items", "Tệp không có câu hỏi nào.", "The file holds no items.")


def writable(issues: list[FormatIssue], filename: str, index: int, record: ItemRecord) -> bool:
    """Whether a writer may write the record; a structurally broken one is reported instead."""
    problems = check_content(record.content)
    for field, vi, en in problems:
        issues.append(FormatIssue(filename, item_label(index, record), field,
                                  f"Câu hỏi không hợp lệ nên không được xuất: {vi}",
                                  f"The item is invalid and was not exported: {en}"))
    return not problems
