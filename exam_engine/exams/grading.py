"""The grading core (pure): item scores, per-module and total percent, pass/fail.

No database here: the delivery service hands in keys and responses, so the same functions
grade live attempts, re-checks on appeal and load tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class GradedItem:
    module: str
    item_type: str              # "single" | "multiple"
    correct: frozenset[int]     # original option indices
    selected: frozenset[int]    # original option indices the candidate chose


def item_score(item: GradedItem) -> float:
    """1 if the chosen set is exactly the key, else 0.

    Multiple response is scored all-or-nothing in the TT03 basic exam; partial-credit rules
    arrive with the richer item types.
    """
    return 1.0 if item.selected and item.selected == item.correct else 0.0


@dataclass(frozen=True)
class GradeSummary:
    n_correct: float
    n_items: int
    percent: float
    passed: bool
    modules: dict[str, dict[str, float]] = field(default_factory=dict)
    item_scores: tuple[float, ...] = ()


def to_original(selected_shown: Iterable[int], option_order: Sequence[int]) -> frozenset[int]:
    """Map the positions a candidate clicked back to the item's original option indices."""
    return frozenset(option_order[i] for i in selected_shown if 0 <= i < len(option_order))


def grade(items: Sequence[GradedItem], pass_percent: float) -> GradeSummary:
    """Per-module and total percent correct; pass when the total reaches ``pass_percent``."""
    scores = tuple(item_score(item) for item in items)
    modules: dict[str, dict[str, float]] = {}
    for item, score in zip(items, scores, strict=True):
        entry = modules.setdefault(item.module, {"correct": 0.0, "items": 0.0})
        entry["correct"] += score
        entry["items"] += 1
    for entry in modules.values():
        entry["percent"] = round(100.0 * entry["correct"] / entry["items"], 2)
    total = sum(scores)
    percent = round(100.0 * total / len(items), 2) if items else 0.0
    return GradeSummary(total, len(items), percent, percent >= pass_percent,
                        dict(sorted(modules.items())), scores)
