"""The pure grading core and form assembly, against answers worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from exam_engine.exams.assembly import InsufficientItems, assemble_form
from exam_engine.exams.grading import GradedItem, grade, item_score, to_original


def item(module, correct, selected, kind="single"):
    return GradedItem(module, kind, frozenset(correct), frozenset(selected))


def test_single_and_multiple_response_scores():
    assert item_score(item("IU01", [1], [1])) == 1
    assert item_score(item("IU01", [1], [])) == 0
    assert item_score(item("IU01", [0, 2], [0, 2], "multiple")) == 1
    assert item_score(item("IU01", [0, 2], [0], "multiple")) == 0  # all-or-nothing
    assert item_score(item("IU01", [0, 2], [0, 1, 2], "multiple")) == 0


def test_percent_per_module_total_and_the_pass_rule():
    items = [item("IU01", [0], [0]), item("IU01", [1], [2]), item("IU02", [3], [3]),
             item("IU02", [0, 1], [0, 1], "multiple")]
    summary = grade(items, pass_percent=75)
    assert summary.n_correct == 3 and summary.percent == 75.0 and summary.passed
    assert summary.modules == {"IU01": {"correct": 1, "items": 2, "percent": 50.0},
                               "IU02": {"correct": 2, "items": 2, "percent": 100.0}}
    assert not grade(items, pass_percent=80).passed


def test_shown_positions_map_back_to_original_options():
    order = [2, 0, 3, 1]  # shown A is original C, …
    assert to_original([0, 3], order) == frozenset({2, 1})
    assert to_original([9], order) == frozenset()


def test_assembly_meets_counts_and_is_replayable():
    pools = {"IU01": [1, 2, 3, 4], "IU02": [5, 6, 7]}
    n_options = dict.fromkeys(range(1, 8), 4)
    one = assemble_form(pools, {"IU01": 2, "IU02": 3}, n_options, np.random.default_rng(5))
    two = assemble_form(pools, {"IU01": 2, "IU02": 3}, n_options, np.random.default_rng(5))
    assert one == two
    assert [s.module for s in one] == ["IU01", "IU01", "IU02", "IU02", "IU02"]
    assert {s.item_version_id for s in one[2:]} == {5, 6, 7}
    with pytest.raises(InsufficientItems, match="IU02: the form needs 4"):
        assemble_form(pools, {"IU02": 4}, n_options, np.random.default_rng(5))
