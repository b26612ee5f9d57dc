"""The pure grading core with the richer item kinds: partial credit, worked by hand."""

from __future__ import annotations

import pytest

from exam_engine.exams.ability import eap_from_versions
from exam_engine.exams.grading import GradedItem, grade, graded_item, item_score
from item_bank.content import ItemKind, content_to_json
from item_bank.models import ItemVersion
from tests.item_bank.fixtures.samples import sample


def item(kind: ItemKind, response, module="IU04") -> GradedItem:
    return graded_item(module, kind.value, content_to_json(sample(kind).content), {}, response)


@pytest.mark.parametrize(("kind", "response", "credit"), [
    # the Ministry's table: 1, 2, 3, 4 statements right -> 0.1, 0.25, 0.5, 1
    (ItemKind.TRUE_FALSE4, {"A": True}, 0.1),
    (ItemKind.TRUE_FALSE4, {"A": True, "B": False}, 0.25),
    (ItemKind.TRUE_FALSE4, {"A": True, "B": False, "C": True, "D": True}, 0.5),
    (ItemKind.TRUE_FALSE4, {"A": True, "B": False, "C": True, "D": False}, 1.0),
    (ItemKind.TRUE_FALSE4, {"A": False, "B": True}, 0.0),
    (ItemKind.MATCHING, {"A": "2", "B": "1"}, 2 / 3),
    (ItemKind.MATCHING, {"A": "2", "B": "1", "C": "3"}, 1.0),
    (ItemKind.ORDERING, ["B", "A", "C"], 1.0),
    (ItemKind.ORDERING, ["A", "B", "C"], 0.0),  # all-or-nothing unless the key says partial
    (ItemKind.SHORT_ANSWER, "CTRL+z", 1.0),
    (ItemKind.SHORT_ANSWER, "Ctrl+Y", 0.0),
    (ItemKind.NUMERIC, 3.509, 1.0),
    (ItemKind.NUMERIC, 3.52, 0.0),
    (ItemKind.CLOZE, {"1": "autosum", "2": "$A$1"}, 1.0),
    (ItemKind.CLOZE, {"2": "$A$1"}, 0.5),
    (ItemKind.CLOZE, [], 0.0),      # stored blank
    (ItemKind.NUMERIC, None, 0.0),  # never answered
])
def test_each_kind_earns_its_types_credit(kind, response, credit):
    assert item_score(item(kind, response)) == pytest.approx(credit)


def test_a_stored_response_that_no_longer_reads_earns_nothing_rather_than_failing():
    assert item_score(item(ItemKind.MATCHING, {"A": "9"})) == 0.0


def test_percent_counts_credit_and_n_correct_counts_full_credit_items():
    items = [
        GradedItem("IU01", "single", frozenset({1}), frozenset({1})),               # 1
        GradedItem("IU01", "multiple", frozenset({0, 2}), frozenset({0})),          # 0
        item(ItemKind.TRUE_FALSE4, {"A": True, "B": False, "C": True}, "IU01"),     # 0.5
        item(ItemKind.MATCHING, {"A": "2"}, "IU02"),                                # 1/3
        item(ItemKind.NUMERIC, "3,5", "IU02"),                                      # 1
    ]
    summary = grade(items, pass_percent=50)
    assert summary.item_scores == pytest.approx((1, 0, 0.5, 1 / 3, 1))
    assert summary.n_correct == 2
    assert summary.credit == pytest.approx(2 + 0.5 + 1 / 3, abs=1e-6)
    assert summary.percent == round(100 * (2 + 0.5 + 1 / 3) / 5, 2) == 56.67
    assert summary.passed
    assert summary.modules["IU01"] == {"correct": 1.5, "items": 3, "percent": 50.0}
    assert summary.modules["IU02"] == {"correct": pytest.approx(4 / 3, abs=1e-6), "items": 2,
                                       "percent": 66.67}


def test_ability_scores_an_item_right_only_at_full_credit():
    versions = [ItemVersion(irt_a=1.2, irt_b=b, irt_c=0.0) for b in (-1.0, 0.0, 1.0)]
    partial = eap_from_versions(versions, [1.0, 0.5, 0.99])
    dichotomous = eap_from_versions(versions, [1.0, 0.0, 0.0])
    assert partial == dichotomous
    assert eap_from_versions(versions, [1.0, 1.0, 0.0]) != dichotomous
