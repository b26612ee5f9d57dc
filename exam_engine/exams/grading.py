"""The grading core (pure): item credit, per-module and total percent, pass/fail.

No database here: the delivery service hands in keys and responses, so the same functions
grade live attempts, re-checks on appeal, the live item statistics and load tests.

Every item weighs the same in the percent, whatever its points: an item earns a credit in
``0 … 1`` and the percent is ``100 · Σ credit / n_items``. Single and multiple choice are scored
all-or-nothing on the option indices, as the TT03 basic exam always has; every other kind gets
its type's credit (``item_bank.types``: the Ministry's table for true/false-4, share of pairs,
gaps … right).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from exam_engine.exams.states import SanctionLevel
from item_bank.content import ItemContent, ItemKind, content_from_json
from item_bank.types import InvalidResponse, item_type

#: kinds answered by ticking shown options: stored as shown positions, scored all-or-nothing
CHOICE_KINDS: frozenset[str] = frozenset({ItemKind.SINGLE.value, ItemKind.MULTIPLE.value})
_FULL = 1.0 - 1e-9  # credit counted as full (shares like 3/3 are exact; this is only slack)


@dataclass(frozen=True)
class GradedItem:
    module: str
    item_type: str              # an ItemKind value
    correct: frozenset[int]     # choice kinds: original option indices of the key
    selected: frozenset[int]    # choice kinds: original option indices the candidate chose
    content: ItemContent | None = None  # other kinds: the item, key included
    response: Any = None        # other kinds: the stored (normalised) response


def item_score(item: GradedItem) -> float:
    """The item's credit, 0 … 1.

    Choice kinds: 1 if the chosen set is exactly the key, else 0 (multiple response is
    all-or-nothing in the TT03 basic exam). Other kinds: the type's ``credit`` of the response;
    no response, or one that no longer reads (it was validated when saved), earns 0.
    """
    if item.item_type in CHOICE_KINDS:
        return 1.0 if item.selected and item.selected == item.correct else 0.0
    if item.content is None:
        return 0.0
    kind = item_type(item.item_type)
    try:
        response = kind.normalise_response(item.response, item.content)
    except InvalidResponse:
        return 0.0
    if response is None:
        return 0.0
    return min(1.0, max(0.0, float(kind.credit(item.content, response))))


def is_full_credit(score: float) -> bool:
    return score >= _FULL


@dataclass(frozen=True)
class GradeSummary:
    n_correct: int              # items with full credit
    n_items: int
    percent: float              # 100 · Σ credit / n_items
    passed: bool
    modules: dict[str, dict[str, float]] = field(default_factory=dict)
    item_scores: tuple[float, ...] = ()  # each item's credit
    credit: float = 0.0         # Σ credit, exact
    sanction: str | None = None                  # the SanctionLevel value applied, if any
    percent_before_sanction: float | None = None  # the percent the answers earned


def to_original(selected_shown: Iterable[int], option_order: Sequence[int]) -> frozenset[int]:
    """Map the positions a candidate clicked back to the item's original option indices."""
    return frozenset(option_order[i] for i in selected_shown if 0 <= i < len(option_order))


def ticked_options(stored: Any, content: Mapping[str, Any],
                   display_order: Sequence[int]) -> frozenset[int]:
    """Original option indices of a stored choice answer: ticked part ids, as every save
    stores them now, or shown positions, as answers saved before the opaque ids were."""
    values = [stored] if isinstance(stored, str) else list(stored or ())
    if all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        return to_original(values, display_order)
    ticked = {value for value in values if isinstance(value, str)}
    return frozenset(i for i, part in enumerate(content["choices"]) if part["id"] in ticked)


def choice_key(content: Mapping[str, Any]) -> frozenset[int]:
    """Original indices of the right options of a single/multiple choice item's content JSON."""
    right = content["key"]["correct"]
    right = {right} if isinstance(right, str) else set(right)
    return frozenset(i for i, part in enumerate(content["choices"]) if part["id"] in right)


def graded_item(module: str, kind: str, content: Mapping[str, Any], display_order: Any,
                stored: Any) -> GradedItem:
    """A GradedItem from what the database keeps: the version's content JSON, the attempt
    item's display order and the stored ``Answer.selected`` (``None``: no answer), which
    names parts by their ids for every kind (``ticked_options`` reads older choice rows)."""
    if kind in CHOICE_KINDS:
        return GradedItem(module, kind, choice_key(content),
                          ticked_options(stored, content, display_order))
    return GradedItem(module, kind, frozenset(), frozenset(), content_from_json(content), stored)


def grade(items: Sequence[GradedItem], pass_percent: float) -> GradeSummary:
    """Per-module and total percent of credit; pass when the total reaches ``pass_percent``."""
    scores = tuple(item_score(item) for item in items)
    modules: dict[str, dict[str, float]] = {}
    for item, score in zip(items, scores, strict=True):
        entry = modules.setdefault(item.module, {"correct": 0.0, "items": 0.0})
        entry["correct"] += score
        entry["items"] += 1
    for entry in modules.values():
        entry["percent"] = round(100.0 * entry["correct"] / entry["items"], 2)
        entry["correct"] = round(entry["correct"], 6)  # 0.1 + 0.25 without the binary tail
    total = sum(scores)
    percent = round(100.0 * total / len(items), 2) if items else 0.0
    n_full = sum(1 for score in scores if is_full_credit(score))
    return GradeSummary(n_full, len(items), percent, percent >= pass_percent,
                        dict(sorted(modules.items())), scores, round(total, 6))


#: What each sanction leaves of the test's score (DOMAIN.md, the national exam rules): khiển
#: trách −25 %, cảnh cáo −50 %, đình chỉ thi → 0 (and the candidate is excluded: never passes).
SANCTION_FACTORS: Mapping[SanctionLevel, float] = {
    SanctionLevel.REPRIMAND: 0.75, SanctionLevel.WARNING: 0.5, SanctionLevel.EXPELLED: 0.0}
_SEVERITY = {level: rank for rank, level in enumerate(SanctionLevel)}  # declared mildest first


def most_severe_sanction(levels: Iterable[SanctionLevel | str]) -> SanctionLevel | None:
    """The sanction grading applies when an attempt has several (None: it has none)."""
    return max((SanctionLevel(level) for level in levels), key=_SEVERITY.__getitem__,
               default=None)


def apply_sanction(summary: GradeSummary, level: SanctionLevel | str | None,
                   pass_percent: float) -> GradeSummary:
    """The summary after a sanction: the percent (total and per module) times the level's
    factor, ``passed`` recomputed against ``pass_percent``; an expelled candidate never passes,
    even where the pass mark is 0. Without a sanction the summary is returned unchanged.

    What the answers earned stays as it was: ``n_correct``, ``credit``, ``item_scores`` and
    each module's ``correct``/``items`` are facts about the paper, not the score (and the IRT
    ability estimated from the item scores is a measurement, which a sanction does not
    change). Each module's ``percent`` is scaled by the same factor, because a certificate
    counts a module as passed by its own percent (``certs.eligibility.modules_passed``): a
    sanction must lower it as it lowers the total; the module keeps its unscaled percent as
    ``percent_before_sanction``.
    """
    if level is None:
        return summary
    level = SanctionLevel(level)
    factor = SANCTION_FACTORS[level]
    modules = {code: {**entry, "percent": round(100.0 * entry["correct"] * factor
                                                / entry["items"], 2),
                      "percent_before_sanction": entry["percent"]}
               for code, entry in summary.modules.items()}
    n_items = summary.n_items or 1  # an empty form earned 0 whatever the factor
    percent = round(100.0 * summary.credit * factor / n_items, 2)
    passed = level is not SanctionLevel.EXPELLED and percent >= pass_percent
    return replace(summary, percent=percent, passed=passed, modules=modules,
                   sanction=level.value, percent_before_sanction=summary.percent)
